"""Pitch and note analysis of monophonic audio: f0 tracking and note segmentation.

Pure numpy/librosa (no TensorFlow). Frames are centred, every ``hop_length`` samples
(librosa's convention), so frame ``t`` describes the audio around sample
``t * hop_length``. A note is a `Note`: where it starts and stops (frames), its
fundamental frequency and its level.

Used by the source-filter method (`methods/source_filter.py`): the content's notes
say what to play, the style's notes what the instrument sounds like.
"""
import dataclasses
import warnings

import librosa
import numpy as np

from neural_style_audio.interrupts import held_interrupts

F0_FMIN = 65.41  # Hz (C2): cello/bass range, as evaluation.metrics.
F0_FMAX = 1046.5  # Hz (C6).
F0_RESOLUTION = 0.2  # Semitones per pYIN pitch bin: 20 cents, ~5x faster than 0.1.
PITCH_JUMP_SEMITONES = 0.6  # A change of pitch larger than this starts a new note.
MIN_NOTE_FRAMES = 3  # Shorter segments (70 ms at hop 512, 22050 Hz) are not notes.
SILENCE_DB = 45.0  # Frames this far below the clip's loudest frame are silence.
REATTACK_DB = 4.0  # Level rise after an onset that starts a repeated note (dB).
ONSET_SEARCH_FRAMES = (6, 2)  # A pitch change snaps to an onset this many frames before/after.
MAX_GAP_FRAMES = 8  # Unvoiced frames bridged inside one note (190 ms at hop 512, 22050 Hz).
STEP_WINDOW_FRAMES = 8  # Frames on each side compared to find a gliding change of note.
DECAYING_DB_PER_S = -6.0  # An instrument whose held notes fade faster than this decays.
MAX_HOLD_S = 1.0  # A decaying note is held at most this long after it fades out.
EPS = 1e-10


@dataclasses.dataclass(frozen=True)
class Note:
    """One note of a monophonic line, on a frame grid.

    start: first frame; stop: frame after the last one (the note-off); f0: Hz;
    level_db: peak frame RMS over the note, dB re full scale.
    """
    start: int
    stop: int
    f0: float
    level_db: float

    @property
    def n_frames(self):
        return self.stop - self.start

    @property
    def midi(self):
        return hz_to_midi(self.f0)


def hz_to_midi(f0):
    """Fractional MIDI pitch of a frequency in Hz (69 = A4 = 440 Hz)."""
    return 69.0 + 12.0 * np.log2(np.asarray(f0, dtype=np.float64) / 440.0)


def track_f0(y, sr, fmin=F0_FMIN, fmax=F0_FMAX, frame_length=2048, hop_length=512,
             resolution=F0_RESOLUTION):
    """Fundamental frequency of a monophonic signal with pYIN (Mauch & Dixon 2014).

    Args:
      y: [n_samples] mono waveform.
      sr: sample rate, Hz.
      fmin, fmax: f0 search range, Hz.
      frame_length, hop_length: pYIN frame and hop, samples.
      resolution: pitch-bin width, semitones.

    Returns:
      f0: [n_frames] Hz, NaN where unvoiced; voiced: [n_frames] bool;
      voiced_probability: [n_frames] in [0, 1]. n_frames = 1 + len(y) // hop_length.
    """
    y = np.asarray(y, dtype=np.float64)
    with held_interrupts():  # numba inside: Ctrl-C there can crash the interpreter.
        f0, voiced, probability = librosa.pyin(y, fmin=fmin, fmax=fmax, sr=sr,
                                               frame_length=frame_length,
                                               hop_length=hop_length, resolution=resolution)
    return f0, voiced, probability


def frame_rms_db(y, frame_length=2048, hop_length=512):
    """[n_frames] RMS of centred frames, dB re full scale (floored at -200 dB)."""
    rms = librosa.feature.rms(y=np.asarray(y, dtype=np.float64), frame_length=frame_length,
                              hop_length=hop_length, center=True)[0]
    return 20.0 * np.log10(np.maximum(rms, EPS))


def detect_onsets(y, sr, hop_length=512):
    """Onset frames of a signal: librosa's spectral-flux peaks, each moved back to the
    energy minimum before it (where the note begins rather than where it is loudest)."""
    with warnings.catch_warnings(), held_interrupts():  # numba peak picking inside.
        warnings.filterwarnings("ignore", category=UserWarning)
        return librosa.onset.onset_detect(y=np.asarray(y, dtype=np.float64), sr=sr,
                                          hop_length=hop_length, units="frames",
                                          backtrack=True)


