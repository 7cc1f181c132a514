"""neural-style-audio: the content of one clip with the style (timbre, texture) of another."""
__version__ = "0.1.0"

from neural_style_audio.config import TransferConfig, resolve_config, PRESETS, ConfigError  # noqa: E402,F401
from neural_style_audio.audio import AudioInputError, InputWarning, OutputError  # noqa: E402,F401


def transfer(content, style, config=None, progress=None, cache=None, sr=None):
    """Renders the content of one clip with the style of another.

    `content` and `style` are file paths, `(samples, sample_rate)` tuples or arrays at
    `sr` (default: the config's rate); see methods.optimisation.transfer. The config's
    `run.method` picks the method (default config: `resolve_config()`). Pass one
    `TransferCache()` as `cache` to a series of transfers to reuse their networks and
    compiled functions.
    """
    from neural_style_audio.quiet import import_tensorflow_quietly
    import_tensorflow_quietly()
    from neural_style_audio import methods
    config = config or resolve_config()  # The default preset, which names its method.
    return methods.get(config.run.method).transfer(content, style, config, progress, cache,
                                                   sr=sr)


def write_outputs(result, wav_path, plot=True, overwrite=False):
    """Writes the WAV (or FLAC), JSON run record and PNG of a transfer as one unit.

    Refuses (OutputError) a name without .wav/.flac, an output that would replace an
    input file, and, unless `overwrite`, any existing output file (the JSON and PNG
    beside the audio too). Returns {"wav": path, "json": path, "png": path}.
    """
    from neural_style_audio.outputs import write_outputs as _write
    return _write(result, wav_path, plot, overwrite=overwrite)


def __getattr__(name):
    # TransferCache lives with TensorFlow; importing it on first use keeps
    # `import neural_style_audio` light and quiet.
    if name == "TransferCache":
        from neural_style_audio.quiet import import_tensorflow_quietly
        import_tensorflow_quietly()
        from neural_style_audio.methods.optimisation import TransferCache
        return TransferCache
    raise AttributeError(f"module 'neural_style_audio' has no attribute '{name}'")
