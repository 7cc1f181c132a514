"""Fast (cached-state) generation against the naive full-recompute decoder."""
import numpy as np
import pytest
import tensorflow as tf

from neural_style_audio.wavenet import config, generation, model, mulaw


@pytest.fixture(scope="module")
def tiny():
    return model.build_model(config.TINY, seed=5)


@pytest.fixture(scope="module")
def naive_bins(tiny):
    """{mode: bins of the naive decoder} for the encoding of test_fast_equals_naive."""
    encoding = _encoding()
    naive = generation.NaiveGenerator(tiny)
    return {mode: naive.generate_bins(encoding, seed=7, mode=mode)
            for mode in generation.MODES}


def _encoding():
    return tf.random.stateless_normal([2, 3, config.TINY.ae_bottleneck_width],
                                      seed=[1, 2]) * 3


@pytest.mark.parametrize("formulation", generation.FORMULATIONS)
@pytest.mark.parametrize("mode", generation.MODES)
def test_fast_equals_naive(tiny, naive_bins, mode, formulation):
    c = config.TINY
    encoding = _encoding()
    # A chunk that does not divide the length: state carries over between calls.
    fast = generation.FastGenerator(tiny, chunk=17, formulation=formulation)
    a = fast.generate_bins(encoding, seed=7, mode=mode)
    b = naive_bins[mode]
    assert a.shape == b.shape == (2, 3 * c.ae_hop_length)
    np.testing.assert_array_equal(a, b)
    if mode == "sample":
        assert len(np.unique(a)) > 10  # Really sampled, not a constant.
        assert not np.array_equal(a, fast.generate_bins(encoding, seed=8))
        np.testing.assert_array_equal(a, fast.generate_bins(encoding, seed=7))


def test_default_formulation_by_width(tiny):
    # Wide (GEMM-bound) decoders: one GEMM per layer; narrow ones: fewer operations.
    assert generation.default_formulation(config.H512_BO16) == "per_layer"
    assert generation.default_formulation(config.SMALL) == "batched"
    assert generation.FastGenerator(tiny).formulation == "batched"
    assert generation.FastGenerator(tiny, formulation="per_layer").formulation == "per_layer"
    with pytest.raises(ValueError, match="formulation"):
        generation.FastGenerator(tiny, formulation="stacked")


def test_lengths_and_errors(tiny):
    c = config.TINY
    fast = generation.FastGenerator(tiny, chunk=8)
    enc = np.zeros((1, 1, c.ae_bottleneck_width), np.float32)
    audio = fast.generate(enc, n_samples=5, mode="argmax")
    assert audio.shape == (1, 5) and np.all(np.abs(audio) <= 1)
    with pytest.raises(ValueError, match="n_samples"):
        fast.generate(enc, n_samples=c.ae_hop_length + 1)
    with pytest.raises(ValueError, match="mode"):
        fast.generate(enc, mode="beam")
