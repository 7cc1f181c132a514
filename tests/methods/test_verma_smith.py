"""The `verma_smith` preset end to end on short clips (library and command line)."""
import json

import numpy as np
import pytest
import soundfile as sf
from absl import flags

from neural_style_audio import audio, cli
from neural_style_audio.config import PRESETS, resolve_config
from neural_style_audio.methods import optimisation as transfer_lib
from neural_style_audio.networks import instrument_cnn
from conftest import harmonic_tone

SR = 16000
SHORT = dict(iterations=6, griffin_lim_iters=8, progress=False)
needs_shipped = pytest.mark.skipif(not instrument_cnn.SHIPPED_WEIGHTS.is_file(),
                                   reason="instrument_cnn weights not trained yet")


def _pair(seconds=0.6):
    content = harmonic_tone(220, seconds, sr=SR, decay=0.3)
    style = harmonic_tone(330, seconds + 0.3, sr=SR, n_harmonics=3, decay=1.5, seed=1)
    return content, style


def test_preset_is_the_papers_setting():
    cfg = resolve_config("verma_smith", instrument_cnn_weights="random")
    f, n, l, o = cfg.features, cfg.network, cfg.loss, cfg.optimizer
    assert (f.feature, f.sr, f.n_fft, f.hop_length) == ("stft", 16000, 512, 160)
    assert n.network == "instrument_cnn" and o.init == "noise"
    assert cfg.phase.phase == "griffin_lim"
    assert PRESETS["verma_smith"]["instrument_cnn_weights"] == "shipped"
    # alpha Lc + beta Ls + gamma Le + delta Lt: all four terms on.
    assert min(l.content_weight, l.style_weight, l.energy_weight, l.freq_envelope_weight) > 0


def _check_result(result, content):
    history = result.record["loss_history"]
    assert result.sr == SR and len(result.audio) == len(content)
    assert np.all(np.isfinite(result.audio)) and np.max(np.abs(result.audio)) > 0
    assert history[-1] < history[0]
    terms = result.record["chunks"][0]["terms"]
    assert {"content", "style", "energy", "freq_envelope", "total"} <= set(terms)
    assert all(np.isfinite(v) for v in terms.values())
    json.dumps(result.record)


@needs_shipped
def test_preset_end_to_end_with_the_trained_network_lbfgs():
    content, style = _pair()
    result = transfer_lib.transfer(content, style, resolve_config("verma_smith", **SHORT))
    _check_result(result, content)
    assert result.record["config"]["network"]["instrument_cnn_weights"] == "shipped"


@pytest.mark.parametrize("weights", ["random", "shipped"])
def test_preset_end_to_end_with_adam(weights):
    if weights == "shipped" and not instrument_cnn.SHIPPED_WEIGHTS.is_file():
        pytest.skip("instrument_cnn weights not trained yet")
    content, style = _pair()
    cfg = resolve_config("verma_smith", optimizer="adam", learning_rate=0.05,
                         instrument_cnn_weights=weights, **SHORT)
    _check_result(transfer_lib.transfer(content, style, cfg), content)


def test_too_short_clip_names_the_network():
    content, style = _pair()
    cfg = resolve_config("verma_smith", instrument_cnn_weights="random", **SHORT)
    with pytest.raises(audio.AudioInputError, match="too short"):
        transfer_lib.transfer(content[:3000], style, cfg)


def test_command_line_preset(tmp_path, capsys):
    content, style = _pair()
    paths = tmp_path / "c.wav", tmp_path / "s.wav"
    for path, y in zip(paths, (content, style)):
        sf.write(path, y, 22050)  # Resampled to the preset's 16 kHz.
    out = tmp_path / "out.wav"
    fv = flags.FlagValues()
    cli.define_flags(fv)
    fv(["transfer.py", f"--content={paths[0]}", f"--style={paths[1]}", f"--output={out}",
        "--preset=verma_smith", "--instrument_cnn_weights=random", "--iterations=3",
        "--griffin_lim_iters=3", "--noprogress", "--noplot"])
    code = cli.run_transfer_command(fv)
    assert code == 0, capsys.readouterr().err
    y, sr = sf.read(out)
    assert sr == SR and np.all(np.isfinite(y))
    record = json.loads(out.with_suffix(".json").read_text())
    assert record["config"]["preset"] == "verma_smith"
    assert record["config"]["network"]["network"] == "instrument_cnn"
