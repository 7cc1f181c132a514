"""Harmonic-plus-noise analysis and synthesis (neural_style_audio.harmonic): known answers
on synthetic instruments."""
import numpy as np
import pytest

from conftest import SR
from neural_style_audio import harmonic, pitch

N_FFT, HOP = 2048, 512
FRAMES_PER_S = SR / HOP


def db(x):
    return 20.0 * np.log10(np.maximum(np.asarray(x, np.float64), 1e-12))


def instrument_note(f0, seconds, amplitudes, decay_db_per_s=0.0, noise=0.0, sr=SR, seed=0):
    """A note whose partial k has amplitude amplitudes[k-1] (linear), decaying at
    `decay_db_per_s`, plus white noise of standard deviation `noise`."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    envelope = 10.0 ** (decay_db_per_s * t / 20.0)
    y = sum(a * np.sin(2 * np.pi * (k + 1) * f0 * t + rng.uniform(0, 6.28))
            for k, a in enumerate(amplitudes) if (k + 1) * f0 < sr / 2)
    return (envelope * y + noise * rng.standard_normal(len(t))).astype(np.float32)


def test_partial_peaks_recover_known_amplitudes_and_frequencies():
    amplitudes = np.array([0.3, 0.15, 0.09, 0.06, 0.03, 0.01])
    f0 = 233.08  # Between FFT bins.
    y = instrument_note(f0, 1.0, amplitudes)
    mag = harmonic.stft_magnitude(y, N_FFT, HOP)
    found, freqs = harmonic.partial_peaks(mag, np.full(len(mag), f0), SR, N_FFT, 8)
    assert found.shape == freqs.shape == (len(mag), 8)
    middle = slice(5, len(mag) - 5)  # Frames away from the zero-padded edges.
    measured = np.median(found[middle, :6], axis=0)
    assert np.max(np.abs(db(measured) - db(amplitudes))) < 0.5
    assert np.max(np.abs(np.median(freqs[middle, :6], axis=0) / (f0 * np.arange(1, 7)) - 1)) < 2e-3
    assert np.all(found[middle, 6:] < 1e-3)  # Partials 7, 8 are absent.


def test_partial_peaks_zero_above_nyquist_and_where_unvoiced():
    mag = np.ones((3, N_FFT // 2 + 1), np.float32)
    found, freqs = harmonic.partial_peaks(mag, np.array([np.nan, 5000.0, 100.0]), SR, N_FFT, 4)
    assert np.all(found[0] == 0) and np.all(np.isnan(freqs[0]))
    assert np.all(found[1, 2:] == 0)  # 15 and 20 kHz are above 11.025 kHz.
    assert np.all(found[2] > 0)


def test_sounding_f0_doubles_a_missing_fundamental_only():
    f0 = 130.0
    organ_like = np.array([0.001, 1.0, 0.5, 0.8, 0.001, 0.3])  # Partial 1 at -60 dB.
    assert harmonic.sounding_f0(organ_like, f0) == pytest.approx(2 * f0)
    weak_but_present = np.array([0.1, 1.0, 0.5, 0.8])  # -20 dB: still the pitch.
    assert harmonic.sounding_f0(weak_but_present, f0) == pytest.approx(f0)
    clarinet_like = np.array([1.0, 0.01, 0.5, 0.01, 0.3])
    assert harmonic.sounding_f0(clarinet_like, f0) == pytest.approx(f0)


def test_noise_envelope_measures_white_noise_between_partials():
    sigma = 0.05
    y = instrument_note(440.0, 1.0, [0.5, 0.25], noise=sigma)
    mag = harmonic.stft_magnitude(y, N_FFT, HOP)
    _, freqs = harmonic.partial_peaks(mag, np.full(len(mag), 440.0), SR, N_FFT, 4)
    edges = harmonic.noise_band_edges(SR, N_FFT)
    bands = harmonic.noise_envelope(mag, freqs, SR, N_FFT, edges)
    assert bands.shape == (len(mag), len(edges) - 1)
    expected = sigma * np.sqrt(np.sum(np.hanning(N_FFT + 1)[:-1] ** 2))  # RMS |STFT|.
    middle = bands[5:-5, 5:]  # Bands wide enough for a stable median.
    assert abs(db(np.median(middle)) - db(expected)) < 1.0


def test_filtered_noise_round_trip():
    edges = harmonic.noise_band_edges(SR, N_FFT)
    n_samples = SR
    n_frames = 1 + n_samples // HOP
    target = np.tile(np.linspace(0.5, 5.0, len(edges) - 1), (n_frames, 1))
    y = harmonic.filtered_noise(target, edges, N_FFT, HOP, n_samples, np.random.default_rng(0))
    assert y.shape == (n_samples,)
    mag = harmonic.stft_magnitude(y, N_FFT, HOP)
    no_partials = np.full((n_frames, 1), np.nan)
    measured = harmonic.noise_envelope(mag, no_partials, SR, N_FFT, edges)
    ratio_db = db(np.median(measured[5:-5, 5:], axis=0)) - db(target[0, 5:])
    assert np.max(np.abs(ratio_db)) < 1.5


def test_fit_instrument_recovers_harmonic_profile_and_decay():
    amplitudes = np.array([1.0, 0.5, 0.7, 0.1, 0.3, 0.05])  # A known, odd profile.
    notes = [instrument_note(f0, 0.6, amplitudes, decay_db_per_s=-20.0, seed=i)
             for i, f0 in enumerate((220.0, 261.63, 329.63, 293.66))]
    y = np.concatenate(notes) * 0.5
    model = harmonic.fit_instrument(y, SR, N_FFT, HOP, max_harmonics=8)
    assert len(model.notes) == 4
    profile = model.harmonic_profile()[:6]
    assert np.max(np.abs(profile - db(amplitudes / amplitudes.max()))) < 1.5
    assert model.decay_db_per_s == pytest.approx(-20.0, abs=4.0)
    sustained = harmonic.fit_instrument(
        np.concatenate([instrument_note(f, 0.6, amplitudes, seed=3) for f in (220.0, 330.0)]),
        SR, N_FFT, HOP, max_harmonics=8)
    assert sustained.decay_db_per_s > -2.0


def test_continue_frames_holds_or_decays():
    values = np.tile([[1.0, 0.5]], (10, 1))
    held = harmonic.continue_frames(values, 20, 0.0)
    assert held.shape == (20, 2) and np.allclose(held, values[0])
    decayed = harmonic.continue_frames(values, 20, -1.0)
    assert db(decayed[-1, 0]) == pytest.approx(-10.0, abs=1e-6)
    assert np.allclose(decayed[:, 1] / decayed[:, 0], 0.5)  # The balance is kept.
    assert harmonic.continue_frames(values, 4, -1.0).shape == (4, 2)


def test_map_partials_modes():
    partials = np.array([[1.0, 0.5, 0.25, 0.125]])
    same = harmonic.map_partials(partials, 200.0, 400.0, SR, "harmonic_index")
    assert np.allclose(same, partials)
    assert np.all(harmonic.map_partials(partials, 200.0, 4000.0, SR)[0, 2:] == 0)
    # Envelope fixed in Hz: at twice the pitch, partial 1 takes the old partial 2's level.
    moved = harmonic.map_partials(partials, 200.0, 400.0, SR, "frequency")
    assert moved[0, 0] == pytest.approx(0.5) and moved[0, 1] == pytest.approx(0.125)


def test_render_notes_plays_the_notes_with_the_fitted_timbre():
    amplitudes = np.array([0.2, 1.0, 0.1, 0.6])  # Partial 2 strongest.
    style = np.concatenate([instrument_note(f, 0.5, amplitudes, seed=i)
                            for i, f in enumerate((196.0, 246.94, 293.66))]) * 0.5
    model = harmonic.fit_instrument(style, SR, N_FFT, HOP, max_harmonics=8)
    frames = int(0.5 * FRAMES_PER_S)
    notes = [pitch.Note(start=i * frames, stop=(i + 1) * frames, f0=f, level_db=-10.0)
             for i, f in enumerate((220.0, 261.63))]
    n_samples = 2 * frames * HOP + HOP
    y = harmonic.render_notes(notes, model, n_samples, noise_gain=0.0)
    assert y.shape == (n_samples,) and np.all(np.isfinite(y))
    track, voiced, _ = pitch.track_f0(y, SR)
    for note in notes:
        inner = slice(note.start + 4, note.stop - 4)
        f0s = track[inner][voiced[inner]]
        assert len(f0s) > 0.8 * (note.n_frames - 8)
        # pYIN hears this timbre (weak odd partials) an octave up, as it does the style.
        folded = np.mod(1200 * np.log2(f0s / note.f0) + 600, 1200) - 600
        assert np.max(np.abs(folded)) < 20.0
    mag = harmonic.stft_magnitude(y, N_FFT, HOP)
    found, _ = harmonic.partial_peaks(mag[5:frames - 5], np.full(frames - 10, 220.0), SR,
                                      N_FFT, 4)
    assert np.max(np.abs(db(np.median(found, axis=0) / np.median(found, axis=0).max())
                         - db(amplitudes / amplitudes.max()))) < 1.5


def test_render_notes_needs_a_model_with_notes():
    empty = harmonic.InstrumentModel(notes=[], edges=harmonic.noise_band_edges(SR, N_FFT),
                                     sr=SR, n_fft=N_FFT, hop_length=HOP)
    with pytest.raises(ValueError, match="no note"):
        harmonic.render_notes([], empty, SR)


def test_refine_f0_corrects_both_octave_errors():
    # Even partials dominate: pYIN-style f0 of 2 x 196 Hz is corrected down.
    y = instrument_note(196.0, 0.5, [0.2, 1.0, 0.1, 0.6, 0.05, 0.3])
    mag = harmonic.stft_magnitude(y, N_FFT, HOP)
    heard, measured = harmonic.refine_f0(mag, 392.0, SR, N_FFT)
    assert heard == pytest.approx(196.0) and measured == pytest.approx(196.0)
    # A plain tone keeps its f0.
    y = instrument_note(196.0, 0.5, [1.0, 0.5, 0.3, 0.2])
    mag = harmonic.stft_magnitude(y, N_FFT, HOP)
    assert harmonic.refine_f0(mag, 196.0, SR, N_FFT) == (pytest.approx(196.0),) * 2
    # No partial 1 at the measured period (an organ's mixture): heard an octave up.
    y = instrument_note(130.0, 0.5, [0.0, 1.0, 0.6, 0.9, 0.0, 0.4])
    mag = harmonic.stft_magnitude(y, N_FFT, HOP)
    heard, measured = harmonic.refine_f0(mag, 130.0, SR, N_FFT)
    assert heard == pytest.approx(260.0) and measured == pytest.approx(130.0)


def test_refine_f0_ignores_the_previous_notes_release():
    # A C5 whose first frames still hold a loud E6 (the previous E5's second partial,
    # ringing): between its partials 2 and 3, where partial 5 of C4 would be. Averaged
    # over the note it passed for a subharmonic series and the note was measured (and
    # rendered) an octave low, with the release as its odd partials.
    t = np.arange(SR) / SR
    f0 = 523.25
    y = sum(a * np.sin(2 * np.pi * (k + 1) * f0 * t)
            for k, a in enumerate([0.3, 0.2, 0.15, 0.05]))
    ring = np.exp(-t / 0.06) * np.sin(2 * np.pi * 1318.5 * t)
    mag = harmonic.stft_magnitude((y + ring).astype(np.float32), N_FFT, HOP)
    assert harmonic.refine_f0(mag, f0, SR, N_FFT) == (pytest.approx(f0),) * 2
