"""Tests of neural_style_audio.sweep: grid parsing, a tiny 2x2 sweep, resume and plots."""
import json

import numpy as np
import pytest
import soundfile as sf

from neural_style_audio import evaluation
from neural_style_audio.evaluation import plots, sweep
from conftest import SR, harmonic_tone

TINY = dict(iterations=2, griffin_lim_iters=2, progress=False)


def test_parse_grid_types_and_cells():
    grid = sweep.parse_grid(["n_filters=16, 32", "content_weight=1e-2,0.1",
                             "nonnegative=true,false", "preset=ulyanov,deepmix"])
    assert grid == {"n_filters": [16, 32], "content_weight": [0.01, 0.1],
                    "nonnegative": [True, False], "preset": ["ulyanov", "deepmix"]}
    cells = sweep.grid_cells(grid)
    assert len(cells) == 16 and cells[1] == dict(n_filters=16, content_weight=0.01,
                                                 nonnegative=True, preset="deepmix")
    assert sweep.cell_name(cells[0]) == ("n_filters=16__content_weight=0.01__"
                                         "nonnegative=true__preset=ulyanov")


@pytest.mark.parametrize("specs, expected", [
    ([], "at least one --grid"),
    (["n_filters"], "expected name=value"),
    (["n_filter=1,2"], "unknown setting 'n_filter'"),
    (["n_filters=16,x"], "'x' is not a valid int"),
    (["n_filters=16,16"], "repeated"),
    (["n_filters=16", "n_filters=32"], "given twice"),
    (["n_filters="], "no values"),
])
def test_parse_grid_errors(specs, expected):
    with pytest.raises(sweep.SweepError, match=expected):
        sweep.parse_grid(specs)


def test_cell_configs_validated_before_running():
    with pytest.raises(sweep.SweepError, match="cell n_layers=3: --n_layers must be 1 or 2"):
        sweep.cell_configs(sweep.parse_grid(["n_layers=1,3"]))
    with pytest.raises(sweep.SweepError, match="--n_filters is also swept"):
        sweep.cell_configs(sweep.parse_grid(["n_filters=8,16"]), overrides=dict(n_filters=4))
    planned = sweep.cell_configs(sweep.parse_grid(["preset=ulyanov,iitb"]), "deepmix",
                                 dict(n_filters=8))
    assert [c.features.feature for _, _, c in planned] == ["stft", "mel"]
    assert all(c.network.n_filters == 8 for _, _, c in planned)


@pytest.fixture
def pair(tmp_path):
    sf.write(tmp_path / "content.wav", harmonic_tone(220, 1.0, decay=0.3), SR)
    sf.write(tmp_path / "style.wav", harmonic_tone(330, 1.0, n_harmonics=3, decay=1.5), SR)
    return sweep.pairs_from_paths([tmp_path / "content.wav"], [tmp_path / "style.wav"],
                                  target=tmp_path / "content.wav")


