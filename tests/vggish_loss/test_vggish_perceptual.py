"""Tests of PerceptualLoss: gradients reach the magnitude spectrogram, and
optimising it with Adam pulls its VGGish activations towards a reference."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from vggish_loss import frontend, loading, params  # noqa: E402
from vggish_loss import model as vggish_model  # noqa: E402
from vggish_loss.perceptual import (  # noqa: E402
    PerceptualLoss, gram_matrix, resolve_perceptual_model)

SMALL_WIDTH = 0.125
ADAM_STEPS = 30
ADAM_LEARNING_RATE = 0.1
RANDOM_SEED = 1234
# VGGish settings: [time, 257]; style-transfer settings: [time, 1025] at 22050 Hz.
SETTINGS = {
    "vggish": dict(bins=257, frames=150, stft={}),
    "style_22050": dict(bins=1025, frames=70,
                        stft=dict(sample_rate=22050, n_fft=2048, hop_length=512)),
}


@pytest.fixture(scope="module")
def small_model():
    keras.utils.set_random_seed(RANDOM_SEED)
    return vggish_model.build_vggish(width_multiplier=SMALL_WIDTH)


def _magnitude(frames, bins, seed):
    """A positive random magnitude spectrogram with a spectral tilt."""
    rng = np.random.default_rng(seed)
    tilt = 1.0 / (1.0 + np.arange(bins) / 20.0)
    return (rng.gamma(1.0, 1.0, (frames, bins)) * tilt * 5.0).astype(np.float32)


@pytest.mark.parametrize("setting", sorted(SETTINGS))
def test_adam_on_magnitude_reduces_perceptual_loss(small_model, setting):
    config = SETTINGS[setting]
    reference = _magnitude(config["frames"], config["bins"], seed=1)
    start = _magnitude(config["frames"], config["bins"], seed=2)
    loss = PerceptualLoss(small_model, layers=["conv2", "conv3/conv3_2", "conv4/conv4_2"],
                          reference=reference, **config["stft"])
    # Optimise log-magnitude so the magnitude stays positive; the loss itself is
    # taken on (and differentiated through) the linear magnitude.
    log_magnitude = tf.Variable(np.log(start))
    optimizer = tf.keras.optimizers.Adam(ADAM_LEARNING_RATE)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            value = loss(tf.exp(log_magnitude))
        optimizer.apply_gradients([(tape.gradient(value, log_magnitude), log_magnitude)])
        return value

    initial = float(loss(tf.exp(log_magnitude)))
    for _ in range(ADAM_STEPS):
        step()
    final = float(loss(tf.exp(log_magnitude)))
    assert initial > 0 and np.isfinite(final)
    assert final < 0.5 * initial, (setting, initial, final)


@pytest.mark.parametrize("setting", sorted(SETTINGS))
def test_gradient_reaches_every_frame_of_the_magnitude(small_model, setting):
    config = SETTINGS[setting]
    magnitude = tf.Variable(_magnitude(config["frames"], config["bins"], seed=3))
    loss = PerceptualLoss(small_model, layers=["conv1", "fc2"],
                          reference=_magnitude(config["frames"], config["bins"], seed=4),
                          **config["stft"])
    with tf.GradientTape() as tape:
        value = loss(magnitude)
    gradient = tape.gradient(value, magnitude).numpy()
    assert np.all(np.isfinite(gradient))
    assert np.all(np.abs(gradient).max(axis=1) > 0)  # every frame is seen
    # Bins inside 125-7500 Hz matter; the DC bin has zero weight.
    sample_rate = config["stft"].get("sample_rate", params.SAMPLE_RATE)
    in_band = np.abs(gradient).max(axis=0)[
        np.linspace(0, sample_rate / 2, config["bins"]) < 7000]
    assert np.mean(in_band[5:] > 0) > 0.95
    if setting == "vggish":
        assert np.all(gradient[:, 0] == 0.0)


def test_loss_is_zero_at_the_reference_and_grows_with_distance(small_model):
    reference = _magnitude(100, 257, seed=5)
    loss = PerceptualLoss(small_model, reference=reference)
    near = reference * 1.05
    far = _magnitude(100, 257, seed=6)
    assert float(loss(reference)) == pytest.approx(0.0, abs=1e-10)
    assert 0 < float(loss(near)) < float(loss(far))


def test_log_mel_reference_equals_magnitude_reference(small_model):
    reference = _magnitude(100, 257, seed=7)
    log_mel = frontend.magnitude_to_log_mel(reference)
    magnitude = _magnitude(100, 257, seed=8)
    by_magnitude = PerceptualLoss(small_model, reference=reference)
    by_log_mel = PerceptualLoss(small_model, reference=log_mel, reference_kind="log_mel")
    assert float(by_magnitude(magnitude)) == pytest.approx(float(by_log_mel(magnitude)),
                                                           rel=1e-5)


def test_layer_weights_and_per_layer_losses(small_model):
    reference, magnitude = _magnitude(100, 257, 9), _magnitude(100, 257, 10)
    loss = PerceptualLoss(small_model, layers=["conv1", "conv4_2"], reference=reference,
                          layer_weights=[2.0, 0.5])
    per_layer = loss.layer_losses(magnitude)
    assert set(per_layer) == {"conv1", "conv4/conv4_2"}
    expected = 2.0 * float(per_layer["conv1"]) + 0.5 * float(per_layer["conv4/conv4_2"])
    assert float(loss(magnitude)) == pytest.approx(expected, rel=1e-5)


def test_activation_loss_needs_equal_durations_gram_does_not(small_model):
    reference = _magnitude(250, 257, seed=11)  # 3 examples
    shorter = _magnitude(100, 257, seed=12)  # 2 examples
    with pytest.raises(ValueError, match="gram"):
        PerceptualLoss(small_model, reference=reference)(shorter)
    gram_loss = PerceptualLoss(small_model, reference=reference, statistic="gram")
    assert float(gram_loss(shorter)) > 0
    assert float(gram_loss(reference)) == pytest.approx(0.0, abs=1e-10)


def test_gram_matrix_definition():
    features = np.random.default_rng(0).normal(size=(2, 3, 4, 5)).astype(np.float32)
    flat = features.reshape(-1, 5)
    np.testing.assert_allclose(gram_matrix(tf.constant(features)), flat.T @ flat / 24,
                               rtol=1e-5)


def test_bad_options_are_rejected(small_model):
    reference = _magnitude(100, 257, seed=0)
    with pytest.raises(ValueError, match="statistic"):
        PerceptualLoss(small_model, reference=reference, statistic="l1")
    with pytest.raises(ValueError, match="unknown VGGish layer"):
        PerceptualLoss(small_model, layers=["conv9"], reference=reference)
    with pytest.raises(ValueError, match="linear_magnitude_to_vggish_log_mel"):
        PerceptualLoss(small_model, reference=_magnitude(100, 1025, seed=0))


def test_resolve_perceptual_model_specs(tmp_path):
    random_model = resolve_perceptual_model("random:0.125")
    assert vggish_model.config_of(random_model) == \
        vggish_model.VGGishConfig.from_width_multiplier(0.125)
    for spec, fragment in [
            (f"official:{tmp_path / 'none.ckpt'}", str(tmp_path / "none.ckpt")),
            (f"hub:{tmp_path / 'none'}", str(tmp_path / "none")),
            ("official:", "unknown perceptual model spec"),
            ("vggish", "unknown perceptual model spec"),
            ("random:zero", "bad width")]:
        with pytest.raises(loading.VGGishLoadError) as error:
            resolve_perceptual_model(spec)
        assert fragment in str(error.value), spec
