"""absl flags for every TransferConfig field, shared by the command-line scripts.

Every setting flag defaults to None so that only flags the user gives override the
chosen preset.
"""
import dataclasses

from absl import flags

from neural_style_audio import config as config_lib

_HELP = {
    "feature": "Spectral features: stft (log1p magnitude), mel or mfcc.",
    "sr": "Processing sample rate (Hz).",
    "n_fft": "FFT size.",
    "hop_length": "STFT hop (samples).",
    "n_mels": "Mel bands (mel, mfcc).",
    "n_mfcc": "MFCC coefficients (mfcc).",
    "fmin": "Lowest mel frequency (Hz).",
    "fmax": "Highest mel frequency (Hz); 0 = sr/2.",
    "n_layers": "Random convolution layers (1 or 2).",
    "n_filters": "Filters per layer.",
    "filter_width": "Filter width in frames.",
    "activation": "relu or tanh.",
    "pooling": "none, max or avg pooling over time after each layer.",
    "pool_size": "Pooling window (frames).",
    "content_weight": "Weight alpha of the content loss.",
    "style_weight": "Weight of the Gram style loss.",
    "energy_weight": "Weight of the temporal energy-envelope loss (vs content).",
    "freq_envelope_weight": "Weight of the frequency-envelope loss (vs style).",
    "optimizer": "lbfgs (scipy L-BFGS-B), adam, rmsprop or sgd.",
    "iterations": "Optimisation iterations.",
    "learning_rate": "Learning rate (adam, rmsprop, sgd).",
    "init": "Start from the content, noise or zeros.",
    "init_scale": "Std of the noise start.",
    "nonnegative": "Keep log1p magnitudes non-negative (stft, mel).",
    "phase": "griffin_lim, or content (reuse the content clip's phase).",
    "griffin_lim_iters": "Griffin-Lim iterations.",
    "griffin_lim_momentum": "Fast Griffin-Lim momentum (0 = classic).",
    "seed": "Random seed (network weights, init, phase).",
    "max_chunk_s": "Longer content is processed in cross-faded chunks of this length (s).",
    "chunk_overlap_s": "Overlap of the chunks (s).",
    "progress": "Show progress bars.",
}


def define_transfer_flags(flag_values=flags.FLAGS):
    """Defines --preset and one flag per config field (no-op for already defined ones)."""
    defined = flag_values
    fv = dict(flag_values=flag_values)
    if "preset" not in defined:
        flags.DEFINE_enum("preset", "ulyanov", list(config_lib.PRESETS),
                          "Published configuration to start from; explicit flags override it.",
                          **fv)
    for name, group in config_lib.field_names().items():
        if name in defined:
            continue
        group_cls = config_lib.TransferConfig.__dataclass_fields__[group].default_factory
        ftype = {f.name: f.type for f in dataclasses.fields(group_cls)}[name]
        ftype = ftype if isinstance(ftype, type) else eval(ftype)  # noqa: S307
        help_text = _HELP.get(name, name)
        if ftype is bool:
            flags.DEFINE_bool(name, None, help_text, **fv)
        elif ftype is int:
            flags.DEFINE_integer(name, None, help_text, **fv)
        elif ftype is float:
            flags.DEFINE_float(name, None, help_text, **fv)
        else:
            flags.DEFINE_string(name, None, help_text, **fv)


def config_from_flags(flag_values=None, **extra):
    """Resolves a TransferConfig from parsed flags: the preset, then the given flags."""
    fv = flag_values or flags.FLAGS
    overrides = {name: fv[name].value for name in config_lib.field_names()}
    overrides.update(extra)
    return config_lib.resolve_config(fv.preset, **overrides)
