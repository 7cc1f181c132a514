"""Tests of neural_style_audio.metrics on signals whose answer is known."""
from pathlib import Path

import numpy as np
import pytest

from neural_style_audio.evaluation import metrics

SR = 22050
SHARED_DIR = Path(__file__).resolve().parents[2].parent / "shared"
DEV_MONO_DIR = SHARED_DIR / "audio" / "dev" / "mono"
MELODY = (60, 62, 64, 65, 67, 65, 64, 62)  # MIDI pitches, C4 major scale up and down.
NOTE_S = 0.25


def midi_to_hz(pitch):
    return 440.0 * 2.0 ** ((pitch - 69) / 12.0)


def harmonic_melody(pitches=MELODY, note_s=NOTE_S, sr=SR, n_harmonics=6, brightness=1.0):
    """A melody of harmonic tones with 10-ms fades; amplitude of harmonic k is k^-2/brightness."""
    n = int(note_s * sr)
    t = np.arange(n) / sr
    envelope = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.01)
    notes = []
    for pitch in pitches:
        f0 = midi_to_hz(pitch)
        tone = sum(k ** (-2.0 / brightness) * np.sin(2 * np.pi * k * f0 * t)
                   for k in range(1, n_harmonics + 1) if k * f0 < sr / 2)
        notes.append(envelope * tone)
    y = np.concatenate(notes)
    return (0.5 * y / np.max(np.abs(y))).astype(np.float32)


@pytest.fixture(scope="module")
def melody():
    return harmonic_melody()


@pytest.fixture(scope="module")
def noise():
    return (0.1 * np.random.default_rng(0).standard_normal(len(harmonic_melody()))).astype(
        np.float32)


def test_identical_signals_score_perfectly(melody):
    assert metrics.log_spectral_distance(melody, melody, SR) == pytest.approx(0.0, abs=1e-9)
    assert metrics.floored_log_spectral_distance(melody, melody, SR) == pytest.approx(
        0.0, abs=1e-9)
    assert metrics.octave_forgiving_pitch_accuracy(melody, melody, SR) == pytest.approx(1.0)
    assert metrics.spectral_convergence_to_target(melody, melody) == pytest.approx(0.0, abs=1e-6)
    assert metrics.chroma_similarity(melody, melody, SR) == pytest.approx(1.0, abs=1e-6)
    assert metrics.pitch_accuracy(melody, melody, SR) == pytest.approx(1.0)
    assert metrics.mfcc_stats_distance(melody, melody, SR) == pytest.approx(0.0, abs=1e-6)
    assert metrics.spectral_stats_distance(melody, melody, SR) == pytest.approx(0.0, abs=1e-12)


def test_semitone_shift_loses_pitch_and_chroma(melody):
    shifted = harmonic_melody(pitches=[p + 1 for p in MELODY])
    assert metrics.pitch_accuracy(shifted, melody, SR) < 0.05
    assert metrics.chroma_similarity(shifted, melody, SR) < 0.6
    # The same melody an octave up keeps its chroma.
    octave = harmonic_melody(pitches=[p + 12 for p in MELODY])
    assert metrics.chroma_similarity(octave, melody, SR) > 0.8


def test_quarter_tone_detuning_is_at_the_tolerance(melody):
    # 40 cents sharp is within the 50-cent tolerance, 60 cents is not.
    near = harmonic_melody(pitches=[p + 0.4 for p in MELODY])
    far = harmonic_melody(pitches=[p + 0.6 for p in MELODY])
    assert metrics.pitch_accuracy(near, melody, SR) > 0.9
    assert metrics.pitch_accuracy(far, melody, SR) < 0.1


def test_octave_error_is_forgiven_but_a_semitone_is_not(melody):
    octave_up = harmonic_melody(pitches=[p + 12 for p in MELODY])
    assert metrics.pitch_accuracy(octave_up, melody, SR) < 0.05  # Raw: an octave is wrong.
    assert metrics.octave_forgiving_pitch_accuracy(octave_up, melody, SR) > 0.9
    semitone = harmonic_melody(pitches=[p + 1 for p in MELODY])
    assert metrics.octave_forgiving_pitch_accuracy(semitone, melody, SR) < 0.05
    # An octave and a semitone off is still a wrong pitch class.
    octave_semitone = harmonic_melody(pitches=[p - 11 for p in MELODY])
    assert metrics.octave_forgiving_pitch_accuracy(octave_semitone, melody, SR) < 0.05


