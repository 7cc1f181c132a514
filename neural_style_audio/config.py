"""Configuration dataclasses, presets of the published methods, and their resolution.

Each concern has its own frozen dataclass; `TransferConfig` groups them. Field names
are unique across the groups so that a flat mapping (command-line flags, a preset)
can be applied with `apply_overrides`.
"""
import dataclasses
from dataclasses import dataclass, field

ACTIVATIONS = ("relu", "tanh")
POOLINGS = ("none", "max", "avg")
INITS = ("content", "noise", "zeros")
OPTIMIZERS = ("lbfgs", "adam", "rmsprop", "sgd")
BACKENDS = ("auto", "xla", "blas")  # optimize.BACKENDS
PHASES = ("griffin_lim", "content")
CONTENT_LOSSES = ("l2", "perceptual")
PARTIAL_MAPPINGS = ("harmonic_index", "frequency")
MAX_SEED = 2**32 - 1  # numpy's and TensorFlow's seeds are unsigned 32-bit.


class ConfigError(ValueError):
    """An invalid setting or combination of settings; the message is one line."""


def _import_registries_quietly():
    """The registries import TensorFlow: do it without its C++ start-up lines."""
    from neural_style_audio.quiet import import_tensorflow_quietly
    import_tensorflow_quietly()


def registered(package):
    """Lazy choices: the names registered in neural_style_audio.<package> (imported on use,
    since the registries import TensorFlow)."""

    def names():
        import importlib
        _import_registries_quietly()
        return importlib.import_module(f"neural_style_audio.{package}").names()

    return names


def choices_of(f):
    """The allowed values of a dataclass field made by `setting`, or None."""
    choices = f.metadata.get("choices")
    return tuple(choices()) if callable(choices) else choices


def setting(default, help, choices=None):  # noqa: A002 (the absl/argparse name)
    """A dataclass field with its command-line help (and allowed values) beside it."""
    metadata = dict(help=help)
    if choices is not None:
        metadata["choices"] = choices
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class FeatureConfig:
    """Time-frequency representation the optimisation works on."""
    feature: str = setting("stft", "Representation: stft (log1p |STFT|), mel (log1p mel "
                           "magnitude) or mfcc.", choices=registered("representations"))
    sr: int = setting(22050, "Processing sample rate (Hz).")
    n_fft: int = setting(2048, "FFT size (samples).")
    hop_length: int = setting(512, "STFT hop (samples).")
    n_mels: int = setting(128, "Mel bands (mel, mfcc).")
    n_mfcc: int = setting(40, "MFCC coefficients (mfcc).")
    fmin: float = setting(0.0, "Lowest mel frequency (Hz).")
    fmax: float = setting(0.0, "Highest mel frequency (Hz); 0 = sr/2.")

    @property
    def n_channels(self):
        """Number of feature channels (the network's input channels)."""
        _import_registries_quietly()
        from neural_style_audio import representations
        return representations.get(self).n_channels