def test_2x2_sweep_writes_table_heatmaps_audio_and_resumes(tmp_path, pair, monkeypatch):
    grid = sweep.parse_grid(["n_filters=16,32", "filter_width=3,5"])
    out = tmp_path / "sweep"
    names = ["chroma_similarity", "log_spectral_distance"]
    kwargs = dict(overrides=TINY, metric_names=names, plot_metric="log_spectral_distance",
                  plot=False, progress=False)
    first = sweep.run_sweep(grid, pair, out, **kwargs)
    assert (first.n_computed, first.n_resumed, first.compilations) == (4, 0, 4)
    rows = evaluation.read_csv(out / "sweep.csv")
    assert [(r["n_filters"], r["filter_width"]) for r in rows] == [
        (16, 3), (16, 5), (32, 3), (32, 5)]
    for row in rows:
        assert row["final_loss"] > 0 and row["time_s"] > 0
        assert 0 <= row["chroma_similarity"] <= 1 and row["log_spectral_distance"] > 0
        cell_dir = out / "cells" / row["cell"]
        assert (cell_dir / "content__style.wav").is_file()
        stored = json.loads((cell_dir / "cell.json").read_text())
        assert stored["config"]["network"]["n_filters"] == row["n_filters"]
    table = (out / "sweep.md").read_text()
    assert "| n_filters=16__filter_width=3 | 16 | 3 |" in table
    # The copy baselines sit beside the cells, scored with the same metrics: copying
    # the content has chroma 1 against the content.
    baseline_rows = [line for line in table.splitlines() if line.startswith("| copy_")]
    assert [line.split(" | ")[0] for line in baseline_rows] == ["| copy_content",
                                                                "| copy_style"]
    assert baseline_rows[0].split(" | ")[2].strip() in ("1", "1.0", "1.000")
    for png in ("sweep_final_loss.png", "sweep_log_spectral_distance.png"):
        assert (out / png).read_bytes()[:4] == b"\x89PNG"

    from neural_style_audio import methods
    calls = []
    monkeypatch.setattr(methods, "get", lambda name: methods.Method(
        name, lambda *a, **k: calls.append(a), object))
    mtimes = {p: p.stat().st_mtime_ns for p in out.glob("cells/*/*")}
    # A resumed sweep also reuses the copy baselines' rows (same clips, metrics, rate).
    from neural_style_audio.evaluation import runner
    scored = []
    monkeypatch.setattr(runner, "evaluate_baselines",
                        lambda *a, **k: scored.append(a) or [])
    second = sweep.run_sweep(grid, pair, out, **kwargs)
    assert (second.n_computed, second.n_resumed, calls, scored) == (0, 4, [], [])
    assert (out / "sweep.md").read_text().count("| copy_") == 2
    assert mtimes == {p: p.stat().st_mtime_ns for p in out.glob("cells/*/*")}
    assert [r["final_loss"] for r in second.rows] == pytest.approx(
        [r["final_loss"] for r in first.rows])
    # Other shared settings: refused before anything runs, not silently mixed.
    with pytest.raises(sweep.SweepError, match="iterations 2 -> 3"):
        sweep.run_sweep(grid, pair, out, **dict(kwargs, overrides=dict(TINY, iterations=3)))


def test_cells_sharing_a_network_and_shapes_compile_once(tmp_path, pair):
    grid = sweep.parse_grid(["content_weight=0.01,1.0", "optimizer=lbfgs,adam"])
    result = sweep.run_sweep(grid, pair, tmp_path, overrides=TINY,
                             metric_names=["chroma_similarity"], plot=False, progress=False)
    assert result.n_computed == 4 and result.compilations == 1
    losses = [r["final_loss"] for r in result.rows]
    assert len(set(losses)) == 4  # The shared compiled code saw each cell's own weight.


def test_metric_choice_errors(pair):
    grid = sweep.parse_grid(["n_filters=8"])
    with pytest.raises(sweep.SweepError, match="--metric pitch_accuracy is not computed"):
        sweep.run_sweep(grid, pair, "unused", metric_names=["chroma_similarity"],
                        plot_metric="pitch_accuracy")
    no_target = [evaluation.Item(name="p", label="p", content=pair[0].content,
                                 style=pair[0].style)]
    with pytest.raises(sweep.SweepError, match="need a target"):
        sweep.run_sweep(grid, no_target, "unused", metric_names=["log_spectral_distance"])


@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 2, 2)])
def test_grid_figure_line_and_heatmaps(tmp_path, shape):
    axes = [(f"axis{i}", list(range(n))) for i, n in enumerate(shape)]
    values = np.arange(np.prod(shape), dtype=float).reshape(shape) + 1
    values.flat[0] = np.nan  # A failed cell is drawn grey, not an error.
    plots.grid_figure(axes, values, "final_loss ↓", tmp_path / "g.png")
    assert (tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_sweep_script_end_to_end_and_user_errors(tmp_path, pair):
    import subprocess
    import sys
    from pathlib import Path
    script = Path(__file__).resolve().parents[2] / "scripts" / "sweep.py"
    common = [sys.executable, str(script), f"--content={pair[0].content}",
              f"--style={pair[0].style}", "--n_filters=16", "--iterations=2",
              "--griffin_lim_iters=2", "--metrics=chroma_similarity", "--metric=final_loss",
              "--noplot", "--noprogress"]
    out = tmp_path / "out"
    proc = subprocess.run(common + ["--grid=content_weight=0.01,1", f"--output_dir={out}"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "2 cells computed (1 compilation)" in proc.stderr
    assert "cuInit" not in proc.stderr and "cuda drivers" not in proc.stderr  # Quiet start-up.
    rows = evaluation.read_csv(out / "sweep.csv")
    assert [r["content_weight"] for r in rows] == [0.01, 1.0]
    assert (out / "sweep_final_loss.png").is_file()
    bad = subprocess.run(common + ["--grid=n_filters=abc", f"--output_dir={out}"],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.strip().splitlines()[-1] == \
        "error: --grid n_filters: 'abc' is not a valid int"
