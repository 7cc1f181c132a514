"""training/wavenet.py: data pipeline, training, checkpoints, resume, TensorBoard scalars."""
import numpy as np
import pytest

from neural_style_audio.training import wavenet as train


def test_crops_are_reproducible_and_resumable():
    config = train.TrainConfig(model="tiny", batch_size=3, crop_samples=40, eval_crops=4)
    segments = np.random.default_rng(0).uniform(-1, 1, (5, 100)).astype(np.float32)
    assert config.crop == 32  # Rounded down to a multiple of the tiny hop (16).
    first = list(train.crop_dataset(segments, config, seed=1).take(3).as_numpy_iterator())
    again = list(train.crop_dataset(segments, config, seed=1, first=3).take(2)
                 .as_numpy_iterator())
    assert first[0].shape == (3, 32)
    np.testing.assert_array_equal(first[1], again[0])  # Batch 1 resumes at element 3.
    assert train.fixed_crops(segments, config).shape == (4, 32)
    with pytest.raises(train.TrainingSettingsError, match="crop_samples"):
        train.TrainConfig(model="tiny", crop_samples=8)


def test_library_training_reduces_nll_and_resumes(tmp_path):
    rng = np.random.default_rng(0)
    t = np.arange(2048) / 16000
    segments = np.stack([0.5 * np.sin(2 * np.pi * f * t) for f in rng.uniform(200, 800, 12)])
    segments = (segments + 0.01 * rng.standard_normal(segments.shape)).astype(np.float32)
    config = train.TrainConfig(model="tiny", steps=40, batch_size=4, crop_samples=256,
                               learning_rate=1e-2, eval_every=20, eval_crops=8)
    out = tmp_path / "run"
    first = train.train_wavenet(config, segments[:8], segments[8:], out, log=lambda _: None,
                                max_steps_this_run=20)
    assert first.metadata["steps_done"] == 20 and not first.metadata["complete"]
    lines = []
    second = train.train_wavenet(config, segments[:8], segments[8:], out, log=lines.append)
    assert "resumed" in lines[0] and "at step 20" in lines[0]
    history = second.metadata["history"]
    assert [h["step"] for h in history] == [20, 40] and second.metadata["complete"]
    assert history[-1]["test_nll"] < np.log(256) - 0.5  # Far below a uniform guess.
    assert any((out / "checkpoints").iterdir())
    scalars = train.read_scalars(out / "tensorboard")
    assert [step for step, _ in scalars["test/nll"]] == [20, 40]
    assert scalars["test/nll"][-1][1] == pytest.approx(history[-1]["test_nll"])
    other = train.TrainConfig(model="tiny", steps=40, batch_size=4, crop_samples=256,
                              learning_rate=1e-3, eval_every=20, eval_crops=8)
    with pytest.raises(train.TrainingSettingsError, match="learning_rate"):
        train.train_wavenet(other, segments[:8], segments[8:], out, log=lambda _: None)
