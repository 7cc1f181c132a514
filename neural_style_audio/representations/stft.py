"""log1p |STFT| (Ulyanov & Lebedev's representation); exactly invertible."""
import numpy as np

from neural_style_audio import spectral
from neural_style_audio.representations import base, register


@register
class LogMagnitudeSTFT(base.Representation):
    """x = log1p(|S|), [T, n_fft/2+1]; synthesise = expm1 (exact)."""

    name = "stft"
    lower_bound = 0.0  # log1p of a magnitude is >= 0.

    @property
    def n_channels(self):
        return self.cfg.n_fft // 2 + 1

    def analyse(self, mag):
        return np.log1p(np.asarray(mag, np.float32))

    def synthesise(self, x):
        return np.maximum(np.expm1(np.asarray(x, np.float32)), 0.0)

    def to_energy(self, x):
        return spectral.log1p_to_linear(x)
