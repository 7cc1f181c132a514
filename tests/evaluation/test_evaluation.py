"""Tests of neural_style_audio.evaluation: baselines, tables, manifests and running a manifest."""
import json

import numpy as np
import pytest
import soundfile as sf

from neural_style_audio import audio, evaluation
from neural_style_audio.evaluation import metrics
from neural_style_audio.config import resolve_config
from conftest import SR, harmonic_tone

TINY = dict(n_filters=16, filter_width=3, iterations=2, griffin_lim_iters=2, progress=False)


def write_clips(directory, style_s=1.0):
    """content (220 Hz bright), style (330 Hz dark), output (another tone) as WAVs."""
    clips = dict(content=harmonic_tone(220, 1.0, decay=0.3),
                 style=harmonic_tone(330, style_s, n_harmonics=3, decay=1.5, seed=1),
                 output=harmonic_tone(247, 1.0, n_harmonics=4, decay=1.0, seed=2))
    for role, y in clips.items():
        sf.write(directory / f"{role}.wav", y, SR)
    return {role: directory / f"{role}.wav" for role in clips}


def test_fit_length_cuts_and_loops():
    y = np.arange(5, dtype=np.float32)
    np.testing.assert_array_equal(evaluation.fit_length(y, 3), [0, 1, 2])
    np.testing.assert_array_equal(evaluation.fit_length(y, 12), [0, 1, 2, 3, 4] * 2 + [0, 1])


def test_baselines_against_a_target_equal_to_the_content(tmp_path):
    paths = write_clips(tmp_path)
    item = evaluation.Item(name="a", label="a", content=paths["content"], style=paths["style"],
                           output=paths["output"], target=paths["content"])
    rows = {r["system"]: r for r in evaluation.evaluate_items([item], SR, monophonic=True)}
    assert set(rows) == set(evaluation.SYSTEMS)
    copy_content, copy_style, output = rows["copy_content"], rows["copy_style"], rows["output"]
    assert copy_content["chroma_similarity"] == pytest.approx(1.0)
    assert copy_content["pitch_accuracy"] == 1.0
    assert copy_content["octave_forgiving_pitch_accuracy"] == 1.0
    assert copy_content["log_spectral_distance"] == pytest.approx(0.0, abs=1e-9)
    assert copy_content["floored_log_spectral_distance"] == pytest.approx(0.0, abs=1e-9)
    assert copy_content["spectral_convergence"] == pytest.approx(0.0, abs=1e-6)
    assert copy_content["mfcc_distance_to_target"] == pytest.approx(0.0, abs=1e-6)
    # With a target, timbre is measured against it: the style-based columns are not
    # in the default set, so copying the style no longer scores a perfect timbre.
    assert "mfcc_stats_distance" not in copy_style and "spectral_stats_distance" not in copy_style
    assert copy_style["mfcc_distance_to_target"] > 1.0
    assert copy_style["pitch_accuracy"] < 0.5  # 330 Hz is not 220 Hz.
    assert output["log_spectral_distance"] > 1.0 and output["chroma_similarity"] < 0.99


def test_without_a_target_timbre_is_measured_against_the_style(tmp_path):
    paths = write_clips(tmp_path)
    item = evaluation.Item(name="a", label="a", content=paths["content"], style=paths["style"],
                           output=paths["output"])
    rows = {r["system"]: r for r in evaluation.evaluate_items([item], SR, monophonic=False)}
    assert set(rows["output"]) == {"item", "system", "chroma_similarity",
                                   "mfcc_stats_distance", "spectral_stats_distance"}
    # Style as long as the content: the copy-style baseline is the style itself.
    assert rows["copy_style"]["mfcc_stats_distance"] == pytest.approx(0.0, abs=1e-6)
    assert rows["copy_style"]["spectral_stats_distance"] == pytest.approx(0.0, abs=1e-9)


