"""What `transfer` accepts from Python: (y, sr) tuples, `sr=`, channels, integer PCM;
and the messages and warnings about its inputs."""
import numpy as np
import pytest

import neural_style_audio as nsa
from neural_style_audio import audio
from neural_style_audio.config import resolve_config
from neural_style_audio.methods import optimisation
from conftest import SR, harmonic_tone

TINY = dict(n_filters=16, iterations=3, griffin_lim_iters=3, progress=False)


def waveform(source, source_sr=None):
    return optimisation._as_waveform(source, SR, 1, "content", source_sr)[0]


def test_tuple_and_sr_keyword_resample_to_the_processing_rate():
    y44 = harmonic_tone(220, 0.5, sr=44100)
    from_tuple, from_keyword = waveform((y44, 44100)), waveform(y44, 44100)
    assert abs(len(from_tuple) - SR // 2) <= 1 and np.array_equal(from_tuple, from_keyword)


def test_stereo_int16_array_is_downmixed_and_scaled():
    y = harmonic_tone(220, 0.5)
    stereo = (np.stack([y, y], axis=1) * 32767).astype(np.int16)
    assert np.allclose(waveform(stereo), y, atol=1e-4)
    assert np.allclose(waveform(stereo.T), y, atol=1e-4)


@pytest.mark.parametrize("source, problem", [
    (np.zeros((2, 2)), "ambiguous shape"),
    ((harmonic_tone(220, 0.5), 2000), "unsupported sample rate 2000"),
    ((harmonic_tone(220, 0.5),), "a tuple must be"),
    ("", "content: empty path"),
])
def test_unclear_arrays_are_refused(source, problem):
    with pytest.raises(nsa.AudioInputError, match=problem):
        waveform(source)


def test_too_short_blames_the_setting_that_raised_the_requirement():
    config = resolve_config("ulyanov", filter_width=500, **TINY)
    min_samples, needed_for = optimisation.length_requirement(config)
    assert needed_for == "--filter_width 500" and min_samples == 499 * 512 + 1
    with pytest.raises(nsa.AudioInputError, match="too short for --filter_width 500"):
        nsa.transfer(harmonic_tone(220, 1.0), harmonic_tone(330, 1.0), config)
    pooled = resolve_config("ulyanov", pooling="max", pool_size=1000, **TINY)
    assert optimisation.length_requirement(pooled)[1] == "--pooling max, --pool_size 1000"
    assert optimisation.length_requirement(resolve_config("ulyanov", **TINY))[1] is None


def test_transfer_of_a_44k_stereo_tuple_keeps_the_duration():
    y = harmonic_tone(220, 0.5, sr=44100)
    result = nsa.transfer((np.stack([y, y], 1), 44100), harmonic_tone(330, 0.5),
                          resolve_config("ulyanov", **TINY))
    assert result.sr == SR and abs(len(result.audio) - SR // 2) <= 2


def test_zero_iterations_warns_that_the_output_is_the_start_point():
    with pytest.warns(audio.InputWarning, match="--iterations 0: nothing is optimised"):
        nsa.transfer(harmonic_tone(220, 0.5), harmonic_tone(330, 0.5),
                     resolve_config("ulyanov", **dict(TINY, iterations=0)))


@pytest.mark.parametrize("seed", [-1, 2**32])
def test_seed_outside_32_bits_is_a_config_error(seed):
    with pytest.raises(nsa.ConfigError, match=r"--seed must be in 0..4294967295"):
        resolve_config("ulyanov", seed=seed)


def test_largest_seed_runs():
    nsa.transfer(harmonic_tone(220, 0.5), harmonic_tone(330, 0.5),
                 resolve_config("ulyanov", seed=2**32 - 1, **TINY))
