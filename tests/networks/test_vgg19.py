import numpy as np
import pytest
import tensorflow as tf

from neural_style_audio.methods import optimisation as transfer_lib
from neural_style_audio.networks import vgg19
from neural_style_audio.config import ConfigError, NetworkConfig, resolve_config
from neural_style_audio.networks import build_network
from conftest import harmonic_tone

SMALL = dict(iterations=3, griffin_lim_iters=3, progress=False)


def test_vgg19_layers_and_shapes():
    net = build_network(NetworkConfig(network="vgg19", vgg_weights="random"), 40, scale=5.0)
    content, style = net.content_and_style(tf.random.uniform([32, 40]) * 5)
    assert content.shape == (4 * 5, 512)  # block4: /8 in each direction.
    assert [s.shape[-1] for s in style] == [64, 128, 256, 512, 512]
    assert style[0].shape[0] == 32 * 40


def test_vgg19_transfer_runs_and_reduces_loss():
    cfg = resolve_config("ulyanov", network="vgg19", vgg_weights="random", feature="mfcc",
                         n_mfcc=32, content_weight=1.0, **SMALL)
    res = transfer_lib.transfer(harmonic_tone(220, 0.8), harmonic_tone(330, 0.8, decay=1.5), cfg)
    history = res.record["loss_history"]
    assert np.all(np.isfinite(res.audio)) and history[-1] < history[0]


def test_missing_weights_file_is_a_clear_error(tmp_path):
    with pytest.raises(vgg19.VGGWeightsError, match="not found"):
        vgg19.load_vgg19(str(tmp_path / "nope.h5"))


def test_local_weights_file_round_trip(tmp_path):
    base = vgg19.load_vgg19("random", seed=1)
    path = tmp_path / "vgg19_notop.weights.h5"
    base.save_weights(str(path))
    loaded = vgg19.load_vgg19(str(path), seed=2)
    assert np.array_equal(loaded.get_layer("block1_conv1").get_weights()[0],
                          base.get_layer("block1_conv1").get_weights()[0])


def test_imagenet_without_network_gives_clear_error(monkeypatch):
    def fail(*args, **kwargs):
        raise OSError("URL fetch failure: no network")
    monkeypatch.setattr(vgg19.keras.applications, "VGG19", fail)
    with pytest.raises(vgg19.VGGWeightsError, match="--vgg_weights"):
        vgg19.load_vgg19("imagenet")


def test_vgg19_config_checks():
    with pytest.raises(ConfigError, match="16 feature channels"):
        resolve_config("ulyanov", network="vgg19", feature="mfcc", n_mfcc=8)


def test_vgg19_refuses_input_smaller_than_its_pools():
    # Four VALID 2x2 max-pools: fewer than 16 rows would reach a pool with fewer rows
    # than its window, which oneDNN's kernel aborts on. Refused with a clear error.
    net = build_network(NetworkConfig(network="vgg19", vgg_weights="random"), 40, scale=5.0)
    with pytest.raises(ValueError, match="at least 16 frames"):
        net.content_and_style(tf.zeros([vgg19.MIN_SIZE - 1, 40]))