@dataclass(frozen=True)
class NetworkConfig:
    """Feature network: shallow random-weight convolution over time (frequency bins as
    channels), VGG-19 on the spectrogram as an image, or the trained instrument CNN."""
    network: str = setting("shallow", "Feature network: shallow (random-weight convolution "
                           "over time) or vgg19 (the spectrogram as an image).",
                           choices=registered("networks"))
    vgg_weights: str = setting("imagenet", "vgg19 only: imagenet (Keras download), a local "
                               ".h5 weights file of the no-top model, or random.")
    instrument_cnn_weights: str = setting(
        "shipped", "instrument_cnn only: shipped (the trained instrument classifier in "
        "networks/weights/), a .weights.h5 written by nsa-train-instrument-cnn, or random "
        "(same architecture, seeded random weights).")
    instrument_cnn_widths: str = setting("16,32,64,64,128,128", "instrument_cnn only: "
                                         "channels of conv1..conv6 (must match the weights "
                                         "file).")
    instrument_cnn_style_layers: str = setting(
        "conv1,conv2,conv3,conv4,conv5", "instrument_cnn only: comma-separated layers "
        "(conv1..conv6) whose Gram matrices make the style loss.")
    instrument_cnn_content_layer: str = setting("conv4", "instrument_cnn only: the layer "
                                                "whose activations make the content loss.")
    n_layers: int = setting(1, "Random convolution layers (1 or 2).")
    n_filters: int = setting(4096, "Filters per layer.")
    filter_width: int = setting(11, "Filter width (frames).")
    activation: str = setting("relu", "Non-linearity.", choices=ACTIVATIONS)
    pooling: str = setting("none", "Pooling over time after each layer.", choices=POOLINGS)
    pool_size: int = setting(2, "Pooling window (frames).")
    rnn_axis: str = setting("frequency", "rnn/bilstm only: the recurrence runs over "
                            "frequency bins with time frames as features (as published) or "
                            "over time frames with bins as features.",
                            choices=("frequency", "time"))
    rnn_units: int = setting(100, "rnn/bilstm only: hidden units (per direction).")
    rnn_dense_units: int = setting(4096, "rnn/bilstm only: width of the Dense layer whose "
                                   "activations make the Gram style and content losses.")
    rnn_window_frames: int = setting(430, "rnn/bilstm with --rnn_axis frequency: frames per "
                                     "window, the recurrent layer's input size (430 = a 10-s "
                                     "clip, as published).")
    wavenet_weights: str = setting(
        "shipped", "--method wavenet only: shipped (the small WaveNet autoencoder in "
        "wavenet/weights/), a .weights.h5 written by nsa-train-wavenet, a magenta NSynth "
        "checkpoint (wavenet-ckpt.tar's model.ckpt-200000, with --wavenet_model h512_bo16) "
        "or random.")
    wavenet_model: str = setting("small", "--method wavenet only: WaveNet sizes for random "
                                 "weights and magenta checkpoints (h512_bo16, small, tiny).",
                                 choices=("h512_bo16", "small", "tiny"))
    wavenet_style_layers: str = setting("all", "--method wavenet only: encoder layers "
                                        "(1-based, comma-separated, or all) whose Gram "
                                        "matrices make the style loss.")
    wavenet_decode: bool = setting(False, "--method wavenet only: decode the optimised "
                                   "waveform's encoding with the WaveNet decoder (fast "
                                   "generation) instead of returning the waveform itself.")


@dataclass(frozen=True)
class LossConfig:
    """Weights of the loss terms."""
    content_weight: float = setting(1e-2, "Weight alpha of the content loss.")
    content_loss: str = setting("l2", "Content loss: l2 on the network's activations, or "
                                "perceptual (VGGish activations of the magnitude).",
                                choices=CONTENT_LOSSES)
    perceptual_model: str = setting("compact", "VGGish for --content_loss perceptual: "
                                    "compact (shipped), official:PATH, hub:HANDLE or "
                                    "random[:WIDTH].")
    perceptual_layers: str = setting("conv3/conv3_2,conv4/conv4_2", "Comma-separated "
                                     "VGGish layers of the perceptual loss.")
    style_weight: float = setting(1.0, "Weight of the Gram style loss.")
    energy_weight: float = setting(0.0, "Weight of the temporal energy-envelope loss "
                                   "(vs the content; Verma & Smith).")
    freq_envelope_weight: float = setting(0.0, "Weight of the frequency-envelope loss "
                                          "(vs the style; Verma & Smith).")


@dataclass(frozen=True)
class OptimizerConfig:
    """How the input spectrogram is optimised."""
    optimizer: str = setting("lbfgs", "lbfgs (scipy L-BFGS-B) or a Keras optimiser.",
                             choices=OPTIMIZERS)
    iterations: int = setting(300, "Optimisation iterations.")
    learning_rate: float = setting(0.01, "Learning rate (adam, rmsprop, sgd).")
    init: str = setting("noise", "Start from the content, seeded noise or zeros.",
                        choices=INITS)
    init_scale: float = setting(1e-3, "Std of the noise start (Ulyanov: 1e-3).")
    nonnegative: bool = setting(True, "Keep log1p magnitudes >= 0 (stft, mel).")
    backend: str = setting("auto", "Where the objective's matrix products run: xla, blas "
                           "(numpy's BLAS; the shallow network with content and style terms "
                           "only) or auto (the first evaluations alternate, timed; keeps "
                           "the faster).",
                           choices=BACKENDS)


@dataclass(frozen=True)
class PhaseConfig:
    """How a waveform is made from the optimised magnitude."""
    phase: str = setting("griffin_lim", "griffin_lim, or content (reuse the content "
                         "clip's phase).", choices=PHASES)
    griffin_lim_iters: int = setting(500, "Griffin-Lim iterations.")
    griffin_lim_momentum: float = setting(0.99, "Fast Griffin-Lim momentum (0 = classic).")


