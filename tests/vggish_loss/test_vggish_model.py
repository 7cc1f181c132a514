"""Tests of the Keras VGGish: layer names, shapes, activations, widths."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from vggish_loss import model as vggish_model  # noqa: E402
from vggish_loss import params  # noqa: E402

# Activation shapes of the official VGGish for a batch of 2 (vggish_slim.py:
# 3x3 SAME convs, 2x2/2 SAME pools, 96x64 input).
OFFICIAL_SHAPES = {
    "conv1": (2, 96, 64, 64), "pool1": (2, 48, 32, 64),
    "conv2": (2, 48, 32, 128), "pool2": (2, 24, 16, 128),
    "conv3/conv3_1": (2, 24, 16, 256), "conv3/conv3_2": (2, 24, 16, 256),
    "pool3": (2, 12, 8, 256),
    "conv4/conv4_1": (2, 12, 8, 512), "conv4/conv4_2": (2, 12, 8, 512),
    "pool4": (2, 6, 4, 512), "flatten": (2, 12288),
    "fc1/fc1_1": (2, 4096), "fc1/fc1_2": (2, 4096), "fc2": (2, 128),
}
# 640 + 73,856 + 295,168 + 590,080 + 1,180,160 + 2,359,808 (convs)
# + 50,335,744 + 16,781,312 + 524,416 (dense), counted by hand.
OFFICIAL_PARAMETER_COUNT = 72_141_184


@pytest.fixture(scope="module")
def full_model():
    return vggish_model.build_vggish()


def _examples(batch=2, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(-2.0, 2.0, (batch, 96, 64, 1)).astype(np.float32)


def test_official_architecture_layer_names_and_shapes(full_model):
    assert full_model.input_shape == (None, 96, 64, 1)
    assert full_model.output_shape == (None, params.EMBEDDING_SIZE)
    assert full_model.count_params() == OFFICIAL_PARAMETER_COUNT
    activations = vggish_model.activation_model(full_model)(_examples())
    assert list(activations) == list(params.LAYER_NAMES)
    assert {k: tuple(v.shape) for k, v in activations.items()} == OFFICIAL_SHAPES


def test_keras_layer_names_follow_reference_scopes(full_model):
    names = [layer.name for layer in full_model.layers[1:]]
    assert names == [n.split("/")[-1] for n in params.LAYER_NAMES]


def test_relu_everywhere_but_the_embedding(full_model):
    activations = vggish_model.activation_model(full_model)(_examples())
    for name in params.LAYER_NAMES[:-1]:
        assert float(tf.reduce_min(activations[name])) >= 0.0, name
    # fc2 is pre-activation (vggish_slim: activation_fn=None): it goes negative.
    assert float(tf.reduce_min(activations["fc2"])) < 0.0
    assert full_model.get_layer("fc2").activation.__name__ == "linear"


def test_activations_match_direct_computation():
    model = vggish_model.build_vggish(width_multiplier=0.125)
    x = _examples(3)
    activations = vggish_model.activation_model(
        model, ["conv1", "pool1", "fc2"])(x)
    kernel, bias = model.get_layer("conv1").get_weights()
    conv1 = tf.nn.relu(tf.nn.conv2d(x, kernel, 1, "SAME") + bias)
    np.testing.assert_allclose(activations["conv1"], conv1, atol=1e-5)
    np.testing.assert_allclose(activations["pool1"],
                               tf.nn.max_pool2d(conv1, 2, 2, "SAME"), atol=1e-5)
    np.testing.assert_allclose(activations["fc2"], model(x), atol=1e-5)


def test_width_multiplier_keeps_the_architecture():
    config = vggish_model.VGGishConfig.from_width_multiplier(0.125)
    assert config.conv_channels == (8, 16, 32, 32, 64, 64)
    assert config.fc_units == (512, 512) and config.embedding_size == 128
    model = vggish_model.build_vggish(config)
    assert vggish_model.config_of(model) == config
    activations = vggish_model.activation_model(model)(_examples())
    assert tuple(activations["pool4"].shape) == (2, 6, 4, 64)
    assert tuple(activations["flatten"].shape) == (2, 6 * 4 * 64)
    assert tuple(activations["fc2"].shape) == (2, 128)


def test_config_roundtrip_and_validation():
    config = vggish_model.VGGishConfig((4, 8, 8, 8, 16, 16), (32, 32), 16)
    assert vggish_model.VGGishConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match="conv_channels"):
        vggish_model.VGGishConfig((4, 8), (32, 32), 16)
    with pytest.raises(ValueError, match="either"):
        vggish_model.build_vggish(config, width_multiplier=0.5)


def test_layer_name_aliases():
    assert vggish_model.canonical_layer_name("conv4_2") == "conv4/conv4_2"
    assert vggish_model.canonical_layer_name("fc1/fc1_1") == "fc1/fc1_1"
    assert vggish_model.canonical_layer_name("embedding") == "fc2"
    assert vggish_model.keras_layer_name("conv3/conv3_1") == "conv3_1"
    with pytest.raises(ValueError, match="unknown VGGish layer"):
        vggish_model.canonical_layer_name("conv5")


def test_as_model_input_adds_channel_axis_and_checks_shape():
    assert tuple(vggish_model.as_model_input(np.zeros((2, 96, 64))).shape) == (2, 96, 64, 1)
    with pytest.raises(ValueError, match="examples"):
        vggish_model.as_model_input(np.zeros((2, 64, 96)))
