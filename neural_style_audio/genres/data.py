"""A genre corpus in the GTZAN layout: tracks, splits by track, and segments.

GTZAN (and an FMA export arranged the same way) is one folder per genre:

    <root>/<genre>/<any name>.{wav,au,ogg,flac,mp3}

A split assigns whole tracks to train / val / test, stratified per genre and seeded,
so no two segments of one track ever fall on both sides (segments of one recording
share its production and mix, and would inflate test accuracy). A split is a plain
dict that round-trips to JSON, so runs on the same corpus are comparable:

    {"seed": 0, "genres": ["jazz", ...], "test_fraction": 0.2, "val_fraction": 0.1,
     "train": {"jazz": [paths]}, "val": {...}, "test": {...}}

Every problem with the corpus raises `GenreDataError`, whose message is one line naming
the folder or file (the command line prints it as `error: ...`).

This module imports numpy, soundfile and librosa only (no TensorFlow).
"""
import json
import warnings
from pathlib import Path

import numpy as np

AUDIO_EXTENSIONS = (".wav", ".au", ".ogg", ".flac", ".mp3")
SUBSETS = ("train", "val", "test")
SPLIT_FORMAT = "neural_style_audio.genres.split/1"


class GenreDataError(ValueError):
    """A genre corpus, split file or track cannot be used; the message is one line."""


def _audio_files(folder):
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS
                  and not p.name.startswith("."))


def list_tracks(root, genres=None, min_tracks=1):
    """The audio files of each genre folder under `root`.

    Args:
      root: corpus folder with one sub-folder per genre.
      genres: genre names to use, in this order (default: every sub-folder not
        starting with '.', sorted).
      min_tracks: each genre must have at least this many tracks.

    Returns:
      {genre: [absolute Path of each track, sorted by name]}.

    Raises:
      GenreDataError: root missing or not a folder, no genre folders, a named genre
        missing or empty, or a genre with fewer than `min_tracks` tracks.
    """
    root = Path(root)
    if not root.exists():
        raise GenreDataError(f"{root}: corpus folder not found")
    if not root.is_dir():
        raise GenreDataError(f"{root}: not a folder (expected <root>/<genre>/*.wav|au|ogg|"
                             "flac|mp3)")
    if genres:
        genres = list(dict.fromkeys(genres))
        tracks = {}
        for genre in genres:
            folder = root / genre
            if not folder.is_dir():
                found = sorted(p.name for p in root.iterdir() if p.is_dir())
                raise GenreDataError(f"{folder}: genre folder not found (found: "
                                     f"{', '.join(found) or 'none'})")
            tracks[genre] = [p.resolve() for p in _audio_files(folder)]
    else:
        folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
        tracks = {p.name: [f.resolve() for f in _audio_files(p)] for p in folders}
        if not any(tracks.values()):
            raise GenreDataError(f"{root}: no genre folders with audio files (expected "
                                 f"<root>/<genre>/*{'|*'.join(AUDIO_EXTENSIONS)})")
    for genre, paths in tracks.items():
        if not paths:
            raise GenreDataError(f"{root / genre}: genre '{genre}' has no audio files "
                                 f"({', '.join(AUDIO_EXTENSIONS)})")
        if len(paths) < min_tracks:
            raise GenreDataError(f"{root / genre}: genre '{genre}' has {len(paths)} "
                                 f"track(s); at least {min_tracks} are needed")
    if len(tracks) < 2:
        raise GenreDataError(f"{root}: only one genre ({next(iter(tracks))}); a classifier "
                             "needs at least 2")
    return tracks


def _subset_sizes(n, test_fraction, val_fraction):
    n_test = max(1, int(round(n * test_fraction))) if test_fraction > 0 else 0
    n_val = max(1, int(round(n * val_fraction))) if val_fraction > 0 else 0
    return n_test, n_val


def min_tracks_for(test_fraction, val_fraction):
    """Fewest tracks per genre that leave >= 1 test, val (if asked) and train track."""
    return 1 + (test_fraction > 0) + (val_fraction > 0)


def _check_fractions(test_fraction, val_fraction):
    if not (0 <= test_fraction < 1 and 0 <= val_fraction < 1
            and test_fraction + val_fraction < 1):
        raise GenreDataError(f"test_fraction {test_fraction} and val_fraction "
                             f"{val_fraction} must be in [0, 1) with a sum below 1")


def _check_enough(tracks, test_fraction, val_fraction):
    need = min_tracks_for(test_fraction, val_fraction)
    for genre, paths in tracks.items():
        n_test, n_val = _subset_sizes(len(paths), test_fraction, val_fraction)
        if len(paths) < need or len(paths) - n_test - n_val < 1:
            raise GenreDataError(f"genre '{genre}' has {len(paths)} track(s): too few for "
                                 f"a split with test_fraction {test_fraction} and "
                                 f"val_fraction {val_fraction} (need at least {need})")


