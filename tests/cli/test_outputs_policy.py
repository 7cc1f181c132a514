"""The transfer command's promises, in-process for speed: no result lost or replaced
without --overwrite, checks before the long work, one-line errors with exit code 2,
unique output names, readable help. tests/cli/test_case_list.py runs the same classes
as real subprocesses."""
import json

import numpy as np
import pytest
import soundfile as sf
from absl import flags

from neural_style_audio import audio, cli
from conftest import SR, harmonic_tone

TINY = ["--n_filters=32", "--iterations=3", "--griffin_lim_iters=3", "--noprogress"]


def parse(argv):
    fv = flags.FlagValues()
    cli.define_flags(fv)
    cli.parse_command_line(["transfer.py"] + [str(a) for a in argv], fv)
    return fv


def run(argv, capsys):
    code = cli.run_transfer_command(parse(argv))
    return code, capsys.readouterr().err


def error_lines(err):
    return [line for line in err.splitlines() if line.startswith("error:")]


def tone(path, f0=220, seconds=0.5, **kw):
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, harmonic_tone(f0, seconds, **kw), SR)
    return path


@pytest.fixture
def clips(tmp_path):
    return tone(tmp_path / "c.wav"), tone(tmp_path / "s.wav", 330, decay=1.5)


# --- Overwrite policy --------------------------------------------------------------------

def test_an_unrelated_side_file_stops_the_run_before_any_work(clips, tmp_path, capsys):
    content, style = clips
    (tmp_path / "out.json").write_text("my notes")
    code, err = run(["--content", content, "--style", style, "--output",
                     tmp_path / "out.wav"] + TINY, capsys)
    assert code == 2 and error_lines(err) == [
        f"error: {tmp_path / 'out.json'}: exists; use --overwrite to replace, or choose "
        "another output name"]
    assert (tmp_path / "out.json").read_text() == "my notes"
    assert not (tmp_path / "out.wav").exists() and "Traceback" not in err


def test_overwrite_replaces_all_three_and_wrote_names_them(clips, tmp_path, capsys):
    content, style = clips
    out = tmp_path / "out.wav"
    for suffix in (".wav", ".json", ".png"):
        out.with_suffix(suffix).write_text("old")
    code, err = run(["--content", content, "--style", style, "--output", out, "--overwrite"]
                    + TINY, capsys)
    assert code == 0, err
    assert f"wrote {out}, {out.with_suffix('.json')}, {out.with_suffix('.png')}" in err
    assert json.loads(out.with_suffix(".json").read_text())["outputs"]["png"] == \
        str(out.with_suffix(".png"))
    assert sf.info(str(out)).frames > 0


def test_existing_output_in_a_batch_refuses_every_pair(clips, tmp_path, capsys):
    content, style = clips
    other = tone(tmp_path / "d.wav", 440)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "d__s.png").write_text("keep")
    code, err = run(["--content", f"{content},{other}", "--style", style, "--output_dir",
                     out_dir] + TINY, capsys)
    assert code == 2 and len(error_lines(err)) == 1 and "d__s.png: exists" in err
    assert sorted(p.name for p in out_dir.iterdir()) == ["d__s.png"]


# --- Output names ------------------------------------------------------------------------

def test_batch_names_are_unique_and_stable(tmp_path):
    for name in ("a/mel.wav", "b/mel.wav", "song.wav", "song.flac", "solo.wav"):
        tone(tmp_path / name)
    fv = parse(["--content", f"{tmp_path}/*/mel.wav,{tmp_path}/song.*,{tmp_path}/solo.wav",
                "--style", tmp_path / "solo.wav", "--output_dir", tmp_path / "o"])
    names = [out.name for _, _, out in cli.plan_pairs(fv)]
    assert names == ["a-mel__solo.wav", "b-mel__solo.wav", "song_flac__solo.wav",
                     "song_wav__solo.wav", "solo__solo.wav"]
    assert [out.name for _, _, out in cli.plan_pairs(fv)] == names  # Same inputs, same names.


def test_names_that_still_collide_are_refused_before_any_work(tmp_path):
    for name in ("a__b.wav", "a.wav", "c.wav", "b__c.wav"):
        tone(tmp_path / name)
    fv = parse(["--content", f"{tmp_path}/a__b.wav,{tmp_path}/a.wav",
                "--style", f"{tmp_path}/c.wav,{tmp_path}/b__c.wav", "--output_dir", tmp_path])
    with pytest.raises(cli.UsageError, match="a__b__c.wav: both .* would write this output"):
        cli.plan_pairs(fv)