def _pitch_segments(midi, jump):
    """Splits the voiced frames into runs of one pitch.

    A run ends where the pitch leaves its running median by more than `jump`
    semitones for two frames in a row (one stray frame is ignored), or at an unvoiced
    frame. Returns [(start, stop)] frame ranges of voiced runs.
    """
    segments, start, values = [], None, []
    n = len(midi)
    t = 0
    while t < n:
        if not np.isfinite(midi[t]):
            if start is not None:
                segments.append((start, t))
                start, values = None, []
            t += 1
            continue
        if start is None:
            start, values = t, [midi[t]]
            t += 1
            continue
        centre = float(np.median(values[-8:]))
        if abs(midi[t] - centre) > jump:
            following = midi[t + 1] if t + 1 < n else np.nan
            if not np.isfinite(following) or abs(following - centre) > jump:
                segments.append((start, t))
                start, values = t, [midi[t]]
                t += 1
                continue
        values.append(midi[t])
        t += 1
    if start is not None:
        segments.append((start, n))
    return segments


def split_pitch_steps(midi, start, stop, jump=PITCH_JUMP_SEMITONES,
                      window=STEP_WINDOW_FRAMES, min_frames=MIN_NOTE_FRAMES):
    """Splits a run of frames where its pitch steps to another note through a glide.

    `_pitch_segments` follows a running median, so a legato change of a semitone that
    pYIN reports as a glide (345, 341, 333, 330 Hz from F4 to E4) never leaves it by
    more than `jump` and the two notes stay one. Here the medians of the `window`
    frames before and after each frame are compared; where they differ by more than
    `jump`, the run is split at the largest difference, and both halves are searched
    again. Vibrato (a period of about one window) moves neither median much.

    Args:
      midi: [n_frames] pitch in MIDI numbers, NaN where unvoiced.
      start, stop: the run's frame range.
      jump, window, min_frames: above (each part keeps at least `min_frames` frames).

    Returns:
      [(start, stop)] frame ranges covering [start, stop), in order.
    """
    best, best_diff = None, jump
    for t in range(start + max(window // 2, min_frames), stop - max(window // 2, min_frames) + 1):
        before = midi[max(start, t - window):t]
        after = midi[t:min(stop, t + window)]
        before, after = before[np.isfinite(before)], after[np.isfinite(after)]
        if before.size < min_frames or after.size < min_frames:
            continue
        diff = abs(float(np.median(after)) - float(np.median(before)))
        if diff > best_diff:
            best, best_diff = t, diff
    if best is None:
        return [(start, stop)]
    return (split_pitch_steps(midi, start, best, jump, window, min_frames)
            + split_pitch_steps(midi, best, stop, jump, window, min_frames))


def note_f0(f0, width=PITCH_JUMP_SEMITONES):
    """One pitch for a note's f0 frames (Hz): the median of the frames within `width`
    semitones of the most common pitch, so that a glide into the note or a
    portamento out of it does not move the note."""
    midi = hz_to_midi(f0)
    values, counts = np.unique(np.round(midi / 0.2) * 0.2, return_counts=True)
    mode = values[np.argmax(counts)]
    return float(np.median(np.asarray(f0)[np.abs(midi - mode) <= width]))


def segment_notes(f0, voiced, rms_db, onsets=(), jump=PITCH_JUMP_SEMITONES,
                  min_frames=MIN_NOTE_FRAMES, silence_db=SILENCE_DB,
                  reattack_db=REATTACK_DB, onset_search=ONSET_SEARCH_FRAMES,
                  max_gap_frames=MAX_GAP_FRAMES):
    """Notes of a monophonic line from its f0 track, frame levels and onsets.

    A note starts where the pitch changes by more than `jump` semitones or where
    voicing resumes; pYIN's pitch lags the attack by a few frames, so the start moves
    to the nearest onset within `onset_search` = (frames before, frames after). An
    onset inside a run of one pitch starts a repeated note only if the level rises by
    `reattack_db` after it: a sustained instrument's repeated legato note has no such
    rise and cannot be told from vibrato, so it stays one note. A note lasts until the
    next one starts or its level falls below the silence threshold (`silence_db` under
    the clip's loudest frame): a decaying note (piano, guitar) keeps sounding after
    pYIN stops calling it voiced, and the note-off of a legato melody is the next
    note's onset. Unvoiced gaps of at most `max_gap_frames` inside one pitch are
    bridged.

    Args:
      f0: [n_frames] Hz, NaN where unvoiced.
      voiced: [n_frames] bool.
      rms_db: [n_frames] frame levels, dB.
      onsets: onset frames (`detect_onsets`).
      jump, min_frames, silence_db, reattack_db, onset_search, max_gap_frames: above.

    Returns:
      List of `Note`, in time order, non-overlapping.
    """
    f0 = np.where(np.asarray(voiced, bool), np.asarray(f0, np.float64), np.nan)
    rms_db = np.asarray(rms_db, np.float64)
    n = min(len(f0), len(rms_db))
    f0, rms_db = f0[:n], rms_db[:n]
    with np.errstate(invalid="ignore", divide="ignore"):
        midi = hz_to_midi(f0)
    merged = []  # Runs of one pitch, short unvoiced gaps bridged.
    runs = [part for start, stop in _pitch_segments(midi, jump)
            for part in split_pitch_steps(midi, start, stop, jump, min_frames=min_frames)]
    for start, stop in runs:
        if merged:
            prev_start, prev_stop = merged[-1]
            same = abs(np.nanmedian(midi[prev_start:prev_stop])
                       - np.nanmedian(midi[start:stop])) <= jump
            if same and start - prev_stop <= max_gap_frames:
                merged[-1] = (prev_start, stop)
                continue
        merged.append((start, stop))
    onsets = np.asarray(sorted(set(int(o) for o in onsets if 0 <= o < n)), dtype=int)
    before, after = onset_search
    starts = []
    for start, stop in merged:
        near = onsets[(onsets >= start - before) & (onsets <= start + after)]
        if starts:
            near = near[near >= starts[-1] + min_frames]
        first = int(near[np.argmin(np.abs(near - start))]) if near.size else start
        starts.append(first)
        for onset in onsets[(onsets >= first + min_frames) & (onsets <= stop - min_frames)]:
            rise = rms_db[onset:onset + 4].max() - rms_db[max(onset - 1, 0):onset + 1].min()
            if rise >= reattack_db and onset - starts[-1] >= min_frames:
                starts.append(int(onset))
    silent = rms_db < rms_db.max() - silence_db
    notes = []
    for i, start in enumerate(starts):
        limit = starts[i + 1] if i + 1 < len(starts) else n
        quiet = np.flatnonzero(silent[start:limit])
        stop = start + int(quiet[0]) if quiet.size else limit
        pitched = f0[start:stop][np.isfinite(f0[start:stop])]
        if stop - start < min_frames or pitched.size < min(min_frames, stop - start):
            continue
        notes.append(Note(start=int(start), stop=int(stop), f0=note_f0(pitched, jump),
                          level_db=float(rms_db[start:stop].max())))
    return notes


def decay_rate(notes, rms_db, frames_per_s, skip=3):
    """Median slope of the frame level over the notes' middles, dB/s (<= 0 decays).

    Notes shorter than 4 * skip frames are left out; 0 if none is long enough.
    """
    rms_db = np.asarray(rms_db, np.float64)
    slopes = []
    for note in notes:
        if note.n_frames < 4 * skip:
            continue
        level = rms_db[note.start + skip:note.stop - skip]
        t = np.arange(len(level)) - (len(level) - 1) / 2.0
        slopes.append(float(t @ (level - level.mean()) / (t @ t)))
    return float(np.median(slopes) * frames_per_s) if slopes else 0.0


def hold_decaying_notes(notes, rms_db, n_frames, frames_per_s,
                        decaying_db_per_s=DECAYING_DB_PER_S, max_hold_s=MAX_HOLD_S):
    """Notes of a decaying instrument held until the next note starts.

    A piano or marimba note fades below the silence threshold long before its key is
    released, so `segment_notes` ends it early; played by a sustained instrument it
    should last until the next note (within `max_hold_s`). The last note is held for
    up to two median inter-onset intervals (its notated length is unknown). Notes of
    an instrument that does not decay (`decay_rate` above `decaying_db_per_s`) are
    returned unchanged: their silences are rests.

    Args:
      notes: `segment_notes` output.
      rms_db: [n_frames] frame levels, dB.
      n_frames: frames in the clip.
      frames_per_s: frame rate.

    Returns:
      List of `Note`.
    """
    if not notes or decay_rate(notes, rms_db, frames_per_s) > decaying_db_per_s:
        return list(notes)
    max_hold = int(round(max_hold_s * frames_per_s))
    held = []
    for i, note in enumerate(notes):
        if i + 1 < len(notes):
            limit = notes[i + 1].start
        else:
            starts = [n.start for n in notes]
            interval = int(np.median(np.diff(starts))) if len(starts) > 1 else note.n_frames
            limit = min(n_frames, note.start + 2 * interval)
        stop = max(note.stop, min(limit, note.stop + max_hold))
        held.append(dataclasses.replace(note, stop=int(stop)))
    return held


def analyse_notes(y, sr, hop_length=512, frame_length=2048, fmin=F0_FMIN, fmax=F0_FMAX,
                  resolution=F0_RESOLUTION, **segment_kwargs):
    """f0 track and notes of a monophonic waveform.

    Returns:
      (notes, f0, voiced): the `segment_notes` of `y`, its pYIN f0 [n_frames] (Hz,
      NaN unvoiced) and voicing [n_frames].
    """
    f0, voiced, _ = track_f0(y, sr, fmin, fmax, frame_length, hop_length, resolution)
    rms_db = frame_rms_db(y, frame_length, hop_length)
    onsets = detect_onsets(y, sr, hop_length)
    return segment_notes(f0, voiced, rms_db, onsets, **segment_kwargs), f0, voiced
