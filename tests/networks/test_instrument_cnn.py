"""The instrument CNN (`--network instrument_cnn`): shapes, layers, weights files."""
import json

import numpy as np
import pytest
import tensorflow as tf
from scipy import signal

from neural_style_audio.config import ConfigError, NetworkConfig, resolve_config
from neural_style_audio.networks import build_network, instrument_cnn, required_frames

needs_shipped = pytest.mark.skipif(not instrument_cnn.SHIPPED_WEIGHTS.is_file(),
                                   reason="instrument_cnn weights not trained yet")
RANDOM = NetworkConfig(network="instrument_cnn", instrument_cnn_weights="random",
                       instrument_cnn_style_layers="conv1,conv2,conv3,conv4,conv5,conv6",
                       instrument_cnn_content_layer="conv4")


def _features(frames, bins=instrument_cnn.N_BINS, seed=0):
    return tf.constant(np.random.default_rng(seed).uniform(0, 4, (frames, bins)), tf.float32)


def test_layers_and_shapes():
    net = build_network(RANDOM, instrument_cnn.N_BINS)
    content, style = net.content_and_style(_features(64))
    widths = instrument_cnn.DEFAULT_WIDTHS
    # conv_i sees the input after i-1 2x2 pools: 64 x 257 -> 32 x 128 -> ... -> 2 x 8.
    rows = [64 * 257, 32 * 128, 16 * 64, 8 * 32, 4 * 16, 2 * 8]
    assert [tuple(s.shape) for s in style] == list(zip(rows, widths))
    assert tuple(content.shape) == (8 * 32, widths[3])
    assert required_frames(RANDOM) == instrument_cnn.MIN_SIZE == 32
    logits = net.classifier(_features(64)[None])
    assert tuple(logits.shape) == (1, 2)


def test_first_layer_is_a_3x3_convolution_with_relu():
    net = build_network(RANDOM, instrument_cnn.N_BINS, seed=3)
    x = _features(40, 48, seed=1)
    conv1 = net.classifier.activations(x[None])[0][0].numpy()
    kernel, bias = net.classifier.convs[0].get_weights()
    image = x.numpy() / instrument_cnn.INPUT_SCALE
    for k in (0, 7):
        # SAME 3x3 cross-correlation (Keras' Conv2D), then ReLU.
        direct = signal.correlate2d(image, kernel[:, :, 0, k], mode="same") + bias[k]
        np.testing.assert_allclose(conv1[..., k], np.maximum(direct, 0), atol=1e-4)


def test_max_pool_matches_tf_and_never_aborts():
    y = tf.random.uniform([2, 9, 7, 3])
    expected = tf.nn.max_pool2d(y, 2, 2, "VALID")
    np.testing.assert_array_equal(instrument_cnn.max_pool_2x2(y).numpy(), expected.numpy())
    # Smaller than the window: an empty result, where oneDNN's MaxPool would abort.
    assert tuple(instrument_cnn.max_pool_2x2(tf.ones([1, 1, 5, 3])).shape) == (1, 0, 2, 3)


def test_refuses_input_smaller_than_its_pools():
    net = build_network(RANDOM, instrument_cnn.N_BINS)
    with pytest.raises(ValueError, match="at least 32 frames"):
        net.content_and_style(_features(31))
    with pytest.raises(ValueError, match="at least 32 frames"):
        net.content_and_style(_features(64, bins=20))


def test_random_weights_are_seeded():
    a = build_network(RANDOM, instrument_cnn.N_BINS, seed=1).classifier.convs[2].get_weights()[0]
    b = build_network(RANDOM, instrument_cnn.N_BINS, seed=1).classifier.convs[2].get_weights()[0]
    c = build_network(RANDOM, instrument_cnn.N_BINS, seed=2).classifier.convs[2].get_weights()[0]
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_style_and_content_layer_choice():
    cfg = NetworkConfig(network="instrument_cnn", instrument_cnn_weights="random",
                        instrument_cnn_style_layers="conv2,conv5",
                        instrument_cnn_content_layer="conv6")
    content, style = build_network(cfg, instrument_cnn.N_BINS).content_and_style(_features(64))
    assert [s.shape[-1] for s in style] == [32, 128]
    assert tuple(content.shape) == (2 * 8, 128)
    with pytest.raises(ConfigError, match="conv9"):
        resolve_config("verma_smith", instrument_cnn_weights="random",
                       instrument_cnn_style_layers="conv1,conv9")
    with pytest.raises(ConfigError, match="one layer"):
        resolve_config("verma_smith", instrument_cnn_weights="random",
                       instrument_cnn_content_layer="conv1,conv2")


