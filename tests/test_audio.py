import errno
import os

import numpy as np
import pytest
import soundfile as sf

from neural_style_audio import audio
from conftest import SR, harmonic_tone


def test_load_resamples_and_mixes_to_mono(tmp_path):
    y = harmonic_tone(440, 0.5, sr=44100)
    path = tmp_path / "stereo.wav"
    sf.write(path, np.stack([y, y], axis=1), 44100)
    out = audio.load_audio(path, SR)
    assert out.dtype == np.float32 and out.ndim == 1
    assert abs(len(out) - SR // 2) <= 1


@pytest.mark.parametrize("make, problem", [
    (lambda p: None, "file not found"),
    (lambda p: p.write_bytes(b""), "empty (0 bytes)"),
    (lambda p: p.write_text("this is not audio at all " * 20), "not a readable audio file"),
    (lambda p: sf.write(p, np.zeros(0, np.float32), SR), "empty (0 samples)"),
    (lambda p: sf.write(p, np.zeros(SR, np.float32), SR), "silent"),
    (lambda p: sf.write(p, np.full(SR, np.nan, np.float32), SR, subtype="FLOAT"), "NaN"),
    (lambda p: sf.write(p, np.full(SR, 0.5, np.float32), 2000), "unsupported sample rate"),
])
def test_bad_input_one_line_error_naming_file(tmp_path, make, problem):
    path = tmp_path / "bad.wav"
    make(path)
    with pytest.raises(audio.AudioInputError) as err:
        audio.load_audio(path, SR)
    message = str(err.value)
    assert problem in message and str(path) in message and "\n" not in message


def test_too_short(tmp_path):
    path = tmp_path / "short.wav"
    sf.write(path, harmonic_tone(440, 0.01), SR)
    with pytest.raises(audio.AudioInputError, match="too short"):
        audio.load_audio(path, SR, min_samples=SR)


def test_write_audio_normalises_without_clipping_and_is_atomic(tmp_path):
    path = tmp_path / "out.wav"
    audio.write_audio(path, np.array([0.0, 3.0, -6.0, 1.0], np.float32), SR)
    y, sr = sf.read(path)
    assert sr == SR and np.isclose(np.max(np.abs(y)), audio.OUTPUT_PEAK, atol=1e-4)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.wav"]


def test_atomic_output_keeps_old_file_on_failure(tmp_path):
    path = tmp_path / "keep.txt"
    path.write_text("old")
    with pytest.raises(RuntimeError):
        with audio.atomic_output(path) as tmp:
            tmp.write_text("half")
            raise RuntimeError("crash")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


# --- Arrays from the Python API ------------------------------------------------------

@pytest.mark.parametrize("shape_of", [lambda y: y[:, None].repeat(2, 1),
                                      lambda y: y[None, :].repeat(2, 0),
                                      lambda y: y[:, None]])
def test_arrays_of_channels_are_downmixed_either_way(shape_of):
    y = harmonic_tone(220, 0.1)
    out = audio.as_mono_float(shape_of(y), "<content array>")
    assert out.shape == y.shape and np.allclose(out, y)


@pytest.mark.parametrize("dtype, scale", [(np.int16, 32768), (np.int32, 2**31), (np.int8, 128)])
def test_integer_pcm_is_scaled(dtype, scale):
    y = np.array([0, scale // 2, -scale], dtype=np.int64).astype(dtype)
    assert np.allclose(audio.as_mono_float(y, "x"), [0.0, 0.5, -1.0])


def test_unsigned_8_bit_pcm_is_centred():
    assert np.allclose(audio.as_mono_float(np.array([128, 192, 0], np.uint8), "x"),
                       [0.0, 0.5, -1.0])


@pytest.mark.parametrize("array, problem", [
    (np.zeros((2, 2)), "ambiguous shape [2, 2]"),
    (np.zeros((8, 4)), "ambiguous shape [8, 4]"),
    (np.zeros((100, 50)), "ambiguous shape [100, 50]"),
    (np.zeros((3, 100, 2)), "1-D or 2-D"),
    (np.zeros(100, complex), "float or integer PCM"),
    (np.array(["a", "b"]), "float or integer PCM"),
])
def test_ambiguous_or_non_audio_arrays_are_refused(array, problem):
    with pytest.raises(audio.AudioInputError, match=problem.replace("[", r"\[")):
        audio.as_mono_float(array, "<style array>")


# --- Dubious inputs: warnings, not failures --------------------------------------------

def test_truncated_wav_warns_and_loads_what_is_there(tmp_path):
    path = tmp_path / "cut.wav"
    sf.write(path, harmonic_tone(220, 1.0), SR, subtype="PCM_16")
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    with pytest.warns(audio.InputWarning, match=r"cut.wav: truncated file .*1.000 s.*0.500 s"):
        y = audio.load_audio(path, SR)
    assert abs(len(y) - SR // 2) < 100


def test_dc_only_clip_warns(tmp_path):
    path = tmp_path / "dc.wav"
    sf.write(path, np.full(SR, 0.25, np.float32), SR, subtype="FLOAT")
    with pytest.warns(audio.InputWarning, match="dc.wav: only a constant"):
        audio.load_audio(path, SR)


def test_a_good_clip_gives_no_warning(tmp_path, recwarn):
    path = tmp_path / "ok.wav"
    sf.write(path, harmonic_tone(220, 0.5), SR)
    audio.load_audio(path, SR)
    assert not [w for w in recwarn if issubclass(w.category, audio.InputWarning)]


def test_too_short_names_the_setting_and_shows_tiny_lengths_in_samples():
    with pytest.raises(audio.AudioInputError) as err:
        audio.check_waveform(np.ones(5, np.float32), "a.wav", SR, 5633, "--filter_width 12")
    assert str(err.value) == ("a.wav: too short for --filter_width 12 (5 samples = 0.2 ms; "
                              "it needs at least 0.255 s at 22050 Hz): lower that setting "
                              "or use a longer clip")


# --- Output locations and writing ------------------------------------------------------

def test_existing_outputs_are_refused_naming_the_first(tmp_path):
    (tmp_path / "b.json").write_text("{}")
    (tmp_path / "c.png").write_text("")
    paths = [tmp_path / n for n in ("a.wav", "b.json", "c.png")]
    with pytest.raises(audio.OutputError, match=r"b.json: exists \(and 1 more outputs\); use "
                                                r"--overwrite"):
        audio.check_output_paths(paths)
    audio.check_output_paths(paths, overwrite=True)


def test_folder_checks_without_creating_anything(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(audio.OutputError, match="file/sub: cannot be a folder"):
        audio.check_folder_writable(tmp_path / "file" / "sub")
    audio.check_folder_writable(tmp_path / "new" / "deeper")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders "
                    "(tests/cli/test_case_list.py covers it without that privilege)")
def test_read_only_folder_is_found_up_front(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(audio.OutputError, match="ro: cannot write there"):
            audio.check_folder_writable(folder / "out")
    finally:
        folder.chmod(0o755)


def test_write_files_is_all_or_nothing(tmp_path):
    (tmp_path / "b").mkdir()  # The second target is a folder: nothing may be left.
    with pytest.raises(audio.OutputError, match="b: is a folder"):
        audio.write_files({tmp_path / "a": b"1", tmp_path / "b": b"2"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b"]


def test_atomic_output_turns_os_errors_into_one_line_naming_the_path(tmp_path):
    path = tmp_path / "table.md"
    with pytest.raises(audio.OutputError, match="table.md: cannot write "
                                                r"\(No space left on device\)"):
        with audio.atomic_output(path):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    assert list(tmp_path.iterdir()) == []


def test_write_files_failure_removes_the_folders_it_made(tmp_path, monkeypatch):
    real_fdopen = os.fdopen

    def disk_full(fd, *args, **kwargs):
        real_fdopen(fd, *args, **kwargs).close()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(audio.os, "fdopen", disk_full)
    with pytest.raises(audio.OutputError, match="new/deeper/a.wav: cannot write"):
        audio.write_files({tmp_path / "new" / "deeper" / "a.wav": b"1"})
    assert list(tmp_path.iterdir()) == []
