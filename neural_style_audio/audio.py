"""Audio I/O: loading with validation, and atomic writing.

Every user-facing problem with an input file raises `AudioInputError`, and every
problem with an output location `OutputError`; their messages are one line naming
the user's path and the problem, so the command line can print them without a
traceback. Dubious but usable inputs give an `InputWarning`.
"""
import contextlib
import io
import os
import re
import tempfile
import warnings
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
# An array axis this long or shorter is read as channels (7.1 surround has 8).
MAX_CHANNELS = 8
# Audio formats an output can be written in, by extension.
OUTPUT_FORMATS = {".wav": "WAV", ".flac": "FLAC"}


class AudioInputError(ValueError):
    """A user's audio input cannot be used; the message is one line for the CLI."""


class OutputError(ValueError):
    """An output cannot be written where the user asked; the message is one line
    naming the user's path (never a hidden temporary file)."""


class InputWarning(UserWarning):
    """A dubious input or setting that still gives a result (truncated file, a clip
    with only a DC offset, no optimisation iterations)."""


def format_length(n_samples, sr):
    """A clip length for messages: seconds, and samples when that is more exact."""
    if n_samples < sr / 10:
        return f"{n_samples} samples = {1e3 * n_samples / sr:.1f} ms"
    return f"{n_samples / sr:.3f} s"


def load_audio(path, sr, min_samples=1, needed_for=None):
    """Loads a file as mono float32 at `sr`, validating it.

    Args:
      path: file to read (any format libsndfile reads: WAV, FLAC, OGG, MP3, ...).
      sr: target sample rate in Hz; the file is resampled (soxr) if it differs.
      min_samples: the clip must have at least this many samples after resampling.
      needed_for: what sets `min_samples` (e.g. "--filter_width 500"), for the
        "too short" message.

    Returns:
      y: [n_samples] float32 mono waveform.

    Raises:
      AudioInputError: missing, unreadable/not audio, empty, non-finite, silent,
        unsupported rate or too short.

    Warns:
      InputWarning: a WAV whose data is shorter than its header says (a truncated
        copy or download), or a clip that is only a DC offset.
    """
    path = Path(path)
    if not path.exists():
        raise AudioInputError(f"{path}: file not found")
    if path.is_dir():
        raise AudioInputError(f"{path}: is a directory, not an audio file")
    if path.stat().st_size == 0:
        raise AudioInputError(f"{path}: file is empty (0 bytes)")
    try:
        info = sf.info(str(path))
        y, file_sr = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError, OSError) as err:
        detail = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise AudioInputError(f"{path}: not a readable audio file ({detail})") from None
    if y.size == 0:
        raise AudioInputError(f"{path}: audio is empty (0 samples)")
    if not MIN_SAMPLE_RATE <= file_sr <= MAX_SAMPLE_RATE:
        raise AudioInputError(
            f"{path}: unsupported sample rate {file_sr} Hz "
            f"(supported {MIN_SAMPLE_RATE}-{MAX_SAMPLE_RATE} Hz)")
    _warn_if_truncated(path, info)
    y = y.mean(axis=1)
    check_waveform(y, path, sr=file_sr)
    if file_sr != sr:
        y = resample(y, file_sr, sr)
    check_waveform(y, path, sr, min_samples, needed_for)
    warn_if_dc_only(y, path)
    return np.ascontiguousarray(y, dtype=np.float32)


def _warn_if_truncated(path, info):
    """Warns when libsndfile reports a WAV data chunk longer than the file holds."""
    found = re.search(r"^data\s*:\s*(\d+)\s*\(should be (\d+)\)", info.extra_info or "", re.M)
    if found and int(found.group(2)) < int(found.group(1)):
        declared, held = int(found.group(1)), int(found.group(2))
        warnings.warn(f"{path}: truncated file (its header announces "
                      f"{format_length(round(info.frames * declared / held), info.samplerate)}, "
                      f"it holds {format_length(info.frames, info.samplerate)}); "
                      "using what is there", InputWarning, stacklevel=3)


def warn_if_dc_only(y, name):
    """Warns when a clip is a constant offset with nothing audible on top of it."""
    if y.size and np.max(np.abs(y - np.mean(y))) < SILENCE_PEAK:
        warnings.warn(f"{name}: only a constant (DC) offset, nothing audible; the "
                      "result will be near silence", InputWarning, stacklevel=3)


def resample(y, orig_sr, target_sr):
    """Resamples a [n] waveform with soxr (librosa's high-quality setting)."""
    import librosa  # Imported lazily: it is slow to import.
    return librosa.resample(np.asarray(y, np.float32), orig_sr=orig_sr, target_sr=target_sr,
                            res_type="soxr_hq")


