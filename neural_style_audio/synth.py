"""Renders monophonic melodies with a General-MIDI SoundFont (FluidR3_GM + fluidsynth).

Used to make reproducible, shippable content/style/target clips: the same melody on
two instruments gives a ground-truth target for style transfer.

A melody is a sequence of notes ``(midi_pitch, onset_beats, duration_beats)``; it is
written to a MIDI file with pretty_midi and rendered offline by the ``fluidsynth``
command-line program (``apt-get install fluidsynth fluid-soundfont-gm``).
"""
import importlib.util
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Iterable, Optional, Sequence, Tuple

import numpy as np
import soundfile as sf

DEFAULT_SR = 22050  # Hz; the project's working sample rate.
DEFAULT_TEMPO_BPM = 100.0  # Quarter-note beats per minute (as the dev-set clips).
DEFAULT_VELOCITY = 90  # MIDI velocity 1-127 (as the dev-set clips).
DEFAULT_GAIN = 0.8  # fluidsynth master gain (-g); its default 0.2 is very quiet.
PEAK_LEVEL = 0.9  # Output peak amplitude after normalisation.
SILENCE_TOP_DB = 60.0  # Trailing audio quieter than peak - this (dB) is trimmed.
RELEASE_TAIL_S = 1.0  # Seconds rendered after the last note-off so releases ring out.
TRIM_FRAME_LENGTH = 512  # Samples per frame for the trailing-silence detector.
FADE_OUT_S = 0.05  # Fade applied when a clip is cut to a fixed duration.
FLUIDSYNTH_TIMEOUT_S = 120  # A render taking longer than this is treated as hung.
# The General-MIDI instruments the package's trained networks (instrument CNN, WaveNet)
# are rendered from by default: names of training.instrument_cnn.INSTRUMENT_RANGES. Here,
# not there, so that the training commands define their flags without TensorFlow.
TRAINING_INSTRUMENTS = (
    "piano", "electric_piano", "vibraphone", "marimba", "organ", "nylon_guitar",
    "steel_guitar", "acoustic_bass", "violin", "cello", "harp", "choir_aahs", "trumpet",
    "trombone", "alto_sax", "oboe", "clarinet", "flute")

SOUNDFONT_ENV_VAR = "NEURAL_STYLE_AUDIO_SOUNDFONT"  # Path to a .sf2, overrides search.
SOUNDFONT_NAME = "FluidR3_GM.sf2"
SOUNDFONT_DIRS = (  # Debian/Ubuntu, Fedora/Arch, Homebrew, local installs.
    "/usr/share/sounds/sf2",
    "/usr/share/soundfonts",
    "/usr/share/sounds/sf3",
    "/usr/local/share/soundfonts",
    "/usr/local/share/sounds/sf2",
    "/opt/homebrew/share/soundfonts",
)
INSTALL_HINT = "apt-get install fluidsynth fluid-soundfont-gm"

Note = Tuple[int, float, float]  # (midi_pitch, onset_beats, duration_beats)


class SynthUnavailableError(RuntimeError):
    """fluidsynth or the General-MIDI SoundFont is not installed."""


def _legato(pitches_and_durations: Iterable[Tuple[int, float]]) -> Tuple[Note, ...]:
    """Places notes back to back: (pitch, duration_beats) pairs -> Note tuples."""
    notes = []
    onset = 0.0
    for pitch, duration in pitches_and_durations:
        notes.append((pitch, onset, float(duration)))
        onset += duration
    return tuple(notes)


