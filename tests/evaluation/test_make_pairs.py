"""End-to-end tests of scripts/make_pairs.py (rendering tests skip without fluidsynth)."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from neural_style_audio import synth

REPO_ROOT = Path(__file__).resolve().parents[2]
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


@needs_synth
def test_transpositions_and_heldout_split(tmp_path):
    result = run_script(*tiny_args(tmp_path, seed=5)[:-1], "--n_triplets=1", "--n_heldout=1",
                        "--transpositions=-12,7", f"--output_dir={tmp_path}")
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert [t["split"] for t in manifest] == ["dev", "heldout"]
    assert len({(t["content_melody"], t["style_melody"], t["content_instrument"],
                 t["style_instrument"]) for t in manifest}) == 2
    for triplet in manifest:
        shift = triplet["content_transpose"]
        assert shift in (-12, 7) and triplet["style_transpose"] in (-12, 7)
        assert triplet["content"].endswith(f"__t{shift:+d}.flac")
        assert triplet["target"].endswith(f"__t{shift:+d}.flac")
    # The clip sounds `shift` semitones away from the untransposed melody.
    from neural_style_audio.evaluation import metrics
    triplet = manifest[0]
    shifted = sf.read(str(tmp_path / triplet["content"]), dtype="float32")[0]
    plain = synth.render_melody(synth.truncate_melody(
        synth.MELODIES[triplet["content_melody"]], 2), synth.INSTRUMENTS[
            triplet["content_instrument"]], tempo_bpm=120)
    f0_shifted, voiced_shifted = metrics.estimate_f0(shifted.astype(np.float64), SR)
    f0_plain, voiced_plain = metrics.estimate_f0(plain.astype(np.float64), SR)
    both = voiced_shifted[:len(f0_plain)] & voiced_plain[:len(f0_shifted)]
    n = min(len(f0_shifted), len(f0_plain))
    cents = 1200 * np.log2(f0_shifted[:n][both[:n]] / f0_plain[:n][both[:n]])
    assert abs(np.median(cents) - 100 * triplet["content_transpose"]) < 50


def test_bad_transpositions_fail_cleanly(tmp_path):
    result = run_script("--transpositions=up", f"--output_dir={tmp_path}")
    assert result.returncode == 1 and "--transpositions" in result.stderr
    assert "Traceback" not in result.stderr
