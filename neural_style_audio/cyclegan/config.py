"""Settings of the CycleGAN: the spectrogram images it works on, the networks, the
losses and the optimiser, as frozen dataclasses with `setting` fields (help beside the
default), grouped by `CycleGANConfig`, which round-trips to JSON.

Two variants:

* ``published``: Gupta, Kaushik, Lee & Zhu, "Music Generation using Style Transfer by
  Deep Learning Methods" (section 3.3): a ResNet generator 4-8-16 channels with 3
  residual blocks, the conv/max-pool/dense discriminator with a sigmoid output (so a
  binary cross-entropy GAN loss), cycle loss, Adam 1e-3, batch 10, 100 epochs.
* ``strong``: the keras-io CycleGAN recipe (A. K. Nain, keras.io/examples/generative/
  cyclegan): ResNet generator 64-128-256 with 9 residual blocks, PatchGAN
  discriminator, least-squares GAN loss, lambda_cycle 10, identity weight 5
  (0.5 x lambda_cycle), Adam 2e-4 with beta_1 0.5, batch 1.

Where the paper's tables are inconsistent or silent, the choice is written beside the
field and in docs/cyclegan.md.
"""
import dataclasses
import json
from dataclasses import dataclass

from neural_style_audio.config import ConfigError, setting

VARIANTS = ("published", "strong")
GAN_LOSSES = ("bce", "lsgan")
DISCRIMINATORS = ("gupta", "patchgan")
STRATEGIES = ("auto", "default", "mirrored", "multi_worker")
PHASES = ("griffin_lim", "content")
# Both generators halve the image twice and double it back: sides must divide by 4.
GENERATOR_STRIDE = 4
# Gupta et al.'s discriminator: (kernel, stride, zero padding) of its three convolutions,
# each followed by MaxPool2d(kernel 3, stride 2), after a reflection pad of 1.
GUPTA_CONVS = ((4, 2, 1), (3, 2, 2), (3, 2, 2))
GUPTA_POOL = (3, 2)
GUPTA_REFLECTION = 1


def _gupta_side(n):
    """Side length after the Gupta discriminator's three (conv, max-pool) stages."""
    n += 2 * GUPTA_REFLECTION
    for kernel, stride, pad in GUPTA_CONVS:
        n = (n + 2 * pad - kernel) // stride + 1
        n = (n - GUPTA_POOL[0]) // GUPTA_POOL[1] + 1 if n >= GUPTA_POOL[0] else 0
    return n


def gupta_discriminator_min_side():
    """Smallest image side the Gupta discriminator accepts (its last pool needs 3)."""
    n = 1
    while _gupta_side(n) < 1:
        n += 1
    return n


@dataclass(frozen=True)
class SpectrogramConfig:
    """The image a generator sees: a log-magnitude STFT crop, time x frequency, in [-1, 1].

    The magnitude is in dB re the largest magnitude a full-scale signal can have
    (sum of the Hann window = n_fft / 2), floored `dynamic_range_db` below it, and
    mapped linearly to [-1, 1]; so -1 is silence and 1 full scale, independent of
    the clip. The Nyquist bin is dropped so that the frequency side (n_fft / 2)
    divides by 4; it is put back as silence when synthesising.
    """
    sr: int = setting(22050, "Sample rate (Hz) audio is loaded at.")
    n_fft: int = setting(512, "FFT size (samples); the image has n_fft/2 frequency rows.")
    hop_length: int = setting(128, "STFT hop (samples).")
    crop_frames: int = setting(64, "STFT frames of a training crop (a multiple of 4).")
    dynamic_range_db: float = setting(80.0, "dB below full scale that map to -1.")

    @property
    def n_bins(self):
        """Frequency rows of the image (the Nyquist bin dropped)."""
        return self.n_fft // 2

    @property
    def crop_seconds(self):
        return self.crop_frames * self.hop_length / self.sr

    def validate(self):
        if self.n_fft < 8 or self.n_bins % GENERATOR_STRIDE:
            raise ConfigError(f"--n_fft {self.n_fft}: n_fft/2 must be a multiple of "
                              f"{GENERATOR_STRIDE} (e.g. 256, 512, 1024)")
        if not 0 < self.hop_length <= self.n_fft:
            raise ConfigError(f"--hop_length {self.hop_length}: must be in 1..n_fft")
        if self.crop_frames < 8 or self.crop_frames % GENERATOR_STRIDE:
            raise ConfigError(f"--crop_frames {self.crop_frames}: must be a multiple of "
                              f"{GENERATOR_STRIDE}, at least 8")
        if self.dynamic_range_db <= 0:
            raise ConfigError("--dynamic_range_db must be > 0")


@dataclass(frozen=True)
class NetworkConfig:
    """Generator (ResNet encoder/decoder) and discriminator."""
    gen_filters: int = setting(4, "Channels of the generator's first 7x7 convolution; the "
                               "two stride-2 convolutions double them (published 4-8-16).")
    n_residual_blocks: int = setting(3, "Residual blocks at 1/4 resolution.")
    instance_norm_affine: bool = setting(
        False, "Learn a scale and offset in InstanceNorm (PyTorch's InstanceNorm2d, which "
        "the paper's table names, has none by default; keras-io learns them).")
    discriminator: str = setting("gupta", "gupta: the paper's conv/max-pool/dense "
                                 "classifier (one output per image); patchgan: keras-io's "
                                 "70x70-style PatchGAN (one output per patch).",
                                 choices=DISCRIMINATORS)
    disc_filters: int = setting(8, "Channels of the discriminator's first convolution "
                                "(gupta: 8-16-32; patchgan: doubled per layer).")
    disc_dense_units: int = setting(512, "gupta only: width of the hidden dense layer.")
    disc_downsampling: int = setting(3, "patchgan only: convolutions after the first "
                                     "(the last with stride 1).")
    init_stddev: float = setting(0.0, "Stddev of normal kernel initialisation (keras-io "
                                 "0.02); 0 = Keras' default glorot-uniform (close to "
                                 "PyTorch's default the paper used).")


