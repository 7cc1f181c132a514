"""The transfer command end to end: in-process for speed, one real subprocess run."""
import json
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf
from absl import flags

from neural_style_audio import cli
from conftest import REPO, SR, harmonic_tone

SMALL = ["--n_filters=32", "--iterations=5", "--griffin_lim_iters=5", "--noprogress"]


def run(argv, capsys):
    fv = flags.FlagValues()
    cli.define_flags(fv)
    fv(["transfer.py"] + [str(a) for a in argv])
    code = cli.run_transfer_command(fv)
    return code, capsys.readouterr().err


def test_one_pair_writes_wav_json_png(tone_files, tmp_path, capsys):
    content, style = tone_files
    out = tmp_path / "result.wav"
    code, err = run(["--content", content, "--style", style, "--output", out] + SMALL, capsys)
    assert code == 0, err
    assert {p.name for p in tmp_path.iterdir()} >= {"result.wav", "result.json", "result.png"}
    y, sr = sf.read(out)
    assert sr == SR and abs(len(y) - SR) < 10
    record = json.loads(out.with_suffix(".json").read_text())
    assert record["config"]["network"]["n_filters"] == 32 and record["content"] == str(content)


def test_globs_and_several_files_give_one_output_per_pair(tmp_path, capsys):
    for i, f0 in enumerate((200, 300)):
        sf.write(tmp_path / f"c{i}.wav", harmonic_tone(f0, 0.6), SR)
    sf.write(tmp_path / "s.wav", harmonic_tone(500, 0.6, decay=1.5), SR)
    out_dir = tmp_path / "out"
    code, err = run(["--content", tmp_path / "c*.wav", "--style", tmp_path / "s.wav",
                     "--output_dir", out_dir, "--noplot"] + SMALL, capsys)
    assert code == 0, err
    assert sorted(p.name for p in out_dir.glob("*.wav")) == ["c0__s.wav", "c1__s.wav"]


@pytest.mark.parametrize("case, expected", [
    ("missing", "file not found"),
    ("not_audio", "not a readable audio file"),
    ("silent", "silent"),
    ("nan", "NaN"),
    ("short", "too short"),
])
def test_bad_input_one_line_error_and_nothing_written(tone_files, tmp_path, capsys, case, expected):
    content, style = tone_files
    bad = tmp_path / f"{case}.wav"
    if case == "not_audio":
        bad.write_text("hello " * 100)
    elif case == "silent":
        sf.write(bad, np.zeros(SR, np.float32), SR)
    elif case == "nan":
        sf.write(bad, np.full(SR, np.nan, np.float32), SR, subtype="FLOAT")
    elif case == "short":
        sf.write(bad, harmonic_tone(220, 0.05), SR)
    out_dir = tmp_path / "out"
    code, err = run(["--content", content, "--style", bad, "--output_dir", out_dir] + SMALL,
                    capsys)
    assert code == cli.EXIT_USER_ERROR
    lines = [l for l in err.splitlines() if l.startswith("error:")]
    assert len(lines) == 1 and expected in lines[0] and str(bad) in lines[0]
    assert "Traceback" not in err and not out_dir.exists()


@pytest.mark.parametrize("argv, expected", [
    (["--init=zeros", "--activation=relu"], "zero gradient"),
    (["--output=x.mp3"], "must end in .wav"),
    (["--n_layers=3"], "--n_layers"),
])
def test_invalid_flag_combinations(tone_files, capsys, argv, expected):
    content, style = tone_files
    code, err = run(["--content", content, "--style", style] + argv + SMALL, capsys)
    assert code == cli.EXIT_USER_ERROR and expected in err


def test_output_never_overwrites_an_input(tone_files, capsys):
    content, style = tone_files
    before = content.read_bytes()
    code, err = run(["--content", content, "--style", style, "--output", content] + SMALL, capsys)
    assert code == cli.EXIT_USER_ERROR and "overwrite an input" in err
    assert content.read_bytes() == before


def test_only_content_given_is_an_error(tone_files, capsys):
    code, err = run(["--content", tone_files[0]] + SMALL, capsys)
    assert code == cli.EXIT_USER_ERROR and "give both" in err


