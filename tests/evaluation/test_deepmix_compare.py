"""Tests of experiments/deepmix_compare.py: published vs reproduced DeepMix table shapes."""
import csv
import importlib.util
import json

import numpy as np
import pytest

from conftest import REPO

SCRIPT = REPO / "experiments" / "deepmix_compare.py"


@pytest.fixture(scope="module")
def compare():
    spec = importlib.util.spec_from_file_location("deepmix_compare", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_published_values_are_the_report_tables(compare):
    published = json.loads(compare.PUBLISHED_JSON.read_text())
    one, two = published["one_layer"], published["two_layer"]
    assert one["rows"] == [128, 256, 512, 1024, 2048, 4096]
    assert one["columns"] == [5, 10, 15, 20, 25, 30]
    assert np.shape(one["final_loss"]) == (6, 6) and np.shape(two["final_loss"]) == (3, 4)
    assert one["final_loss"][0][0] == 9.03 and one["final_loss"][-1][-1] == 0.26
    assert two["final_loss"][two["rows"].index("lbfgs")][-1] == 9.13e3


def test_shapes_of_known_tables(compare):
    n = np.array([128.0, 256.0])
    shapes = compare.one_layer_shapes([[4.0, 4.0], [1.0, 1.0]], n, [5, 10])
    assert shapes["ratio_row_means"] == pytest.approx(4.0)
    assert shapes["slope_row_means"] == pytest.approx(-2.0)  # loss ~ N^-2.
    assert shapes["cv_per_row"] == [0.0, 0.0]
    two = compare.two_layer_shapes([[10.0, 100.0], [50.0, 20.0], [1.0, 1.1]],
                                   ["rmsprop", "adam", "lbfgs"], [0.1, 0.01])
    assert two["lbfgs_spread"] == pytest.approx(1.1)
    assert two["best_lr"] == {"rmsprop": 0.1, "adam": 0.01, "lbfgs": 0.1}
    assert two["rank_best"] == ["lbfgs", "rmsprop", "adam"]


def test_writes_markdown_from_sweep_csvs_when_present(compare, tmp_path):
    reproduced = json.loads(compare.REPRODUCED_JSON.read_text())
    for name, sweep in compare.SWEEP_NAMES.items():
        spec = reproduced[name]
        path = tmp_path / sweep / "sweep.csv"
        path.parent.mkdir()
        with open(path, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["cell", spec["row_axis"], spec["column_axis"], "final_loss"])
            for i, row in enumerate(spec["rows"]):
                for j, column in enumerate(spec["columns"]):
                    value = repr(column) if isinstance(column, float) else str(column)
                    writer.writerow(["c", row, value, 2 * spec["final_loss"][i][j]])
    output = tmp_path / "compare.md"
    assert compare.main(["--sweeps_dir", str(tmp_path), "--output", str(output)]) == 0
    text = output.read_text()
    assert "filters_width/sweep.csv" in text and "not found" not in text
    assert "## Agreement" in text and "| loss falls as the number of filters grows |" in text
    # Doubling every reproduced loss changes no scale-free shape.
    default = tmp_path / "default.md"
    compare.main(["--sweeps_dir", str(tmp_path / "none"), "--output", str(default)])
    assert text.split("## Table 1")[1] == default.read_text().split("## Table 1")[1]
