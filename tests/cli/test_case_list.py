"""The case list of issue 10, as a new user meets it: real subprocesses of
scripts/transfer.py (and the Python API), each checked for

- no traceback;
- a user error: exit code 2 and exactly one line `error: ...` naming the flag or path;
- no input modified, no existing output replaced without --overwrite, no partial
  output or temporary file left (every file and folder hashed before and after).

Cases without TensorFlow take under a second each; the others import it (about 8 s)
and the slow ones run a tiny transfer.
"""
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from conftest import REPO, SR, harmonic_tone

TRANSFER = str(REPO / "scripts" / "transfer.py")
TINY = ["--n_filters=32", "--iterations=3", "--griffin_lim_iters=3", "--noprogress"]


def snapshot(folder):
    """Every file (its hash) and folder under `folder`."""
    state = {}
    for path in sorted(Path(folder).rglob("*")):
        rel = str(path.relative_to(folder))
        state[rel] = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return state


def run(args, cwd, script=TRANSFER, prefix=(), timeout=300, **kwargs):
    return subprocess.run([*prefix, sys.executable, script, *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout, **kwargs)


def error_lines(proc):
    return [line for line in proc.stderr.splitlines() if line.startswith("error:")]


def assert_user_error(proc, *expected):
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert proc.returncode == 2, proc.stderr[-3000:]
    lines = error_lines(proc)
    assert len(lines) == 1, proc.stderr
    for text in expected:
        assert text in lines[0], (text, lines[0])


def tone(path, f0=220, seconds=0.5, **kw):
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, harmonic_tone(f0, seconds, **kw), SR)
    return path


@pytest.fixture
def d(tmp_path):
    """A folder with a content and a style clip of half a second."""
    tone(tmp_path / "content.wav")
    tone(tmp_path / "style.wav", 330, decay=1.5)
    return tmp_path


def _setup_side_json(d):
    (d / "out.json").write_text("my own notes")


def _setup_flagfile_unknown(d):
    (d / "bad.cfg").write_text("--iterations=3\n--bogus=1\n")


def _setup_output_dir_file(d):
    (d / "taken").write_text("a file")


def _setup_output_is_dir(d):
    (d / "out.wav").mkdir()


def _setup_side_png_dir(d):
    (d / "out.png").mkdir()


def _setup_all_outputs(d):
    for suffix in (".wav", ".json", ".png"):
        (d / f"out{suffix}").write_text("previous result")


# Cases decided before TensorFlow is imported (under a second each).
# (id, arguments ({d}: the case folder), setup, texts the one error line must contain)
QUICK = [
    ("iterations_not_int", ["--iterations", "ten"], None, ["--iterations=ten: not an integer"]),
    ("unknown_preset", ["--preset", "fancy"], None, ["--preset=fancy", "ulyanov"]),
    ("unknown_enum", ["--optimizer=newton"], None, ["--optimizer=newton", "lbfgs"]),
    ("missing_value", ["--iterations"], None, ["--iterations needs a value"]),
    ("not_boolean", ["--plot=maybe"], None, ["--plot=maybe"]),
    ("unknown_flag", ["--iteration=3"], None, ["unknown flag --iteration", "--iterations"]),
    ("missing_flagfile", ["--flagfile={d}/nope.cfg"], None, ["{d}/nope.cfg: file not found"]),
    ("unknown_flag_in_flagfile", ["--flagfile={d}/bad.cfg"], _setup_flagfile_unknown,
     ["unknown flag --bogus", "{d}/bad.cfg"]),
    ("empty_content", ["--content=", "--style="], None, ["--content is empty"]),
    ("empty_output", ["--content={d}/content.wav", "--style={d}/style.wav", "--output="],
     None, ["--output is empty"]),
    ("positional", ["{d}/content.wav", "{d}/style.wav"], None, ["unexpected arguments"]),
    ("only_content", ["--content={d}/content.wav"], None, ["give both --content and --style"]),
    ("glob_matches_nothing", ["--content={d}/*.aiff", "--style={d}/style.wav"], None,
     ["--content '{d}/*.aiff': no file matches"]),
    ("output_extension", ["--content={d}/content.wav", "--style={d}/style.wav",
                          "--output={d}/out.mp3"], None, ["--output {d}/out.mp3: must end in"]),
    ("output_is_input", ["--content={d}/content.wav", "--style={d}/style.wav",
                         "--output={d}/content.wav"], None,
     ["{d}/content.wav: output would overwrite an input"]),
    ("existing_side_file", ["--content={d}/content.wav", "--style={d}/style.wav",
                            "--output={d}/out.wav"], _setup_side_json,
     ["{d}/out.json: exists", "--overwrite"]),
    ("existing_outputs", ["--content={d}/content.wav", "--style={d}/style.wav",
                          "--output={d}/out.wav"], _setup_all_outputs,
     ["{d}/out.wav: exists (and 2 more outputs)", "--overwrite"]),
    ("output_dir_is_file", ["--content={d}/content.wav", "--style={d}/style.wav",
                            "--output_dir={d}/taken"], _setup_output_dir_file,
     ["--output_dir {d}/taken: is a file"]),
    ("output_is_dir", ["--content={d}/content.wav", "--style={d}/style.wav",
                       "--output={d}/out.wav"], _setup_output_is_dir,
     ["{d}/out.wav: is a folder"]),
    ("side_file_is_dir", ["--content={d}/content.wav", "--style={d}/style.wav",
                          "--output={d}/out.wav"], _setup_side_png_dir,
     ["{d}/out.png: is a folder"]),
]


