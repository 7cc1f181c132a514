"""Judging genre transfer: held-out pairs, converters of both kinds, the summary, and
the table script on a tiny corpus."""
import json
import subprocess
import sys

import numpy as np
import pytest

from neural_style_audio import genres
from neural_style_audio.genres import evaluation, features
from neural_style_audio.training import genre_classifier as train
from genre_corpus import write_corpus

REPO = __import__("pathlib").Path(__file__).resolve().parents[2]
SR = 22050


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("genre_eval")
    corpus = write_corpus(root / "genres", n_tracks=5, seconds=1.5)
    split = genres.make_split(genres.list_tracks(corpus), 0.4, 0.0, seed=0)
    cfg = train.GenreTrainConfig(judge="mfcc_logreg", segment_s=0.5, hop_s=0.5)
    judge, record = train.train_judge(split, cfg, features.FeatureCache(cfg.segment_config()),
                                      log=lambda line: None)
    judge.record = dict(record, split=split)
    judge.save(root / "judge")
    return root, split, judge


def test_held_out_pairs_come_from_test_tracks(trained):
    _, split, _ = trained
    pairs = evaluation.held_out_pairs(split, "low", "high", n_pairs=2, clip_s=1.0,
                                      offset_s=10.0, sr=SR)
    assert [p.name for p in pairs] == ["low1->high1", "low2->high2"]
    assert pairs[0].content_path == split["test"]["low"][0]
    assert pairs[1].style_path == split["test"]["high"][1]
    # The offset is moved back so a 1-s clip fits in the 1.5-s track.
    assert len(pairs[0].y_content) == SR
    with pytest.raises(genres.GenreDataError, match="3 pairs need 3 test tracks.*has 2 low"):
        evaluation.held_out_pairs(split, "low", "high", n_pairs=3, sr=SR)
    with pytest.raises(genres.GenreDataError, match="genre 'jazz' is not in the split"):
        evaluation.held_out_pairs(split, "low", "jazz", sr=SR)


def test_converters_and_summary(trained):
    _, split, judge = trained
    pairs = evaluation.held_out_pairs(split, "low", "high", n_pairs=2, clip_s=1.0, sr=SR)
    seen = []

    def to_style(y, sr, style=None):  # An "optimisation method": returns the style clip.
        seen.append(sr)
        return style

    def too_long(y, sr):  # A "CycleGAN": longer output is cut to the content's length.
        return np.concatenate([y, y])

    assert evaluation.takes_style(to_style) and not evaluation.takes_style(too_long)
    rows = evaluation.evaluate_converter("to_style", to_style, pairs, judge, "high", "low",
                                         SR, log=None)
    rows += evaluation.evaluate_converter("identity", too_long, pairs, judge, "high", "low",
                                          SR, log=None)
    assert seen == [SR, SR]
    table = {t["method"]: t for t in evaluation.summarise(rows)}
    assert table["to_style"]["fraction_style"] == 1.0
    assert table["to_style"]["p_style_after"] > 0.9 > table["to_style"]["p_style_before"]
    assert table["identity"]["fraction_style"] == 0.0
    assert table["identity"]["chroma_similarity"] == pytest.approx(1.0, abs=1e-6)
    assert table["identity"]["p_style_after"] == pytest.approx(
        table["identity"]["p_style_before"])


def _table_module():
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        "genre_transfer_table", REPO / "experiments" / "genre_transfer_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _converter_table_args(root, tmp_path, style_genre, converter):
    """(table path, arguments) of a 2-pair genre_transfer_table run with one converter."""
    out = tmp_path / "table.md"
    return out, [f"--judge_dir={root / 'judge'}", "--content_genre=low",
                 f"--style_genre={style_genre}", "--methods=", f"--converter={converter}",
                 "--n_pairs=2", "--clip_s=1", f"--work_dir={tmp_path / 'work'}",
                 f"--output={out}"]