@dataclass(frozen=True)
class RunConfig:
    """Run-level settings."""
    seed: int = setting(0, "Random seed (network weights, noise start, Griffin-Lim phase).")
    max_chunk_s: float = setting(60.0, "Longer content is processed in cross-faded chunks "
                                 "of this length (s).")
    chunk_overlap_s: float = setting(2.0, "Overlap of the chunks (s).")
    progress: bool = setting(True, "Show progress bars.")
    method: str = setting("optimisation", "Transfer method: optimisation (of a spectrogram "
                          "through a feature network; the published presets) or "
                          "source_filter (the content's notes played by a harmonic-plus-noise "
                          "model of the style's instrument).", choices=registered("methods"))


@dataclass(frozen=True)
class SourceFilterConfig:
    """Source-filter method (--method source_filter): the content's notes (pYIN f0,
    onsets, levels) played by a harmonic-plus-noise model of the style's instrument,
    measured note by note from the style clip."""
    f0_fmin: float = setting(65.41, "Lowest f0 pYIN searches (Hz).")
    f0_fmax: float = setting(1046.5, "Highest f0 pYIN searches (Hz).")
    f0_resolution: float = setting(0.2, "pYIN pitch-bin width (semitones).")
    max_harmonics: int = setting(60, "Partials measured and synthesised per note.")
    partial_mapping: str = setting("harmonic_index", "How a style note's partials move to "
                                   "another pitch: harmonic_index (partial k keeps its "
                                   "amplitude, as a sampler transposes) or frequency (the "
                                   "spectral envelope stays in place in Hz).",
                                   choices=PARTIAL_MAPPINGS)
    dynamics: float = setting(1.0, "Share of the content's note-to-note level differences "
                              "kept (0: every note at its style note's level).")
    release_s: float = setting(0.1, "Time constant of the release after a note-off (s).")
    noise_gain: float = setting(0.3, "Factor on the noise measured between the partials.")
    style_neighbours: int = setting(1, "Style notes nearest in pitch averaged (in dB) for "
                                    "each content note.")