def write_triplets(directory):
    """Content = 220 Hz on bright A, style = 330 Hz on dark B, target = 220 Hz on B, and
    two outputs: 220 Hz on a B-like instrument (timbre moved) and on A (not moved)."""
    bright = dict(n_harmonics=12, decay=0.2)
    dark = dict(n_harmonics=3, decay=1.5)
    clips = dict(content=harmonic_tone(220, 1.0, **bright),
                 style=harmonic_tone(330, 1.0, seed=1, **dark),
                 target=harmonic_tone(220, 1.0, seed=2, **dark),
                 moved=harmonic_tone(220, 1.0, seed=3, n_harmonics=4, decay=1.4),
                 kept=harmonic_tone(220, 1.0, seed=4, n_harmonics=10, decay=0.25))
    for role, y in clips.items():
        sf.write(directory / f"{role}.wav", y, SR)
    return [evaluation.Item(name=output, label=output, content=directory / "content.wav",
                            style=directory / "style.wav", target=directory / "target.wav",
                            output=directory / f"{output}.wav")
            for output in ("moved", "kept")]


def test_timbre_accuracy_rate_per_system(tmp_path):
    rows = evaluation.evaluate_items(write_triplets(tmp_path), SR, monophonic=False)
    by_item = {(r["item"], r["system"]): r for r in rows}
    assert by_item[("moved", "output")]["timbre_accuracy"] == 1.0
    assert by_item[("kept", "output")]["timbre_accuracy"] == 0.0
    summary = {s["system"]: s for s in evaluation.summarize(rows)}
    assert summary["output"]["timbre_accuracy"] == pytest.approx(0.5)  # The rate.
    assert summary["copy_content"]["timbre_accuracy"] == 0.0
    assert summary["copy_style"]["timbre_accuracy"] == 1.0  # Same instrument as the target.
    assert (summary["copy_style"]["mfcc_distance_to_target"]
            < summary["copy_content"]["mfcc_distance_to_target"])
    table = evaluation.summary_table(evaluation.summarize(rows), markdown=True)
    assert "timbre_accuracy ↑" in table and "| copy_style | 2 |" in table


def test_evaluate_baselines_needs_no_output(tmp_path):
    items = write_triplets(tmp_path)
    pairs = [evaluation.Item(name=i.name, label=i.label, content=i.content, style=i.style,
                             target=i.target) for i in items]
    rows = evaluation.evaluate_baselines(pairs, SR, names=["timbre_accuracy",
                                                           "mfcc_distance_to_target"])
    assert [(r["item"], r["system"]) for r in rows] == [
        (name, system) for name in ("moved", "kept") for system in evaluation.BASELINES]
    full = [r for r in evaluation.evaluate_items(items, SR, monophonic=False)
            if r["system"] in evaluation.BASELINES]
    for row, expected in zip(rows, full):
        assert row["mfcc_distance_to_target"] == pytest.approx(
            expected["mfcc_distance_to_target"], rel=1e-9)
        assert row["timbre_accuracy"] == expected["timbre_accuracy"]


def test_compute_metrics_equals_evaluate_all(tmp_path):
    y = {role: audio.load_audio(p, SR) for role, p in write_clips(tmp_path, 1.5).items()}
    cache = {}
    for target in (y["style"][:SR], None):
        expected = metrics.evaluate_all(y["output"], y["content"], y["style"], SR,
                                        target=target)
        got = evaluation.compute_metrics(y["output"], y["content"], y["style"], SR,
                                         target=target, f0_cache=cache)
        assert list(got) == [m for m in evaluation.METRIC_NAMES if m in expected]
        assert set(got) == set(expected)
        for name, value in expected.items():
            assert got[name] == pytest.approx(value, rel=1e-9), name
    assert len(cache) == 2  # The f0 of the content and of the target, reused by later calls.
    only = evaluation.compute_metrics(y["output"], y["content"], y["style"], SR,
                                      names=["chroma_similarity"])
    assert list(only) == ["chroma_similarity"]
    with pytest.raises(ValueError, match="floored_log_spectral_distance need a target"):
        evaluation.compute_metrics(y["output"], y["content"], y["style"], SR,
                                   names=["floored_log_spectral_distance"])
    assert set(evaluation.HIGHER_IS_BETTER) >= set(evaluation.METRIC_NAMES)
    assert set(evaluation.METRIC_REFERENCES) == set(evaluation.METRIC_NAMES)


