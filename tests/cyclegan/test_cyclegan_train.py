"""CycleGAN training on tiny data: the data pipeline, steps that learn, checkpoints
and resume."""
import json

import numpy as np
import pytest
import tensorflow as tf

from cyclegan_fixtures import SR, tiny_config, weights, write_domains
from neural_style_audio.config import ConfigError
from neural_style_audio.cyclegan import data, train


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    dir_a, dir_b = write_domains(tmp_path_factory.mktemp("domains"))
    spec = tiny_config().spectrogram
    return (data.load_folder_images(data.list_audio_files(dir_a), spec),
            data.load_folder_images(data.list_audio_files(dir_b), spec))


def test_images_round_trip_and_range():
    spec = tiny_config().spectrogram
    t = np.arange(SR) / SR
    y = 0.5 * np.sin(2 * np.pi * 440 * t).astype(np.float32)
    image = data.waveform_to_image(y, spec)
    assert image.shape == (1 + len(y) // spec.hop_length, spec.n_bins)
    assert image.min() >= -1.0 and image.max() <= 1.0 and image.max() > 0.5
    from neural_style_audio import spectral
    mag = spectral.magnitude(y, spec.n_fft, spec.hop_length)
    back = data.image_to_magnitude(image, spec)
    loud = mag[:, :spec.n_bins] > 1e-2 * mag.max()  # Above the -80 dB floor.
    np.testing.assert_allclose(back[:, :spec.n_bins][loud], mag[:, :spec.n_bins][loud],
                               rtol=1e-3)


def test_crop_dataset_batches_unpaired_crops(images):
    images_a, images_b = images
    ds = data.crop_dataset(images_a, images_b, 48, batch_size=3, seed=0)
    a, b = next(iter(ds))
    assert a.shape == b.shape == (3, 48, 64, 1)
    assert float(tf.reduce_max(a)) > data.SILENT_CROP_MAX  # Silent crops are skipped.
    assert data.steps_per_epoch(images_a, images_b, 48, 3) >= 1


@pytest.mark.parametrize("variant", ["published", "strong"])
def test_training_steps_reduce_the_cycle_loss_and_change_weights(images, variant):
    images_a, images_b = images
    config = tiny_config(variant, learning_rate=2e-3)
    tf.keras.utils.set_random_seed(0)
    # The published step compiled (the real path), the strong one eager (no 30-s trace).
    gan = train.CycleGAN(config, compiled=variant == "published")
    n_steps = 12 if variant == "published" else 5
    a, b = next(iter(data.crop_dataset(images_a, images_b, 48, 2, seed=3)))
    before = {k: float(tf.reduce_mean(v)) for k, v in gan.per_example_losses(a, b).items()}
    w_before = weights(gan.generator_a2b) + weights(gan.discriminator_b)
    for _ in range(n_steps):
        out = gan.train_step(a, b)
    after = {k: float(tf.reduce_mean(v)) for k, v in gan.per_example_losses(a, b).items()}
    assert int(gan.step.numpy()) == n_steps
    assert all(np.isfinite(float(v)) for v in out.values())
    assert after["cycle_a"] + after["cycle_b"] < 0.8 * (before["cycle_a"] + before["cycle_b"])
    changed = [not np.array_equal(x, y) for x, y in
               zip(w_before, weights(gan.generator_a2b) + weights(gan.discriminator_b))]
    assert sum(changed) > 0.8 * len(changed)


def test_resume_continues_the_step_counter_with_the_saved_weights(images, tmp_path):
    images_a, images_b = images
    variant = "published"
    config = tiny_config(variant, epochs=100)
    run = tmp_path / "run"
    first = train.train(config, images_a, images_b, run, domains={"a": "x", "b": "y"},
                        checkpoint_every=1, max_steps=2, progress=False,
                        compiled=False)
    assert first.record["total_steps"] == 2
    saved = weights(first.gan.generator_a2b) + weights(first.gan.discriminator_a)
    resumed = train.CycleGAN(config)
    resumed.checkpoint().restore(tf.train.latest_checkpoint(str(run / "checkpoints")))
    for x, y in zip(saved, weights(resumed.generator_a2b) + weights(resumed.discriminator_a)):
        np.testing.assert_array_equal(x, y)
    assert int(resumed.step.numpy()) == 2
    assert int(resumed.generator_optimizer.iterations.numpy()) == 2  # Adam state too.
    second = train.train(config, images_a, images_b, run, domains={"a": "x", "b": "y"},
                         max_steps=3, progress=False, compiled=False)
    sessions = second.record["sessions"]
    assert [(s["first_step"], s["last_step"]) for s in sessions] == [(0, 2), (2, 3)]
    record = json.loads((run / "cyclegan.json").read_text())
    assert record["total_steps"] == 3 and (run / "generator_a2b.weights.h5").is_file()
    assert (run / "logs").is_dir() and any((run / "logs").iterdir())
    with pytest.raises(ConfigError, match="other settings"):
        train.train(tiny_config(variant, learning_rate=0.5), images_a, images_b, run,
                    domains={"a": "x", "b": "y"}, max_steps=4, progress=False)
    with pytest.raises(ConfigError, match="other data"):
        train.train(config, images_a, images_b, run, domains={"a": "z", "b": "y"},
                    max_steps=4, progress=False)

