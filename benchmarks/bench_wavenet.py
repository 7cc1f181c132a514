"""Speed of WaveNet decoding: fast (cached states, one compiled loop) against naive.

    python benchmarks/bench_wavenet.py [--configs h512_bo16,small] [--json out.json]

For each configuration (random weights: speed does not depend on their values):
- fast generation (neural_style_audio/wavenet/generation.py) at batch 1 and at larger
  batches: samples per second per clip and summed over the batch (compilation excluded:
  every shape is run once before it is timed);
- the naive decoder (the teacher-forced decoder rerun over the clip for every sample,
  O(T^2)) on a short clip in the same run, with a check that both give the same samples
  (same seed);
- the bound that limits each: a step must stream every decoder weight from memory
  (weight bytes / measured copy bandwidth) and do 2 * (multiply-adds per sample) * batch
  FLOPs (/ measured peak float32 GEMM rate); the bound is the slower of the two.
magenta's fastgen, for reference, ran at about 100 samples/s (a 4-s clip in ~10 min).

The measured bandwidth is a numpy copy of 256 MB (read + write counted); the GEMM
peak is the best of tf.matmul (XLA and not) at 2048^3. Prints a Markdown table; --json
writes every number.
"""
import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

FASTGEN_SAMPLES_PER_S = 100.0
# (batch sizes, samples per timed run) per configuration; the first batch is 1.
PLAN = {
    "h512_bo16": dict(batches=(1, 16, 64), samples=(128, 128, 96), naive_samples=16,
                      repeats=1),
    "small": dict(batches=(1, 8, 32, 128), samples=(16000, 8000, 4000, 2000), naive_samples=256),
    "tiny": dict(batches=(1, 8), samples=(256, 256), naive_samples=64),
}


def decoder_cost(c):
    """(multiply-adds per generated sample, decoder weight bytes read per step) of a config."""
    k, w, s, q, n = c.filter_length, c.width, c.skip_width, c.quantization_channels, c.num_layers
    per_layer = k * w * 2 * w + w * (w + s)
    macs = k * w + w * s + n * per_layer + s * s + s * q
    return macs, 4 * macs  # float32; the biases and conditioning are negligible.