def test_write_evaluation_csv_md_png_and_summary(tmp_path):
    rows = [dict(item=f"i{i}", system=s, chroma_similarity=v, pitch_accuracy=float("nan"))
            for i in range(2) for s, v in zip(evaluation.SYSTEMS, (0.5 + i / 10, 1.0, 0.2))]
    paths = evaluation.write_evaluation(rows, tmp_path / "eval")
    assert {p.name for p in paths.values()} == {"evaluation.csv", "evaluation.md",
                                                "evaluation.png"}
    back = evaluation.read_csv(paths["csv"])
    assert len(back) == 6 and back[0]["chroma_similarity"] == pytest.approx(0.5)
    summary = {s["system"]: s for s in evaluation.summarize(back)}
    assert summary["output"]["chroma_similarity"] == pytest.approx(0.55)
    assert summary["output"]["n_items"] == 2 and np.isnan(summary["output"]["pitch_accuracy"])
    md = paths["md"].read_text()
    assert "## Means per system" in md and "## Per item" in md
    assert "| copy_content | 2 | **1** | – |" in md
    assert not list((tmp_path / "eval").glob(".*"))  # No temporary files left.


@pytest.mark.parametrize("text, expected", [
    ("{oops", "not valid JSON"),
    ('{"content": "a.wav"}', "non-empty JSON list"),
    ("[]", "non-empty JSON list"),
    ('["a.wav"]', "item 0: must be a JSON object"),
    ('[{"content": "a.wav", "style": "b.wav"}]', "item 0: missing 'output'"),
    ('[{"content": "a.wav", "style": 3, "output": "o.wav"}]', "'style' must be a non-empty"),
    ('[{"content": "a.wav", "style": "b.wav", "output": "o.wav", "target": ""}]', "'target'"),
    ('[{"id": 1, "content": "a.wav", "style": "b.wav", "output": "o.wav"},'
     ' {"id": 1, "content": "a.wav", "style": "b.wav", "output": "p.wav"}]', "duplicate"),
])
def test_malformed_manifest_one_line_error(tmp_path, text, expected):
    path = tmp_path / "manifest.json"
    path.write_text(text)
    with pytest.raises(evaluation.ManifestError, match=expected) as err:
        evaluation.load_manifest(path, ("content", "style", "output"))
    assert "\n" not in str(err.value) and str(path) in str(err.value)


def test_missing_manifest_and_missing_audio(tmp_path):
    with pytest.raises(evaluation.ManifestError, match="manifest not found"):
        evaluation.load_manifest(tmp_path / "nope.json")
    (tmp_path / "manifest.json").write_text(
        '[{"content": "c.wav", "style": "s.wav", "output": "o.wav"}]')
    items = evaluation.load_manifest(tmp_path / "manifest.json", ("content", "style", "output"))
    assert items[0].content == tmp_path / "c.wav" and items[0].name == "000_c__s"
    with pytest.raises(audio.AudioInputError, match="c.wav: file not found"):
        evaluation.evaluate_items(items, SR)


def test_run_manifest_writes_outputs_and_resumes(tmp_path, monkeypatch):
    paths = write_clips(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps(
        [{"id": 7, "content": "content.wav", "style": "style.wav", "target": "content.wav",
          "content_instrument": "piano"}]))
    items = evaluation.load_manifest(tmp_path / "manifest.json")
    config = resolve_config("ulyanov", **TINY)
    run_dir = tmp_path / "run"
    entries, failures = evaluation.run_manifest(items, config, run_dir, plot=False,
                                                progress=False)
    assert not failures and len(entries) == 1
    written = json.loads((run_dir / "manifest.json").read_text())
    assert written[0]["output"] == "outputs/007_content__style.wav"
    assert written[0]["content_instrument"] == "piano"
    again = evaluation.load_manifest(run_dir / "manifest.json", ("content", "style", "output"))
    assert again[0].content.resolve() == paths["content"].resolve()
    assert again[0].output.is_file() and again[0].name == items[0].name

    from neural_style_audio import methods
    calls = []
    monkeypatch.setattr(methods, "get", lambda name: methods.Method(
        name, lambda *a, **k: calls.append(a), object))
    evaluation.run_manifest(items, config, run_dir, plot=False, progress=False)
    assert calls == []  # Resumed: nothing recomputed.
    other = resolve_config("ulyanov", **dict(TINY, iterations=3))
    with pytest.raises(evaluation.ManifestError, match="iterations 2 -> 3"):
        evaluation.run_manifest(items, other, run_dir, plot=False, progress=False)
