"""Spectral operations: STFT, its inverse, magnitudes and display in dB.

The representations built on them (log1p STFT, mel, MFCC) are in `representations/`.

Arrays are time-major: a spectrogram is [n_frames, n_bins], which is the layout the
convolution over time (frequency bins as channels) wants. The STFT follows librosa's
conventions (centred frames, zero padding, periodic Hann window) but is computed with
tf.signal so that Griffin-Lim uses exactly the same transform.
"""
import functools

import librosa
import numpy as np
import tensorflow as tf

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


# Largest log1p magnitude passed to expm1 inside the losses (e^15 ~ 3e6, far above any
# real STFT magnitude); a wild line-search step must not overflow float32 to inf/NaN.
MAX_LOG_MAGNITUDE = 15.0


def log1p_to_linear(x):
    """Differentiable expm1 of log1p features, clipped to [0, MAX_LOG_MAGNITUDE] first."""
    return tf.math.expm1(tf.clip_by_value(x, 0.0, MAX_LOG_MAGNITUDE))


def spectrogram_db(mag):
    """Log-power display of a magnitude, dB re the maximum, floored at -80 dB."""
    return librosa.amplitude_to_db(np.asarray(mag).T, ref=np.max, top_db=80.0)