def _new_split(tracks, seed, test_fraction, val_fraction, kind):
    return dict(format=SPLIT_FORMAT, kind=kind, seed=int(seed), genres=list(tracks),
                test_fraction=test_fraction, val_fraction=val_fraction,
                train={}, val={}, test={})


def make_split(tracks, test_fraction=0.2, val_fraction=0.0, seed=0):
    """A seeded split of whole tracks, stratified per genre.

    Args:
      tracks: {genre: [paths]} (list_tracks).
      test_fraction, val_fraction: share of each genre's tracks (rounded, at least 1
        track when the fraction is > 0).
      seed: the shuffle seed (numpy default_rng; per genre its own stream).

    Returns:
      split dict (see the module docstring); paths are absolute strings.
    """
    _check_fractions(test_fraction, val_fraction)
    _check_enough(tracks, test_fraction, val_fraction)
    split = _new_split(tracks, seed, test_fraction, val_fraction, "holdout")
    for i, (genre, paths) in enumerate(tracks.items()):
        order = np.random.default_rng([int(seed), i]).permutation(len(paths))
        shuffled = [str(paths[j]) for j in order]
        n_test, n_val = _subset_sizes(len(paths), test_fraction, val_fraction)
        split["test"][genre] = sorted(shuffled[:n_test])
        split["val"][genre] = sorted(shuffled[n_test:n_test + n_val])
        split["train"][genre] = sorted(shuffled[n_test + n_val:])
    return split


def repeated_splits(tracks, n_repeats=5, test_fraction=0.2, val_fraction=0.0, seed=0):
    """`n_repeats` independent splits (seeds seed, seed + 1, ...): repeated hold-out."""
    return [make_split(tracks, test_fraction, val_fraction, seed + r) for r in range(n_repeats)]


def kfold_splits(tracks, n_folds=5, val_fraction=0.0, seed=0):
    """Stratified k-fold cross-validation by track: each track is a test track once.

    Fold k's test set is the k-th of `n_folds` near-equal slices of each genre's
    shuffled tracks; the val tracks (if any) are drawn from the rest.
    """
    if n_folds < 2:
        raise GenreDataError(f"n_folds {n_folds}: need at least 2 folds")
    _check_fractions(0.0, val_fraction)
    splits = []
    for fold in range(n_folds):
        split = _new_split(tracks, seed, 1.0 / n_folds, val_fraction, f"kfold {fold + 1}/{n_folds}")
        for i, (genre, paths) in enumerate(tracks.items()):
            if len(paths) < n_folds:
                raise GenreDataError(f"genre '{genre}' has {len(paths)} track(s): too few "
                                     f"for {n_folds}-fold cross-validation")
            order = np.random.default_rng([int(seed), i]).permutation(len(paths))
            shuffled = [str(paths[j]) for j in order]
            slices = np.array_split(np.arange(len(paths)), n_folds)
            test = [shuffled[j] for j in slices[fold]]
            rest = [p for j, p in enumerate(shuffled) if j not in set(slices[fold])]
            n_val = max(1, int(round(len(paths) * val_fraction))) if val_fraction > 0 else 0
            if len(rest) - n_val < 1:
                raise GenreDataError(f"genre '{genre}' has {len(paths)} track(s): too few "
                                     f"for {n_folds} folds with val_fraction {val_fraction}")
            split["test"][genre] = sorted(test)
            split["val"][genre] = sorted(rest[:n_val])
            split["train"][genre] = sorted(rest[n_val:])
        splits.append(split)
    return splits