@pytest.mark.parametrize("case, args, setup, expected", QUICK, ids=[c[0] for c in QUICK])
def test_quick_user_errors(d, case, args, setup, expected):
    if setup:
        setup(d)
    before = snapshot(d)
    proc = run(["--output_dir", d / "outputs"] + [a.format(d=d) for a in args], cwd=d)
    assert_user_error(proc, *[e.format(d=d) for e in expected])
    assert snapshot(d) == before


def test_other_commands_share_the_flag_error_convention(d):
    proc = run(["--iterations", "ten"], cwd=d, script=str(REPO / "scripts" / "sweep.py"))
    assert_user_error(proc, "--iterations=ten: not an integer")


def _without_root_privilege():
    """A command prefix under which file permissions apply (root ignores them)."""
    if os.geteuid() != 0:
        return []
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: a read-only folder cannot be made")
    return ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"]


def test_read_only_output_folder(d):
    prefix = _without_root_privilege()
    folder = d / "read_only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        before = snapshot(d)
        proc = run(["--content", d / "content.wav", "--style", d / "style.wav",
                    "--output_dir", folder / "new"], cwd=d, prefix=prefix)
        assert_user_error(proc, f"--output_dir {folder / 'new'}: cannot write there")
        assert snapshot(d) == before
    finally:
        folder.chmod(0o755)


# Cases that need the settings resolved (TensorFlow imported: about 8 s each).

def test_help_lists_the_commands_flags_by_concern(d):
    proc = run(["-h"], cwd=d)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr
    for text in ("inputs:", "outputs:", "network:", "--network: <shallow|vgg19",
                 "--[no]overwrite", "--flagfile=settings.cfg"):
        assert text in proc.stdout, text
    assert proc.stderr == ""  # No TensorFlow start-up lines.


@pytest.mark.parametrize("args, expected", [
    (["--seed=-1"], ["--seed must be in 0..4294967295"]),
    (["--seed=4294967296"], ["--seed must be in 0..4294967295"]),
    (["--filter_width=500"], ["(--filter_width 500 needs clips of at least 11.587 s)"]),
    (["--pooling=max", "--pool_size=1000"], ["(--pooling max, --pool_size 1000 needs"]),
], ids=["seed_negative", "seed_too_big", "filter_width", "pool_size"])
def test_setting_errors(d, args, expected):
    before = snapshot(d)
    proc = run(["--content", d / "content.wav", "--style", d / "style.wav",
                "--output_dir", d / "outputs"] + args, cwd=d)
    assert_user_error(proc, *[e.format(d=d) for e in expected])
    assert snapshot(d) == before


def test_every_bad_input_in_one_run(d):
    (d / "b_text.wav").write_text("not audio " * 50)
    sf.write(d / "c_tiny.wav", harmonic_tone(220, 5 / SR), SR)
    sf.write(d / "d_silent.wav", np.zeros(SR, np.float32), SR)
    before = snapshot(d)
    proc = run(["--content", f"{d}/a_missing.wav,{d}/b_*.wav,{d}/content.wav",
                "--style", f"{d}/c_tiny.wav", "--style", f"{d}/d_silent.wav",
                "--output_dir", d / "outputs"], cwd=d)
    assert_user_error(proc, "4 of 5 input files cannot be used")
    details = [line.strip() for line in proc.stderr.splitlines() if line.startswith("  ")]
    assert [line.split(":")[0] for line in details] == [
        f"{d}/a_missing.wav", f"{d}/b_text.wav", f"{d}/c_tiny.wav", f"{d}/d_silent.wav"]
    assert "5 samples = 0.2 ms" in details[2]
    assert snapshot(d) == before


# Cases that run tiny transfers.

@pytest.mark.slow
def test_one_pair_from_a_flagfile_with_spaced_values(d):
    (d / "tiny.cfg").write_text("# tiny settings\n--n_filters 32\n--iterations 3\n"
                                "--griffin_lim_iters 3\n")
    before = snapshot(d)
    out = d / "result.wav"
    proc = run(["--flagfile", d / "tiny.cfg", "--content", d / "content.wav",
                "--style", d / "style.wav", "--output", out], cwd=d)  # Progress bars on.
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert f"wrote {out}, {d / 'result.json'}, {d / 'result.png'}" in proc.stderr
    assert "\r" not in proc.stderr  # Not a terminal: no progress redraws piled up.
    after = snapshot(d)
    assert set(after) - set(before) == {"result.wav", "result.json", "result.png"}
    assert all(after[k] == v for k, v in before.items())
    assert json.loads((d / "result.json").read_text())["config"]["network"]["n_filters"] == 32