@pytest.mark.slow
def test_script_subprocess_with_flagfile(tone_files, tmp_path):
    content, style = tone_files
    flagfile = tmp_path / "settings.cfg"
    flagfile.write_text("\n".join(SMALL + ["--preset=deepmix"]) + "\n")
    out = tmp_path / "sub.wav"
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "transfer.py"), f"--content={content}",
         f"--style={style}", f"--output={out}", f"--flagfile={flagfile}"],
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert out.exists() and json.loads(out.with_suffix(".json").read_text())["config"]["preset"] == "deepmix"
    bad = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "transfer.py"), f"--content={tmp_path}/nope.wav",
         f"--style={style}"], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "nope.wav: file not found" in bad.stderr


def test_interrupt_watch_sees_ctrl_c_that_tensorflow_disguised():
    """A Ctrl-C turned into another exception (as TF's EagerTensor.__getattr__ did)
    is still known to be the user's interrupt, and the previous handler comes back."""
    import os
    import signal
    import time
    previous = signal.getsignal(signal.SIGINT)
    with cli.InterruptWatch() as watch:
        assert not watch.seen
        with pytest.raises(AttributeError):
            try:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(5)  # The handler raises KeyboardInterrupt long before this ends.
            except KeyboardInterrupt:
                raise AttributeError("'EagerTensor' object has no attribute '_type_spec'")
        assert watch.seen
    assert signal.getsignal(signal.SIGINT) is previous


def test_batch_pair_error_after_ctrl_c_is_an_interrupt_not_a_failed_pair(
        tone_files, tmp_path, capsys, monkeypatch):
    import dataclasses
    import os
    import signal
    import time
    from neural_style_audio import methods
    from neural_style_audio.config import ConfigError

    def interrupted_transfer(*args, **kwargs):
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)
        except KeyboardInterrupt:
            raise ConfigError("a pair error caused by the interrupt") from None

    for name in methods.names():
        monkeypatch.setitem(methods._REGISTRY, name, dataclasses.replace(
            methods.get(name), transfer=interrupted_transfer))
    content, style = tone_files
    code, err = run(["--content", f"{content},{style}", "--style", style,
                     "--output_dir", tmp_path / "out"] + SMALL, capsys)
    assert code == cli.EXIT_INTERRUPTED, err
    assert "interrupted (Ctrl-C) after 0 finished pair(s)" in err
    assert "error:" not in err and "[2/2]" not in err  # Not a failed pair; no going on.


def test_flags_the_default_method_ignores_give_one_warning(tone_files, tmp_path, capsys):
    # The default preset (source_filter) optimises nothing: --iterations and --n_filters
    # would silently do nothing without the warning.
    content, style = tone_files
    code, err = run(["--content", content, "--style", style, "--output", tmp_path / "o.wav",
                     "--iterations=5", "--n_filters=32", "--noprogress"], capsys)
    assert code == 0, err
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert warnings == ["warning: --n_filters, --iterations have no effect with the "
                        "source_filter method of --preset source_filter; the optimisation "
                        "presets (e.g. --preset ulyanov) use them"]
    code, err = run(["--content", content, "--style", style, "--output", tmp_path / "p.wav",
                     "--preset=ulyanov"] + SMALL, capsys)
    assert code == 0 and "warning:" not in err, err


def test_flag_help_shows_the_chosen_default_presets_values():
    from neural_style_audio import config as config_lib
    from neural_style_audio.cli.config_flags import define_transfer_flags
    for preset, method in ((config_lib.DEFAULT_PRESET, "source_filter"),
                           ("ulyanov", "optimisation")):
        fv = flags.FlagValues()
        define_transfer_flags(fv, default_preset=preset)
        assert fv["preset"].default == preset and f"--preset {preset};" in fv["preset"].help
        assert f"(default: {method})" in fv["method"].help.replace("'", "")


def test_timing_breakdown_names_the_backend_and_auto_timings():
    t = dict(load_s=0.1, features_s=0.2, build_network_s=1.0, compile_s=2.0, optimise_s=12.0,
             evaluations=8, ms_per_evaluation=1250.0, invert_features_s=0.0, phase_s=3.0,
             backend="blas", backend_ms=dict(xla=1500.0, blas=1300.0), backends=["blas"])
    line = cli.timing_breakdown(t, write_s=0.5, import_s=6.0)
    assert line.startswith("time: imports 6.0 s")
    assert ("compile 2.0 s, optimise 10.0 s (8 evaluations, 1250 ms each on blas "
            "(auto timed blas 1300 ms, xla 1500 ms))") in line
    fixed = cli.timing_breakdown(dict(t, backend="xla", backend_ms={}, backends=["xla", "blas"]))
    assert "1250 ms each on xla, chunks on xla/blas)" in fixed and "auto" not in fixed
