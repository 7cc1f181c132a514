import numpy as np
import pytest
import tensorflow as tf

from neural_style_audio import networks
from neural_style_audio.networks import random_conv
from neural_style_audio.config import NetworkConfig


def test_conv_over_time_matches_conv1d():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 17)).astype(np.float32)
    kernel = rng.standard_normal((5, 17, 9)).astype(np.float32)
    ours = random_conv.conv_over_time(x, kernel).numpy()
    ref = tf.nn.conv1d(x[None], kernel, stride=1, padding="VALID")[0].numpy()
    assert ours.shape == (36, 9)
    assert np.allclose(ours, ref, atol=1e-4)


def test_weights_follow_ulyanov_std_and_seed():
    k = random_conv.random_kernel(1025, 4096, 11, seed=3)
    expected = np.sqrt(2) * np.sqrt(2.0 / ((1025 + 4096) * 11))
    assert k.shape == (11, 1025, 4096)
    assert abs(k.std() / expected - 1) < 0.01
    assert np.array_equal(k, random_conv.random_kernel(1025, 4096, 11, seed=3))
    assert not np.array_equal(k[0, 0], random_conv.random_kernel(1025, 4096, 11, seed=4)[0, 0])


@pytest.mark.parametrize("n_layers, pooling, activation", [
    (1, "none", "relu"), (2, "none", "tanh"), (1, "max", "relu"), (2, "avg", "relu")])
def test_network_shapes_and_min_frames(n_layers, pooling, activation):
    cfg = NetworkConfig(n_layers=n_layers, n_filters=8, filter_width=3, activation=activation,
                        pooling=pooling)
    net = networks.build_network(cfg, 5)
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
    out = networks.build_network(cfg, 4)(tf.random.normal([20, 4]))[0].numpy()
    assert out.min() >= 0 and out.max() > 0
    cfg = NetworkConfig(n_filters=16, filter_width=3, activation="tanh")
    out = networks.build_network(cfg, 4)(tf.random.normal([20, 4]) * 100)[0].numpy()
    assert out.min() < 0 and np.abs(out).max() <= 1


@pytest.mark.parametrize("kind, reference", [("max", tf.nn.max_pool1d),
                                             ("avg", tf.nn.avg_pool1d)])
def test_pool_over_time_matches_tf_pooling(kind, reference):
    y = tf.random.stateless_normal([23, 6], seed=[1, 2])
    ours = random_conv.pool_over_time(y, 4, kind)
    ref = reference(y[None], 4, 4, "VALID")[0]
    assert ours.shape == (5, 6)
    assert np.allclose(ours.numpy(), ref.numpy(), atol=1e-6)


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("frames", [0, 1, 3])
def test_pool_over_time_too_few_frames_is_empty(kind, frames):
    # Fewer frames than the window: an empty [0, N] result on every CPU code path
    # (TF's oneDNN MaxPool aborts here; see test_cpu_code_paths.py).
    out = random_conv.pool_over_time(tf.ones([frames, 5]), 4, kind)
    assert out.shape == (0, 5)


@pytest.mark.parametrize("pooling", ["max", "avg"])
def test_too_short_input_gives_empty_output_in_every_layer(pooling):
    cfg = NetworkConfig(n_layers=2, n_filters=4, filter_width=3, pooling=pooling, pool_size=3)
    net = networks.build_network(cfg, 5)
    for frames in range(net.min_frames()):
        assert net(tf.zeros([frames, 5]))[-1].shape == (0, 4)


def test_pooling_is_differentiable_in_a_compiled_function():
    layer = random_conv.RandomConv1D(4, 3, pooling="max", pool_size=2, seed=1)
    x = tf.random.stateless_normal([20, 5], seed=[3, 4])

    @tf.function(jit_compile=True)
    def grad(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(layer(x))
        return tape.gradient(loss, x)

    g = grad(x).numpy()
    assert g.shape == (20, 5) and np.all(np.isfinite(g)) and np.abs(g).sum() > 0
