"""Mu-law: the differentiable curve for losses, the quantised one for targets."""
import numpy as np
import tensorflow as tf

from neural_style_audio.wavenet import mulaw


def magenta_mu_law(x, mu=255):
    """magenta utils.mu_law in numpy (floor(128 * companded))."""
    return np.floor(np.sign(x) * np.log1p(mu * np.abs(x)) / np.log1p(mu) * 128)


def test_quantize_matches_magenta_and_round_trips():
    x = np.linspace(-0.999, 0.999, 2001).astype(np.float32)
    bins = mulaw.quantize(x).numpy()
    np.testing.assert_array_equal(bins, magenta_mu_law(x).astype(int) + 128)
    assert bins.min() >= 0 and bins.max() <= 255
    assert int(mulaw.quantize(tf.constant([1.0]))[0]) == 255  # magenta would give 256.
    back = mulaw.dequantize(bins).numpy()
    # Re-quantising the bin centres gives the same bins.
    np.testing.assert_array_equal(mulaw.quantize(back).numpy(), bins)
    assert np.max(np.abs(back - x)) < 0.04


def test_compress_expand_inverse():
    x = tf.constant(np.linspace(-1, 1, 101), tf.float32)
    np.testing.assert_allclose(mulaw.expand(mulaw.compress(x)).numpy(), x.numpy(), atol=1e-5)


def test_gradient_flows_through_compress_only():
    x = tf.Variable(np.array([-0.5, -0.01, 0.02, 0.3], np.float32))
    with tf.GradientTape(persistent=True) as tape:
        smooth = tf.reduce_sum(mulaw.compress(x))
        quantised = tf.reduce_sum(mulaw.quantized_input(x))
    grad = tape.gradient(smooth, x).numpy()
    mu = 255.0
    expected = mu / ((1 + mu * np.abs(x.numpy())) * np.log1p(mu))
    np.testing.assert_allclose(grad, expected, rtol=1e-5)
    q_grad = tape.gradient(quantised, x)
    assert q_grad is None or not np.any(q_grad.numpy())
