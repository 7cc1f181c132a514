"""scripts/train_cyclegan.py and scripts/convert.py as a user runs them: bad folders
are one line and exit 2; a tiny run trains, and its generator converts clips of any
length into files exactly as long, never replacing inputs or existing outputs."""
import subprocess
import sys

import pytest
import soundfile as sf

from conftest import REPO, harmonic_tone
from cyclegan_fixtures import SR, TINY, write_domains

TRAIN = str(REPO / "scripts" / "train_cyclegan.py")
CONVERT = str(REPO / "scripts" / "convert.py")
TINY_FLAGS = [f"--{k}={v}" for k, v in TINY.items()] + ["--noprogress"]


def run(script, *args, cwd):
    return subprocess.run([sys.executable, script, *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


def assert_user_error(proc, *expected):
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert proc.returncode == 2, proc.stderr[-3000:]
    lines = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, proc.stderr
    for text in expected:
        assert text in lines[0], (text, lines[0])


def test_bad_data_folders_are_one_line_and_exit_2(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "file.wav").write_bytes(b"x")
    (tmp_path / "genres" / "jazz").mkdir(parents=True)
    cases = [
        (["--dir_a", tmp_path / "missing", "--dir_b", tmp_path / "empty"],
         ["--dir_a", "missing", "folder not found"]),
        (["--dir_a", tmp_path / "empty", "--dir_b", tmp_path / "empty"],
         ["--dir_a", "empty", "0 audio files"]),
        (["--dir_a", tmp_path / "file.wav", "--dir_b", tmp_path / "empty"],
         ["not a folder"]),
        (["--data_dir", tmp_path / "genres", "--genre_a", "jazz", "--genre_b", "rock"],
         ["rock"]),
        (["--dir_a", tmp_path / "empty"], ["--dir_b"]),
    ]
    for args, expected in cases:
        proc = run(TRAIN, *args, "--output_dir", tmp_path / "run", *TINY_FLAGS, cwd=tmp_path)
        assert_user_error(proc, *expected)
    assert not (tmp_path / "run").exists()


@pytest.mark.slow
def test_train_then_convert_any_length(tmp_path):
    dir_a, dir_b = write_domains(tmp_path / "data")
    run_dir = tmp_path / "run"
    proc = run(TRAIN, "--dir_a", dir_a, "--dir_b", dir_b, "--output_dir", run_dir,
               "--max_steps=2", "--checkpoint_every=1", *TINY_FLAGS, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "trained steps 0..2" in proc.stderr
    assert (run_dir / "generator_a2b.weights.h5").is_file()
    clips = tmp_path / "clips"
    clips.mkdir()
    lengths = {}
    for name, seconds in (("short", 0.3), ("long", 3.7)):
        y = harmonic_tone(220, seconds, sr=SR)
        sf.write(clips / f"{name}.wav", y, SR)
        lengths[name] = len(y)
    out_dir = tmp_path / "converted"
    proc = run(CONVERT, "--model", run_dir, "--input", str(clips / "*.wav"),
               "--output_dir", out_dir, "--griffin_lim_iters=3", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for name, n in lengths.items():
        y, sr = sf.read(out_dir / f"{name}__a2b.wav")
        assert sr == SR and len(y) == n
    # An exported generator converts the other way; existing outputs are refused.
    proc = run(CONVERT, "--model", run_dir / "generator_b2a.weights.h5", "--input",
               clips / "short.wav", "--output_dir", out_dir, "--phase=content", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert len(sf.read(out_dir / "short__b2a.wav")[0]) == lengths["short"]
    proc = run(CONVERT, "--model", run_dir, "--input", clips / "short.wav",
               "--output_dir", out_dir, cwd=tmp_path)
    assert_user_error(proc, "short__a2b.wav", "exists", "--overwrite")
    proc = run(CONVERT, "--model", tmp_path / "nowhere", "--input", clips / "short.wav",
               cwd=tmp_path)
    assert_user_error(proc, "--model", "not found")
