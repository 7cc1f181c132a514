"""Mu-law companding: differentiable for losses, quantised for the decoder's targets.

magenta's `utils.mu_law` ends in `tf.floor`, whose gradient is zero: a loss computed
through it cannot move the waveform, one reason published attempts to stylise audio
with NSynth's activations failed. Here `compress` is the smooth companding curve
(used wherever a gradient must flow: style transfer losses, `model.encoder_input`
with `differentiable=True`), and `quantize` / `quantized_input` reproduce magenta's
8-bit values for the decoder's inputs and softmax targets only.

Conventions (as magenta, for `channels` = 256 = 2 * 128):
  bins:   int32 in [0, channels - 1]; bin = floor(128 * compress(x)) + 128.
  scaled: (bin - 128) / 128 in [-1, 1): what the networks see.
"""
import numpy as np
import tensorflow as tf

from neural_style_audio.wavenet.config import QUANTIZATION_CHANNELS


def compress(x, channels=QUANTIZATION_CHANNELS):
    """Differentiable mu-law: sign(x) log(1 + mu |x|) / log(1 + mu), mu = channels - 1.

    Args:
      x: waveform tensor in [-1, 1] (any shape).
    Returns:
      float32 tensor of x's shape in [-1, 1]; its gradient is mu / ((1 + mu|x|) log(1+mu)).
    """
    x = tf.convert_to_tensor(x, tf.float32)
    mu = float(channels - 1)
    return tf.sign(x) * tf.math.log1p(mu * tf.abs(x)) / np.log1p(mu)


def expand(y, channels=QUANTIZATION_CHANNELS):
    """Inverse of `compress` (differentiable): sign(y) ((1 + mu)^|y| - 1) / mu."""
    y = tf.convert_to_tensor(y, tf.float32)
    mu = float(channels - 1)
    return tf.sign(y) * (tf.pow(1.0 + mu, tf.abs(y)) - 1.0) / mu


def quantize(x, channels=QUANTIZATION_CHANNELS):
    """Waveform -> int32 mu-law bins in [0, channels - 1] (no gradient; magenta's mu_law + 128)."""
    half = channels // 2
    y = tf.stop_gradient(compress(x, channels))
    bins = tf.cast(tf.floor(y * half), tf.int32) + half
    return tf.clip_by_value(bins, 0, channels - 1)  # x = 1 exactly would give `channels`.


def bins_to_scaled(bins, channels=QUANTIZATION_CHANNELS):
    """int bins -> the network input (bin - channels/2) / (channels/2), float32."""
    half = channels // 2
    return (tf.cast(bins, tf.float32) - half) / half


def quantized_input(x, channels=QUANTIZATION_CHANNELS):
    """magenta's `x_scaled`: quantised mu-law of a waveform, scaled to [-1, 1) (no gradient)."""
    return bins_to_scaled(quantize(x, channels), channels)


def dequantize(bins, channels=QUANTIZATION_CHANNELS):
    """int bins -> waveform at the bins' centres (magenta's inv_mu_law; bin 128 -> 0)."""
    half = channels // 2
    centred = tf.cast(bins, tf.float32) - half
    y = (centred + 0.5) / half
    return tf.where(tf.equal(centred, 0.0), tf.zeros_like(y), expand(y, channels))