def memory_bandwidth(n_bytes=256 * 2 ** 20, repeats=5):
    """Best numpy copy rate (bytes read + written per second)."""
    a = np.ones(n_bytes // 4, np.float32)
    b = np.empty_like(a)
    best = min(_timed(lambda: np.copyto(b, a)) for _ in range(repeats))
    return 2 * n_bytes / best


def gemm_peak(n=2048, repeats=3):
    """Best float32 GEMM FLOP/s of tf.matmul (tf.function with and without XLA)."""
    import tensorflow as tf
    x = tf.random.normal([n, n])
    best = 0.0
    for jit in (False, True):
        f = tf.function(lambda a: tf.matmul(a, a), jit_compile=jit)
        f(x).numpy()
        best = max(best, 2 * n ** 3 / min(_timed(lambda: f(x).numpy()) for _ in range(repeats)))
    return best


def _timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def bench_config(name, bandwidth, peak, log):
    import tensorflow as tf
    from neural_style_audio.wavenet import config as wn_config, generation, model
    c = wn_config.get(name)
    plan = PLAN[name]
    net = model.build_model(c, seed=0)
    macs, weight_bytes = decoder_cost(c)
    rows = []
    fast = generation.FastGenerator(net, chunk=max(plan["samples"]))
    for batch, n in zip(plan["batches"], plan["samples"]):
        frames = -(-n // c.ae_hop_length)
        enc = tf.random.stateless_normal([batch, frames, c.ae_bottleneck_width], seed=[0, batch])
        t = time.perf_counter()
        fast.generate_bins(enc, n_samples=2, seed=1)  # Compiles this shape (same chunk).
        compile_s = time.perf_counter() - t
        seconds = min(_timed(lambda: fast.generate_bins(enc, n_samples=n, seed=1))
                      for _ in range(plan.get("repeats", 2)))
        memory_bound_s = weight_bytes / bandwidth
        compute_bound_s = 2 * macs * batch / peak
        bound_s = max(memory_bound_s, compute_bound_s)
        row = dict(config=name, decoder="fast", batch=batch, samples=n, seconds=seconds,
                   first_call_s=compile_s, per_clip=n / seconds, summed=batch * n / seconds,
                   bound_per_clip=1 / bound_s, bound_summed=batch / bound_s,
                   limit="memory" if memory_bound_s >= compute_bound_s else "compute")
        row["share_of_bound"] = row["per_clip"] / row["bound_per_clip"]
        rows.append(row)
        log(f"{name} fast batch {batch}: {row['per_clip']:.0f} samples/s per clip, "
            f"{row['summed']:.0f} summed ({row['share_of_bound']:.0%} of the {row['limit']} bound)")
    n = plan["naive_samples"]
    enc = tf.random.stateless_normal([1, -(-n // c.ae_hop_length), c.ae_bottleneck_width],
                                     seed=[5, 5])
    naive = generation.NaiveGenerator(net)
    naive.generate_bins(enc, n_samples=2, seed=1)  # Compiles.
    t = time.perf_counter()
    naive_bins = naive.generate_bins(enc, n_samples=n, seed=1)
    seconds = time.perf_counter() - t
    fast_bins = generation.FastGenerator(net, chunk=n).generate_bins(enc, n_samples=n, seed=1)
    same = bool(np.array_equal(naive_bins, fast_bins))
    rows.append(dict(config=name, decoder="naive", batch=1, samples=n, seconds=seconds,
                     per_clip=n / seconds, summed=n / seconds, same_as_fast=same))
    log(f"{name} naive ({n} samples): {n / seconds:.1f} samples/s; same samples as fast: {same}")
    return dict(config=c.to_dict(), decoder_params=net.decoder.count_params(),
                macs_per_sample=macs, weight_bytes_per_step=weight_bytes, rows=rows)


def table(results, bandwidth, peak):
    lines = [f"Measured: copy bandwidth {bandwidth / 1e9:.1f} GB/s, float32 GEMM peak "
             f"{peak / 1e9:.1f} GFLOP/s. fastgen (magenta): ~{FASTGEN_SAMPLES_PER_S:.0f} "
             "samples/s.", "",
             "| config | decoder | batch | samples | samples/s per clip | samples/s summed | "
             "x fastgen (summed) | bound per clip (limit) | share of bound |",
             "|---|---|---|---|---|---|---|---|---|"]
    for result in results:
        for r in result["rows"]:
            bound = (f"{r['bound_per_clip']:.0f} ({r['limit']})" if "bound_per_clip" in r
                     else "-")
            share = f"{r['share_of_bound']:.0%}" if "share_of_bound" in r else \
                f"same samples as fast: {r['same_as_fast']}"
            lines.append(f"| {r['config']} | {r['decoder']} | {r['batch']} | {r['samples']} | "
                         f"{r['per_clip']:.1f} | {r['summed']:.1f} | "
                         f"{r['summed'] / FASTGEN_SAMPLES_PER_S:.1f} | {bound} | {share} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="h512_bo16,small",
                        help=f"comma-separated, from {', '.join(PLAN)}")
    parser.add_argument("--json", default="", help="write every number to this file")
    args = parser.parse_args(argv)
    names = [n for n in args.configs.split(",") if n]
    unknown = [n for n in names if n not in PLAN]
    if unknown:
        parser.error(f"unknown config(s) {', '.join(unknown)}")

    def log(line):
        print(line, file=sys.stderr, flush=True)

    load_before = os.getloadavg()
    bandwidth, peak = memory_bandwidth(), gemm_peak()
    log(f"bandwidth {bandwidth / 1e9:.1f} GB/s, GEMM peak {peak / 1e9:.1f} GFLOP/s")
    results = [bench_config(n, bandwidth, peak, log) for n in names]
    record = dict(machine=f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
                  load_before=load_before, load_after=os.getloadavg(),
                  bandwidth_bytes_per_s=bandwidth, gemm_flops_per_s=peak,
                  fastgen_samples_per_s=FASTGEN_SAMPLES_PER_S, results=results,
                  openblas_coretype=os.environ.get("OPENBLAS_CORETYPE"))
    print(table(results, bandwidth, peak))
    print(f"\nload average before {load_before}, after {record['load_after']}")
    if args.json:
        Path(args.json).write_text(json.dumps(record, indent=1) + "\n")
    return record


if __name__ == "__main__":
    main()