def test_weights_file_round_trip(tmp_path):
    model = instrument_cnn.InstrumentCNN((4, 4, 8, 8, 8, 8), num_classes=3).build_for()
    path = tmp_path / "mine.weights.h5"
    instrument_cnn.save_classifier(model, path, {"classes": ["a", "b", "c"]})
    assert json.loads((tmp_path / "mine.json").read_text())["widths"] == [4, 4, 8, 8, 8, 8]
    loaded = instrument_cnn.load_classifier(str(path))
    x = _features(32)[None]
    np.testing.assert_allclose(loaded(x).numpy(), model(x).numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(instrument_cnn.InstrumentCNNWeightsError, match="does not match"):
        instrument_cnn.load_classifier(str(path), widths=instrument_cnn.DEFAULT_WIDTHS)


def test_missing_weights_file_is_a_one_line_error(tmp_path):
    missing = str(tmp_path / "nope.weights.h5")
    with pytest.raises(instrument_cnn.InstrumentCNNWeightsError, match="not found") as err:
        instrument_cnn.load_classifier(missing)
    assert "\n" not in str(err.value)
    # The settings check names it before any audio is loaded.
    with pytest.raises(ConfigError, match="nope.weights.h5: instrument_cnn weights file not found"):
        resolve_config("verma_smith", instrument_cnn_weights=missing)


def test_unusable_weights_file_is_a_one_line_error(tmp_path):
    path = tmp_path / "bad.weights.h5"
    path.write_bytes(b"not hdf5")
    (tmp_path / "bad.json").write_text(json.dumps(
        {"classes": ["a", "b"], "widths": list(instrument_cnn.DEFAULT_WIDTHS)}))
    with pytest.raises(instrument_cnn.InstrumentCNNWeightsError, match="not usable") as err:
        instrument_cnn.load_classifier(str(path))
    assert "\n" not in str(err.value)


def test_trained_weights_need_their_analysis_settings(tmp_path):
    model = instrument_cnn.InstrumentCNN(num_classes=2).build_for()
    path, _ = instrument_cnn.save_classifier(model, tmp_path / "w.weights.h5",
                                             {"classes": ["a", "b"]})
    resolve_config("verma_smith", instrument_cnn_weights=str(path))
    with pytest.raises(ConfigError, match="--sr 16000"):
        resolve_config("verma_smith", instrument_cnn_weights=str(path), sr=22050)
    with pytest.raises(ConfigError, match="--n_fft 512"):
        resolve_config("verma_smith", instrument_cnn_weights=str(path), n_fft=1024)
    with pytest.raises(ConfigError, match="does not match"):
        resolve_config("verma_smith", instrument_cnn_weights=str(path),
                       instrument_cnn_widths="8,8,8,8,8,8")
    # Random weights are not tied to an analysis (any input of >= 32 channels).
    resolve_config("verma_smith", instrument_cnn_weights="random", sr=22050, n_fft=1024)


@needs_shipped
def test_shipped_weights_load_and_are_small():
    metadata = instrument_cnn.read_metadata("shipped")
    assert instrument_cnn.SHIPPED_WEIGHTS.stat().st_size <= 10e6
    model = instrument_cnn.load_classifier("shipped")
    assert model.widths == tuple(metadata["widths"])
    assert model.num_classes == len(metadata["classes"]) >= 10
    results = metadata["results"]
    assert results["test_accuracy"]["all"] > 4 * results["chance_accuracy"]
    # Trained weights differ from the random ones of the same architecture.
    random = instrument_cnn.load_classifier("random", widths=model.widths)
    assert not np.allclose(model.convs[0].get_weights()[0], random.convs[0].get_weights()[0])
    net = build_network(resolve_config("verma_smith").network, instrument_cnn.N_BINS)
    content, style = net.content_and_style(_features(instrument_cnn.SEGMENT_FRAMES))
    assert np.all(np.isfinite(content.numpy())) and len(style) == 5
