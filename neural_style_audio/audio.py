"""Audio I/O: loading with validation, and atomic writing.

Every user-facing problem with an input file raises `AudioInputError` whose message
is one line naming the file and the problem, so the command line can print it
without a traceback.
"""
import contextlib
import os
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

# Rates outside this range are almost certainly a mistake (or a format we would
# resample badly); librosa/soxr handles everything inside it.
MIN_SAMPLE_RATE = 4000
MAX_SAMPLE_RATE = 384000
# Peak amplitude below which a clip counts as silent (about -90 dBFS).
SILENCE_PEAK = 3e-5
# Peak level of written audio: normalise to this, never clip.
OUTPUT_PEAK = 0.9


class AudioInputError(ValueError):
    """A user's audio input cannot be used; the message is one line for the CLI."""


def load_audio(path, sr, min_samples=1):
    """Loads a file as mono float32 at `sr`, validating it.

    Args:
      path: file to read (any format libsndfile reads: WAV, FLAC, OGG, MP3, ...).
      sr: target sample rate in Hz; the file is resampled (soxr) if it differs.
      min_samples: the clip must have at least this many samples after resampling.

    Returns:
      y: [n_samples] float32 mono waveform.

    Raises:
      AudioInputError: missing, unreadable/not audio, empty, non-finite, silent,
        unsupported rate or too short.
    """
    path = Path(path)
    if not path.exists():
        raise AudioInputError(f"{path}: file not found")
    if path.is_dir():
        raise AudioInputError(f"{path}: is a directory, not an audio file")
    if path.stat().st_size == 0:
        raise AudioInputError(f"{path}: file is empty (0 bytes)")
    try:
        y, file_sr = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError) as err:
        detail = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise AudioInputError(f"{path}: not a readable audio file ({detail})") from None
    if y.size == 0:
        raise AudioInputError(f"{path}: audio is empty (0 samples)")
    if not MIN_SAMPLE_RATE <= file_sr <= MAX_SAMPLE_RATE:
        raise AudioInputError(
            f"{path}: unsupported sample rate {file_sr} Hz "
            f"(supported {MIN_SAMPLE_RATE}-{MAX_SAMPLE_RATE} Hz)")
    y = y.mean(axis=1)
    check_waveform(y, path, sr=file_sr)
    if file_sr != sr:
        import librosa  # Imported lazily: it is slow to import.
        y = librosa.resample(y, orig_sr=file_sr, target_sr=sr, res_type="soxr_hq")
    check_waveform(y, path, sr, min_samples)
    return np.ascontiguousarray(y, dtype=np.float32)


def check_waveform(y, name, sr, min_samples=1):
    """Raises AudioInputError (naming `name`) if `y` is empty, non-finite, silent or short."""
    if y.size == 0:
        raise AudioInputError(f"{name}: audio is empty (0 samples)")
    if not np.all(np.isfinite(y)):
        raise AudioInputError(f"{name}: contains NaN or infinite samples")
    if np.max(np.abs(y)) < SILENCE_PEAK:
        raise AudioInputError(f"{name}: audio is silent (peak below {SILENCE_PEAK:g})")
    if len(y) < min_samples:
        raise AudioInputError(
            f"{name}: too short ({len(y) / sr:.3f} s; need at least "
            f"{min_samples / sr:.3f} s at {sr} Hz for these settings)")


def normalize_peak(y, peak=OUTPUT_PEAK):
    """Scales `y` so that its peak is `peak` (no clipping); silence is returned as is."""
    y = np.nan_to_num(np.asarray(y, dtype=np.float32))
    top = float(np.max(np.abs(y))) if y.size else 0.0
    return y if top == 0.0 else y * (peak / top)


@contextlib.contextmanager
def atomic_output(path):
    """Yields a temporary path beside `path`; moves it onto `path` only on success.

    A crash or an exception leaves any existing `path` untouched and no partial file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix,
                               dir=path.parent)
    os.close(fd)
    # mkstemp creates 0600 files; give the result the usual umask-based mode.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_audio(path, y, sr):
    """Writes a peak-normalised 16-bit WAV (or FLAC by extension) atomically."""
    path = Path(path)
    fmt = "FLAC" if path.suffix.lower() == ".flac" else "WAV"
    with atomic_output(path) as tmp:
        sf.write(str(tmp), normalize_peak(y), sr, subtype="PCM_16", format=fmt)
    return path