def test_existing_paths_with_commas_and_brackets_are_taken_literally(tmp_path):
    odd = tone(tmp_path / "take 1, [live].wav")
    plain = tone(tmp_path / "x.wav")
    assert cli.expand_inputs([str(odd)], "content") == [odd]
    assert cli.expand_inputs([f"{plain},{tmp_path}/take*"], "content") == [plain, odd]
    assert cli.expand_inputs([str(plain), str(plain)], "content") == [plain]  # Once each.
    with pytest.raises(cli.UsageError, match="no file matches"):
        cli.expand_inputs([f"{tmp_path}/nothing*.wav"], "style")


@pytest.mark.parametrize("argv, message", [
    (["--content", "", "--style", ""], "--content is empty (an unset shell variable?)"),
    (["--content", " , ", "--style", "s.wav"], "--content is empty"),
    (["--output", ""], "--output is empty"),
    (["--output_dir", ""], "--output_dir is empty"),
])
def test_explicitly_empty_values_are_errors_not_the_bundled_example(argv, message, capsys):
    code, err = run(argv, capsys)
    assert code == 2 and error_lines(err) == [f"error: {message}" + err.split(message, 1)[1]
                                              .splitlines()[0]]
    assert "bundled example" not in err


# --- Output locations, checked up front ------------------------------------------------------

def test_output_locations_are_checked_before_any_work(clips, tmp_path, capsys):
    content, style = clips
    base = ["--content", content, "--style", style] + TINY
    (tmp_path / "a_file").write_text("x")
    code, err = run(base + ["--output_dir", tmp_path / "a_file"], capsys)
    assert code == 2 and error_lines(err) == [
        f"error: --output_dir {tmp_path / 'a_file'}: is a file, not a folder"]
    (tmp_path / "dir.wav").mkdir()
    code, err = run(base + ["--output", tmp_path / "dir.wav"], capsys)
    assert code == 2 and f"{tmp_path / 'dir.wav'}: is a folder" in error_lines(err)[0]
    (tmp_path / "side.png").mkdir()
    code, err = run(base + ["--output", tmp_path / "side.wav"], capsys)
    assert code == 2 and f"{tmp_path / 'side.png'}: is a folder" in error_lines(err)[0]
    code, err = run(base + ["--output", tmp_path / "a_file" / "x.wav"], capsys)
    assert code == 2 and "a_file: cannot be a folder" in error_lines(err)[0]
    assert not (tmp_path / "side.wav").exists() and not (tmp_path / "side.json").exists()


def test_a_full_disk_is_found_up_front(clips, tmp_path, capsys, monkeypatch):
    content, style = clips
    monkeypatch.setattr(cli.shutil, "disk_usage", lambda path: type("U", (), {"free": 1000}))
    code, err = run(["--content", content, "--style", style, "--output_dir", tmp_path / "o"]
                    + TINY, capsys)
    assert code == 2 and "not enough free space (1 KB free" in error_lines(err)[0]


def test_a_batch_reports_a_failed_write_and_goes_on(tmp_path, capsys, monkeypatch):
    from neural_style_audio import outputs
    contents = [tone(tmp_path / f"c{i}.wav", 200 + 100 * i) for i in range(3)]
    style = tone(tmp_path / "s.wav", 500, decay=1.5)
    real = outputs.write_outputs

    def disk_full_for_c1(result, wav_path, **kw):
        if "c1__" in str(wav_path):
            raise audio.OutputError(f"{wav_path}: cannot write (No space left on device)")
        return real(result, wav_path, **kw)

    monkeypatch.setattr(outputs, "write_outputs", disk_full_for_c1)
    out_dir = tmp_path / "out"
    code, err = run(["--content", f"{tmp_path}/c*.wav", "--style", style, "--output_dir",
                     out_dir] + TINY, capsys)
    assert code == 2 and "Traceback" not in err
    assert error_lines(err) == [
        f"error: [2/3] {out_dir / 'c1__s.wav'}: cannot write (No space left on device)",
        f"error: 1 of 3 pairs failed ([2/3] {contents[1]} + {style}); 2 written"]
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "c0__s.json", "c0__s.png", "c0__s.wav", "c2__s.json", "c2__s.png", "c2__s.wav"]


def test_ctrl_c_exits_130_with_one_line_and_no_partial_output(clips, tmp_path, capsys,
                                                              monkeypatch):
    from neural_style_audio.methods import optimisation
    content, style = clips

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(optimisation, "transfer", interrupted)
    from neural_style_audio import methods
    monkeypatch.setattr(methods, "get", lambda name: methods.Method(name, interrupted, object))
    code, err = run(["--content", content, "--style", style, "--output_dir", tmp_path / "o"]
                    + TINY, capsys)
    assert code == 130 and err.strip().splitlines()[-1].startswith("interrupted (Ctrl-C)")
    assert "Traceback" not in err and not (tmp_path / "o").exists()


# --- Inputs ------------------------------------------------------------------------------