def as_mono_float(y, name):
    """A user's array as a mono float32 waveform.

    Args:
      y: [n], [n, channels] or [channels, n] samples; float (-1..1) or integer PCM
        (int8/16/32 and uint8 are scaled to -1..1). Channels are averaged.
      name: how messages name the array.

    Returns:
      [n] float32.

    Raises:
      AudioInputError: a shape whose channel axis is ambiguous ([2, 2], or at most
        MAX_CHANNELS / more than MAX_CHANNELS on both axes), more than 2 dimensions,
        or a type that is not audio (complex, bool, text).
    """
    y = np.asarray(y)
    if y.dtype.kind in "iu":
        info = np.iinfo(y.dtype)
        mid = (int(info.max) + int(info.min) + 1) / 2  # 0 for signed, 128 for uint8.
        y = (y.astype(np.float64) - mid) / (int(info.max) + 1 - mid)
    elif y.dtype.kind != "f":
        raise AudioInputError(f"{name}: samples must be float or integer PCM, not {y.dtype}")
    if y.ndim == 2:
        short = [axis for axis in (0, 1) if y.shape[axis] <= MAX_CHANNELS]
        if len(short) != 1 and 1 not in y.shape:
            raise AudioInputError(
                f"{name}: ambiguous shape {list(y.shape)}: give [n_samples] or "
                f"[n_samples, channels] with 1-{MAX_CHANNELS} channels "
                "(or [channels, n_samples])")
        channel_axis = 1 if y.shape[1] == 1 else 0 if y.shape[0] == 1 else short[0]
        y = y.mean(axis=channel_axis)
    elif y.ndim != 1:
        raise AudioInputError(f"{name}: expected a 1-D or 2-D array, got shape {list(y.shape)}")
    return y.astype(np.float32)


def check_waveform(y, name, sr, min_samples=1, needed_for=None):
    """Raises AudioInputError (naming `name`) if `y` is empty, non-finite, silent or short.

    Args:
      needed_for: what sets `min_samples` (e.g. "--filter_width 500"); the message
        then blames that setting rather than the clip.
    """
    if y.size == 0:
        raise AudioInputError(f"{name}: audio is empty (0 samples)")
    if not np.all(np.isfinite(y)):
        raise AudioInputError(f"{name}: contains NaN or infinite samples")
    if np.max(np.abs(y)) < SILENCE_PEAK:
        raise AudioInputError(f"{name}: audio is silent (peak below {SILENCE_PEAK:g})")
    if len(y) < min_samples:
        need = f"at least {format_length(min_samples, sr)} at {sr} Hz"
        if needed_for:
            raise AudioInputError(
                f"{name}: too short for {needed_for} ({format_length(len(y), sr)}; it needs "
                f"{need}): lower that setting or use a longer clip")
        raise AudioInputError(f"{name}: too short ({format_length(len(y), sr)}; "
                              f"need {need} for these settings)")


def normalize_peak(y, peak=OUTPUT_PEAK):
    """Scales `y` so that its peak is `peak` (no clipping); silence is returned as is."""
    y = np.nan_to_num(np.asarray(y, dtype=np.float32))
    top = float(np.max(np.abs(y))) if y.size else 0.0
    return y if top == 0.0 else y * (peak / top)


def _os_reason(err):
    """The short reason of an OSError (e.g. 'No space left on device')."""
    return err.strerror or str(err) or type(err).__name__