@dataclass(frozen=True)
class TransferConfig:
    """Every setting of one style transfer."""
    features: FeatureConfig = field(default_factory=FeatureConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    phase: PhaseConfig = field(default_factory=PhaseConfig)
    run: RunConfig = field(default_factory=RunConfig)
    source_filter: SourceFilterConfig = field(default_factory=SourceFilterConfig)
    preset: str = "ulyanov"


# Published configurations. Values not named keep the dataclass default.
PRESETS = {
    # Ulyanov & Lebedev (2016), neural-style-audio-tf: 22050 Hz, n_fft 2048,
    # 4096 x 11 ReLU, alpha 1e-2, L-BFGS-B 300 iterations, Griffin-Lim 500.
    "ulyanov": dict(feature="stft", sr=22050, n_fft=2048, hop_length=512, n_layers=1,
                    n_filters=4096, filter_width=11, activation="relu",
                    content_weight=5.5e-3, style_weight=1.0, optimizer="lbfgs",
                    iterations=300, init="noise", phase="griffin_lim",
                    griffin_lim_iters=500),
    # DeepMix report, best configuration: 4096 filters, width 11, L-BFGS-B, alpha 0.006.
    "deepmix": dict(feature="stft", n_layers=1, n_filters=4096, filter_width=11,
                    activation="relu", content_weight=3.3e-3, optimizer="lbfgs",
                    iterations=300, init="noise", phase="griffin_lim",
                    griffin_lim_iters=500),
    # IITB report: mel features with a tanh network.
    "iitb": dict(feature="mel", n_mels=128, n_layers=1, n_filters=4096,
                 filter_width=11, activation="tanh", content_weight=0.115,
                 optimizer="lbfgs", iterations=300, init="noise",
                 phase="griffin_lim", griffin_lim_iters=500),
    # CNN baseline report: kernel 3, 4096 filters, Adam lr 0.005, style weight 500,
    # 2500 steps, initialised from the content, content phase.
    "cnn_baseline": dict(feature="stft", n_layers=1, n_filters=4096, filter_width=3,
                         activation="relu", content_weight=1.2e-3, style_weight=1.0,
                         optimizer="adam", learning_rate=0.005, iterations=2500,
                         init="content", phase="content"),
    # Verma & Smith: 16 kHz, FFT 512, 10-ms hop; a trained instrument CNN (3x3 convs,
    # 2x2 pools, 6 layers); from noise; alpha Lc + beta Ls + gamma Le + delta Lt;
    # Griffin-Lim. The paper gives no weights or iteration counts: these are ours
    # (docs/results/verma_smith.md). --optimizer adam works as well.
    "verma_smith": dict(feature="stft", sr=16000, n_fft=512, hop_length=160,
                        network="instrument_cnn", instrument_cnn_weights="shipped",
                        instrument_cnn_style_layers="conv1,conv2,conv3,conv4,conv5",
                        instrument_cnn_content_layer="conv4", content_weight=1e-2,
                        style_weight=1.0, energy_weight=1e-2, freq_envelope_weight=0.1,
                        optimizer="lbfgs", iterations=300, learning_rate=0.05,
                        init="noise", init_scale=1e-3, phase="griffin_lim",
                        griffin_lim_iters=500),
    # Gupta et al.: random recurrent layer (100 units) + Dense 4096, Gram style loss,
    # recurrence over frequency bins with 430 time frames as features (networks/recurrent.py);
    # Adam 0.005 (rnn) / 5e-5 and style weight 2500 (bilstm), 10000 steps, content init and
    # phase as their CNN baseline. The alphas are the published weights (content 1, style
    # 500 / 2500) converted to the normalised loss by experiments/genre_calibrate_rnn.py
    # (docs/results/genre_rnn_calibration.md).
    "gupta_rnn": dict(feature="stft", sr=22050, n_fft=2048, hop_length=512, network="rnn",
                      rnn_axis="frequency", rnn_units=100, rnn_dense_units=4096,
                      rnn_window_frames=430, activation="relu", content_weight=0.27,
                      style_weight=1.0, optimizer="adam", learning_rate=0.005,
                      iterations=10000, init="content", phase="content"),
    "gupta_bilstm": dict(feature="stft", sr=22050, n_fft=2048, hop_length=512,
                         network="bilstm", rnn_axis="frequency", rnn_units=100,
                         rnn_dense_units=4096, rnn_window_frames=430, activation="relu",
                         content_weight=0.103, style_weight=1.0, optimizer="adam",
                         learning_rate=5e-5, iterations=10000, init="content",
                         phase="content"),
    # DeepMix's fourth architecture (NSynth's WaveNet autoencoder): content = the
    # encoding, style = Gram matrices of the encoder's activations, the waveform optimised
    # through the differentiable mu-law, then decoded by the WaveNet (methods/wavenet.py).
    # 16 kHz as NSynth; the optimiser and weights are ours (DeepMix gives none).
    "deepmix_wavenet": dict(method="wavenet", sr=16000, n_fft=1024, hop_length=256,
                            wavenet_weights="shipped", wavenet_style_layers="all",
                            wavenet_decode=True, content_weight=1.0, style_weight=1.0,
                            optimizer="adam", learning_rate=0.002, iterations=300,
                            init="content"),
    # Source-filter (issue 11): the content's notes played by a harmonic-plus-noise model
    # of the style's instrument fitted from the style clip (DDSP's synthesiser, Engel et
    # al. 2020, measured instead of trained). Settings chosen on the development split
    # of docs/results/devset_dev.md.
    "source_filter": dict(method="source_filter", sr=22050, n_fft=2048, hop_length=512,
                          partial_mapping="harmonic_index", dynamics=1.0, release_s=0.1,
                          noise_gain=0.3, style_neighbours=1),
}

# What `scripts/transfer.py` and `resolve_config()` use without --preset: the source-filter
# method, which keeps the content's notes and takes the style's instrument (issue 11;
# docs/RESULTS.md section 8). The dataclass defaults (TransferConfig()) stay those of
# `ulyanov`, the optimisation method's own defaults.
DEFAULT_PRESET = "source_filter"

GROUPS = ("features", "network", "loss", "optimizer", "phase", "run", "source_filter")


def group_class(group, config_class=None):
    """The dataclass of one settings group of TransferConfig (or of `config_class`)."""
    return (config_class or TransferConfig).__dataclass_fields__[group].default_factory


def field_names(config_class=None, groups=GROUPS):
    """Maps every flat field name to its group name.

    Raises:
      ValueError: two groups define the same field name (a flat flag could not say
        which one it sets).
    """
    names = {}
    for group in groups:
        for f in dataclasses.fields(group_class(group, config_class)):
            if f.name in names:
                raise ValueError(f"setting '{f.name}' is defined in both '{names[f.name]}' "
                                 f"and '{group}'")
            names[f.name] = group
    return names


def field_info(name):
    """(group, dataclasses.Field) of a flat setting name."""
    group = field_names()[name]
    fields = {f.name: f for f in dataclasses.fields(group_class(group))}
    return group, fields[name]


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


def resolve_config(preset=None, **overrides):
    """Builds a validated config: the preset's values, then explicit overrides.

    Args:
      preset: a name in PRESETS (None: DEFAULT_PRESET).
      **overrides: flat field names (e.g. n_filters=512); None values are ignored,
        so unset command-line flags do not override the preset.

    Returns:
      A validated TransferConfig.
    """
    preset = DEFAULT_PRESET if preset is None else preset
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


def _validate_source_filter(s, sr):
    _check(0 < s.f0_fmin < s.f0_fmax <= sr / 2, "--f0_fmin/--f0_fmax must satisfy "
           "0 < f0_fmin < f0_fmax <= sr/2")
    _check(0 < s.f0_resolution <= 1, "--f0_resolution must be in (0, 1] semitones")
    _check(s.max_harmonics >= 1, "--max_harmonics must be >= 1")
    _check(s.partial_mapping in PARTIAL_MAPPINGS,
           f"--partial_mapping must be one of {PARTIAL_MAPPINGS}")
    _check(0 <= s.dynamics <= 1, "--dynamics must be in [0, 1]")
    _check(s.release_s > 0, "--release_s must be > 0")
    _check(s.noise_gain >= 0, "--noise_gain must be >= 0")
    _check(s.style_neighbours >= 1, "--style_neighbours must be >= 1")


def validate(config):
    """Raises ConfigError naming the first invalid setting or combination."""
    f, n, l, o, p, r = (config.features, config.network, config.loss, config.optimizer,
                        config.phase, config.run)
    _import_registries_quietly()
    from neural_style_audio import networks, representations  # Registries (TensorFlow).
    _check(f.feature in representations.names(),
           f"--feature must be one of {representations.names()}")
    _check(8000 <= f.sr <= 96000, "--sr must be between 8000 and 96000 Hz")
    _check(f.n_fft >= 16 and f.n_fft & (f.n_fft - 1) == 0, "--n_fft must be a power of 2 >= 16")
    _check(0 < f.hop_length <= f.n_fft, "--hop_length must be in (0, n_fft]")
    _check(f.n_mels > 0 and f.n_mels <= f.n_fft // 2 + 1, "--n_mels must be in [1, n_fft/2+1]")
    _check(0 < f.n_mfcc <= f.n_mels, "--n_mfcc must be in [1, n_mels]")
    _check(f.fmax == 0 or f.fmin < f.fmax <= f.sr / 2, "--fmax must be in (fmin, sr/2]")
    _check(n.network in networks.names(), f"--network must be one of {networks.names()}")
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
    _check(bool(l.perceptual_layers.strip(",")), "--perceptual_layers is empty")
    problem = networks.spec(n.network).check(config)
    _check(problem is None, problem)
    _check(o.optimizer in OPTIMIZERS, f"--optimizer must be one of {OPTIMIZERS}")
    _check(o.iterations >= 0, "--iterations must be >= 0")
    _check(o.learning_rate > 0, "--learning_rate must be > 0")
    _check(o.backend in BACKENDS, f"--backend must be one of {BACKENDS}")
    _check(o.backend != "blas" or (
        r.method == "optimisation" and n.network == "shallow"
        and (n.pooling == "none" or n.pool_size == 1)
        and l.content_loss == "l2" and l.energy_weight == 0 and l.freq_envelope_weight == 0),
        "--backend blas evaluates only --method optimisation with the shallow network "
        "without pooling, the l2 content and the style terms (use auto or xla)")
    _check(o.init in INITS, f"--init must be one of {INITS}")
    _check(p.phase in PHASES, f"--phase must be one of {PHASES}")
    _check(p.griffin_lim_iters >= 0, "--griffin_lim_iters must be >= 0")
    _check(0 <= p.griffin_lim_momentum < 1, "--griffin_lim_momentum must be in [0, 1)")
    _check(0 <= r.seed <= MAX_SEED, f"--seed must be in 0..{MAX_SEED}")
    _check(r.max_chunk_s > 0, "--max_chunk_s must be > 0")
    from neural_style_audio import methods  # Registry (imports TensorFlow).
    _check(r.method in methods.names(), f"--method must be one of {methods.names()}")
    _validate_source_filter(config.source_filter, f.sr)
    _check(0 <= r.chunk_overlap_s < r.max_chunk_s / 2,
           "--chunk_overlap_s must be >= 0 and less than half of --max_chunk_s")
    # ReLU'(0) is 0 in TF, so an all-zero start gets an all-zero gradient.
    _check(not (o.init == "zeros" and n.activation == "relu"),
           "--init zeros with --activation relu cannot move (zero gradient); "
           "use --init noise or content")