def test_every_bad_input_is_reported_in_one_run_in_order(tmp_path, capsys):
    good = tone(tmp_path / "good.wav")
    (tmp_path / "b_text.wav").write_text("not audio " * 50)
    sf.write(tmp_path / "c_silent.wav", np.zeros(SR, np.float32), SR)
    code, err = run(["--content", f"{tmp_path}/nope.wav,{tmp_path}/b_*.wav,{good}",
                     "--style", f"{tmp_path}/c_silent.wav"] + TINY, capsys)
    assert code == 2 and error_lines(err) == ["error: 3 of 4 input files cannot be used:"]
    details = [line.strip() for line in err.splitlines() if line.startswith("  ")]
    assert [d.split(":")[0] for d in details] == [
        f"{tmp_path}/nope.wav", f"{tmp_path}/b_text.wav", f"{tmp_path}/c_silent.wav"]


def test_too_short_because_of_a_flag_names_the_flag(clips, capsys):
    content, style = clips
    code, err = run(["--content", content, "--style", style, "--filter_width=500"] + TINY,
                    capsys)
    assert code == 2 and len(error_lines(err)) == 1
    assert f"{content}: too short for --filter_width 500 (0.500 s;" in err


def test_dubious_inputs_warn_but_give_a_result(tmp_path, capsys):
    content = tone(tmp_path / "cut.wav")
    data = content.read_bytes()
    content.write_bytes(data[:len(data) * 3 // 4])
    style = tone(tmp_path / "s.wav", 330)
    out = tmp_path / "o.wav"
    argv = ["--content", content, "--style", style, "--output", out, "--iterations=0",
            "--n_filters=32", "--griffin_lim_iters=3", "--preset=ulyanov"]  # With progress bars: not a TTY.
    code, err = run(argv, capsys)
    assert code == 0 and out.exists(), err
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2, err
    assert "cut.wav: truncated file" in warnings[0] and "--iterations 0" in warnings[1]
    assert "\r" not in err  # No progress-bar redraws piled up in a log.


def test_seed_outside_32_bits_is_one_line(clips, capsys):
    code, err = run(["--content", clips[0], "--style", clips[1], "--seed=-1"] + TINY, capsys)
    assert code == 2 and error_lines(err) == ["error: --seed must be in 0..4294967295"]


# --- Flags -------------------------------------------------------------------------------

def test_flagfile_lines_may_separate_name_and_value_with_a_space(tmp_path):
    flagfile = tmp_path / "settings.cfg"
    flagfile.write_text("# tiny run\n--iterations 7\n--content my take.wav\n--noplot\n")
    fv = parse([f"--flagfile={flagfile}", "--n_filters", "8"])
    assert (fv.iterations, fv.content, fv.plot, fv.n_filters) == (7, ["my take.wav"], False, 8)


@pytest.mark.parametrize("argv, lines, message", [
    (["--iterations", "ten"], None, "--iterations=ten: not an integer"),
    (["--preset=fancy"], None, "--preset=fancy: value should be one of <ulyanov|"),
    (["--activation=gelu"], None, "--activation=gelu: value should be one of <relu|tanh>"),
    (["--flagfile=nope.cfg"], None, "--flagfile nope.cfg: file not found"),
    (["--iteration=3"], None, "unknown flag --iteration (did you mean --iterations?)"),
    ([], "--bogus=1\n", "unknown flag --bogus (in --flagfile "),
    ([], "iterations=3\n", "line 'iterations=3' is not a flag (write --iterations=3"),
    (["--plot=maybe"], None, "--plot=maybe: not true or false (write --plot or --noplot)"),
    (["--iterations"], None, "--iterations needs a value"),
])
def test_flag_errors_are_one_line_usage_errors(tmp_path, argv, lines, message):
    if lines is not None:
        flagfile = tmp_path / "f.cfg"
        flagfile.write_text(lines)
        argv = [f"--flagfile={flagfile}"] + argv
    with pytest.raises(cli.UsageError) as err:
        parse(argv)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_help_lists_the_flags_by_concern_with_values_and_defaults():
    fv = flags.FlagValues()
    cli.define_flags(fv)
    text = cli.command_help("Transfer.", [("inputs", cli.INPUTS_MODULE),
                                          ("outputs", cli.OUTPUTS_MODULE)]
                            + cli.settings_sections(), fv)
    titles = [line[:-1] for line in text.splitlines() if line and line[0].isalpha()
              and line.endswith(":")]
    from neural_style_audio.cli.config_flags import GROUP_TITLES
    assert titles == ["inputs", "outputs", "preset"] + list(GROUP_TITLES.values())
    assert titles[3:6] == ["features", "network", "losses"]
    for expected in ("--network: <shallow|vgg19", "Feature network", "--feature: <stft|mel|mfcc",
                     "--content_loss: <l2|perceptual>", "--[no]overwrite", "(default: 4096)",
                     "--vgg_weights: vgg19 only", "--perceptual_model: VGGish",
                     "--perceptual_layers: Comma-separated", "--flagfile=settings.cfg"):
        assert expected in text, expected
