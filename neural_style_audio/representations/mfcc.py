"""MFCCs: orthonormal DCT-II of log(mel magnitude + floor), first n_mfcc coefficients."""
import numpy as np
import scipy.fft

from neural_style_audio.representations import register
from neural_style_audio.representations.mel import MelBase, mel_to_magnitude

# Floor inside the MFCC log (mel magnitude units); keeps log finite on silence.
MFCC_LOG_FLOOR = 1e-5


@register
class MFCC(MelBase):
    """x = DCT(log(mel + floor))[:, :n_mfcc]; the inverse takes the dropped
    coefficients as 0 (the cepstrally smoothed mel envelope)."""

    name = "mfcc"
    lower_bound = None

    @property
    def n_channels(self):
        return self.cfg.n_mfcc

    def analyse(self, mag):
        log_mel = np.log(self.mel_magnitude(mag) + MFCC_LOG_FLOOR)
        coeffs = scipy.fft.dct(log_mel, type=2, norm="ortho", axis=-1)
        return coeffs[:, :self.cfg.n_mfcc].astype(np.float32)

    def to_mel(self, x):
        """Features [T, n_mfcc] -> smoothed mel magnitude [T, n_mels] (numpy)."""
        x = np.asarray(x, np.float64)
        padded = np.zeros((x.shape[0], self.cfg.n_mels))
        padded[:, :self.cfg.n_mfcc] = x
        log_mel = scipy.fft.idct(padded, type=2, norm="ortho", axis=-1)
        return np.maximum(np.exp(log_mel) - MFCC_LOG_FLOOR, 0.0)

    def synthesise(self, x):
        return mel_to_magnitude(self.to_mel(x), self.cfg)

    def to_energy(self, x):
        import tensorflow as tf
        from neural_style_audio import spectral
        pad = self.cfg.n_mels - self.cfg.n_mfcc
        log_mel = tf.signal.idct(tf.pad(x, [[0, 0], [0, pad]]), type=2, norm="ortho")
        return tf.exp(tf.minimum(log_mel, spectral.MAX_LOG_MAGNITUDE))
