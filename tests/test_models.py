import numpy as np
import pytest
import tensorflow as tf

from neural_style_audio import models
from neural_style_audio.config import NetworkConfig


def test_conv_over_time_matches_conv1d():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 17)).astype(np.float32)
    kernel = rng.standard_normal((5, 17, 9)).astype(np.float32)
    ours = models.conv_over_time(x, kernel).numpy()
    ref = tf.nn.conv1d(x[None], kernel, stride=1, padding="VALID")[0].numpy()
    assert ours.shape == (36, 9)
    assert np.allclose(ours, ref, atol=1e-4)


def test_weights_follow_ulyanov_std_and_seed():
    k = models.random_kernel(1025, 4096, 11, seed=3)
    expected = np.sqrt(2) * np.sqrt(2.0 / ((1025 + 4096) * 11))
    assert k.shape == (11, 1025, 4096)
    assert abs(k.std() / expected - 1) < 0.01
    assert np.array_equal(k, models.random_kernel(1025, 4096, 11, seed=3))
    assert not np.array_equal(k[0, 0], models.random_kernel(1025, 4096, 11, seed=4)[0, 0])


@pytest.mark.parametrize("n_layers, pooling, activation", [
    (1, "none", "relu"), (2, "none", "tanh"), (1, "max", "relu"), (2, "avg", "relu")])
def test_network_shapes_and_min_frames(n_layers, pooling, activation):
    cfg = NetworkConfig(n_layers=n_layers, n_filters=8, filter_width=3, activation=activation,
                        pooling=pooling)
    net = models.build_network(cfg, 5)
    outs = net(tf.zeros([50, 5]))
    assert len(outs) == n_layers
    t = 50
    for out in outs:
        t = t - 2
        if pooling != "none":
            t //= 2
        assert out.shape == (t, 8)
    m = net.min_frames()
    assert net(tf.zeros([m, 5]))[-1].shape[0] == 1
    assert net(tf.zeros([m - 1, 5]))[-1].shape[0] == 0


def test_activation_is_applied():
    cfg = NetworkConfig(n_filters=16, filter_width=3, activation="relu")
    out = models.build_network(cfg, 4)(tf.random.normal([20, 4]))[0].numpy()
    assert out.min() >= 0 and out.max() > 0
    cfg = NetworkConfig(n_filters=16, filter_width=3, activation="tanh")
    out = models.build_network(cfg, 4)(tf.random.normal([20, 4]) * 100)[0].numpy()
    assert out.min() < 0 and np.abs(out).max() <= 1
