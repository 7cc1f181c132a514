"""log1p mel magnitude (the IITB report's representation).

Inversion to a linear magnitude: librosa's `mel_to_stft` (a non-negative least-squares
fit started from the pseudo-inverse, stopped early). An exact active-set NNLS was used
before: it reproduces the mel spectrum to machine precision but leaves about 88 % of
the bins at zero, so Griffin-Lim from the true mel of a real clip reached spectral
convergence 0.60 against 0.11 with librosa's smoother solution (see
tests/representations/test_representations.py for the round-trip bound).
"""
import functools

import librosa
import numpy as np

from neural_style_audio import spectral
from neural_style_audio.representations import base, register


@functools.lru_cache(maxsize=16)
def mel_basis(sr, n_fft, n_mels, fmin=0.0, fmax=0.0):
    """librosa (Slaney) mel filterbank [n_mels, n_fft // 2 + 1], float32; fmax 0 = sr/2."""
    return librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin,
                               fmax=fmax or None).astype(np.float32)


def mel_to_magnitude(mel, cfg):
    """Mel magnitude [T, n_mels] -> linear magnitude [T, n_fft/2+1] (librosa.mel_to_stft)."""
    mel = np.maximum(np.asarray(mel, np.float32), 0.0)
    mag = librosa.feature.inverse.mel_to_stft(
        mel.T, sr=cfg.sr, n_fft=cfg.n_fft, power=1.0, fmin=cfg.fmin, fmax=cfg.fmax or None)
    return np.ascontiguousarray(mag.T, dtype=np.float32)


class MelBase(base.Representation):
    """Shared by mel and MFCC: the mel filterbank of the config."""

    @property
    def basis(self):
        c = self.cfg
        return mel_basis(c.sr, c.n_fft, c.n_mels, c.fmin, c.fmax)

    def mel_magnitude(self, mag):
        """Linear magnitude [T, F] -> mel magnitude [T, n_mels]."""
        return np.asarray(mag, np.float32) @ self.basis.T


@register
class LogMel(MelBase):
    """x = log1p(mel magnitude), [T, n_mels]."""

    name = "mel"
    lower_bound = 0.0

    @property
    def n_channels(self):
        return self.cfg.n_mels

    def analyse(self, mag):
        return np.log1p(self.mel_magnitude(mag))

    def to_mel(self, x):
        """Features [T, n_mels] -> mel magnitude [T, n_mels] (numpy)."""
        return np.maximum(np.expm1(np.asarray(x, np.float64)), 0.0)

    def synthesise(self, x):
        return mel_to_magnitude(self.to_mel(x), self.cfg)

    def to_energy(self, x):
        return spectral.log1p_to_linear(x)
