"""benchmarks/bench_wavenet.py: its cost model against the checkpoint shapes."""
import importlib.util
from pathlib import Path

import numpy as np

from neural_style_audio.wavenet import config
from neural_style_audio.wavenet.checkpoint import expected_shapes

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_wavenet.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_wavenet", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_decoder_cost_is_the_per_sample_kernels():
    for c in (config.H512_BO16, config.SMALL, config.TINY):
        macs, weight_bytes = _bench().decoder_cost(c)
        shapes = expected_shapes(c)
        # One generated sample multiplies every decoder kernel once, except the
        # conditioning maps (computed per encoding frame) and the encoder.
        per_sample = sum(int(np.prod(w)) for scope, (w, _) in shapes.items()
                         if not scope.startswith(("ae_", "cond_map")))
        assert macs == per_sample and weight_bytes == 4 * macs
    assert 59e6 < _bench().decoder_cost(config.H512_BO16)[0] < 60e6
