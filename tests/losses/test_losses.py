import numpy as np
import pytest
import tensorflow as tf

from neural_style_audio import losses, networks
from neural_style_audio.networks import random_conv
from neural_style_audio.config import FeatureConfig, LossConfig, NetworkConfig


def _np_style(f, s):
    g = f.T @ f / len(f)
    gs = s.T @ s / len(s)
    return np.sum((g - gs) ** 2)


def test_gram_matrix_against_numpy():
    f = np.random.default_rng(0).standard_normal((30, 7)).astype(np.float32)
    assert np.allclose(losses.gram_matrix(f).numpy(), f.T @ f / 30, atol=1e-5)


@pytest.mark.parametrize("t, t_s, n", [(20, 30, 256), (200, 300, 64), (40, 10, 64)])
def test_style_loss_both_formulas_against_numpy(t, t_s, n):
    """T + T_s < N uses the frame-product expansion, otherwise the direct Gram."""
    rng = np.random.default_rng(1)
    f = np.abs(rng.standard_normal((t, n))).astype(np.float32)
    s = np.abs(rng.standard_normal((t_s, n)) * 1.5).astype(np.float32)
    ours = float(losses.style_loss(tf.constant(f), tf.constant(s)))
    ref = _np_style(f.astype(np.float64), s.astype(np.float64))
    assert ours == pytest.approx(ref, rel=1e-4)


def test_style_loss_gradient_matches_closed_form():
    """d/dF ||F^T F/T - G_s||^2 = 4/T F (F^T F/T - G_s), for the expanded formula too."""
    rng = np.random.default_rng(2)
    f = rng.standard_normal((10, 64)).astype(np.float32)
    s = rng.standard_normal((12, 64)).astype(np.float32)
    x = tf.constant(f)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = losses.style_loss(x, tf.constant(s))
    grad = tape.gradient(loss, x).numpy()
    f64, s64 = f.astype(np.float64), s.astype(np.float64)
    expected = 4 / 10 * f64 @ (f64.T @ f64 / 10 - s64.T @ s64 / 12)
    assert np.allclose(grad, expected, rtol=1e-3, atol=1e-3 * np.abs(expected).max())


def test_content_loss_is_sum_of_squares():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert float(losses.content_loss(a, a + 2)) == pytest.approx(24.0)


def test_objective_terms_weights_and_finite_difference_gradient():
    fcfg = FeatureConfig(feature="stft", n_fft=64, hop_length=16)
    net = networks.build_network(NetworkConfig(n_filters=32, filter_width=3), 33)
    rng = np.random.default_rng(3)
    content = np.abs(rng.standard_normal((20, 33))).astype(np.float32)
    style = np.abs(rng.standard_normal((25, 33))).astype(np.float32)
    lcfg = LossConfig(content_weight=0.5, style_weight=2.0, energy_weight=0.1,
                      freq_envelope_weight=0.3)
    obj = losses.TransferObjective(net, content, style, lcfg, fcfg)
    terms = obj(tf.constant(content))
    assert float(terms["content"]) == 0.0 and float(terms["energy"]) == pytest.approx(0, abs=1e-6)
    assert set(terms) == {"content", "style", "energy", "freq_envelope", "total"}
    x0 = content + 0.3 * np.abs(rng.standard_normal(content.shape)).astype(np.float32)
    x = tf.constant(x0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = obj(x)["total"]
    grad = tape.gradient(total, x).numpy()
    # Central finite difference along a random direction.
    d = rng.standard_normal(content.shape).astype(np.float32)
    d /= np.linalg.norm(d)
    eps = 1e-2
    fd = (float(obj(tf.constant(x0 + eps * d))["total"]) -
          float(obj(tf.constant(x0 - eps * d))["total"])) / (2 * eps)
    assert np.sum(grad * d) == pytest.approx(fd, rel=2e-2)
