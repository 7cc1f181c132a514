"""f0 tracking and note segmentation (neural_style_audio.pitch) on synthetic tones."""
import numpy as np
import pytest

from conftest import SR, harmonic_tone
from neural_style_audio import pitch

HOP = 512


def cents(f, f_ref):
    return 1200.0 * np.log2(f / f_ref)


def melody(notes, sr=SR, decay_per_s=0.0, n_harmonics=6, seed=0):
    """Back-to-back harmonic notes [(f0, seconds)], each with a 10-ms attack and an
    exponential decay of `decay_per_s` (1/s)."""
    rng = np.random.default_rng(seed)
    parts = []
    for f0, seconds in notes:
        t = np.arange(int(seconds * sr)) / sr
        envelope = np.minimum(t / 0.01, 1.0) * np.exp(-decay_per_s * t)
        tone = sum(k ** -1.0 * np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 6.28))
                   for k in range(1, n_harmonics + 1))
        parts.append(envelope * tone)
    y = np.concatenate(parts) + 1e-3 * rng.standard_normal(sum(len(p) for p in parts))
    return (0.5 * y / np.max(np.abs(y))).astype(np.float32)


@pytest.mark.parametrize("f0", [110.0, 233.08, 587.33])
def test_track_f0_within_20_cents_of_a_synthetic_tone(f0):
    y = harmonic_tone(f0, 1.0)
    track, voiced, probability = pitch.track_f0(y, SR)
    assert track.shape == voiced.shape == probability.shape == (1 + len(y) // HOP,)
    assert voiced.mean() > 0.8
    assert np.max(np.abs(cents(track[voiced], f0))) < 20.0


def test_hz_to_midi_known_values():
    assert pitch.hz_to_midi(440.0) == pytest.approx(69.0)
    assert pitch.hz_to_midi(261.6256) == pytest.approx(60.0, abs=1e-4)


def test_segment_notes_finds_onsets_and_pitches_of_a_melody():
    notes_in = [(261.63, 0.5), (329.63, 0.5), (392.0, 0.75), (329.63, 0.5)]
    y = melody(notes_in)
    notes, f0, voiced = pitch.analyse_notes(y, SR)
    assert len(notes) == len(notes_in)
    onsets = np.cumsum([0.0] + [s for _, s in notes_in[:-1]]) * SR / HOP
    for note, (f_true, _), onset in zip(notes, notes_in, onsets):
        assert abs(cents(note.f0, f_true)) < 20.0
        assert abs(note.start - onset) <= 3  # Frames (23 ms each): within 70 ms.
    assert all(a.stop <= b.start for a, b in zip(notes, notes[1:]))


def test_repeated_plucked_note_is_split_but_a_held_note_is_not():
    plucked = melody([(293.66, 0.5)] * 3, decay_per_s=6.0)
    notes, _, _ = pitch.analyse_notes(plucked, SR)
    assert len(notes) == 3
    held = melody([(293.66, 1.5)])
    notes, _, _ = pitch.analyse_notes(held, SR)
    assert len(notes) == 1 and notes[0].n_frames >= 1.4 * SR / HOP


def test_decaying_note_lasts_until_silence_not_until_pyin_gives_up():
    y = melody([(220.0, 1.0)], decay_per_s=3.0)
    y = np.concatenate([y, np.zeros(SR // 2, np.float32)])
    notes, _, _ = pitch.analyse_notes(y, SR)
    assert len(notes) == 1
    assert 0.9 * SR / HOP <= notes[0].stop <= 1.1 * SR / HOP


def test_segment_notes_on_silence_or_noise_finds_nothing():
    rng = np.random.default_rng(0)
    noise = (0.1 * rng.standard_normal(SR)).astype(np.float32)
    notes, _, voiced = pitch.analyse_notes(noise, SR)
    assert notes == [] or sum(n.n_frames for n in notes) < 0.2 * len(voiced)


def test_decaying_notes_are_held_until_the_next_onset_sustained_ones_are_not():
    fps = SR / HOP
    notes_in = [(261.63, 1.0), (329.63, 1.0), (392.0, 1.0)]
    plucked = melody(notes_in, decay_per_s=6.0)  # About -52 dB/s: faded after ~0.8 s.
    notes, _, _ = pitch.analyse_notes(plucked, SR)
    rms_db = pitch.frame_rms_db(plucked)
    assert pitch.decay_rate(notes, rms_db, fps) < -20.0
    held = pitch.hold_decaying_notes(notes, rms_db, len(rms_db), fps)
    assert [n.start for n in held] == [n.start for n in notes]
    for note, following in zip(held, held[1:]):
        assert note.stop == following.start
    assert held[-1].stop >= notes[-1].stop
    sustained = melody(notes_in)
    notes, _, _ = pitch.analyse_notes(sustained, SR)
    rms_db = pitch.frame_rms_db(sustained)
    assert abs(pitch.decay_rate(notes, rms_db, fps)) < 3.0
    assert pitch.hold_decaying_notes(notes, rms_db, len(rms_db), fps) == notes


def _glide_track():
    """F4 for 40 frames, a 12-frame glide down, E4 for 40 frames (as pYIN reports a
    legato cello going from 349 to 330 Hz through 345, 341, 333)."""
    midi = np.concatenate([np.full(40, 65.0), np.linspace(64.92, 64.08, 12), np.full(40, 64.0)])
    return midi + 0.05 * np.sin(np.arange(len(midi)))  # A little jitter.


def test_a_gliding_semitone_step_starts_a_new_note():
    midi = _glide_track()
    # The running median alone keeps the glide as one run (the bug this guards).
    assert pitch._pitch_segments(midi, pitch.PITCH_JUMP_SEMITONES) == [(0, len(midi))]
    parts = pitch.split_pitch_steps(midi, 0, len(midi))
    assert len(parts) == 2 and 42 <= parts[0][1] <= 50 and parts[1] == (parts[0][1], len(midi))
    f0 = 440.0 * 2 ** ((midi - 69) / 12)
    notes = pitch.segment_notes(f0, np.ones(len(midi), bool), np.zeros(len(midi)))
    assert [round(pitch.hz_to_midi(n.f0)) for n in notes] == [65, 64]


def test_vibrato_and_unvoiced_frames_do_not_split_a_note():
    t = np.arange(120)
    vibrato = 64.0 + 0.5 * np.sin(2 * np.pi * t / 8.0)  # +-50 cents, one period = window.
    assert pitch.split_pitch_steps(vibrato, 0, len(t)) == [(0, len(t))]
    gappy = np.full(60, 60.0)
    gappy[20:26] = np.nan
    assert pitch.split_pitch_steps(gappy, 0, 60) == [(0, 60)]
