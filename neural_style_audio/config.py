"""Configuration dataclasses, presets of the published methods, and their resolution.

Each concern has its own frozen dataclass; `TransferConfig` groups them. Field names
are unique across the groups so that a flat mapping (command-line flags, a preset)
can be applied with `apply_overrides`.
"""
import dataclasses
from dataclasses import dataclass, field

FEATURE_KINDS = ("stft", "mel", "mfcc")
ACTIVATIONS = ("relu", "tanh")
POOLINGS = ("none", "max", "avg")
INITS = ("content", "noise", "zeros")
OPTIMIZERS = ("lbfgs", "adam", "rmsprop", "sgd")
PHASES = ("griffin_lim", "content")
NETWORKS = ("shallow", "vgg19")
CONTENT_LOSSES = ("l2", "perceptual")


class ConfigError(ValueError):
    """An invalid setting or combination of settings; the message is one line."""


@dataclass(frozen=True)
class FeatureConfig:
    """Time-frequency representation the optimisation works on."""
    feature: str = "stft"  # stft: log1p|STFT|; mel: log1p(mel magnitude); mfcc.
    sr: int = 22050
    n_fft: int = 2048
    hop_length: int = 512
    n_mels: int = 128
    n_mfcc: int = 40
    fmin: float = 0.0
    fmax: float = 0.0  # 0 means sr / 2.

    @property
    def n_channels(self):
        """Number of feature channels (the network's input channels)."""
        return {"stft": self.n_fft // 2 + 1, "mel": self.n_mels, "mfcc": self.n_mfcc}[self.feature]


@dataclass(frozen=True)
class NetworkConfig:
    """Feature network: shallow random-weight convolution over time (frequency bins as
    channels), or VGG-19 on the spectrogram as an image."""
    network: str = "shallow"
    vgg_weights: str = "imagenet"  # vgg19 only: imagenet, a local .h5 file, or random.
    n_layers: int = 1
    n_filters: int = 4096
    filter_width: int = 11
    activation: str = "relu"
    pooling: str = "none"
    pool_size: int = 2


@dataclass(frozen=True)
class LossConfig:
    """Weights of the loss terms (sums of squares, as in Ulyanov's code)."""
    content_weight: float = 1e-2  # alpha.
    content_loss: str = "l2"  # l2 on network activations, or perceptual (VGGish).
    perceptual_model: str = "compact"  # compact | official:PATH | hub:HANDLE | random[:W].
    perceptual_layers: str = "conv3/conv3_2,conv4/conv4_2"
    style_weight: float = 1.0
    energy_weight: float = 0.0  # Temporal energy envelope vs the content (Verma & Smith).
    freq_envelope_weight: float = 0.0  # Average spectrum vs the style (Verma & Smith).


@dataclass(frozen=True)
class OptimizerConfig:
    """How the input spectrogram is optimised."""
    optimizer: str = "lbfgs"
    iterations: int = 300
    learning_rate: float = 0.01
    init: str = "noise"
    init_scale: float = 1e-3  # Std of the noise init (Ulyanov: 1e-3).
    nonnegative: bool = True  # Keep log1p magnitudes >= 0 (stft, mel).


@dataclass(frozen=True)
class PhaseConfig:
    """How a waveform is made from the optimised magnitude."""
    phase: str = "griffin_lim"
    griffin_lim_iters: int = 500
    griffin_lim_momentum: float = 0.99


@dataclass(frozen=True)
class RunConfig:
    """Run-level settings."""
    seed: int = 0  # Network weights, noise init and Griffin-Lim phase.
    max_chunk_s: float = 60.0  # Longer content is processed in cross-faded chunks.
    chunk_overlap_s: float = 2.0
    progress: bool = True


@dataclass(frozen=True)
class TransferConfig:
    """Every setting of one style transfer."""
    features: FeatureConfig = field(default_factory=FeatureConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    phase: PhaseConfig = field(default_factory=PhaseConfig)
    run: RunConfig = field(default_factory=RunConfig)
    preset: str = "ulyanov"


# Published configurations. Values not named keep the dataclass default.
PRESETS = {
    # Ulyanov & Lebedev (2016), neural-style-audio-tf: 22050 Hz, n_fft 2048,
    # 4096 x 11 ReLU, alpha 1e-2, L-BFGS-B 300 iterations, Griffin-Lim 500.
    "ulyanov": dict(feature="stft", sr=22050, n_fft=2048, hop_length=512, n_layers=1,
                    n_filters=4096, filter_width=11, activation="relu",
                    content_weight=1e-2, style_weight=1.0, optimizer="lbfgs",
                    iterations=300, init="noise", phase="griffin_lim",
                    griffin_lim_iters=500),
    # DeepMix report, best configuration: 4096 filters, width 11, L-BFGS-B, alpha 0.006.
    "deepmix": dict(feature="stft", n_layers=1, n_filters=4096, filter_width=11,
                    activation="relu", content_weight=0.006, optimizer="lbfgs",
                    iterations=300, init="noise", phase="griffin_lim",
                    griffin_lim_iters=500),
    # IITB report: mel features with a tanh network.
    "iitb": dict(feature="mel", n_mels=128, n_layers=1, n_filters=4096,
                 filter_width=11, activation="tanh", content_weight=1e-2,
                 optimizer="lbfgs", iterations=300, init="noise",
                 phase="griffin_lim", griffin_lim_iters=500),
    # CNN baseline report: kernel 3, 4096 filters, Adam lr 0.005, style weight 500,
    # 2500 steps, initialised from the content, content phase.
    "cnn_baseline": dict(feature="stft", n_layers=1, n_filters=4096, filter_width=3,
                         activation="relu", content_weight=1.0, style_weight=500.0,
                         optimizer="adam", learning_rate=0.005, iterations=2500,
                         init="content", phase="content"),
}

_GROUPS = ("features", "network", "loss", "optimizer", "phase", "run")


def field_names():
    """Maps every flat field name to its group name."""
    names = {}
    for group in _GROUPS:
        group_cls = TransferConfig.__dataclass_fields__[group].default_factory
        for f in dataclasses.fields(group_cls):
            names[f.name] = group
    return names


def apply_overrides(config, overrides):
    """Returns `config` with flat `overrides` (field name -> value) applied."""
    names = field_names()
    grouped = {}
    for name, value in overrides.items():
        if name == "preset":
            continue
        if name not in names:
            raise ConfigError(f"unknown setting '{name}'")
        grouped.setdefault(names[name], {})[name] = value
    changes = {g: dataclasses.replace(getattr(config, g), **v) for g, v in grouped.items()}
    return dataclasses.replace(config, **changes)


def resolve_config(preset="ulyanov", **overrides):
    """Builds a validated config: the preset's values, then explicit overrides.

    Args:
      preset: a name in PRESETS.
      **overrides: flat field names (e.g. n_filters=512); None values are ignored,
        so unset command-line flags do not override the preset.

    Returns:
      A validated TransferConfig.
    """
    if preset not in PRESETS:
        raise ConfigError(f"unknown preset '{preset}' (choose from {', '.join(PRESETS)})")
    config = apply_overrides(TransferConfig(preset=preset), PRESETS[preset])
    explicit = {k: v for k, v in overrides.items() if v is not None}
    config = apply_overrides(config, explicit)
    validate(config)
    return config


def _check(condition, message):
    if not condition:
        raise ConfigError(message)


def validate(config):
    """Raises ConfigError naming the first invalid setting or combination."""
    f, n, l, o, p, r = (config.features, config.network, config.loss, config.optimizer,
                        config.phase, config.run)
    _check(f.feature in FEATURE_KINDS, f"--feature must be one of {FEATURE_KINDS}")
    _check(8000 <= f.sr <= 96000, "--sr must be between 8000 and 96000 Hz")
    _check(f.n_fft >= 16 and f.n_fft & (f.n_fft - 1) == 0, "--n_fft must be a power of 2 >= 16")
    _check(0 < f.hop_length <= f.n_fft, "--hop_length must be in (0, n_fft]")
    _check(f.n_mels > 0 and f.n_mels <= f.n_fft // 2 + 1, "--n_mels must be in [1, n_fft/2+1]")
    _check(0 < f.n_mfcc <= f.n_mels, "--n_mfcc must be in [1, n_mels]")
    _check(f.fmax == 0 or f.fmin < f.fmax <= f.sr / 2, "--fmax must be in (fmin, sr/2]")
    _check(n.network in NETWORKS, f"--network must be one of {NETWORKS}")
    _check(n.n_layers in (1, 2), "--n_layers must be 1 or 2")
    _check(n.n_filters >= 1, "--n_filters must be >= 1")
    _check(n.filter_width >= 1, "--filter_width must be >= 1")
    _check(n.activation in ACTIVATIONS, f"--activation must be one of {ACTIVATIONS}")
    _check(n.pooling in POOLINGS, f"--pooling must be one of {POOLINGS}")
    _check(n.pool_size >= 1, "--pool_size must be >= 1")
    for name in ("content_weight", "style_weight", "energy_weight", "freq_envelope_weight"):
        _check(getattr(l, name) >= 0, f"--{name} must be >= 0")
    _check(l.content_weight + l.style_weight + l.energy_weight + l.freq_envelope_weight > 0,
           "all loss weights are 0: nothing to optimise")
    _check(l.content_loss in CONTENT_LOSSES, f"--content_loss must be one of {CONTENT_LOSSES}")
    _check(l.content_loss != "perceptual" or f.feature == "stft",
           "--content_loss perceptual needs --feature stft (a differentiable linear magnitude)")
    _check(l.content_loss != "perceptual" or n.network == "shallow",
           "--content_loss perceptual is for the shallow network (vgg19 has its own content layer)")
    _check(bool(l.perceptual_layers.strip(",")), "--perceptual_layers is empty")
    _check(n.network != "vgg19" or f.n_channels >= 16,
           "--network vgg19 needs at least 16 feature channels (e.g. --n_mfcc 40)")
    _check(o.optimizer in OPTIMIZERS, f"--optimizer must be one of {OPTIMIZERS}")
    _check(o.iterations >= 0, "--iterations must be >= 0")
    _check(o.learning_rate > 0, "--learning_rate must be > 0")
    _check(o.init in INITS, f"--init must be one of {INITS}")
    _check(p.phase in PHASES, f"--phase must be one of {PHASES}")
    _check(p.griffin_lim_iters >= 0, "--griffin_lim_iters must be >= 0")
    _check(0 <= p.griffin_lim_momentum < 1, "--griffin_lim_momentum must be in [0, 1)")
    _check(r.max_chunk_s > 0, "--max_chunk_s must be > 0")
    _check(0 <= r.chunk_overlap_s < r.max_chunk_s / 2,
           "--chunk_overlap_s must be >= 0 and less than half of --max_chunk_s")
    # ReLU'(0) is 0 in TF, so an all-zero start gets an all-zero gradient.
    _check(not (o.init == "zeros" and n.activation == "relu"),
           "--init zeros with --activation relu cannot move (zero gradient); "
           "use --init noise or content")