def test_f0_accuracy_octave_forgiving_known_answer():
    f0_ref = np.full(6, 200.0)
    voiced = np.ones(6, dtype=bool)
    # 20 cents sharp, an octave up, two octaves down, an octave and 40 cents up,
    # a semitone up, a fifth up.
    f0 = 200.0 * 2.0 ** (np.array([20, 1200, -2400, 1240, 100, 700]) / 1200.0)
    assert metrics.f0_accuracy(f0, f0_ref, voiced) == pytest.approx(1 / 6)
    assert metrics.f0_accuracy(f0, f0_ref, voiced, octave_forgiving=True) == pytest.approx(4 / 6)
    # A difference just under half an octave folds to itself, not to its complement.
    tritone = np.array([200.0 * 2 ** (590 / 1200)])
    assert metrics.f0_accuracy(tritone, f0_ref[:1], voiced[:1], octave_forgiving=True) == 0.0


def test_silent_output_has_zero_pitch_accuracy(melody):
    assert metrics.pitch_accuracy(np.zeros_like(melody), melody, SR) == 0.0


def test_f0_accuracy_known_answer():
    f0_content = np.array([100.0, 200.0, 300.0, np.nan, 400.0])
    voiced = np.array([True, True, True, False, True])
    # 20 cents sharp, an octave off, unvoiced, (unvoiced content), exact.
    f0 = np.array([100.0 * 2 ** (20 / 1200), 400.0, np.nan, 100.0, 400.0])
    assert metrics.f0_accuracy(f0, f0_content, voiced) == pytest.approx(0.5)
    assert np.isnan(metrics.f0_accuracy(f0, f0_content, np.zeros(5, dtype=bool)))


def test_lsd_ignores_gain_is_symmetric_and_grows_with_difference(melody, noise):
    assert metrics.log_spectral_distance(0.05 * melody, melody, SR) == pytest.approx(0.0, abs=1e-3)
    forward = metrics.log_spectral_distance(melody, noise, SR)
    assert forward == pytest.approx(metrics.log_spectral_distance(noise, melody, SR))
    brighter = harmonic_melody(brightness=3.0)
    assert 0.0 < metrics.log_spectral_distance(brighter, melody, SR) < forward


