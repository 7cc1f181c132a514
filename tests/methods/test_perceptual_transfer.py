"""The VGGish perceptual term as the content loss of the transfer."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from neural_style_audio import losses, networks, optimize, representations, spectral
from neural_style_audio.config import ConfigError, FeatureConfig, LossConfig, NetworkConfig, \
    OptimizerConfig, resolve_config
from conftest import harmonic_tone


def test_perceptual_content_loss_decreases_under_optimisation():
    fcfg = FeatureConfig()
    content = representations.get(fcfg).analyse(spectral.magnitude(harmonic_tone(220, 1.0)))
    style = representations.get(fcfg).analyse(spectral.magnitude(harmonic_tone(330, 1.0)))
    lcfg = LossConfig(content_loss="perceptual", perceptual_model="random:0.125",
                      content_weight=1.0, style_weight=0.0)
    keras.utils.set_random_seed(0)  # The random VGGish's weights.
    net = networks.build_network(NetworkConfig(n_filters=16), content.shape[1])
    obj = losses.TransferObjective(net, content, style, lcfg, fcfg)
    x0 = np.abs(np.random.default_rng(0).standard_normal(content.shape)).astype(np.float32)
    start = float(obj(tf.constant(x0))["content"])
    res = optimize.optimize(obj, x0, OptimizerConfig(iterations=40), lower=0.0, progress=False)
    assert res.terms["content"] < 0.5 * start, res.message
    assert float(obj(tf.constant(content))["content"]) == pytest.approx(0.0, abs=1e-6)


def test_perceptual_needs_stft_features():
    with pytest.raises(ConfigError, match="needs --feature stft"):
        resolve_config("iitb", content_loss="perceptual")
