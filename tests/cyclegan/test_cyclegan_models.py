"""CycleGAN networks, settings and losses: shapes of both variants, the layers written
here against their formulas, the paper's discriminator arithmetic."""
import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from neural_style_audio.config import ConfigError
from neural_style_audio.cyclegan import config as cg_config
from neural_style_audio.cyclegan import losses, models

# Small enough for CPU tests; the published discriminator needs >= 44 x 44.
TINY = dict(crop_frames=48, n_fft=128, n_residual_blocks=1, batch_size=2, epochs=1)


def tiny(variant, **kw):
    extra = dict(gen_filters=4, disc_filters=4) if variant == "strong" else {}
    return cg_config.preset(variant, **{**TINY, **extra, **kw})


@pytest.mark.parametrize("variant", cg_config.VARIANTS)
def test_generator_and_discriminator_shapes(variant):
    config = tiny(variant)
    gen = models.build_generator(config)
    disc = models.build_discriminator(config)
    x = np.random.default_rng(0).uniform(-1, 1, (2, 48, 64, 1)).astype(np.float32)
    y = gen(x).numpy()
    assert y.shape == x.shape
    assert np.all(np.abs(y) < 1.0)  # tanh output, the images' range.
    logits = disc(x).numpy()
    if variant == "published":
        assert logits.shape == (2, 1)  # One judgement per crop, as the paper's classifier.
    else:
        assert logits.shape == (2, 48 // 8, 64 // 8, 1)  # One per patch.
    # The generator is fully convolutional: whole clips of any (multiple-of-4) length.
    assert gen(np.zeros((1, 100, 64, 1), np.float32)).shape == (1, 100, 64, 1)


def test_published_generator_follows_the_table():
    gen = models.build_generator(cg_config.PUBLISHED)
    widths = {layer.name: layer.filters for layer in gen.layers if hasattr(layer, "filters")}
    assert widths["conv_in"] == 4 and widths["down1"] == 8 and widths["down2"] == 16
    assert widths["up1"] == 8 and widths["up2"] == 4 and widths["conv_out"] == 1
    # Residual blocks at the 16-channel width (the table's "8" cannot be added to it).
    assert {widths[f"res{i}_conv{j}"] for i in (1, 2, 3) for j in (1, 2)} == {16}
    assert sum(name.endswith("_add") for name in widths) == 0
    assert len([layer for layer in gen.layers if layer.name.endswith("_add")]) == 3
    assert gen.get_layer("conv_in").kernel.shape == (7, 7, 1, 4)


def test_strong_variant_is_the_keras_io_recipe():
    s = cg_config.STRONG
    assert (s.network.gen_filters, s.network.n_residual_blocks) == (64, 9)
    assert s.network.discriminator == "patchgan" and s.loss.gan_loss == "lsgan"
    assert (s.loss.lambda_cycle, s.loss.lambda_identity) == (10.0, 5.0)
    assert (s.train.learning_rate, s.train.beta_1) == (2e-4, 0.5)
    p = cg_config.PUBLISHED
    assert (p.train.learning_rate, p.train.batch_size, p.train.epochs) == (1e-3, 10, 100)
    assert p.loss.gan_loss == "bce" and p.loss.lambda_cycle == 10.0


def test_instance_norm_is_per_example_per_channel():
    x = np.random.default_rng(1).normal(2.0, 3.0, (3, 8, 6, 5)).astype(np.float32)
    y = models.instance_norm(False)(x).numpy()
    mean, var = x.mean((1, 2), keepdims=True), x.var((1, 2), keepdims=True)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + models.INSTANCE_NORM_EPSILON),
                               atol=1e-4)


def test_reflection_padding_matches_numpy():
    x = np.arange(2 * 5 * 4 * 3, dtype=np.float32).reshape(2, 5, 4, 3)
    y = models.ReflectionPadding2D(2)(x).numpy()
    np.testing.assert_array_equal(y, np.pad(x, [[0, 0], [2, 2], [2, 2], [0, 0]], "reflect"))


def test_gupta_discriminator_arithmetic_matches_the_paper():
    # Linear(32 x 10 x 16): a 647-frame x 1025-bin input (30 s at 22.05 kHz, hop 1024,
    # n_fft 2048) gives exactly the paper's 10 x 16 map.
    assert models._gupta_side(647) == 10 and models._gupta_side(1025) == 16
    disc = models.gupta_discriminator((647, 1025, 1))
    assert disc.get_layer("dense").kernel.shape == (32 * 10 * 16, 512)
    low = models.gupta_discriminator_min_side()
    assert models._gupta_side(low) == 1 and models._gupta_side(low - 1) == 0


def test_settings_validation_and_json_round_trip():
    with pytest.raises(ConfigError, match="crop_frames"):
        cg_config.preset("published", crop_frames=30)
    with pytest.raises(ConfigError, match="gupta discriminator needs crops of at least 44"):
        cg_config.preset("published", crop_frames=32, n_fft=128)
    cg_config.preset("strong", crop_frames=32, n_fft=128)  # PatchGAN: any size.
    with pytest.raises(ConfigError, match="unknown CycleGAN setting"):
        cg_config.preset("published", no_such=1)
    with pytest.raises(ConfigError, match="--variant"):
        cg_config.preset("best")
    config = tiny("strong", lambda_identity=2.5)
    again = cg_config.CycleGANConfig.from_dict(
        __import__("json").loads(config.to_json()))
    assert again == config and dataclasses.asdict(again) == config.to_dict()


def test_losses_have_their_minima_where_they_should():
    for kind in ("bce", "lsgan"):
        real = 1.0 if kind == "lsgan" else 20.0
        ones = tf.fill([2, 3, 3, 1], real)
        fake = tf.fill([2, 3, 3, 1], 0.0 if kind == "lsgan" else -20.0)
        d = losses.discriminator_loss(ones, fake, kind).numpy()
        assert d.shape == (2,) and np.all(d < 1e-6)
        assert np.all(losses.generator_adversarial_loss(ones, kind).numpy() < 1e-6)
        assert np.all(losses.generator_adversarial_loss(fake, kind).numpy() > 0.5)
    np.testing.assert_allclose(losses.adversarial_loss(tf.zeros([1, 4]), 1.0, "bce"),
                               [np.log(2.0)], rtol=1e-6)
    x = np.zeros([2, 4, 4, 1], np.float32)
    y = x.copy()
    y[1] = 0.5
    np.testing.assert_allclose(losses.cycle_loss(x, y), [0.0, 0.5])
    with pytest.raises(ValueError, match="gan_loss"):
        losses.adversarial_loss(tf.zeros([1, 1]), 1.0, "wgan")