# Public-domain melodies (opening phrases), MIDI pitch and beats (quarter notes).
# Ranges stay within E4..F5 roughly, comfortable for every instrument in INSTRUMENTS.
MELODIES = {
    # Beethoven, Symphony No. 9 (1824); identical to the dev-set clips' annotation.
    "ode_to_joy": _legato([
        (64, 1), (64, 1), (65, 1), (67, 1), (67, 1), (65, 1), (64, 1), (62, 1),
        (60, 1), (60, 1), (62, 1), (64, 1), (64, 1.5), (62, 0.5), (62, 2)]),
    # Traditional (French, 1761).
    "twinkle_twinkle": _legato([
        (60, 1), (60, 1), (67, 1), (67, 1), (69, 1), (69, 1), (67, 2),
        (65, 1), (65, 1), (64, 1), (64, 1), (62, 1), (62, 1), (60, 2)]),
    # Traditional (French, 18th century).
    "frere_jacques": _legato([
        (60, 1), (62, 1), (64, 1), (60, 1), (60, 1), (62, 1), (64, 1), (60, 1),
        (64, 1), (65, 1), (67, 2), (64, 1), (65, 1), (67, 2)]),
    # Traditional (French, 18th century).
    "au_clair_de_la_lune": _legato([
        (60, 1), (60, 1), (60, 1), (62, 1), (64, 2), (62, 2),
        (60, 1), (64, 1), (62, 1), (62, 1), (60, 4)]),
    # Traditional (English, 16th century), 3/4 with the usual pickup.
    "greensleeves": _legato([
        (69, 1), (72, 2), (74, 1), (76, 1.5), (77, 0.5), (76, 1), (74, 2),
        (71, 1), (67, 1.5), (69, 0.5), (71, 1), (72, 2), (69, 1),
        (69, 1.5), (68, 0.5), (69, 1), (71, 2), (68, 1), (64, 2)]),
    # John Newton (1779) to the tune "New Britain" (1829), 3/4 with pickup.
    "amazing_grace": _legato([
        (62, 1), (67, 2), (71, 0.5), (67, 0.5), (71, 2), (69, 1), (67, 2),
        (64, 1), (62, 2), (62, 1), (67, 2), (71, 0.5), (67, 0.5), (71, 2),
        (69, 1), (74, 3)]),
    # Traditional (American, 1830).
    "mary_had_a_little_lamb": _legato([
        (64, 1), (62, 1), (60, 1), (62, 1), (64, 1), (64, 1), (64, 2),
        (62, 1), (62, 1), (62, 2), (64, 1), (67, 1), (67, 2)]),
    # Traditional (English nursery rhyme).
    "london_bridge": _legato([
        (67, 1.5), (69, 0.5), (67, 1), (65, 1), (64, 1), (65, 1), (67, 2),
        (62, 1), (64, 1), (65, 2), (64, 1), (65, 1), (67, 2)]),
}

# Instrument name -> General-MIDI program number (0-based, as in MIDI files).
INSTRUMENTS = {
    "piano": 0,
    "electric_piano": 4,
    "harpsichord": 6,
    "vibraphone": 11,
    "marimba": 12,
    "organ": 19,  # Church organ.
    "nylon_guitar": 24,
    "steel_guitar": 25,
    "violin": 40,
    "viola": 41,
    "cello": 42,
    "trumpet": 56,
    "trombone": 57,
    "french_horn": 60,
    "alto_sax": 65,
    "oboe": 68,
    "bassoon": 70,
    "clarinet": 71,
    "flute": 73,
}


def find_fluidsynth() -> str:
    """Finds the fluidsynth command-line program.

    Returns:
      Absolute path of the ``fluidsynth`` executable.

    Raises:
      SynthUnavailableError: if it is not on PATH.
    """
    path = shutil.which("fluidsynth")
    if path is None:
        raise SynthUnavailableError(
            f"fluidsynth not found on PATH; install it with: {INSTALL_HINT}")
    return path


def find_soundfont(soundfont: Optional[str] = None) -> str:
    """Finds the FluidR3 General-MIDI SoundFont.

    Args:
      soundfont: explicit path to a .sf2 file; if None, the environment variable
        ``NEURAL_STYLE_AUDIO_SOUNDFONT`` and then the usual install directories
        (``SOUNDFONT_DIRS``) are searched for ``FluidR3_GM.sf2``.

    Returns:
      Path of an existing SoundFont file.

    Raises:
      SynthUnavailableError: if the explicit/env path does not exist or none is found.
    """
    explicit = soundfont or os.environ.get(SOUNDFONT_ENV_VAR)
    if explicit:
        if not Path(explicit).is_file():
            raise SynthUnavailableError(
                f"SoundFont {explicit!r} does not exist; install one with: {INSTALL_HINT}")
        return str(explicit)
    for directory in SOUNDFONT_DIRS:
        candidate = Path(directory) / SOUNDFONT_NAME
        if candidate.is_file():
            return str(candidate)
    raise SynthUnavailableError(
        f"{SOUNDFONT_NAME} not found (searched ${SOUNDFONT_ENV_VAR} and "
        f"{', '.join(SOUNDFONT_DIRS)}); install it with: {INSTALL_HINT}")


def synth_available(soundfont: Optional[str] = None) -> bool:
    """Returns True if fluidsynth, a SoundFont and pretty_midi are installed."""
    if importlib.util.find_spec("pretty_midi") is None:
        return False
    try:
        find_fluidsynth()
        find_soundfont(soundfont)
    except SynthUnavailableError:
        return False
    return True


def melody_duration_beats(notes: Sequence[Note]) -> float:
    """Returns the end of the last note, in beats."""
    return max(onset + duration for _, onset, duration in notes)


def beats_to_seconds(beats: float, tempo_bpm: float = DEFAULT_TEMPO_BPM) -> float:
    """Converts quarter-note beats to seconds at ``tempo_bpm``."""
    return beats * 60.0 / tempo_bpm


