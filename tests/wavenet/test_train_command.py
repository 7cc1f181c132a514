"""scripts/train_wavenet.py end to end on the tiny configuration: render, train, stop,
resume, measure, export (one subprocess per run, as a user runs it)."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("fluidsynth") is None, reason="fluidsynth not installed")
def test_command_end_to_end_with_resume(tmp_path):
    pytest.importorskip("pretty_midi")
    export = tmp_path / "tiny.weights.h5"
    command = [sys.executable, "scripts/train_wavenet.py", "--model=tiny", "--steps=6",
               "--batch_size=2", "--crop_samples=256", "--eval_every=3", "--eval_crops=2",
               "--instruments=piano,flute", "--soundfonts=fluidr3", "--train_events=2",
               "--test_events=1", f"--cache_dir={tmp_path / 'cache'}",
               f"--output_dir={tmp_path / 'run'}", "--lsd_clips=1", "--lsd_seconds=0.05"]
    run = subprocess.run(command + ["--max_steps_this_run=3"], cwd=REPO, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "not finished" in run.stdout
    run = subprocess.run(command + [f"--export={export}"], cwd=REPO, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "resumed" in run.stdout and "held-out reconstruction LSD" in run.stdout
    meta = json.loads(export.with_name("tiny.json").read_text())
    assert meta["steps_done"] == 6 and meta["wavenet_config"]["name"] == "tiny"
    from neural_style_audio.wavenet import weights
    net = weights.load_model(str(export))
    assert net.config.name == "tiny"
    bad = subprocess.run([sys.executable, "scripts/train_wavenet.py", "--model=huge",
                          f"--output_dir={tmp_path / 'x'}"], cwd=REPO, capture_output=True,
                         text=True, timeout=300)
    assert bad.returncode == 2 and bad.stderr.strip().splitlines()[-1].startswith("error: ")
    assert len(bad.stderr.strip().splitlines()) == 1
