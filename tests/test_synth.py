"""Tests of neural_style_audio.synth (rendering tests skip without fluidsynth)."""
import json
from pathlib import Path

import numpy as np
import pytest

from neural_style_audio import synth

SR = 22050
SHARED_DIR = Path(__file__).resolve().parents[1].parent / "shared"
DEV_MANIFEST = SHARED_DIR / "audio" / "dev" / "manifest.json"
needs_synth = pytest.mark.skipif(not synth.synth_available(),
                                 reason="fluidsynth / FluidR3_GM.sf2 not installed")


def median_f0(y, sr=SR):
    from neural_style_audio.evaluation import metrics
    f0, voiced = metrics.estimate_f0(y, sr)
    assert voiced.any()
    return float(np.nanmedian(f0[voiced]))


def cents(f_a, f_b):
    return 1200.0 * np.log2(f_a / f_b)


def midi_to_hz(pitch):
    return 440.0 * 2.0 ** ((pitch - 69) / 12.0)


def test_melodies_are_small_monophonic_and_in_range():
    assert len(synth.MELODIES) >= 6
    for name, notes in synth.MELODIES.items():
        assert 8 <= len(notes) <= 20, name
        pitches = [p for p, _, _ in notes]
        assert 55 <= min(pitches) and max(pitches) <= 81, name
        for (_, onset, duration), (_, next_onset, _) in zip(notes, notes[1:]):
            assert duration > 0 and onset + duration <= next_onset + 1e-9, name


@pytest.mark.skipif(not DEV_MANIFEST.is_file(), reason="shared dev audio not available")
def test_ode_to_joy_matches_the_dev_set_annotation():
    entry = next(e for e in json.loads(DEV_MANIFEST.read_text())
                 if e["file"].endswith("melody_ode_to_joy_piano.flac"))
    notes = synth.MELODIES["ode_to_joy"]
    assert [p for p, _, _ in notes] == entry["midi_notes"]
    assert [o for _, o, _ in notes] == entry["onset_beats"]
    assert [d for _, _, d in notes] == entry["duration_beats"]


def test_instruments_are_general_midi_programs():
    assert all(0 <= p <= 127 for p in synth.INSTRUMENTS.values())
    expected = {"piano": 0, "nylon_guitar": 24, "violin": 40, "cello": 42, "trumpet": 56,
                "alto_sax": 65, "oboe": 68, "clarinet": 71, "flute": 73, "organ": 19}
    assert expected.items() <= synth.INSTRUMENTS.items()


def test_truncate_melody_and_duration_helpers():
    notes = synth.MELODIES["ode_to_joy"]
    assert synth.melody_duration_beats(notes) == 16.0
    excerpt = synth.truncate_melody(notes, 12.5)
    assert len(excerpt) == 13 and synth.melody_duration_beats(excerpt) == 12.5
    assert synth.beats_to_seconds(4, tempo_bpm=120) == 2.0
    y = np.ones(1000, np.float32)
    assert len(synth.fit_duration(y, 1000, 0.5)) == 500
    assert synth.fit_duration(y, 1000, 0.5)[-1] == 0.0  # Faded out.
    padded = synth.fit_duration(y, 1000, 2.0)
    assert len(padded) == 2000 and padded[1500] == 0.0


def test_trim_trailing_silence_keeps_the_head_and_min_length():
    y = np.zeros(10000)
    y[100:3000] = 1.0
    trimmed = synth.trim_trailing_silence(y, frame_length=512)
    assert 3000 <= len(trimmed) < 3000 + 512 and trimmed[150] == 1.0
    assert len(synth.trim_trailing_silence(y, min_length=6000)) == 6000
    assert np.max(np.abs(synth.peak_normalize(0.1 * y))) == pytest.approx(synth.PEAK_LEVEL)


def test_invalid_notes_are_rejected():
    pytest.importorskip("pretty_midi")
    with pytest.raises(ValueError, match="at least one"):
        synth.melody_to_midi([], 0)
    with pytest.raises(ValueError, match="outside 0..127"):
        synth.melody_to_midi([(200, 0, 1)], 0)
    with pytest.raises(ValueError, match="duration"):
        synth.melody_to_midi([(60, 0, 0)], 0)
    with pytest.raises(ValueError, match="program"):
        synth.melody_to_midi([(60, 0, 1)], 128)


def test_midi_timing_follows_the_tempo():
    pytest.importorskip("pretty_midi")
    midi = synth.melody_to_midi([(60, 0, 1), (64, 2, 0.5)], 40, tempo_bpm=120)
    (instrument,) = midi.instruments
    assert instrument.program == 40
    assert [(n.pitch, n.start, n.end) for n in instrument.notes] == [
        (60, 0.0, 0.5), (64, 1.0, 1.25)]


def test_missing_soundfont_or_fluidsynth_raise_a_helpful_error(monkeypatch, tmp_path):
    monkeypatch.setenv(synth.SOUNDFONT_ENV_VAR, str(tmp_path / "missing.sf2"))
    with pytest.raises(synth.SynthUnavailableError, match="apt-get install fluidsynth"):
        synth.find_soundfont()
    monkeypatch.delenv(synth.SOUNDFONT_ENV_VAR)
    fake = tmp_path / "mine.sf2"
    fake.write_bytes(b"")
    assert synth.find_soundfont(str(fake)) == str(fake)
    monkeypatch.setattr(synth.shutil, "which", lambda name: None)
    with pytest.raises(synth.SynthUnavailableError, match="fluid-soundfont-gm"):
        synth.find_fluidsynth()
    assert not synth.synth_available(str(fake))


@needs_synth
@pytest.mark.parametrize("instrument, pitch", [("piano", 69), ("violin", 67), ("flute", 74),
                                               ("cello", 48)])
def test_rendered_note_has_the_requested_pitch(instrument, pitch):
    y = synth.render_melody([(pitch, 0, 2)], synth.INSTRUMENTS[instrument], sr=SR,
                            tempo_bpm=120)
    assert y.dtype == np.float32 and y.ndim == 1
    assert np.max(np.abs(y)) == pytest.approx(synth.PEAK_LEVEL, rel=1e-5)
    assert SR * 1.0 <= len(y) <= SR * (1.0 + synth.RELEASE_TAIL_S) + 512
    assert abs(cents(median_f0(y), midi_to_hz(pitch))) < 30


@needs_synth
def test_rendered_melody_follows_the_score():
    tempo_bpm = 120.0
    notes = synth.truncate_melody(synth.MELODIES["twinkle_twinkle"], 6)  # C C G G A A
    y = synth.render_melody(notes, synth.INSTRUMENTS["flute"], sr=SR, tempo_bpm=tempo_bpm,
                            transpose=12)
    for pitch, onset, duration in notes:
        start = synth.beats_to_seconds(onset + 0.2 * duration, tempo_bpm)
        end = synth.beats_to_seconds(onset + 0.8 * duration, tempo_bpm)
        segment = y[int(start * SR):int(end * SR)]
        assert abs(cents(median_f0(segment), midi_to_hz(pitch + 12))) < 30, (pitch, onset)
