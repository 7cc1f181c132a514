"""End-to-end tests of scripts/make_pairs.py (rendering tests skip without fluidsynth)."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from neural_style_audio import synth

REPO_ROOT = Path(__file__).resolve().parents[1]
SCRIPT = REPO_ROOT / "scripts" / "make_pairs.py"
SR = 22050
needs_synth = pytest.mark.skipif(not synth.synth_available(),
                                 reason="fluidsynth / FluidR3_GM.sf2 not installed")


def run_script(*args, env=None):
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True,
                          text=True, cwd=REPO_ROOT, env=env, timeout=120, check=False)


def tiny_args(output_dir, seed=3):
    return ("--melodies=ode_to_joy,twinkle_twinkle,frere_jacques",
            "--instruments=piano,violin,flute", "--n_triplets=2", "--max_beats=2",
            "--tempo_bpm=120", f"--seed={seed}", f"--output_dir={output_dir}")


@pytest.fixture(scope="module")
def pairs_dir(tmp_path_factory):
    if not synth.synth_available():
        pytest.skip("fluidsynth / FluidR3_GM.sf2 not installed")
    output_dir = tmp_path_factory.mktemp("pairs")
    result = run_script(*tiny_args(output_dir))
    assert result.returncode == 0, result.stderr
    return output_dir


@needs_synth
def test_manifest_lists_consistent_triplets(pairs_dir):
    manifest = json.loads((pairs_dir / "manifest.json").read_text())
    assert len(manifest) == 2
    assert len({(t["content"], t["style"]) for t in manifest}) == 2
    for triplet in manifest:
        assert triplet["content_melody"] != triplet["style_melody"]
        assert triplet["content_instrument"] != triplet["style_instrument"]
        assert triplet["sr"] == SR and triplet["seed"] == 3
        assert triplet["target"] == (f"clips/{triplet['content_melody']}__"
                                     f"{triplet['style_instrument']}.flac")
        for role in ("content", "style", "target"):
            info = sf.info(str(pairs_dir / triplet[role]))
            assert info.samplerate == SR and info.channels == 1
            assert info.subtype == "PCM_16"
            assert 1.0 <= info.duration < 3.0  # 2 beats at 120 BPM + release.


@needs_synth
def test_target_plays_the_content_melody(pairs_dir):
    from neural_style_audio.evaluation import metrics
    triplet = json.loads((pairs_dir / "manifest.json").read_text())[0]
    content, target, style = (sf.read(str(pairs_dir / triplet[role]), dtype="float32")[0]
                              for role in ("content", "target", "style"))
    assert metrics.pitch_accuracy(target, content, SR) > 0.7
    assert metrics.pitch_accuracy(style, content, SR) < 0.5
    assert np.max(np.abs(target)) == pytest.approx(synth.PEAK_LEVEL, abs=1e-3)


@needs_synth
def test_same_seed_gives_same_triplets(pairs_dir, tmp_path):
    result = run_script(*tiny_args(tmp_path))
    assert result.returncode == 0, result.stderr
    first = json.loads((pairs_dir / "manifest.json").read_text())
    again = json.loads((tmp_path / "manifest.json").read_text())
    assert first == again


def test_missing_soundfont_is_one_line_and_exit_1(tmp_path):
    env = {"PATH": "/usr/bin:/bin", synth.SOUNDFONT_ENV_VAR: str(tmp_path / "none.sf2")}
    result = run_script(f"--output_dir={tmp_path}", env=env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "apt-get install fluidsynth fluid-soundfont-gm" in result.stderr
    assert not (tmp_path / "manifest.json").exists()


def test_unknown_melody_and_too_many_triplets_fail_cleanly(tmp_path):
    result = run_script("--melodies=ode_to_joy,not_a_tune", f"--output_dir={tmp_path}")
    assert result.returncode == 1 and "not_a_tune" in result.stderr
    assert "Traceback" not in result.stderr
    if synth.synth_available():
        result = run_script("--melodies=ode_to_joy,twinkle_twinkle",
                            "--instruments=piano,violin", "--n_triplets=5",
                            f"--output_dir={tmp_path}")
        assert result.returncode == 1 and "only 4 distinct triplets" in result.stderr