@dataclass(frozen=True)
class LossConfig:
    """Weights of the CycleGAN objective."""
    gan_loss: str = setting("bce", "Adversarial loss: bce (the paper's sigmoid "
                            "discriminator) or lsgan (least squares).", choices=GAN_LOSSES)
    lambda_cycle: float = setting(10.0, "Weight of the L1 cycle-consistency loss.")
    lambda_identity: float = setting(
        0.0, "Weight of the L1 identity loss G_AB(b) ~ b. The paper's objective names "
        "only the GAN and cycle terms (0); keras-io uses 0.5 x lambda_cycle = 5.")


@dataclass(frozen=True)
class TrainConfig:
    """Optimiser and schedule."""
    learning_rate: float = setting(1e-3, "Adam learning rate (both networks).")
    beta_1: float = setting(0.9, "Adam beta_1 (PyTorch's default 0.9 for the paper; "
                            "keras-io 0.5).")
    batch_size: int = setting(10, "Image pairs per step (global, over all replicas).")
    epochs: int = setting(100, "Passes over the larger domain's crops.")
    seed: int = setting(0, "Initialisation and crop order.")


@dataclass(frozen=True)
class CycleGANConfig:
    variant: str = "published"
    spectrogram: SpectrogramConfig = SpectrogramConfig()
    network: NetworkConfig = NetworkConfig()
    loss: LossConfig = LossConfig()
    train: TrainConfig = TrainConfig()

    def validate(self):
        self.spectrogram.validate()
        n, tr = self.network, self.train
        if n.gen_filters < 1 or n.n_residual_blocks < 0 or n.disc_filters < 1:
            raise ConfigError("--gen_filters and --disc_filters must be >= 1, "
                              "--n_residual_blocks >= 0")
        if tr.batch_size < 1 or tr.epochs < 0 or tr.learning_rate <= 0:
            raise ConfigError("--batch_size must be >= 1, --epochs >= 0, "
                              "--learning_rate > 0")
        if n.discriminator == "gupta":
            low = gupta_discriminator_min_side()
            sp = self.spectrogram
            if min(sp.crop_frames, sp.n_bins) < low:
                raise ConfigError(
                    f"the gupta discriminator needs crops of at least {low} x {low} "
                    f"(frames x bins); got {sp.crop_frames} x {sp.n_bins}: raise "
                    "--crop_frames or --n_fft")
        return self

    def to_dict(self):
        return dataclasses.asdict(self)

    def to_json(self):
        return json.dumps(self.to_dict(), indent=1, sort_keys=True)

    @classmethod
    def from_dict(cls, data):
        kwargs = {"variant": data.get("variant", "published")}
        for name, group_cls in group_fields():
            known = {f.name for f in dataclasses.fields(group_cls)}
            values = data.get(name, {})
            unknown = set(values) - known
            if unknown:
                raise ConfigError(f"unknown {name} setting(s) {', '.join(sorted(unknown))}")
            kwargs[name] = group_cls(**values)
        return cls(**kwargs)


# The paper's values (section 3.3); see the module docstring.
PUBLISHED = CycleGANConfig(variant="published")

# keras-io's CycleGAN recipe on 1-channel log-magnitude crops.
STRONG = CycleGANConfig(
    variant="strong",
    network=NetworkConfig(gen_filters=64, n_residual_blocks=9, instance_norm_affine=True,
                          discriminator="patchgan", disc_filters=64, disc_downsampling=3,
                          init_stddev=0.02),
    loss=LossConfig(gan_loss="lsgan", lambda_cycle=10.0, lambda_identity=5.0),
    train=TrainConfig(learning_rate=2e-4, beta_1=0.5, batch_size=1, epochs=90))

PRESETS = {"published": PUBLISHED, "strong": STRONG}


def group_fields():
    """(group name, dataclass) of the settings groups, for flags."""
    return [("spectrogram", SpectrogramConfig), ("network", NetworkConfig),
            ("loss", LossConfig), ("train", TrainConfig)]


def preset(variant, **overrides):
    """The settings of `variant` with flat overrides (field name -> value) applied.

    Raises:
      ConfigError: an unknown variant or setting, or invalid values.
    """
    if variant not in PRESETS:
        raise ConfigError(f"--variant {variant}: choose from {', '.join(VARIANTS)}")
    config = PRESETS[variant]
    grouped = {}
    for key, value in overrides.items():
        for name, cls in group_fields():
            if key in {f.name for f in dataclasses.fields(cls)}:
                grouped.setdefault(name, {})[key] = value
                break
        else:
            raise ConfigError(f"unknown CycleGAN setting '{key}'")
    for name, values in grouped.items():
        config = dataclasses.replace(
            config, **{name: dataclasses.replace(getattr(config, name), **values)})
    return config.validate()