def save_split(split, path, root=None):
    """Writes a split as JSON; with `root`, track paths are stored relative to it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_relative(split, root), indent=1) + "\n")
    return path


def load_split(path, root=None):
    """Reads a split JSON; relative track paths are resolved against `root` (default:
    the root stored in the file). Every track must exist.

    Raises:
      GenreDataError: unreadable or malformed JSON, or a missing track (named).
    """
    path = Path(path)
    return _resolve_split(_read_split_json(path), root, path, str(path))


def _read_split_json(path):
    """The parsed JSON of a split file (GenreDataError: missing, unreadable, not JSON)."""
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise GenreDataError(f"{path}: split file not found") from None
    except (OSError, ValueError) as err:
        raise GenreDataError(f"{path}: not a genre split file ({err})") from None


def _resolve_split(record, root, path, name):
    """A split record with its track paths made absolute and checked."""
    try:
        if record.get("format") != SPLIT_FORMAT:
            raise ValueError(f"format is {record.get('format')!r}, not {SPLIT_FORMAT!r}")
        genres = list(record["genres"])
        for subset in SUBSETS:
            if set(record[subset]) - set(genres):
                raise ValueError(f"'{subset}' names genres not in 'genres'")
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise GenreDataError(f"{name}: not a genre split file ({err})") from None
    record = dict(record)
    base = Path(root) if root is not None else Path(record.get("root") or path.parent)
    for subset in SUBSETS:
        resolved = {}
        for genre, paths in record[subset].items():
            resolved[genre] = []
            for p in paths:
                full = Path(p) if Path(p).is_absolute() else base / p
                if not full.is_file():
                    raise GenreDataError(f"{name}: track {full} ({subset}, {genre}) not found")
                resolved[genre].append(str(full.resolve()))
        record[subset] = resolved
    record.pop("root", None)
    return record


def split_items(split, subset):
    """[(track path, genre index)] of one subset ('train', 'val' or 'test')."""
    if subset not in SUBSETS:
        raise ValueError(f"subset must be one of {SUBSETS}, got {subset!r}")
    return [(p, i) for i, g in enumerate(split["genres"]) for p in split[subset].get(g, [])]


def check_disjoint(split):
    """Raises GenreDataError if a track is in two subsets (a leaked split)."""
    seen = {}
    for subset in SUBSETS:
        for paths in split[subset].values():
            for p in paths:
                if p in seen:
                    raise GenreDataError(f"track {p} is in both '{seen[p]}' and '{subset}'")
                seen[p] = subset


def load_track(path, sr, duration_s=None, offset_s=0.0):
    """A track as mono float32 at `sr` (resampled), optionally a part of it.

    Raises:
      GenreDataError: "cannot read <path>: <reason>" (missing, not audio, empty).
    """
    import librosa
    import soundfile as sf
    path = Path(path)
    try:
        if not _soundfile_reads(path) and path.suffix.lower() == ".mp3":
            with warnings.catch_warnings():  # librosa announces its audioread fallback.
                warnings.simplefilter("ignore")
                y, _ = librosa.load(str(path), sr=sr, mono=True, offset=offset_s,
                                    duration=duration_s)
        else:
            with sf.SoundFile(str(path)) as f:
                file_sr = f.samplerate
                f.seek(min(int(round(offset_s * file_sr)), f.frames))
                frames = -1 if duration_s is None else int(round(duration_s * file_sr))
                y = f.read(frames, dtype="float32", always_2d=True).mean(axis=1)
            if file_sr != sr:
                y = librosa.resample(y, orig_sr=file_sr, target_sr=sr, res_type="soxr_hq")
    except Exception as err:  # noqa: BLE001  (soundfile, audioread and librosa raise many kinds)
        detail = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise GenreDataError(f"cannot read {path}: {detail}") from None
    if y.size == 0:
        raise GenreDataError(f"cannot read {path}: no audio samples")
    if not np.all(np.isfinite(y)):
        raise GenreDataError(f"cannot read {path}: non-finite samples")
    return np.ascontiguousarray(y, np.float32)


def _soundfile_reads(path):
    import soundfile as sf
    try:
        sf.info(str(path))
        return True
    except Exception:  # noqa: BLE001
        return False


def segment(y, sr, segment_s, hop_s=None):
    """Cuts a waveform into fixed-length segments.

    Args:
      y: [n] waveform.
      sr: sample rate (Hz).
      segment_s: segment length (s).
      hop_s: start-to-start distance (s); default = segment_s (no overlap).

    Returns:
      [n_segments, round(segment_s * sr)] float32; the last partial segment is
      dropped, except that a clip shorter than one segment gives one zero-padded row.
    """
    length = int(round(segment_s * sr))
    hop = int(round((hop_s or segment_s) * sr))
    if length < 1 or hop < 1:
        raise ValueError(f"segment_s {segment_s} and hop_s {hop_s} must be positive")
    y = np.asarray(y, np.float32)
    if len(y) < length:
        return np.pad(y, (0, length - len(y)))[None]
    starts = range(0, len(y) - length + 1, hop)
    return np.stack([y[s:s + length] for s in starts])


def _relative(split, root):
    record = dict(split)
    if root is not None:
        root = Path(root).resolve()
        record["root"] = str(root)
        for subset in SUBSETS:
            record[subset] = {g: [str(Path(p).resolve().relative_to(root)) for p in paths]
                              for g, paths in split[subset].items()}
    return record


def save_splits(splits, path, root=None):
    """Writes several splits (repeated hold-out or k folds) as one JSON list."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([_relative(s, root) for s in splits], indent=1) + "\n")
    return path


def load_splits(path, root=None):
    """Reads a JSON file of one split or a list of splits -> [split, ...]."""
    path = Path(path)
    records = _read_split_json(path)
    if isinstance(records, dict):
        records = [records]
    if not isinstance(records, list) or not records:
        raise GenreDataError(f"{path}: not a genre split file (expected a split or a list)")
    return [_resolve_split(r, root, path, f"{path} (split {i + 1})" if len(records) > 1
                           else str(path)) if isinstance(r, dict) else
            _bad(path) for i, r in enumerate(records)]


def _bad(path):
    raise GenreDataError(f"{path}: not a genre split file (a list entry is not a split)")