def truncate_melody(notes: Sequence[Note], max_beats: float) -> Tuple[Note, ...]:
    """Keeps the notes starting before ``max_beats``, shortening any that overrun it.

    Args:
      notes: (midi_pitch, onset_beats, duration_beats) tuples.
      max_beats: end of the excerpt, in beats.

    Returns:
      The excerpt as a tuple of notes (possibly empty).
    """
    return tuple((pitch, onset, min(duration, max_beats - onset))
                 for pitch, onset, duration in notes if onset < max_beats)


def fit_duration(y: np.ndarray, sr: int, duration_s: float,
                 fade_s: float = FADE_OUT_S) -> np.ndarray:
    """Cuts (with a linear fade-out) or zero-pads audio to exactly ``duration_s``.

    Args:
      y: mono audio, shape [samples].
      sr: sample rate, Hz.
      duration_s: wanted duration, seconds.
      fade_s: fade-out length applied when the signal is cut, seconds.

    Returns:
      Audio of shape [round(duration_s * sr)].
    """
    n = int(round(duration_s * sr))
    if len(y) <= n:
        return np.pad(y, (0, n - len(y)))
    y = np.array(y[:n], copy=True)
    n_fade = min(n, int(round(fade_s * sr)))
    if n_fade > 0:
        y[n - n_fade:] *= np.linspace(1.0, 0.0, n_fade, dtype=y.dtype)
    return y


def _validate_notes(notes: Sequence[Note]) -> None:
    if len(notes) == 0:
        raise ValueError("notes must contain at least one (pitch, onset, duration)")
    for note in notes:
        if len(note) != 3:
            raise ValueError(f"note {note!r} is not (midi_pitch, onset_beats, duration_beats)")
        pitch, onset, duration = note
        if not 0 <= int(pitch) <= 127:
            raise ValueError(f"MIDI pitch {pitch} outside 0..127")
        if onset < 0 or duration <= 0:
            raise ValueError(f"note {note!r}: need onset_beats >= 0 and duration_beats > 0")


def melody_to_midi(notes: Sequence[Note], program: int,
                   tempo_bpm: float = DEFAULT_TEMPO_BPM,
                   velocity: int = DEFAULT_VELOCITY,
                   tail_s: float = RELEASE_TAIL_S):
    """Builds a one-instrument MIDI file of a melody.

    Args:
      notes: (midi_pitch, onset_beats, duration_beats) tuples.
      program: General-MIDI program number, 0..127.
      tempo_bpm: quarter-note beats per minute.
      velocity: MIDI velocity, 1..127.
      tail_s: seconds of silence after the last note-off (a no-op controller event),
        so an offline renderer lets the release and reverb ring out.

    Returns:
      A ``pretty_midi.PrettyMIDI`` object.

    Raises:
      SynthUnavailableError: if pretty_midi is not installed.
      ValueError: for empty or out-of-range notes or parameters.
    """
    try:
        import pretty_midi  # Optional dependency (extra "pairs").
    except ImportError:
        raise SynthUnavailableError(
            "pretty_midi is not installed; pip install 'neural-style-audio[pairs]'") from None
    _validate_notes(notes)
    if not 0 <= program <= 127:
        raise ValueError(f"GM program {program} outside 0..127")
    if not 1 <= velocity <= 127:
        raise ValueError(f"velocity {velocity} outside 1..127")
    if tempo_bpm <= 0:
        raise ValueError(f"tempo_bpm must be > 0, got {tempo_bpm}")
    midi = pretty_midi.PrettyMIDI(initial_tempo=float(tempo_bpm))
    instrument = pretty_midi.Instrument(program=int(program))
    for pitch, onset, duration in notes:
        start = beats_to_seconds(onset, tempo_bpm)
        end = beats_to_seconds(onset + duration, tempo_bpm)
        instrument.notes.append(pretty_midi.Note(
            velocity=int(velocity), pitch=int(pitch), start=start, end=end))
    end_s = beats_to_seconds(melody_duration_beats(notes), tempo_bpm)
    # CC 110 is undefined in GM, so this only extends the file's length.
    instrument.control_changes.append(
        pretty_midi.ControlChange(number=110, value=0, time=end_s + tail_s))
    midi.instruments.append(instrument)
    return midi


def trim_trailing_silence(y: np.ndarray, min_length: int = 0,
                          top_db: float = SILENCE_TOP_DB,
                          frame_length: int = TRIM_FRAME_LENGTH) -> np.ndarray:
    """Cuts the end of a signal once it stays ``top_db`` below its peak.

    Leading audio is kept so note onsets stay where the score put them.

    Args:
      y: mono audio, shape [samples].
      min_length: never cut before this many samples (e.g. the last note-off).
      top_db: threshold below the peak absolute amplitude, in dB.
      frame_length: granularity of the cut, in samples.

    Returns:
      ``y[:n]`` for the smallest frame-aligned ``n >= min_length`` after which every
      sample is below the threshold.
    """
    peak = np.max(np.abs(y)) if y.size else 0.0
    if peak <= 0:
        return y[:min_length]
    loud = np.flatnonzero(np.abs(y) > peak * 10.0 ** (-top_db / 20.0))
    end = int(np.ceil((loud[-1] + 1) / frame_length) * frame_length)
    return y[:min(len(y), max(end, min_length))]


