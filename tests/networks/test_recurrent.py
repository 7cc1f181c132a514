"""The recurrent style networks (`--network rnn`, `--network bilstm`) and their presets."""
import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from conftest import harmonic_tone
from neural_style_audio import networks
from neural_style_audio.config import ConfigError, NetworkConfig, resolve_config
from neural_style_audio.methods.optimisation import transfer
from neural_style_audio.networks import recurrent

TINY = dict(rnn_units=6, rnn_dense_units=32, rnn_window_frames=8)


def _features(frames, bins=17, seed=0):
    return tf.constant(np.random.default_rng(seed).uniform(0, 2, (frames, bins)), tf.float32)


def _net(name, axis, **overrides):
    cfg = NetworkConfig(network=name, rnn_axis=axis, **dict(TINY, **overrides))
    return networks.build_network(cfg, in_channels=17, seed=0, scale=2.0)


def test_registered_with_presets():
    assert {"rnn", "bilstm"} <= set(networks.names())
    rnn = resolve_config("gupta_rnn")
    assert (rnn.network.network, rnn.network.rnn_axis, rnn.network.rnn_units,
            rnn.network.rnn_dense_units, rnn.network.rnn_window_frames) == \
        ("rnn", "frequency", 100, 4096, 430)
    assert (rnn.optimizer.optimizer, rnn.optimizer.learning_rate,
            rnn.optimizer.iterations) == ("adam", 0.005, 10000)
    bilstm = resolve_config("gupta_bilstm")
    assert bilstm.network.network == "bilstm"
    assert (bilstm.optimizer.learning_rate, bilstm.optimizer.iterations) == (5e-5, 10000)
    # Published style weight 2500 vs the baseline's 500: 5x less content per unit style.
    assert bilstm.loss.content_weight < rnn.loss.content_weight
    assert recurrent.published_window_frames() == 431  # The paper rounds to 430.


@pytest.mark.parametrize("name,width", [("rnn", 6), ("bilstm", 12)])
def test_frequency_axis_shapes_and_windows(name, width):
    net = _net(name, "frequency")
    assert net.recurrent.compute_output_shape((1, 17, 8))[-1] == width
    # 20 frames, windows of 8 start at 0, 8 and 12 (the last one ends at frame 20).
    assert recurrent.window_starts(20, 8) == [0, 8, 12]
    assert recurrent.window_starts(16, 8) == [0, 8]
    assert recurrent.window_starts(5, 8) == [0]
    content, style = net.content_and_style(_features(20))
    assert tuple(content.shape) == (3 * 17, 32) and len(style) == 1
    np.testing.assert_array_equal(style[0].numpy(), content.numpy())
    # A clip shorter than a window is zero-padded to one window.
    assert tuple(net(_features(5)).shape) == (17, 32)
    # The sequences run over the bins: step j of window w holds bin j's 8 frames / scale.
    x = _features(20)
    seq = net.sequences(x).numpy()
    np.testing.assert_allclose(seq[2, 3], x.numpy()[12:20, 3] / 2.0, rtol=1e-6)


def test_time_axis_shapes_any_length():
    for name in ("rnn", "bilstm"):
        net = _net(name, "time")
        for frames in (1, 7, 33):
            content, _ = net.content_and_style(_features(frames))
            assert tuple(content.shape) == (frames, 32)


def test_rnn_is_an_elman_recurrence_over_the_bins():
    net = _net("rnn", "frequency", activation="tanh")
    x = _features(8, seed=2)
    kernel, recurrent_kernel, bias = net.recurrent.get_weights()
    dense_kernel, dense_bias = net.dense.get_weights()
    h = np.zeros(6)
    rows = []
    for j in range(17):  # The recurrence runs over frequency bins.
        h = np.tanh(x.numpy()[:, j] / 2.0 @ kernel + h @ recurrent_kernel + bias)
        rows.append(np.tanh(h @ dense_kernel + dense_bias))
    np.testing.assert_allclose(net(x).numpy(), np.array(rows), atol=1e-5)


def test_weights_are_seeded_and_fixed():
    a, b = _net("bilstm", "time"), _net("bilstm", "time")
    x = _features(6)
    np.testing.assert_array_equal(a(x).numpy(), b(x).numpy())
    assert not a.trainable_weights
    cfg = NetworkConfig(network="bilstm", rnn_axis="time", **TINY)
    c = networks.build_network(cfg, 17, seed=1, scale=2.0)
    assert not np.allclose(c(x).numpy(), a(x).numpy())


def test_gradient_reaches_every_input_frame():
    net = _net("bilstm", "frequency")
    x = tf.Variable(_features(12))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.square(net(x)))
    grad = tape.gradient(loss, x).numpy()
    assert np.all(np.abs(grad).sum(axis=1) > 0)


def test_bad_settings_are_one_line_errors():
    with pytest.raises(ConfigError, match="--rnn_window_frames must be >= 1"):
        resolve_config("gupta_rnn", rnn_window_frames=0)
    with pytest.raises(ConfigError, match="--rnn_axis must be one of"):
        resolve_config("gupta_bilstm", rnn_axis="diagonal")


@pytest.mark.parametrize("preset,axis", [("gupta_rnn", "frequency"), ("gupta_bilstm", "time")])
def test_transfer_end_to_end_reduces_the_loss(preset, axis):
    content = harmonic_tone(220, 1.0, sr=8000)
    style = harmonic_tone(330, 1.5, sr=8000, n_harmonics=3, decay=1.5, seed=1)
    config = resolve_config(preset, sr=8000, n_fft=256, hop_length=128, rnn_axis=axis,
                            iterations=6, learning_rate=0.05, progress=False, **TINY)
    result = transfer(content, style, config, sr=8000)
    assert result.audio.shape == (8000,) and np.all(np.isfinite(result.audio))
    history = result.record["loss_history"]
    assert history[-1] < history[0]
    assert result.record["config"]["network"]["network"] == preset.split("_")[1]
