"""experiments/genre_transfer_figure.py: a PNG from the table's JSON; a bad file is a
one-line error."""
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "experiments" / "genre_transfer_figure.py"


def _row(method, pair, before, after, chroma):
    return dict(method=method, pair=pair, p_style_before=before, p_style_after=after,
                chroma_similarity=chroma)


def test_figure_from_table_json(tmp_path):
    results = tmp_path / "genre_transfer.json"
    results.write_text(json.dumps(dict(
        command="python experiments/genre_transfer_table.py --judge_dir=x/feature_cnn",
        rows=[_row(m, p, 0.1, a, c) for p in ("a->b", "c->d")
              for m, a, c in (("content", 0.1, 1.0), ("cnn_baseline", 0.4, 0.9))])))
    out = tmp_path / "fig.png"
    done = subprocess.run([sys.executable, str(SCRIPT), "--results", str(results),
                           "--output", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_bad_results_file_is_one_line(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    done = subprocess.run([sys.executable, str(SCRIPT), "--results", str(bad),
                           "--output", str(tmp_path / "x.png")], capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.startswith("error: --results")
    assert len(done.stderr.strip().splitlines()) == 1 and not (tmp_path / "x.png").exists()