def test_lsd_trims_to_the_shorter_signal(melody):
    longer = np.concatenate([melody, np.zeros(SR // 2, np.float32)])
    assert metrics.log_spectral_distance(longer, melody, SR) == pytest.approx(0.0, abs=1e-9)


def noise_floor(y, level_db, seed=0):
    """White noise at `level_db` relative to the mean power of `y`."""
    power = np.mean(np.asarray(y, np.float64) ** 2) * 10.0 ** (level_db / 10.0)
    return np.sqrt(power) * np.random.default_rng(seed).standard_normal(len(y))


def test_floored_lsd_ignores_a_noise_floor_that_dominates_plain_lsd(melody):
    # Between the partials of a clean tone the mel spectrum is at the plain LSD's
    # -80 dB floor; inaudible noise there (as resynthesis leaves) dominates it.
    brighter = harmonic_melody(brightness=3.0)
    plain_timbre = metrics.log_spectral_distance(brighter, melody, SR)
    floored_timbre = metrics.floored_log_spectral_distance(brighter, melody, SR)
    for level_db in (-80.0, -60.0):
        noisy = (melody + noise_floor(melody, level_db)).astype(np.float32)
        plain = metrics.log_spectral_distance(noisy, melody, SR)
        floored = metrics.floored_log_spectral_distance(noisy, melody, SR)
        assert plain > 10.0 and plain > plain_timbre  # The noise outweighs a timbre change.
        assert floored < 0.05  # Far below the floor: unchanged.
        # The noisy copy is still far closer than another timbre.
        assert floored < 0.05 * floored_timbre
    assert floored_timbre > 2.0
    # Noise within the 40 dB window counts.
    loud_noise = (melody + noise_floor(melody, -10.0)).astype(np.float32)
    assert metrics.floored_log_spectral_distance(loud_noise, melody, SR) > 1.0


def test_floored_lsd_gain_silence_and_reference_floor(melody, noise):
    brighter = harmonic_melody(brightness=3.0)
    base = metrics.floored_log_spectral_distance(brighter, melody, SR)
    for gain in (0.1, 10.0):
        assert metrics.floored_log_spectral_distance(gain * brighter, melody, SR) == (
            pytest.approx(base, rel=1e-6))
        assert metrics.floored_log_spectral_distance(brighter, gain * melody, SR) == (
            pytest.approx(base, rel=1e-6))
    # Trailing silence in both is not compared, so it does not dilute the distance.
    pad = np.zeros(SR, np.float32)
    padded = metrics.floored_log_spectral_distance(np.concatenate([brighter, pad]),
                                                   np.concatenate([melody, pad]), SR)
    assert padded == pytest.approx(base, rel=0.05)
    assert metrics.floored_log_spectral_distance(pad, pad, SR) == 0.0
    # The floor is the reference's: noise against a tone is not tone against noise.
    assert (metrics.floored_log_spectral_distance(noise, melody, SR)
            != pytest.approx(metrics.floored_log_spectral_distance(melody, noise, SR), rel=0.1))
    # A deeper floor sees more of the spectrum.
    assert metrics.floored_log_spectral_distance(brighter, melody, SR, floor_db=80.0) > base
    with pytest.raises(ValueError, match="floor_db"):
        metrics.floored_log_spectral_distance(brighter, melody, SR, floor_db=0.0)


def test_timbre_closer_to_target():
    # Content: melody M1 on a bright instrument A. Target: M1 on a dark instrument B.
    content = harmonic_melody(brightness=4.0, n_harmonics=12)
    target = harmonic_melody(brightness=0.5)
    other_tune_on_b = harmonic_melody(pitches=MELODY[::-1], brightness=0.5)
    other_tune_on_a = harmonic_melody(pitches=MELODY[::-1], brightness=4.0, n_harmonics=12)
    assert metrics.timbre_closer_to_target(other_tune_on_b, target, content, SR) is True
    assert metrics.timbre_closer_to_target(target, target, content, SR) is True
    assert metrics.timbre_closer_to_target(other_tune_on_a, target, content, SR) is False
    # The content itself: 0 to itself, never closer to the target. A tie is not closer.
    assert metrics.timbre_closer_to_target(content, target, content, SR) is False
    assert metrics.timbre_closer_to_target(content, content, content, SR) is False
    # The definition: output-to-target distance below output-to-content distance.
    between = (0.5 * content + 0.5 * target).astype(np.float32)
    assert metrics.timbre_closer_to_target(between, target, content, SR) == (
        metrics.mfcc_stats_distance(between, target, SR)
        < metrics.mfcc_stats_distance(between, content, SR))


def test_noise_is_far_from_a_tone_in_timbre(melody, noise):
    stats_noise = metrics.spectral_stats(noise, SR)
    stats_tone = metrics.spectral_stats(melody, SR)
    assert set(stats_noise) == set(metrics.SPECTRAL_STATS)
    assert stats_noise["flatness_mean"] > 0.3
    assert stats_tone["flatness_mean"] < 0.01
    assert stats_noise["centroid_mean"] == pytest.approx(SR / 4, rel=0.1)
    brighter = harmonic_melody(brightness=3.0)
    assert (metrics.mfcc_stats_distance(noise, melody, SR)
            > 5 * metrics.mfcc_stats_distance(brighter, melody, SR) > 0)
    assert (metrics.spectral_stats_distance(noise, melody, SR)
            > metrics.spectral_stats_distance(brighter, melody, SR) > 0)
    assert metrics.spectral_stats_distance(noise, melody, SR) <= 1.0


def test_timbre_distances_ignore_the_melody():
    # Same instrument, different tune: much closer than another timbre, same tune.
    tone = harmonic_melody()
    other_tune = harmonic_melody(pitches=MELODY[::-1])
    other_timbre = harmonic_melody(brightness=4.0, n_harmonics=12)
    assert (metrics.mfcc_stats_distance(other_tune, tone, SR)
            < metrics.mfcc_stats_distance(other_timbre, tone, SR))


def test_frechet_distance_known_answer():
    # 1-D: (1 - 0)^2 + 1 + 4 - 2 * sqrt(1 * 4) = 2.
    assert metrics.frechet_distance(np.zeros(1), np.eye(1), np.ones(1),
                                    4 * np.eye(1)) == pytest.approx(2.0)
    rng = np.random.default_rng(1)
    a = rng.standard_normal((12, 12))
    cov = a @ a.T
    mean = rng.standard_normal(12)
    assert metrics.frechet_distance(mean, cov, mean, cov) == pytest.approx(0.0, abs=1e-8)


def test_spectral_convergence_of_own_magnitude_is_zero(melody, noise):
    import librosa
    magnitude = np.abs(librosa.stft(melody.astype(np.float64), n_fft=1024, hop_length=256))
    assert metrics.spectral_convergence(magnitude, melody, 1024, 256) < 1e-6
    # Time-major layout (as spectral.magnitude) gives the same answer.
    assert metrics.spectral_convergence(magnitude.T, melody, 1024, 256) < 1e-6
    assert metrics.spectral_convergence(magnitude, noise, 1024, 256) > 0.5
    with pytest.raises(ValueError, match="target_magnitude"):
        metrics.spectral_convergence(magnitude[:10, :10], melody, 1024, 256)


def test_spectral_convergence_to_a_target_is_gain_invariant(melody, noise):
    brighter = harmonic_melody(brightness=3.0)
    base = metrics.spectral_convergence_to_target(brighter, melody)
    assert 0.0 < base < 1.0
    for gain in (0.1, 10.0):
        assert metrics.spectral_convergence_to_target(gain * brighter, melody) == (
            pytest.approx(base, rel=1e-6))
        assert metrics.spectral_convergence_to_target(gain * melody, melody) == (
            pytest.approx(0.0, abs=1e-6))
    # Without the fitted gain a level change is an error (Griffin-Lim consistency).
    import librosa
    magnitude = np.abs(librosa.stft(melody.astype(np.float64)))
    assert metrics.spectral_convergence(magnitude, 0.1 * melody) == pytest.approx(0.9, rel=1e-6)
    assert metrics.spectral_convergence(magnitude, 0.1 * melody, fit_gain=True) < 1e-6
    # In [0, 1]: unrelated noise is near 1, silence exactly 1.
    assert 0.5 < metrics.spectral_convergence_to_target(noise, melody) <= 1.0
    assert metrics.spectral_convergence_to_target(np.zeros_like(melody), melody) == 1.0


def test_spectral_convergence_matches_project_stft(melody):
    pytest.importorskip("tensorflow")
    from neural_style_audio import representations, spectral
    magnitude = spectral.magnitude(melody, n_fft=2048, hop_length=512)
    assert metrics.spectral_convergence(magnitude, melody, 2048, 512) < 1e-3


def test_invalid_audio_is_rejected(melody):
    with pytest.raises(ValueError, match="mono"):
        metrics.log_spectral_distance(np.stack([melody, melody]), melody, SR)
    bad = melody.copy()
    bad[10] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        metrics.chroma_similarity(bad, melody, SR)
    with pytest.raises(ValueError, match="empty"):
        metrics.spectral_stats(np.zeros(0, np.float32), SR)


def test_evaluate_all(melody, noise):
    result = metrics.evaluate_all(melody, melody, noise, SR, target=melody)
    assert set(result) == {"chroma_similarity", "pitch_accuracy",
                           "octave_forgiving_pitch_accuracy", "mfcc_distance_to_target",
                           "timbre_accuracy", "log_spectral_distance",
                           "floored_log_spectral_distance", "spectral_convergence"}
    assert result["pitch_accuracy"] == pytest.approx(1.0)
    assert result["octave_forgiving_pitch_accuracy"] == pytest.approx(1.0)
    # Timbre is measured against the target, not the (noise) style.
    assert result["mfcc_distance_to_target"] == pytest.approx(0.0, abs=1e-6)
    assert result["timbre_accuracy"] == 0.0  # Content == target: a tie is not closer.
    assert result["log_spectral_distance"] == pytest.approx(0.0, abs=1e-9)
    assert result["floored_log_spectral_distance"] == pytest.approx(0.0, abs=1e-9)
    assert result["spectral_convergence"] == pytest.approx(0.0, abs=1e-6)
    without_target = metrics.evaluate_all(melody, melody, noise, SR)
    assert set(without_target) == {"chroma_similarity", "pitch_accuracy",
                                   "mfcc_stats_distance", "spectral_stats_distance"}
    polyphonic = metrics.evaluate_all(melody, melody, noise, SR, monophonic=False)
    assert set(polyphonic) == {"chroma_similarity", "mfcc_stats_distance",
                               "spectral_stats_distance"}
    assert polyphonic["mfcc_stats_distance"] > 0


@pytest.mark.skipif(not DEV_MONO_DIR.is_dir(), reason="shared dev audio not available")
def test_dev_clips_same_melody_on_two_instruments():
    import soundfile as sf

    def load(instrument):
        y, sr = sf.read(DEV_MONO_DIR / f"melody_ode_to_joy_{instrument}.flac", dtype="float32")
        assert sr == SR
        return y[:4 * SR]  # First 4 s keep the test fast.

    piano, violin, flute = load("piano"), load("violin"), load("flute")
    assert metrics.pitch_accuracy(violin, piano, SR) > 0.8
    assert metrics.chroma_similarity(violin, piano, SR) > 0.8
    # The flute is closer in timbre to itself than the violin is.
    assert metrics.mfcc_stats_distance(flute, flute, SR) < 1e-6
    assert metrics.mfcc_stats_distance(violin, flute, SR) > 1.0