def test_table_script_with_a_converter_hook(trained, tmp_path, monkeypatch, capsys):
    root, _, _ = trained
    (tmp_path / "genre_hook_module.py").write_text(
        "def converter():\n    return lambda y, sr: -y\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    out, args = _converter_table_args(root, tmp_path, "noise",
                                      "negated=genre_hook_module:converter")
    table = _table_module()
    assert table.main(args) == 0
    text = out.read_text()
    assert "| `negated` | - |" in text and "| content clip, unchanged | - |" in text
    rows = json.loads(out.with_suffix(".json").read_text())["rows"]
    assert [r["method"] for r in rows] == ["content", "content_peak", "style",
                                           "negated"] * 2  # Pair-major.
    # A sign flip keeps the spectrum: the judge's verdict does not move.
    for r in rows[3::4]:
        assert r["p_style_after"] == pytest.approx(r["p_style_before"], abs=1e-3)
    assert "| content clip, peak-normalised to 0.9 | - |" in text
    records = sorted((tmp_path / "work").rglob("*.json"))
    stamps = [p.stat().st_mtime_ns for p in records]
    assert table.main(args) == 0  # Resumed: nothing recomputed.
    assert [p.stat().st_mtime_ns for p in records] == stamps
    capsys.readouterr()
    assert table.main([f"--judge_dir={tmp_path / 'none'}"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "judge file not found" in err


def test_table_script_bad_method_is_one_line_error(trained, capsys):
    root, _, _ = trained
    assert _table_module().main([f"--judge_dir={root / 'judge'}", "--methods=wavenet"]) == 2
    assert "error: --methods: unknown wavenet" in capsys.readouterr().err


def test_table_script_extra_judge_reuses_kept_outputs(trained, tmp_path, monkeypatch):
    root, _, _ = trained
    (tmp_path / "genre_hook_counted.py").write_text(
        "calls = []\n"
        "def converter():\n"
        "    def convert(y, sr):\n"
        "        calls.append(len(y))\n"
        "        return 0.5 * y[::-1]\n"
        "    convert.settings = dict(trained_steps=7)\n"
        "    return convert\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import genre_hook_counted as hook
    out, args = _converter_table_args(root, tmp_path, "high",
                                      "reversed=genre_hook_counted:converter")
    table = _table_module()
    assert table.main(args) == 0
    assert len(hook.calls) == 2
    kept = sorted((tmp_path / "work").rglob("reversed/*.npy"))
    assert len(kept) == 2
    # A second judge (here the same judge again) is applied to the kept outputs: no
    # conversion is redone, and its verdicts equal the first judge's.
    assert table.main([*args, f"--extra_judges={root / 'judge'}"]) == 0
    assert len(hook.calls) == 2
    data = json.loads(out.with_suffix(".json").read_text())
    for row in data["rows"]:
        again = row["also_judged"]["mfcc_logreg"]
        assert again["p_style_after"] == pytest.approx(row["p_style_after"], abs=1e-5)
        assert again["predicted_before"] == row["predicted_before"]
    assert data["settings"]["reversed"] == dict(converter="genre_hook_counted:converter",
                                                trained_steps=7)
    text = out.read_text()
    assert "## The same outputs judged by `mfcc_logreg`" in text
    assert "Before any transfer, this judge labels " in text and "content clips low" in text
    assert "- `reversed`: converter genre_hook_counted:converter, trained_steps 7" in text
    # --table_only rebuilds the same table from the records.
    before = out.read_text().split("\n", 3)[3]
    assert table.main([*args, f"--extra_judges={root / 'judge'}", "--table_only"]) == 0
    assert out.read_text().split("\n", 3)[3] == before


def test_table_script_bad_converter_is_one_line_error(trained, capsys):
    root, _, _ = trained
    assert _table_module().main([f"--judge_dir={root / 'judge'}", "--methods=",
                                 "--converter=x=no_such_module_here:f"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --converter x=no_such_module_here:f:")


def test_table_settings_of_every_method():
    # The time-axis variants override content_weight: it must appear once (a duplicate
    # keyword used to stop the script before any transfer).
    table = _table_module()
    steps = {name: 3 for name in table.METHODS}
    converters, settings = table.optimisation_converters(list(table.METHODS), steps)
    assert set(converters) == set(settings) == set(table.METHODS)
    assert settings["gupta_rnn_time"]["content_weight"] == 0.036
    assert settings["gupta_rnn_time"]["rnn_axis"] == "time"
    assert settings["gupta_bilstm"]["published_iterations"] == 10000
    assert all(s["iterations"] == 3 for s in settings.values())
    assert converters["gupta_bilstm_time"].config.network.rnn_axis == "time"