def peak_normalize(y: np.ndarray, peak: float = PEAK_LEVEL) -> np.ndarray:
    """Scales ``y`` so max|y| == ``peak`` (silence is returned unchanged)."""
    current = np.max(np.abs(y)) if y.size else 0.0
    if current <= 0:
        return y
    return y * (peak / current)


def render_midi_file(midi_path: str, sr: int = DEFAULT_SR,
                     soundfont: Optional[str] = None,
                     gain: float = DEFAULT_GAIN) -> np.ndarray:
    """Renders a MIDI file offline with the fluidsynth CLI.

    Args:
      midi_path: path of a .mid file.
      sr: output sample rate, Hz.
      soundfont: .sf2 path, or None to use ``find_soundfont()``.
      gain: fluidsynth master gain (0 < gain < 10).

    Returns:
      Mono float32 audio, shape [samples], not normalised.

    Raises:
      SynthUnavailableError: if fluidsynth or the SoundFont is missing.
      RuntimeError: if fluidsynth fails.
    """
    fluidsynth = find_fluidsynth()
    soundfont = find_soundfont(soundfont)
    with tempfile.TemporaryDirectory(prefix="nsa_synth_") as tmp:
        wav_path = os.path.join(tmp, "out.wav")
        command = [fluidsynth, "-ni", "-q", "-g", str(gain), "-r", str(int(sr)),
                   "-T", "wav", "-O", "float", "-F", wav_path, soundfont, str(midi_path)]
        result = subprocess.run(command, capture_output=True, text=True,
                                timeout=FLUIDSYNTH_TIMEOUT_S, check=False)
        if result.returncode != 0 or not os.path.isfile(wav_path):
            raise RuntimeError(
                f"fluidsynth failed (exit {result.returncode}): {result.stderr.strip()}")
        y, file_sr = sf.read(wav_path, dtype="float32", always_2d=True)
    if file_sr != sr:
        raise RuntimeError(f"fluidsynth wrote {file_sr} Hz, expected {sr} Hz")
    return y.mean(axis=1)


def render_melody(notes: Sequence[Note], program: int, sr: int = DEFAULT_SR,
                  tempo_bpm: float = DEFAULT_TEMPO_BPM,
                  velocity: int = DEFAULT_VELOCITY,
                  soundfont: Optional[str] = None,
                  gain: float = DEFAULT_GAIN,
                  transpose: int = 0) -> np.ndarray:
    """Renders a monophonic melody on one General-MIDI instrument.

    Args:
      notes: (midi_pitch, onset_beats, duration_beats) tuples, e.g.
        ``MELODIES["ode_to_joy"]``.
      program: General-MIDI program number 0..127, e.g. ``INSTRUMENTS["violin"]``.
      sr: sample rate, Hz.
      tempo_bpm: quarter-note beats per minute.
      velocity: MIDI velocity, 1..127.
      soundfont: .sf2 path, or None to use ``find_soundfont()``.
      gain: fluidsynth master gain (only matters before normalisation: clipping).
      transpose: semitones added to every pitch.

    Returns:
      Mono float32 audio, shape [samples], peak ``PEAK_LEVEL``; it starts at beat 0
      and ends after the last note's release once it falls ``SILENCE_TOP_DB`` below
      the peak (never before the last note-off).

    Raises:
      SynthUnavailableError: if fluidsynth, the SoundFont or pretty_midi is missing.
      ValueError: for empty or out-of-range notes or parameters.
    """
    if sr <= 0:
        raise ValueError(f"sr must be > 0, got {sr}")
    notes = [(int(p) + int(transpose), float(o), float(d)) for p, o, d in notes]
    soundfont = find_soundfont(soundfont)
    find_fluidsynth()
    midi = melody_to_midi(notes, program, tempo_bpm=tempo_bpm, velocity=velocity)
    with tempfile.TemporaryDirectory(prefix="nsa_midi_") as tmp:
        midi_path = os.path.join(tmp, "melody.mid")
        midi.write(midi_path)
        y = render_midi_file(midi_path, sr=sr, soundfont=soundfont, gain=gain)
    last_note_off = int(round(
        beats_to_seconds(melody_duration_beats(notes), tempo_bpm) * sr))
    y = trim_trailing_silence(y, min_length=last_note_off)
    return peak_normalize(y).astype(np.float32)