def _new_file_mode():
    """The mode of a newly created file under the current umask (mkstemp uses 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def check_folder_writable(folder):
    """Raises OutputError unless files can be created in `folder` (or, when it does not
    exist yet, in the nearest existing folder above it, where it will be created).

    Probes by creating and removing a hidden file: permissions alone do not tell
    (a read-only mount, ACLs, root).
    """
    folder = Path(folder)
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        what = "is a file" if existing == folder else f"{existing} is a file"
        raise OutputError(f"{folder}: cannot be a folder ({what})")
    try:
        fd, probe = tempfile.mkstemp(prefix=".nsa-write-test.", dir=existing)
        os.close(fd)
        os.remove(probe)
    except OSError as err:
        raise OutputError(f"{folder}: cannot write there ({_os_reason(err)})") from None


def check_output_paths(paths, overwrite=False, inputs=(), overwrite_hint="use --overwrite"):
    """Raises OutputError if any of `paths` cannot or may not be written.

    Args:
      paths: output files one run will write.
      overwrite: whether existing files may be replaced.
      inputs: input files; an output never replaces one, even with `overwrite`.
      overwrite_hint: how the user allows replacing (in the message).
    """
    paths = [Path(p) for p in paths]
    inputs = {Path(p).resolve() for p in inputs}
    existing = []
    for path in paths:
        if path.resolve() in inputs:
            raise OutputError(f"{path}: output would overwrite an input file")
        if path.is_dir():
            raise OutputError(f"{path}: is a folder; an output file cannot be written there")
        if path.exists() or path.is_symlink():
            existing.append(path)
    if existing and not overwrite:
        more = f" (and {len(existing) - 1} more outputs)" if len(existing) > 1 else ""
        raise OutputError(f"{existing[0]}: exists{more}; {overwrite_hint} to replace, or choose "
                          "another output name")
    for folder in dict.fromkeys(p.parent for p in paths):
        check_folder_writable(folder)


def write_files(contents, overwrite=True):
    """Writes several files as one unit: all of them, or none.

    Each file is first written in full to a hidden temporary file beside it; then
    the temporaries are renamed onto the targets in the given order (put the main
    file last). If anything fails (an OSError such as a full disk, or Ctrl-C), the
    files this call put in place are removed, the files it replaced are restored, and
    no temporary file (nor folder this call created) is left.

    Args:
      contents: {path: bytes}, in the order to put them in place.
      overwrite: whether an existing target may be replaced.

    Returns:
      The paths written, in order.

    Raises:
      OutputError: naming the user's path (not the temporary one) and the reason.
    """
    contents = {Path(p): data for p, data in contents.items()}
    temps, backups, placed, made = {}, {}, [], []
    current = None
    try:
        for path, data in contents.items():
            current = path
            missing = [f for f in [path.parent, *path.parent.parents] if not f.exists()]
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                made += [f for f in missing if f not in made]
            except FileExistsError:
                raise OutputError(f"{path.parent}: cannot be a folder (a file is in the "
                                  "way)") from None
            fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix,
                                       dir=path.parent)
            temps[path] = Path(tmp)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.chmod(tmp, _new_file_mode())
        for path, tmp in temps.items():
            current = path
            if path.is_dir():
                raise OutputError(f"{path}: is a folder; an output file cannot be written there")
            if path.exists() or path.is_symlink():
                if not overwrite:
                    raise OutputError(f"{path}: exists (another process wrote it meanwhile)")
                fd, backup = tempfile.mkstemp(prefix=f".{path.stem}.old.", dir=path.parent)
                os.close(fd)
                os.replace(path, backup)
                backups[path] = Path(backup)
            os.replace(tmp, path)
            placed.append(path)
    except BaseException as err:
        for path in placed:
            with contextlib.suppress(OSError):
                os.remove(path)
        for path, backup in backups.items():
            with contextlib.suppress(OSError):
                os.replace(backup, path)
        for tmp in temps.values():
            with contextlib.suppress(OSError):
                os.remove(tmp)
        for folder in made:  # Deepest first; only if still empty.
            with contextlib.suppress(OSError):
                folder.rmdir()
        if isinstance(err, OSError):
            raise OutputError(f"{current}: cannot write ({_os_reason(err)})") from None
        raise
    for backup in backups.values():
        with contextlib.suppress(OSError):
            os.remove(backup)
    return placed


@contextlib.contextmanager
def atomic_output(path):
    """Yields a temporary path beside `path`; moves it onto `path` only on success.

    A crash or an exception leaves any existing `path` untouched and no partial file.
    An OSError while writing (a full disk, a read-only folder) becomes an OutputError
    naming `path`.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix,
                                   dir=path.parent)
    except OSError as err:
        raise OutputError(f"{path}: cannot write ({_os_reason(err)})") from None
    os.close(fd)
    os.chmod(tmp, _new_file_mode())
    try:
        try:
            yield Path(tmp)
            os.replace(tmp, path)
        except OSError as err:
            if err.filename not in (None, tmp, str(path)):
                raise  # About another file (say, one the body reads).
            raise OutputError(f"{path}: cannot write ({_os_reason(err)})") from None
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def audio_bytes(y, sr, fmt="WAV"):
    """A peak-normalised 16-bit WAV (or FLAC) file's bytes."""
    buffer = io.BytesIO()
    sf.write(buffer, normalize_peak(y), sr, subtype="PCM_16", format=fmt)
    return buffer.getvalue()


def output_format(path):
    """The audio format of an output path by its extension.

    Raises:
      OutputError: no extension, or one other than .wav / .flac.
    """
    fmt = OUTPUT_FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise OutputError(f"{path}: an output name must end in "
                          f"{' or '.join(OUTPUT_FORMATS)}")
    return fmt


def write_audio(path, y, sr):
    """Writes a peak-normalised 16-bit WAV (or FLAC by extension) atomically."""
    path = Path(path)
    write_files({path: audio_bytes(y, sr, OUTPUT_FORMATS.get(path.suffix.lower(), "WAV"))})
    return path


__all__ = ["AudioInputError", "OutputError", "InputWarning", "load_audio", "check_waveform",
           "as_mono_float", "resample", "normalize_peak", "atomic_output", "write_files",
           "write_audio", "check_output_paths", "check_folder_writable", "format_length"]
