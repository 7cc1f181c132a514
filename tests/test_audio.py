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
