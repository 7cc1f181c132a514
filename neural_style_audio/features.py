"""Spectral features (STFT, mel, MFCC) and their inverses back to linear magnitude.

Arrays are time-major: a spectrogram is [n_frames, n_bins], which is the layout the
convolution over time (frequency bins as channels) wants. The STFT follows librosa's
conventions (centred frames, zero padding, periodic Hann window) but is computed with
tf.signal so that Griffin-Lim uses exactly the same transform.
"""
import functools

import librosa
import numpy as np
import scipy.fft
import scipy.optimize
import tensorflow as tf

# Floor inside the MFCC log (mel magnitude units); keeps log finite on silence.
MFCC_LOG_FLOOR = 1e-5


_WINDOW_FN = functools.partial(tf.signal.hann_window, periodic=True)


def stft(y, n_fft=2048, hop_length=512):
    """Centred complex STFT, librosa-compatible (zero padding n_fft//2 each side).

    Args:
      y: [n_samples] waveform (numpy or tensor).
      n_fft: FFT size (= window length).
      hop_length: hop in samples.

    Returns:
      [1 + n_samples // hop_length, n_fft // 2 + 1] complex64 tensor.
    """
    y = tf.convert_to_tensor(y, tf.float32)
    y = tf.pad(y, [[n_fft // 2, n_fft // 2]])
    return tf.signal.stft(y, n_fft, hop_length, fft_length=n_fft,
                          window_fn=_WINDOW_FN, pad_end=False)


def istft(spec, n_fft=2048, hop_length=512, length=None):
    """Inverse of `stft`: windowed overlap-add divided by the summed squared window.

    Dividing by the actual window envelope (as librosa does) makes the inverse exact
    at the edges too, where fewer frames overlap.

    Args:
      spec: [n_frames, n_fft // 2 + 1] complex tensor.
      n_fft: FFT size.
      hop_length: hop in samples.
      length: number of output samples; default (n_frames - 1) * hop_length.

    Returns:
      [length] float32 waveform tensor.
    """
    spec = tf.convert_to_tensor(spec, tf.complex64)
    n_frames = spec.shape[0]
    window = tf.signal.hann_window(n_fft, periodic=True)
    frames = tf.signal.irfft(spec, fft_length=[n_fft]) * window
    y = tf.signal.overlap_and_add(frames, hop_length)
    envelope = tf.signal.overlap_and_add(
        tf.tile(tf.square(window)[None], [n_frames, 1]), hop_length)
    y = y / tf.maximum(envelope, 1e-8)
    if length is None:
        length = (n_frames - 1) * hop_length
    y = y[n_fft // 2: n_fft // 2 + length]
    # The last frames may not reach `length` samples: pad with zeros.
    return tf.pad(y, [[0, length - tf.shape(y)[0]]])


def magnitude(y, n_fft=2048, hop_length=512):
    """|STFT| as a float32 numpy array [n_frames, n_fft // 2 + 1]."""
    return tf.abs(stft(y, n_fft, hop_length)).numpy()


@functools.lru_cache(maxsize=16)
def mel_basis(sr, n_fft, n_mels, fmin=0.0, fmax=0.0):
    """librosa (Slaney) mel filterbank [n_mels, n_fft // 2 + 1], float32."""
    return librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin,
                               fmax=fmax or None).astype(np.float32)


def magnitude_to_features(mag, cfg):
    """Maps a linear magnitude [T, n_fft/2+1] to the features of `cfg` [T, C].

    stft: log1p(|S|) (Ulyanov); mel: log1p(mel magnitude); mfcc: orthonormal DCT-II of
    log(mel magnitude + floor), first n_mfcc coefficients.
    """
    mag = np.asarray(mag, dtype=np.float32)
    if cfg.feature == "stft":
        return np.log1p(mag)
    mel = mag @ mel_basis(cfg.sr, cfg.n_fft, cfg.n_mels, cfg.fmin, cfg.fmax).T
    if cfg.feature == "mel":
        return np.log1p(mel)
    log_mel = np.log(mel + MFCC_LOG_FLOOR)
    return scipy.fft.dct(log_mel, type=2, norm="ortho", axis=-1)[:, :cfg.n_mfcc].astype(np.float32)


def features_to_mel(feats, cfg):
    """Inverts stft-free features to a mel magnitude [T, n_mels] (mel and mfcc only)."""
    feats = np.asarray(feats, dtype=np.float64)
    if cfg.feature == "mel":
        return np.maximum(np.expm1(feats), 0.0)
    padded = np.zeros((feats.shape[0], cfg.n_mels))
    padded[:, :cfg.n_mfcc] = feats
    log_mel = scipy.fft.idct(padded, type=2, norm="ortho", axis=-1)
    return np.maximum(np.exp(log_mel) - MFCC_LOG_FLOOR, 0.0)


def features_to_magnitude(feats, cfg):
    """Inverse of `magnitude_to_features`: linear magnitude [T, n_fft/2+1], float32.

    stft is exact (expm1). mel is inverted by non-negative least squares against the
    mel filterbank (`mel_to_linear`); mfcc first undoes the DCT
    (the dropped high coefficients are taken as 0, i.e. a smoothed mel envelope).
    """
    if cfg.feature == "stft":
        return np.maximum(np.expm1(np.asarray(feats, dtype=np.float32)), 0.0)
    mel = features_to_mel(feats, cfg)
    return mel_to_linear(mel, mel_basis(cfg.sr, cfg.n_fft, cfg.n_mels, cfg.fmin, cfg.fmax))


def mel_to_linear(mel, basis):
    """Non-negative least-squares inverse of the mel map, frame by frame.

    scipy's active-set NNLS solves each frame exactly (a mel spectrum computed from a
    real magnitude is reproduced to machine precision); librosa's L-BFGS-B based
    `mel_to_stft` stopped at about 10 % relative mel error on harmonic tones here.

    Args:
      mel: [T, n_mels] non-negative mel magnitude.
      basis: [n_mels, n_bins] mel filterbank.

    Returns:
      [T, n_bins] float32 linear magnitude.
    """
    basis = np.asarray(basis, np.float64)
    out = np.zeros((mel.shape[0], basis.shape[1]), np.float32)
    for t, frame in enumerate(np.asarray(mel, np.float64)):
        if np.any(frame > 0):
            out[t] = scipy.optimize.nnls(basis, frame)[0]
    return out


# Largest log1p magnitude passed to expm1 inside the losses (e^15 ~ 3e6, far above any
# real STFT magnitude); a wild line-search step must not overflow float32 to inf/NaN.
MAX_LOG_MAGNITUDE = 15.0


def log1p_to_linear(x):
    """Differentiable expm1 of log1p features, clipped to [0, MAX_LOG_MAGNITUDE] first."""
    return tf.math.expm1(tf.clip_by_value(x, 0.0, MAX_LOG_MAGNITUDE))


def features_to_energy_domain(x, cfg):
    """Differentiable map from features [T, C] to a non-negative spectrum [T, C'].

    Used by the envelope losses: stft -> linear magnitude, mel -> mel magnitude,
    mfcc -> mel magnitude of the cepstrally smoothed envelope.
    """
    if cfg.feature in ("stft", "mel"):
        return log1p_to_linear(x)
    pad = cfg.n_mels - cfg.n_mfcc
    log_mel = tf.signal.idct(tf.pad(x, [[0, 0], [0, pad]]), type=2, norm="ortho")
    return tf.exp(tf.minimum(log_mel, MAX_LOG_MAGNITUDE))


def spectrogram_db(mag):
    """Log-power display of a magnitude, dB re the maximum, floored at -80 dB."""
    return librosa.amplitude_to_db(np.asarray(mag).T, ref=np.max, top_db=80.0)
