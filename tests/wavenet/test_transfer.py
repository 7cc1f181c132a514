"""--method wavenet end to end on 1-s clips with the tiny configuration."""
import json
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from conftest import REPO, harmonic_tone
from neural_style_audio import config as config_lib
from neural_style_audio import methods
from neural_style_audio.config import ConfigError, resolve_config

SR = 16000


def tiny_config(**overrides):
    settings = dict(wavenet_weights="random", wavenet_model="tiny", iterations=8,
                    wavenet_decode=False, progress=False)
    settings.update(overrides)
    return resolve_config("deepmix_wavenet", **settings)


def test_preset_is_registered():
    assert "deepmix_wavenet" in config_lib.PRESETS
    assert "wavenet" in methods.names()
    config = tiny_config()
    assert config.run.method == "wavenet" and config.features.sr == SR


def test_optimises_waveform_and_decodes():
    content = harmonic_tone(220, 1.0, sr=SR, decay=0.3)
    style = harmonic_tone(330, 1.0, sr=SR, n_harmonics=3, decay=1.5, seed=1)
    transfer = methods.get("wavenet").transfer
    config = tiny_config(init="noise", init_scale=0.1, learning_rate=0.01)
    result = transfer(content, style, config)
    history = result.record["loss_history"]
    assert len(history) >= 8 and history[-1] < history[0]
    assert result.audio.shape == (SR,) and result.sr == SR
    assert np.isfinite(result.audio).all() and 0 < np.abs(result.audio).max() <= 1
    assert set(result.record["final_terms"]) == {"total", "content", "style"}
    # From the content with no style weight the start is already optimal (loss 0); the
    # decoder then makes the output from its encoding.
    decoded = transfer(content, style, tiny_config(init="content", style_weight=0.0,
                                                   iterations=1, wavenet_decode=True))
    assert decoded.record["final_loss"] < 1e-8
    assert decoded.audio.shape == (SR,) and decoded.record["wavenet"]["decoded"]["samples"] == SR
    assert not np.allclose(decoded.audio, content / np.abs(content).max() * 0.9, atol=1e-2)


def test_bad_settings_are_one_line():
    transfer = methods.get("wavenet").transfer
    y = harmonic_tone(220, 0.5, sr=SR)
    with pytest.raises(ConfigError, match="--sr 16000"):
        transfer(y, y, tiny_config(sr=22050))
    with pytest.raises(ConfigError, match="wavenet_style_layers"):
        transfer(y, y, tiny_config(wavenet_style_layers="1,9"))
    with pytest.raises(ConfigError, match="not found"):
        transfer(y, y, tiny_config(wavenet_weights="/nonexistent/w.weights.h5"))


def test_transfer_command(tmp_path):
    content, style, out = tmp_path / "c.wav", tmp_path / "s.wav", tmp_path / "out.wav"
    sf.write(content, harmonic_tone(220, 1.0, sr=SR), SR)
    sf.write(style, harmonic_tone(330, 1.0, sr=SR, decay=1.5, seed=1), SR)
    run = subprocess.run(
        [sys.executable, "scripts/transfer.py", "--preset=deepmix_wavenet",
         "--wavenet_weights=random", "--wavenet_model=tiny", "--iterations=2",
         "--nowavenet_decode", f"--content={content}", f"--style={style}",
         f"--output={out}", "--noplot"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    y, sr = sf.read(out)
    assert sr == SR and len(y) == SR
    record = json.loads(out.with_suffix(".json").read_text())
    assert record["method"] == "wavenet" and record["wavenet"]["config"]["name"] == "tiny"
