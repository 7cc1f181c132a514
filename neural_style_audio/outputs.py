"""What a transfer leaves behind: the WAV, its JSON run record and its PNG figure.

The three files are one unit: they are rendered in memory, written to temporaries
and then renamed into place, so a failure (a full disk, Ctrl-C) leaves either the
complete set or none of the new files, and never a WAV + JSON without its PNG.
"""
import io
import json
import platform
import sys
from pathlib import Path

from neural_style_audio import audio


def environment():
    """Library versions and the device the run used."""
    import keras
    import librosa
    import numpy as np
    import scipy
    import tensorflow as tf
    from neural_style_audio import __version__
    gpus = tf.config.list_physical_devices("GPU")
    device = ", ".join(d.name for d in gpus) if gpus else f"CPU ({platform.machine()})"
    return dict(neural_style_audio=__version__, python=sys.version.split()[0],
                tensorflow=tf.__version__, keras=keras.__version__,
                librosa=librosa.__version__, numpy=np.__version__, scipy=scipy.__version__,
                device=device, platform=platform.platform())


def output_paths(wav_path, plot=True):
    """The files one transfer writes: {"wav": ..., "json": ..., "png": ...} (no png
    without `plot`). The JSON and PNG sit beside the audio file, with its stem.

    Raises:
      OutputError: `wav_path` does not end in .wav or .flac.
    """
    wav_path = Path(wav_path)
    audio.output_format(wav_path)
    paths = dict(wav=wav_path, json=wav_path.with_suffix(".json"))
    if plot:
        paths["png"] = wav_path.with_suffix(".png")
    return paths


def record_inputs(record):
    """The input files named in a run record (arrays have no file)."""
    return [Path(record[role]) for role in ("content", "style")
            if isinstance(record.get(role), str) and Path(record[role]).is_file()]


def write_outputs(result, wav_path, plot=True, overwrite=False, overwrite_hint=None):
    """Writes the WAV, the JSON run record and (optionally) the PNG figure as one unit.

    Args:
      result: a TransferResult.
      wav_path: the audio file (.wav or .flac); the record and figure go beside it.
      plot: also write the PNG. Without it an existing PNG of that name is left alone.
      overwrite: whether existing files may be replaced (default False, as in the
        public `neural_style_audio.write_outputs` and the command line); the experiment
        runners, which decide themselves what to redo, pass True.
      overwrite_hint: how the caller's user allows replacing (for the message).

    Returns:
      dict of written paths: wav, json, png.

    Raises:
      OutputError: a path without .wav/.flac, an output that would replace an input
        (never allowed), an existing output without `overwrite`, a folder that cannot
        be written, or an OS error while writing (a full disk); nothing new is left.
    """
    from neural_style_audio.evaluation import plots
    paths = output_paths(wav_path, plot)
    audio.check_output_paths(paths.values(), overwrite, record_inputs(result.record),
                             overwrite_hint or "pass overwrite=True")
    record = dict(result.record, outputs={k: str(p) for k, p in paths.items()})
    contents = {}  # Side files first, the audio last: a WAV in place means a full set.
    if plot:
        figure = io.BytesIO()
        plots.transfer_figure(result, figure)
        contents[paths["png"]] = figure.getvalue()
    contents[paths["json"]] = json.dumps(record, indent=2, default=float).encode()
    contents[paths["wav"]] = audio.audio_bytes(result.audio, result.sr,
                                               audio.output_format(paths["wav"]))
    audio.write_files(contents, overwrite=overwrite)
    return paths
