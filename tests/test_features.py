import librosa
import numpy as np
import pytest
import scipy.fft

from neural_style_audio import features
from neural_style_audio.config import FeatureConfig
from conftest import SR, harmonic_tone


def test_stft_matches_librosa():
    y = harmonic_tone(220, 1.0)
    ours = features.magnitude(y, 2048, 512)
    ref = np.abs(librosa.stft(y, n_fft=2048, hop_length=512, pad_mode="constant")).T
    assert ours.shape == ref.shape == (1 + len(y) // 512, 1025)
    assert np.max(np.abs(ours - ref)) < 1e-3 * ref.max()


def test_istft_inverts_stft():
    y = harmonic_tone(220, 1.0)
    back = features.istft(features.stft(y, 1024, 256), 1024, 256, len(y)).numpy()
    assert np.max(np.abs(back - y)) < 1e-5


def test_stft_features_round_trip_exact():
    cfg = FeatureConfig(feature="stft")
    mag = features.magnitude(harmonic_tone(220, 1.0))
    back = features.features_to_magnitude(features.magnitude_to_features(mag, cfg), cfg)
    assert np.allclose(back, mag, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("kind, tolerance", [("mel", 1e-4), ("mfcc", 1e-4)])
def test_mel_and_mfcc_round_trip_in_mel_domain(kind, tolerance):
    """Mel/MFCC -> linear (NNLS) -> mel again reproduces the mel spectrum closely.

    The linear magnitude cannot be recovered exactly (the mel map is many-to-one), so
    the round trip is judged where it is defined: in the mel domain, relative
    Frobenius error below `tolerance` (mfcc: 40 of 128 coefficients, so the target is
    the cepstrally smoothed mel spectrum, which is still a feasible mel spectrum).
    """
    cfg = FeatureConfig(feature=kind)
    mag = features.magnitude(harmonic_tone(220, 1.0))
    feats = features.magnitude_to_features(mag, cfg)
    assert feats.shape == (mag.shape[0], cfg.n_channels)
    back = features.features_to_magnitude(feats, cfg)
    basis = features.mel_basis(cfg.sr, cfg.n_fft, cfg.n_mels)
    target = features.features_to_mel(feats, cfg)
    rebuilt = back @ basis.T
    err = np.linalg.norm(rebuilt - target) / np.linalg.norm(target)
    assert err < tolerance


def test_mfcc_matches_definition():
    cfg = FeatureConfig(feature="mfcc", n_mfcc=13)
    mag = features.magnitude(harmonic_tone(220, 0.5))
    mel = mag @ features.mel_basis(SR, 2048, 128).T
    expected = scipy.fft.dct(np.log(mel + features.MFCC_LOG_FLOOR), norm="ortho", axis=-1)[:, :13]
    assert np.allclose(features.magnitude_to_features(mag, cfg), expected, atol=1e-4)


@pytest.mark.parametrize("kind", ["stft", "mel", "mfcc"])
def test_energy_domain_is_nonnegative_and_matches_inverse(kind):
    cfg = FeatureConfig(feature=kind)
    mag = features.magnitude(harmonic_tone(220, 0.5))
    feats = features.magnitude_to_features(mag, cfg)
    energy = features.features_to_energy_domain(feats, cfg).numpy()
    assert np.all(energy >= 0)
    expected = mag if kind == "stft" else features.features_to_mel(feats, cfg)
    assert np.allclose(energy, expected, rtol=1e-3, atol=1e-3)
