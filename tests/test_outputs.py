"""write_outputs: the WAV + JSON + PNG of a transfer as one unit, and never replacing a
file without consent (the Python API's side of the overwrite policy)."""
import errno
import json
import os

import numpy as np
import pytest
import soundfile as sf

import neural_style_audio as nsa
from neural_style_audio import audio, outputs
from neural_style_audio.audio import OutputError
from neural_style_audio.methods.optimisation import TransferResult
from conftest import SR, harmonic_tone


def fake_result(content="<content array>", style="<style array>"):
    """A TransferResult as `transfer` makes it, without running one (no TensorFlow)."""
    y = harmonic_tone(220, 0.5)
    mag = np.abs(np.random.default_rng(0).standard_normal((20, 1025))).astype(np.float32)
    record = dict(content=str(content), style=str(style), final_loss=1.5,
                  loss_history=[3.0, 2.0, 1.5],
                  config=dict(features=dict(sr=SR, hop_length=512)))
    return TransferResult(audio=y, sr=SR, magnitude=mag, content_magnitude=mag,
                          style_magnitude=mag, record=record)


def listing(folder):
    return sorted(p.name for p in folder.iterdir())


def test_writes_the_three_files_and_names_them_in_the_record(tmp_path):
    paths = nsa.write_outputs(fake_result(), tmp_path / "out.wav")
    assert list(paths) == ["wav", "json", "png"]
    assert listing(tmp_path) == ["out.json", "out.png", "out.wav"]
    record = json.loads(paths["json"].read_text())
    assert record["outputs"] == {k: str(p) for k, p in paths.items()}
    assert paths["png"].read_bytes()[:4] == b"\x89PNG"
    assert sf.info(str(paths["wav"])).samplerate == SR


@pytest.mark.parametrize("existing", ["out.wav", "out.json", "out.png"])
def test_api_refuses_to_replace_any_existing_output_by_default(tmp_path, existing):
    (tmp_path / existing).write_bytes(b"precious")
    with pytest.raises(nsa.OutputError, match="exists.*overwrite=True") as err:
        nsa.write_outputs(fake_result(), tmp_path / "out.wav")
    assert existing in str(err.value) and "\n" not in str(err.value)
    assert listing(tmp_path) == [existing] and (tmp_path / existing).read_bytes() == b"precious"


def test_api_overwrite_replaces_all_three(tmp_path):
    for name in ("out.wav", "out.json", "out.png"):
        (tmp_path / name).write_bytes(b"old")
    nsa.write_outputs(fake_result(), tmp_path / "out.wav", overwrite=True)
    assert listing(tmp_path) == ["out.json", "out.png", "out.wav"]
    assert all((tmp_path / n).read_bytes() != b"old" for n in listing(tmp_path))


def test_noplot_leaves_an_existing_png_alone(tmp_path):
    (tmp_path / "out.png").write_bytes(b"someone else's figure")
    nsa.write_outputs(fake_result(), tmp_path / "out.wav", plot=False)
    assert (tmp_path / "out.png").read_bytes() == b"someone else's figure"


@pytest.mark.parametrize("name", ["content.wav", "content.json"])
def test_an_input_is_never_replaced_even_with_overwrite(tmp_path, name):
    content = tmp_path / "content.wav"
    sf.write(content, harmonic_tone(220, 0.5), SR)
    json_twin = tmp_path / "content.json"
    if name == "content.json":  # The input is the side file of the output asked for.
        content = json_twin
        content.write_text("{}")
    before = content.read_bytes()
    with pytest.raises(nsa.OutputError, match="overwrite an input"):
        nsa.write_outputs(fake_result(content=content), tmp_path / "content.wav",
                          overwrite=True)
    assert content.read_bytes() == before


@pytest.mark.parametrize("name", ["out", "out.mp3", "out.WAV.txt"])
def test_a_name_without_wav_or_flac_is_refused(tmp_path, name):
    with pytest.raises(nsa.OutputError, match="must end in .wav or .flac"):
        nsa.write_outputs(fake_result(), tmp_path / name)
    assert listing(tmp_path) == []


def test_flac_output_with_side_files(tmp_path):
    paths = nsa.write_outputs(fake_result(), tmp_path / "out.flac")
    assert listing(tmp_path) == ["out.flac", "out.json", "out.png"]
    assert sf.info(str(paths["wav"])).format == "FLAC"


def test_output_path_that_is_a_folder_is_refused(tmp_path):
    (tmp_path / "out.png").mkdir()
    with pytest.raises(nsa.OutputError, match="out.png: is a folder"):
        nsa.write_outputs(fake_result(), tmp_path / "out.wav")
    assert listing(tmp_path) == ["out.png"]


def test_full_disk_while_writing_leaves_no_file_and_names_the_users_path(tmp_path, monkeypatch):
    real_fdopen = os.fdopen
    calls = []

    def failing_fdopen(fd, *args, **kwargs):
        f = real_fdopen(fd, *args, **kwargs)
        calls.append(1)
        if len(calls) == 3:  # The third file (the WAV, written last) hits a full disk.
            f.close()
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return f

    monkeypatch.setattr(audio.os, "fdopen", failing_fdopen)
    with pytest.raises(nsa.OutputError) as err:
        nsa.write_outputs(fake_result(), tmp_path / "out.wav")
    assert str(err.value) == f"{tmp_path / 'out.wav'}: cannot write (No space left on device)"
    assert listing(tmp_path) == []  # Neither the PNG and JSON nor any temporary file.


def test_failure_while_renaming_restores_what_was_replaced(tmp_path, monkeypatch):
    for name in ("out.wav", "out.json", "out.png"):
        (tmp_path / name).write_bytes(b"old " + name.encode())
    real_replace, failed = os.replace, []

    def failing_replace(src, dst):
        if str(dst).endswith("out.wav") and str(src).endswith(".wav") and not failed:
            failed.append(src)  # Putting the new WAV in place fails (once).
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        return real_replace(src, dst)

    monkeypatch.setattr(audio.os, "replace", failing_replace)
    with pytest.raises(nsa.OutputError, match="out.wav: cannot write"):
        nsa.write_outputs(fake_result(), tmp_path / "out.wav", overwrite=True)
    assert listing(tmp_path) == ["out.json", "out.png", "out.wav"]
    assert all((tmp_path / n).read_bytes() == b"old " + n.encode() for n in listing(tmp_path))


def test_ctrl_c_while_writing_leaves_no_partial_set(tmp_path, monkeypatch):
    real_replace = os.replace

    def interrupted(src, dst):
        if str(dst).endswith("out.wav"):
            raise KeyboardInterrupt
        return real_replace(src, dst)

    monkeypatch.setattr(audio.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        nsa.write_outputs(fake_result(), tmp_path / "out.wav")
    assert listing(tmp_path) == []


def test_runners_may_replace_their_own_outputs(tmp_path):
    # outputs.write_outputs refuses by default, like the public API; run_pairs and sweep,
    # which decide themselves what to redo, pass overwrite=True.
    (tmp_path / "item.wav").write_bytes(b"old")
    with pytest.raises(OutputError, match="exists"):
        outputs.write_outputs(fake_result(), tmp_path / "item.wav")
    assert (tmp_path / "item.wav").read_bytes() == b"old"
    outputs.write_outputs(fake_result(), tmp_path / "item.wav", overwrite=True)
    assert (tmp_path / "item.wav").read_bytes() != b"old"
