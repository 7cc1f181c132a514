"""The instrument-CNN trainer (training/instrument_cnn.py) and its command.

Rendering tests skip without fluidsynth and the SoundFonts.
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO
from neural_style_audio import spectral, synth
from neural_style_audio.networks import instrument_cnn as network
from neural_style_audio.training import instrument_cnn as train
from neural_style_audio.training import loop


def _fluidr3_available():
    if not synth.synth_available():
        return False
    try:
        train.find_soundfonts(("fluidr3",))
    except synth.SynthUnavailableError:
        return False
    return True


needs_synth = pytest.mark.skipif(not _fluidr3_available(),
                                 reason="fluidsynth / FluidR3_GM.sf2 / pretty_midi not installed")
TINY_WIDTHS = (4, 4, 8, 8, 8, 8)


def test_batched_features_are_the_transfer_representation():
    rng = np.random.default_rng(0)
    audio = (0.3 * rng.standard_normal((2, 8000))).astype(np.float32)
    batch = train.log1p_magnitudes(audio).numpy()
    single = np.log1p(spectral.magnitude(audio[1], network.N_FFT, network.HOP_LENGTH))
    assert batch.shape == (2, 1 + 8000 // network.HOP_LENGTH, network.N_BINS)
    np.testing.assert_allclose(batch[1], single, atol=1e-5)


def test_events_use_only_their_side_of_the_pitch_split():
    config = train.EventDataConfig(instruments=("violin", "harp"), train_events=40,
                                   test_events=20, seed=3)
    for instrument in config.instruments:
        train_pitches, held_pitches = train.split_pitches(instrument, config.held_out_every)
        assert not set(train_pitches) & set(held_pitches)
        _, low, high = train.INSTRUMENT_RANGES[instrument]
        assert held_pitches and min(train_pitches) == low and max(train_pitches) == high
        events = train.make_events(config, instrument, "fluidr3")
        assert len(events) == 60 and {k for _, _, k in events} == set(train.EVENT_KINDS)
        for notes, held, _ in events:
            allowed = held_pitches if held else train_pitches
            assert all(p in allowed for p, _, _, _ in notes)
            assert all(0 < onset and onset + d <= train.EVENT_SPAN_S + 0.05
                       and 1 <= v <= 127 for _, onset, d, v in notes)
        # Deterministic, and different per SoundFont.
        assert events == train.make_events(config, instrument, "fluidr3")
        assert events != train.make_events(config, instrument, "musescore")


def test_data_config_rejects_bad_settings():
    with pytest.raises(train.TrainingDataError, match="kazoo"):
        train.EventDataConfig(instruments=("piano", "kazoo"))
    with pytest.raises(train.TrainingDataError, match="SoundFont"):
        train.EventDataConfig(soundfonts=("fluidr3", "nope"))
    with pytest.raises(train.TrainingDataError, match="not among"):
        train.EventDataConfig(soundfonts=("fluidr3",), held_out_soundfont="musescore")


def test_augment_crops_to_the_requested_frames():
    config = train.TrainConfig(crop_frames=40, noise_probability=0.0)
    segments = np.full((3, train.SEGMENT_SAMPLES), 0.5, np.float32)
    audio = train.augment(segments, np.random.default_rng(0), config)
    assert audio.shape == (3, train.crop_samples(40))
    assert np.all(audio <= 0.5 + 1e-6) and np.all(audio >= 0.5 * 10 ** (-30 / 20) - 1e-6)
    assert train.log1p_magnitudes(audio).shape[1] == 40


def _tone_segments(n, rng):
    """Two synthetic classes: a pure sine, and a bright harmonic tone, random pitches."""
    t = np.arange(train.SEGMENT_SAMPLES) / train.SAMPLE_RATE
    segments, labels = [], []
    for i in range(n):
        f0 = rng.uniform(150, 600)
        label = i % 2
        harmonics = range(1, 2) if label == 0 else range(1, 12)
        y = sum(np.sin(2 * np.pi * k * f0 * t) / k ** 0.5 for k in harmonics if k * f0 < 7000)
        segments.append(0.5 * y / np.max(np.abs(y)))
        labels.append(label)
    return np.asarray(segments, np.float32), np.asarray(labels, np.int32)


def test_training_with_the_shared_loop_reduces_the_loss():
    import keras
    rng = np.random.default_rng(0)
    segments, labels = _tone_segments(16, rng)
    model = network.InstrumentCNN((8, 8, 16, 16, 16, 16), num_classes=2).build_for()
    train.seeded_glorot(model, 0)
    classifier = train.CompiledClassifier(model)
    config = train.TrainConfig(crop_frames=40, noise_probability=0.0)
    history = loop.fit_classifier(
        classifier, labels, np.arange(16),
        lambda batch, rng: train.augment(segments[batch], rng, config),
        keras.optimizers.Adam(1e-2), loop.LoopConfig(epochs=12, batch_size=8), rng,
        preprocess=train.log1p_magnitudes, log=lambda line: None)
    # Cross-entropy starts at ln 2 (two classes) and falls as the network learns.
    assert abs(history[0]["loss"] - np.log(2)) < 0.05
    assert history[-1]["loss"] < 0.3 * history[0]["loss"]
    predicted = np.argmax(train.predict_logits(classifier, segments), -1)
    assert np.mean(predicted == labels) >= 0.75


@needs_synth
def test_render_events_cuts_one_segment_per_event(tmp_path):
    events = [[(69, 0.1, 0.5, 100)], [(60, 0.1, 1.0, 80), (64, 0.12, 1.0, 80)]]
    font = train.find_soundfonts(("fluidr3",))["fluidr3"]
    segments = train.render_events(40, events, font, cache_dir=tmp_path)
    assert segments.shape == (2, train.SEGMENT_SAMPLES)
    np.testing.assert_allclose(np.max(np.abs(segments), axis=1), train.NOTE_PEAK_LEVEL,
                               rtol=1e-6)
    # Silent before the first onset (no tail of the slot before), sounding after it.
    onset = int(0.1 * train.SAMPLE_RATE)
    assert np.max(np.abs(segments[1, :onset - 160])) < 1e-3
    # A second call reads the cache (float16: ~1e-3 relative).
    again = train.render_events(40, events, font, cache_dir=tmp_path)
    np.testing.assert_allclose(again, segments, atol=2e-3)


@needs_synth
def test_command_end_to_end_on_a_tiny_set(tmp_path):
    out = tmp_path / "weights"
    command = [sys.executable, "scripts/train_instrument_cnn.py", "--instruments=violin,piano",
               "--soundfonts=fluidr3", "--train_events=4", "--test_events=2", "--epochs=1",
               "--batch_size=4", "--crop_frames=40", f"--widths={','.join(map(str, TINY_WIDTHS))}",
               f"--output_dir={out}", f"--cache_dir={tmp_path / 'cache'}",
               f"--confusion_png={tmp_path / 'confusion.png'}", "--dev_dir="]
    run = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600,
                         env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    weights = out / network.WEIGHTS_FILENAME
    metadata = json.loads(network.metadata_path(weights).read_text())
    assert metadata["classes"] == ["violin", "piano"]
    assert metadata["widths"] == list(TINY_WIDTHS)
    assert metadata["data"]["num_train"] == 8 and metadata["data"]["num_test"] == 4
    results = metadata["results"]
    assert np.asarray(results["test_confusion_matrix"]).sum() == 4
    assert 0 <= results["test_accuracy"]["all"] <= 1
    assert (tmp_path / "confusion.png").stat().st_size > 0
    model = network.load_classifier(str(weights))
    assert model.num_classes == 2


def test_command_rejects_bad_flags_in_one_line():
    run = subprocess.run([sys.executable, "scripts/train_instrument_cnn.py",
                          "--instruments=piano,kazoo"], cwd=REPO, capture_output=True,
                         text=True, timeout=300, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        line for line in run.stderr.strip().splitlines() if line.startswith("error:")]
    assert "kazoo" in run.stderr


def test_command_defaults_are_the_library_defaults():
    # The command spells its defaults out (defining flags must not import TensorFlow).
    code = ("from neural_style_audio.cli import train_instrument_cnn as c; "
            "from neural_style_audio.training import instrument_cnn as t; "
            "F = c.FLAGS; F(['x']); d, tc = t.EventDataConfig(), t.TrainConfig(); "
            "assert tuple(F.instruments) == t.DEFAULT_INSTRUMENTS; "
            "assert tuple(F.soundfonts) == d.soundfonts; "
            "assert (F.train_events, F.test_events, F.held_out_every) == "
            "(d.train_events, d.test_events, d.held_out_every); "
            "assert tuple(int(w) for w in F.widths) == tc.widths; "
            "assert (F.epochs, F.batch_size, F.learning_rate, F.crop_frames, F.seed) == "
            "(tc.epochs, tc.batch_size, tc.learning_rate, tc.crop_frames, tc.seed); print('ok')")
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, timeout=300, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
    assert run.returncode == 0 and "ok" in run.stdout, run.stderr[-2000:]
