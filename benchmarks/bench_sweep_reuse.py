"""What a sweep gains from sharing networks and compiled functions between cells.

    python benchmarks/bench_sweep_reuse.py [--cells 5] [--iterations 10] [--seconds 3.2]

Runs the same short alpha sweep (one transfer per cell, the bundled example pair cut
to --seconds, the deepmix preset) twice: each transfer on its own, as before sweeps
shared anything, and all transfers with one pipeline.TransferCache. Prints seconds per
cell for both, and checks that both give the same final losses.
"""
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from absl import app, flags  # noqa: E402

from neural_style_audio import examples  # noqa: E402
from neural_style_audio.methods import optimisation as pipeline  # noqa: E402
from neural_style_audio.audio import load_audio  # noqa: E402
from neural_style_audio.config import resolve_config  # noqa: E402

flags.DEFINE_integer("cells", 5, "Cells (alpha values 10^-4, 10^-3, ...).")
flags.DEFINE_integer("iterations", 10, "L-BFGS-B iterations per cell.")
flags.DEFINE_integer("griffin_lim_iters", 50, "Griffin-Lim iterations per cell.")
flags.DEFINE_float("seconds", 3.2, "Clip length (the length of the paired benchmark set).")
FLAGS = flags.FLAGS


def run_cells(configs, content, style, cache):
    """(seconds per cell, final losses); a fresh cache per cell when `cache` is None."""
    times, losses = [], []
    for config in configs:
        start = time.perf_counter()
        result = pipeline.transfer(content, style, config, cache=cache)
        times.append(time.perf_counter() - start)
        losses.append(result.record["final_loss"])
    return times, losses


def main(_):
    sr = resolve_config("deepmix").features.sr
    n = int(FLAGS.seconds * sr)
    content = load_audio(examples.content_path(), sr)[:n]
    style = load_audio(examples.style_path(), sr)[:n]
    configs = [resolve_config("deepmix", content_weight=10.0 ** (i - 4),
                              iterations=FLAGS.iterations,
                              griffin_lim_iters=FLAGS.griffin_lim_iters, progress=False)
               for i in range(FLAGS.cells)]
    run_cells(configs[:1], content, style, None)  # Warm-up: TF start-up, kernels.
    alone, losses_alone = run_cells(configs, content, style, None)
    cache = pipeline.TransferCache()
    shared, losses_shared = run_cells(configs, content, style, cache)
    same = np.allclose(losses_alone, losses_shared, rtol=1e-4)
    print(f"{FLAGS.cells} cells, {FLAGS.iterations} L-BFGS-B iterations, "
          f"Griffin-Lim {FLAGS.griffin_lim_iters}, {FLAGS.seconds} s clips, 4096 x 11")
    print(f"separate transfers : {np.mean(alone):6.2f} s / cell "
          f"(first {alone[0]:.2f}, rest {np.mean(alone[1:]):.2f})")
    print(f"one TransferCache  : {np.mean(shared):6.2f} s / cell "
          f"(first {shared[0]:.2f}, rest {np.mean(shared[1:]):.2f}); "
          f"{cache.n_traces} compilation(s)")
    print(f"saved per reused cell: {np.mean(alone[1:]) - np.mean(shared[1:]):.2f} s; "
          f"same final losses: {same}")
    if not same:
        sys.exit("final losses differ between separate and shared runs")


if __name__ == "__main__":
    app.run(main)
