"""Tests of neural_style_audio.report, and of run_pairs -> evaluate -> report as scripts."""
import json
import re
import subprocess
import sys
from urllib.parse import unquote

import pytest
import soundfile as sf

from neural_style_audio import audio, evaluation
from neural_style_audio.evaluation import report
from conftest import REPO, SR, harmonic_tone

NASTY_ID = '<script>alert("x")</script> & co'


def make_run_set(directory):
    """Clips with awkward names and a manifest with content/style/output/target."""
    clips = directory / "clips"
    clips.mkdir()
    names = dict(content="my clip #1.wav", style="style&<b>.wav", output="out put.wav",
                 target="target.flac")
    tones = dict(content=harmonic_tone(220, 1.0), style=harmonic_tone(330, 1.2, decay=1.5),
                 output=harmonic_tone(225, 1.0, decay=1.0),
                 target=harmonic_tone(220, 1.0, n_harmonics=3))
    for role, name in names.items():
        sf.write(clips / name, tones[role], SR)
    manifest = directory / "manifest.json"
    manifest.write_text(json.dumps([dict(
        id=NASTY_ID, content_instrument="piano <grand>",
        **{role: f"clips/{name}" for role, name in names.items()})]))
    return manifest


def linked_files(page, page_dir):
    links = re.findall(r'(?:src|href)="([^"]*)"', page)
    return [page_dir / unquote(link.replace("&amp;", "&")) for link in links]


def test_report_links_existing_files_and_escapes_text(tmp_path):
    manifest = make_run_set(tmp_path)
    item = evaluation.load_manifest(manifest)[0]
    rows = [dict(item=item.name, system=s, chroma_similarity=v, log_spectral_distance=d)
            for s, v, d in zip(evaluation.SYSTEMS, (0.8, 1.0, 0.3), (5.0, 0.0, 9.0))]
    csv = evaluation.write_csv(rows, tmp_path / "evaluation" / "evaluation.csv")
    page_path = report.build_report(manifest, csv, tmp_path / "site" / "index.html",
                                    title="Run <1> & more")
    page = page_path.read_text()
    links = linked_files(page, page_path.parent)
    assert len(links) >= 10  # 4 images, 4 players, manifest and CSV.
    missing = [str(p) for p in links if not p.is_file()]
    assert not missing
    assert sorted(p.name for p in (tmp_path / "site" / "index_files").iterdir()) == sorted(
        f"{item.name}_{role}.png" for role in report.ROLES)
    assert "<script>" not in page and "<b>" not in page and "<grand>" not in page
    assert "&lt;script&gt;" in page and "piano &lt;grand&gt;" in page
    assert "<title>Run &lt;1&gt; &amp; more</title>" in page
    assert "my%20clip%20%231.wav" in page and "style%26%3Cb%3E.wav" in page
    assert 'class="best">0.3</td>' not in page and 'class="best">1</td>' in page
    assert "<audio controls" in page and 'type="audio/flac"' in page


def test_report_errors(tmp_path):
    manifest = make_run_set(tmp_path)
    with pytest.raises(evaluation.ManifestError, match="evaluation CSV not found"):
        report.build_report(manifest, tmp_path / "nope.csv")
    (tmp_path / "clips" / "out put.wav").unlink()
    with pytest.raises(audio.AudioInputError, match="out put.wav: file not found"):
        report.build_report(manifest)
    assert not (tmp_path / "report.html").exists()


def run_script(name, *args):
    return subprocess.run([sys.executable, str(REPO / "scripts" / name), *map(str, args)],
                          capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_scripts_run_pairs_evaluate_report(tmp_path):
    sf.write(tmp_path / "c.wav", harmonic_tone(220, 1.0, decay=0.3), SR)
    sf.write(tmp_path / "s.wav", harmonic_tone(330, 1.0, n_harmonics=3, decay=1.5), SR)
    (tmp_path / "manifest.json").write_text(json.dumps(
        [{"id": 0, "content": "c.wav", "style": "s.wav", "target": "c.wav"}]))
    run_dir = tmp_path / "run"
    proc = run_script("run_pairs.py", f"--manifest={tmp_path / 'manifest.json'}",
                      f"--output_dir={run_dir}", "--n_filters=16", "--filter_width=3",
                      "--iterations=2", "--griffin_lim_iters=2", "--noplot", "--noprogress")
    assert proc.returncode == 0, proc.stderr[-2000:]
    run_manifest = run_dir / "manifest.json"
    # --noplot: the figure is tested in-process; without it evaluate never imports TF.
    proc = run_script("evaluate.py", f"--manifest={run_manifest}", "--nomonophonic",
                      "--noplot", "--noprogress")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "copy_content" in proc.stdout
    rows = evaluation.read_csv(run_dir / "evaluation" / "evaluation.csv")
    assert {r["system"] for r in rows} == set(evaluation.SYSTEMS)
    proc = run_script("report.py", f"--manifest={run_manifest}", "--noprogress")
    assert proc.returncode == 0, proc.stderr[-2000:]
    page = (run_dir / "report.html").read_text()
    assert all(p.is_file() for p in linked_files(page, run_dir)) and "copy_style" in page

    (tmp_path / "bad.json").write_text('[{"content": "c.wav"}]')
    bad = run_script("evaluate.py", f"--manifest={tmp_path / 'bad.json'}")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "item 0: missing 'style'" in bad.stderr