@pytest.mark.slow
def test_batch_names_never_collide_and_odd_names_are_literal(d):
    for name in ("a/mel.wav", "b/mel.wav", "song.wav", "take 1, [live].wav"):
        tone(d / name, 250)
    sf.write(d / "song.flac", harmonic_tone(260, 0.5), SR)
    before = snapshot(d)
    proc = run(["--content", f"{d}/*/mel.wav", "--content", f"{d}/song.*",
                "--content", d / "take 1, [live].wav", "--style", d / "style.wav",
                "--output_dir", d / "out"] + TINY, cwd=d)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    wavs = sorted(p.name for p in (d / "out").glob("*.wav"))
    assert wavs == ["a-mel__style.wav", "b-mel__style.wav", "song_flac__style.wav",
                    "song_wav__style.wav", "take 1, [live]__style.wav"]
    assert len(list((d / "out").iterdir())) == 15  # WAV, JSON and PNG for each of 5 pairs.
    after = snapshot(d)
    assert all(after[k] == v for k, v in before.items())


@pytest.mark.slow
def test_overwrite_replaces_the_set_and_dubious_inputs_only_warn(d):
    _setup_all_outputs(d)
    cut = d / "cut.wav"
    data = (d / "content.wav").read_bytes()
    cut.write_bytes(data[:len(data) * 3 // 4])
    before = snapshot(d)
    proc = run(["--content", cut, "--style", d / "style.wav", "--output", d / "out.wav",
                "--overwrite", "--iterations=0", "--preset=ulyanov"] + TINY[:1] + TINY[2:],
               cwd=d)  # --iterations 0 (a warning) is an optimisation setting.
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2 and "cut.wav: truncated" in warnings[0]
    assert "--iterations 0" in warnings[1]
    after = snapshot(d)
    assert set(after) == set(before)
    assert {k for k in before if after[k] != before[k]} == {"out.wav", "out.json", "out.png"}


@pytest.mark.slow
def test_write_error_names_the_users_path_and_leaves_nothing(d):
    import resource

    def small_files_only():  # Writes beyond 16 KB fail with EFBIG, as on a full disk.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (16384, 16384))

    before = snapshot(d)
    proc = run(["--content", d / "content.wav", "--style", d / "style.wav",
                "--output_dir", d / "out"] + TINY, cwd=d, preexec_fn=small_files_only)
    assert_user_error(proc, f"{d / 'out'}/content__style.", ": cannot write (File too large)")
    assert snapshot(d) == before  # Not even the output folder it made.


@pytest.mark.slow
def test_ctrl_c_exits_130_with_one_line_and_no_partial_output(d):
    before = snapshot(d)
    proc = subprocess.Popen(
        [sys.executable, TRANSFER, "--content", d / "content.wav", "--style", d / "style.wav",
         "--output_dir", d / "out", "--preset=ulyanov", "--n_filters=32",
         "--iterations=100000", "--noprogress"],  # Runs for minutes: still busy at the signal.
        cwd=d, stderr=subprocess.PIPE, text=True)
    lines = []
    for line in proc.stderr:  # Interrupt once the pair's work has started.
        lines.append(line)
        if "+ style of" in line:
            break
    time.sleep(3)
    proc.send_signal(signal.SIGINT)
    rest = proc.communicate(timeout=120)[1]
    stderr = "".join(lines) + rest
    assert proc.returncode == 130 and "Traceback" not in stderr, stderr[-3000:]
    assert stderr.strip().splitlines()[-1].startswith("interrupted (Ctrl-C)")
    assert snapshot(d) == before  # Not even the output folder.


@pytest.mark.slow
def test_python_api_is_quiet_and_protects_outputs(d):
    script = f"""
import numpy as np, soundfile as sf
import neural_style_audio as nsa
y, sr = sf.read({str(d / 'content.wav')!r})
stereo = (np.stack([y, y], 1), sr)
config = nsa.resolve_config(n_filters=32, iterations=3, griffin_lim_iters=3, progress=False)
result = nsa.transfer(stereo, {str(d / 'style.wav')!r}, config)
nsa.write_outputs(result, {str(d / 'api.wav')!r})
for path, kw in [({str(d / 'api.wav')!r}, {{}}), ({str(d / 'style.wav')!r}, dict(overwrite=True)),
                 ({str(d / 'api')!r}, {{}})]:
    try:
        nsa.write_outputs(result, path, **kw)
    except nsa.OutputError as err:
        print("refused:", err)
"""
    before = snapshot(d)
    proc = subprocess.run([sys.executable, "-c", script], cwd=d, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stderr == ""  # No oneDNN/CUDA start-up lines from a library.
    refused = proc.stdout.splitlines()
    assert len(refused) == 3 and "api.wav: exists" in refused[0]
    assert "overwrite an input" in refused[1] and "must end in .wav or .flac" in refused[2]
    after = snapshot(d)
    assert set(after) - set(before) == {"api.wav", "api.json", "api.png"}
    assert all(after[k] == v for k, v in before.items())
