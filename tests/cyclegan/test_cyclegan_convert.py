"""Converting audio of any length: chunking and crossfade stitching, exact output
lengths, both phase options."""
import numpy as np
import pytest
import tensorflow as tf

from cyclegan_fixtures import SR, tiny_config
from conftest import harmonic_tone
from neural_style_audio.cyclegan import convert, models


def identity(x, training=False):
    return np.asarray(x)


def negate(x, training=False):
    return -np.asarray(x)


@pytest.mark.parametrize("n_frames", [5, 48, 49, 100, 257])
def test_stitching_reproduces_a_pointwise_generator_exactly(n_frames):
    image = np.random.default_rng(n_frames).uniform(-1, 1, (n_frames, 16)).astype(np.float32)
    np.testing.assert_allclose(convert.convert_image(identity, image, 48), image, atol=1e-6)
    np.testing.assert_allclose(convert.convert_image(negate, image, 48, overlap_frames=12),
                               -image, atol=1e-6)


def test_chunks_cover_the_clip_and_crossfades_sum_to_one():
    starts = convert.chunk_starts(100, 48, 24)
    assert starts[0] == 0 and starts[-1] == 100 - 48
    assert all(b - a <= 24 for a, b in zip(starts, starts[1:]))
    total = np.zeros(100)
    for k, s in enumerate(starts):
        total[s:s + 48] += convert.crossfade_weights(48, 24, k == 0, k == len(starts) - 1)
    assert total.min() > 0.99  # Every frame fully weighted, no gap at the ends.
    assert convert.chunk_starts(30, 48, 24) == [0]
    with pytest.raises(ValueError, match="chunk_frames"):
        convert.convert_image(identity, np.zeros((10, 16)), 30)


@pytest.mark.parametrize("phase", ["griffin_lim", "content"])
def test_any_length_audio_keeps_its_length(phase):
    config = tiny_config("published")
    tf.keras.utils.set_random_seed(0)
    generator = models.build_generator(config)
    for seconds in (0.3, 3.7):
        y = harmonic_tone(220, seconds, sr=SR)
        out = convert.convert_waveform(generator, y, config.spectrogram, phase=phase,
                                       n_iter=4)
        assert out.shape == y.shape and out.dtype == np.float32
        assert np.all(np.isfinite(out)) and np.max(np.abs(out)) > 0


def test_content_phase_through_an_identity_generator_gives_back_the_input():
    """With the identity 'generator' and the content's phase, only the [-1, 1] image
    quantisation (80-dB floor, dropped Nyquist bin) stands between input and output."""
    spec = tiny_config("published").spectrogram
    y = harmonic_tone(300, 1.0, sr=SR)
    out = convert.convert_waveform(identity, y, spec, phase="content")
    y_ref = 0.9 * y / np.max(np.abs(y))  # Converted at the training level.
    err = np.sqrt(np.mean((out - y_ref) ** 2) / np.mean(y_ref ** 2))
    assert err < 0.02


def test_load_generator_errors(tmp_path):
    with pytest.raises(convert.ModelLoadError, match="not found"):
        convert.load_generator(tmp_path / "missing")
    with pytest.raises(convert.ModelLoadError, match="no cyclegan.json"):
        convert.load_generator(tmp_path)
    with pytest.raises(convert.ModelLoadError, match="direction"):
        convert.load_generator(tmp_path, "x2y")
