"""The source-filter method on a tiny generated triplet (additive synthetic instruments,
no fluidsynth): it keeps the content's melody and takes the style's timbre."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from conftest import SR
import neural_style_audio
from neural_style_audio import AudioInputError, ConfigError, resolve_config
from neural_style_audio.evaluation import metrics

REPO = Path(__file__).resolve().parents[2]
NOTE_S = 0.5
M1 = (261.63, 329.63, 392.0, 329.63, 293.66)  # C4 E4 G4 E4 D4.
M2 = (293.66, 349.23, 440.0, 523.25, 440.0)  # D4 F4 A4 C5 A4.


def plucked(f0, t, rng):
    """Instrument A: bright (partials 1/k), fast decay."""
    envelope = np.minimum(t / 0.005, 1.0) * np.exp(-4.0 * t)
    return envelope * sum(np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 6.28)) / k
                          for k in range(1, 13) if k * f0 < SR / 2)


def reed(f0, t, rng):
    """Instrument B: odd partials, 60-ms attack, sustained, a little breath noise."""
    envelope = np.minimum(t / 0.06, 1.0)
    partials = {1: 1.0, 2: 0.04, 3: 0.6, 4: 0.03, 5: 0.35, 6: 0.02, 7: 0.2, 9: 0.1}
    tone = sum(a * np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 6.28))
               for k, a in partials.items())
    return envelope * tone + 0.005 * rng.standard_normal(len(t))


def play(instrument, melody, seed):
    rng = np.random.default_rng(seed)
    t = np.arange(int(NOTE_S * SR)) / SR
    y = np.concatenate([instrument(f0, t, rng) for f0 in melody])
    return (0.8 * y / np.max(np.abs(y))).astype(np.float32)


@pytest.fixture(scope="module")
def triplet():
    return dict(content=play(plucked, M1, 0), style=play(reed, M2, 1),
                target=play(reed, M1, 2))


@pytest.fixture(scope="module")
def result(triplet):
    config = resolve_config("source_filter", progress=False)
    return neural_style_audio.transfer(triplet["content"], triplet["style"], config)


@pytest.mark.slow
def test_output_keeps_the_melody_and_takes_the_timbre(triplet, result):
    content, target, out = triplet["content"], triplet["target"], result.audio
    assert out.shape == content.shape and result.sr == SR and np.all(np.isfinite(out))
    pitch_out = metrics.octave_forgiving_pitch_accuracy(out, target, SR)
    pitch_copy = metrics.octave_forgiving_pitch_accuracy(content, target, SR)
    assert pitch_out >= 0.85 and pitch_out >= pitch_copy - 0.05
    assert (metrics.mfcc_stats_distance(out, target, SR)
            < 0.5 * metrics.mfcc_stats_distance(content, target, SR))
    assert metrics.timbre_closer_to_target(out, target, content, SR)
    assert (metrics.floored_log_spectral_distance(out, target, SR)
            < metrics.floored_log_spectral_distance(content, target, SR))


@pytest.mark.slow
def test_record_lists_the_notes_it_played(result):
    record = result.record
    assert record["method"] == "source_filter"
    assert record["config"]["run"]["method"] == "source_filter"
    played = [n["f0_hz"] for n in record["content_notes"]]
    assert len(played) == len(M1)
    assert np.max(np.abs(1200 * np.log2(np.array(played) / np.array(M1)))) < 20.0
    onsets = [n["onset_s"] for n in record["content_notes"]]
    assert np.max(np.abs(np.array(onsets) - NOTE_S * np.arange(len(M1)))) < 0.07
    assert len(record["style_notes"]) == len(M2)
    assert record["timings"]["total_s"] > 0
    json.dumps(record)  # JSON-able.


@pytest.mark.slow
def test_unpitched_style_is_a_one_line_input_error(triplet):
    noise = (0.3 * np.random.default_rng(0).standard_normal(SR)).astype(np.float32)
    config = resolve_config("source_filter", progress=False)
    with pytest.raises(AudioInputError, match="no pitched note"):
        neural_style_audio.transfer(triplet["content"], noise, config)


@pytest.mark.parametrize("overrides, message", [
    (dict(dynamics=1.5), "--dynamics"),
    (dict(noise_gain=-1.0), "--noise_gain"),
    (dict(f0_fmin=500.0, f0_fmax=400.0), "--f0_fmin"),
    (dict(method="nope"), "method"),
])
def test_invalid_source_filter_settings(overrides, message):
    with pytest.raises(ConfigError, match=message):
        resolve_config("source_filter", **overrides)


def test_published_presets_keep_the_optimisation_method():
    for name in ("ulyanov", "deepmix", "iitb", "cnn_baseline"):
        assert resolve_config(name).run.method == "optimisation"


@pytest.mark.slow
def test_transfer_script_runs_the_source_filter_preset(triplet, tmp_path):
    content, style = tmp_path / "content.wav", tmp_path / "style.wav"
    sf.write(content, triplet["content"], SR)
    sf.write(style, triplet["style"], SR)
    out = tmp_path / "out.wav"
    run = subprocess.run([sys.executable, str(REPO / "scripts" / "transfer.py"),
                          "--preset", "source_filter", "--content", str(content),
                          "--style", str(style), "--output", str(out), "--noplot"],
                         capture_output=True, text=True, cwd=REPO, timeout=300, check=False)
    assert run.returncode == 0, run.stderr
    assert "style fit" in run.stderr and "Traceback" not in run.stderr
    y, sr = sf.read(out)
    assert sr == SR and len(y) == len(triplet["content"])
    assert json.loads(out.with_suffix(".json").read_text())["method"] == "source_filter"
