"""What a transfer leaves behind: the WAV, its JSON run record and its PNG figure."""
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


def write_outputs(result, wav_path, plot=True):
    """Writes the WAV, the JSON run record and (optionally) the PNG figure atomically.

    Returns:
      dict of written paths: wav, json, png.
    """
    from neural_style_audio.evaluation import plots
    wav_path = Path(wav_path)
    paths = dict(wav=audio.write_audio(wav_path, result.audio, result.sr))
    json_path = wav_path.with_suffix(".json")
    record = dict(result.record, outputs={"wav": str(wav_path)})
    with audio.atomic_output(json_path) as tmp:
        tmp.write_text(json.dumps(record, indent=2, default=float))
    paths["json"] = json_path
    if plot:
        png_path = wav_path.with_suffix(".png")
        with audio.atomic_output(png_path) as tmp:
            plots.transfer_figure(result, tmp)
        paths["png"] = png_path
    return paths
