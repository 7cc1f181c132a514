"""Tests of the shipped compact VGGish and of neural_style_audio.training.vggish_compact (the trainer).

Rendering tests skip without fluidsynth / FluidR3_GM.sf2.
"""
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from neural_style_audio import synth  # noqa: E402
from vggish_loss import frontend, loading, params  # noqa: E402
from neural_style_audio.training import vggish_compact as train  # noqa: E402

needs_synth = pytest.mark.skipif(not synth.synth_available(),
                                 reason="fluidsynth / FluidR3_GM.sf2 not installed")
needs_shipped = pytest.mark.skipif(not loading.COMPACT_WEIGHTS_PATH.is_file(),
                                   reason="compact weights not trained yet")
MAX_SHIPPED_MB = 10.0
# Two clearly different instruments, both inside every trained range.
INSTRUMENT_A, INSTRUMENT_B = "violin", "piano"
PITCHES = (62, 69)


@pytest.fixture(scope="module")
def shipped_model():
    if not loading.COMPACT_WEIGHTS_PATH.is_file():
        pytest.skip("compact weights not trained yet")
    return loading.load_compact()


def _cosine(a, b):
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_held_out_pitches_interleave_and_spare_the_extremes():
    mask = train.held_out_mask(32, 4)
    assert mask.sum() == 8 and not mask[0] and not mask[-1]
    pitches = train.instrument_pitches("piano", 32)
    assert len(pitches) == 32 and pitches == sorted(set(pitches))
    _, low, high = train.INSTRUMENT_RANGES["piano"]
    assert pitches[0] == low and pitches[-1] == high


def test_data_config_rejects_unknown_instruments():
    with pytest.raises(train.TrainingDataError, match="kazoo"):
        train.NoteDataConfig(instruments=("piano", "kazoo"))
    with pytest.raises(train.TrainingDataError, match="2 distinct"):
        train.NoteDataConfig(instruments=("piano",))


def test_augment_shapes_and_levels():
    rng = np.random.default_rng(0)
    segments = np.full((4, train.SEGMENT_SAMPLES), 0.5, np.float32)
    audio = train.augment(segments, rng, train.TrainConfig(noise_probability=0.0))
    assert audio.shape == (4, train.EXAMPLE_SAMPLES)
    assert np.all(audio <= 0.5 + 1e-6) and np.all(audio >= 0.5 * 10 ** (-30 / 20) - 1e-6)
    examples = train.waveforms_to_examples(audio)
    assert tuple(examples.shape) == (4, params.NUM_FRAMES, params.NUM_BANDS, 1)


@needs_shipped
def test_shipped_model_is_small_and_documented():
    weights = loading.COMPACT_WEIGHTS_PATH
    assert weights.stat().st_size / 1e6 <= MAX_SHIPPED_MB
    metadata = json.loads(loading.compact_config_path(weights).read_text())["metadata"]
    results = metadata["results"]
    assert results["held_out_accuracy"] > 4 * results["chance_accuracy"]
    kernel, _, classes = train.load_classifier()
    assert list(classes) == metadata["classes"]
    assert kernel.shape == (params.EMBEDDING_SIZE, len(classes))


def test_shipped_model_embeds_a_one_second_tone(shipped_model):
    t = np.arange(params.SAMPLE_RATE) / params.SAMPLE_RATE
    tone = (0.5 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)
    examples = frontend.log_mel_to_examples(frontend.waveform_to_log_mel(tone))
    embedding = shipped_model(examples[..., None]).numpy()
    assert embedding.shape == (1, params.EMBEDDING_SIZE)
    assert np.all(np.isfinite(embedding)) and np.linalg.norm(embedding) > 0


@needs_synth
def test_shipped_model_groups_notes_by_instrument(shipped_model):
    embeddings = {}
    for instrument in (INSTRUMENT_A, INSTRUMENT_B):
        segments = train.render_notes(instrument, PITCHES, velocity=90)
        embeddings[instrument] = shipped_model(
            train.evaluation_examples(segments)).numpy()
    (a_low, a_high), (b_low, b_high) = embeddings[INSTRUMENT_A], embeddings[INSTRUMENT_B]
    same = [_cosine(a_low, a_high), _cosine(b_low, b_high)]
    # Same pitch, different instrument: pitch alone cannot make these similar.
    different = [_cosine(a_low, b_low), _cosine(a_high, b_high)]
    assert min(same) > max(different), (same, different)


@needs_synth
def test_tiny_training_run_writes_loadable_files(tmp_path):
    data = train.NoteDataConfig(instruments=("flute", "marimba"), num_pitches=3,
                                velocities=(90,))
    config = train.TrainConfig(width_multiplier=1 / 32, fc_units=16, epochs=1,
                               batch_size=4)
    result = train.train_compact(data, config, cache_dir=tmp_path / "cache",
                                 log=lambda line: None)
    assert result.metadata["data"]["num_notes"] == 6
    assert result.metadata["data"]["num_held_out"] == 2  # Pitch index 2 of each.
    paths = train.save_trained(result, tmp_path / "model")
    assert all(path.is_file() for path in paths)
    model = loading.load_compact(paths[0])
    assert model.output_shape == (None, params.EMBEDDING_SIZE)
    stored = json.loads(paths[1].read_text())["metadata"]
    assert stored["classes"] == ["flute", "marimba"]
    assert np.array(stored["results"]["held_out_confusion_matrix"]).sum() == 2
    kernel, scale, classes = train.load_classifier(paths[0])
    assert kernel.shape == (params.EMBEDDING_SIZE, 2) and classes == ("flute", "marimba")
    assert list((tmp_path / "cache").glob("*.npz"))  # Renders were cached.
