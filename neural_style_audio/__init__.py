"""neural-style-audio: the content of one clip with the style (timbre, texture) of another."""
__version__ = "0.1.0"

from neural_style_audio.config import TransferConfig, resolve_config, PRESETS, ConfigError  # noqa: E402,F401
from neural_style_audio.audio import AudioInputError  # noqa: E402,F401


def transfer(content, style, config=None, progress=None, cache=None):
    """Renders the content of one clip with the style of another (see pipeline.transfer).

    Pass one `pipeline.TransferCache()` as `cache` to a series of transfers to reuse
    their networks and compiled functions.
    """
    from neural_style_audio.methods.optimisation import transfer as _transfer
    return _transfer(content, style, config, progress, cache)


def write_outputs(result, wav_path, plot=True):
    """Writes the WAV, JSON run record and PNG of a transfer (see pipeline.write_outputs)."""
    from neural_style_audio.outputs import write_outputs as _write
    return _write(result, wav_path, plot)
