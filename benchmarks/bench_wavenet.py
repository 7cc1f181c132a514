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
peak is the best of several tf.matmul paths (XLA and not) and shapes: 2048^3 and the
decoder's own products at the largest batch benchmarked (gemm_peak), so no row can
beat its bound. Prints a Markdown table; --json writes every number.

    python benchmarks/bench_wavenet.py --ab [--configs ...] [--repeats 5]

times the two step formulations of FastGenerator ("per_layer": one 2-D GEMM per layer on
[past taps | current input]; "batched": one batched GEMM for every layer's past taps)
alternately in one process and prints the best and median of each.
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


def gemm_peak(shapes=(), n=2048, repeats=3):
    """Best float32 GEMM FLOP/s over paths and shapes: ({path: FLOP/s}, best).

    tf.matmul at n^3 (tf.function with and without XLA) and numpy's BLAS at n^3, and for
    each (config, batch)
    in `shapes` the decoder's own products at `batch` rows: L layers of [batch, K * width] x
    [K * width, 2 * width] then [batch, width] x [width, width + skip] (2-D, distinct
    weights per layer), and the batched past-taps GEMM [L, batch, (K - 1) * width] x
    [L, (K - 1) * width, 2 * width], the 2-D products with numpy's BLAS too. The decoder
    can then never beat the "peak".
    """
    import tensorflow as tf
    cases = {}
    x = tf.random.normal([n, n])
    for jit in (False, True):
        cases[f"square {n}^3{' xla' if jit else ''}"] = (
            tf.function(lambda a: tf.matmul(a, a), jit_compile=jit), (x,), 2 * n ** 3)
    cases[f"square {n}^3 numpy"] = (lambda a: a @ a, (x.numpy(),), 2 * n ** 3)
    for c, batch in shapes:
        k, w, skip, layers = c.filter_length, c.width, c.skip_width, c.num_layers
        rows = tf.random.normal([batch, k * w])
        dilated = tf.random.normal([layers, k * w, 2 * w]) * 0.01
        res_skip = tf.random.normal([layers, w, w + skip]) * 0.01

        def per_layer(a, d, r):  # Sizes from the arguments: traced after the loop.
            return tf.add_n([tf.matmul(tf.matmul(a, d[i])[:, :r.shape[1]], r[i])
                             for i in range(d.shape[0])])

        def batched(a, d):
            past = d.shape[1] - d.shape[2] // 2
            return tf.matmul(tf.tile(a[None, :, :past], [d.shape[0], 1, 1]), d[:, :past])

        flops = 2 * batch * layers * (k * w * 2 * w + w * (w + skip))
        for jit in (False, True):
            tag = f"{c.name} decoder 2-D [{batch}, {k * w}]x[{k * w}, {2 * w}]"
            cases[tag + (" xla" if jit else "")] = (
                tf.function(per_layer, jit_compile=jit), (rows, dilated, res_skip), flops)
            cases[tag + " numpy"] = (_numpy_per_layer, tuple(
                v.numpy() for v in (rows, dilated, res_skip)), flops)
            tag = f"{c.name} batched [{layers}, {batch}, {(k - 1) * w}]x[.., {2 * w}]"
            cases[tag + (" xla" if jit else "")] = (
                tf.function(batched, jit_compile=jit), (rows, dilated),
                2 * batch * layers * (k - 1) * w * 2 * w)
    rates = {}
    for name, (f, args, flops) in cases.items():
        np.asarray(f(*args))
        rates[name] = flops / min(_timed(lambda: np.asarray(f(*args))) for _ in range(repeats))
    return rates, max(rates.values())


def _numpy_per_layer(a, d, r):
    """gemm_peak's 2-D decoder products with numpy's BLAS."""
    return sum((a @ d[i])[:, :r.shape[1]] @ r[i] for i in range(d.shape[0]))


def _timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def _samples(plan, scale):
    return [max(2, int(round(n * scale))) for n in plan]


def bench_config(name, bandwidth, peak, log, scale=1.0):
    import tensorflow as tf
    from neural_style_audio.wavenet import config as wn_config, generation, model
    c = wn_config.get(name)
    plan = PLAN[name]
    net = model.build_model(c, seed=0)
    macs, weight_bytes = decoder_cost(c)
    rows = []
    samples = _samples(plan["samples"], scale)
    fast = generation.FastGenerator(net, chunk=max(samples))
    for batch, n in zip(plan["batches"], samples):
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
        row = dict(config=name, decoder="fast", formulation=fast.formulation,
                   batch=batch, samples=n, seconds=seconds,
                   first_call_s=compile_s, per_clip=n / seconds, summed=batch * n / seconds,
                   bound_per_clip=1 / bound_s, bound_summed=batch / bound_s,
                   limit="memory" if memory_bound_s >= compute_bound_s else "compute")
        row["share_of_bound"] = row["per_clip"] / row["bound_per_clip"]
        row["gflops"] = 2 * macs * batch * row["per_clip"] / 1e9
        rows.append(row)
        log(f"{name} fast batch {batch}: {row['per_clip']:.0f} samples/s per clip, "
            f"{row['summed']:.0f} summed ({row['share_of_bound']:.0%} of the {row['limit']} bound)")
    n = _samples([plan["naive_samples"]], scale)[0]
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
             "x fastgen (summed) | GFLOP/s | bound per clip (limit) | share of bound |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for result in results:
        for r in result["rows"]:
            bound = (f"{r['bound_per_clip']:.0f} ({r['limit']})" if "bound_per_clip" in r
                     else "-")
            share = f"{r['share_of_bound']:.0%}" if "share_of_bound" in r else \
                f"same samples as fast: {r['same_as_fast']}"
            decoder = r["decoder"] + (f" ({r['formulation']})" if "formulation" in r else "")
            gflops = f"{r['gflops']:.1f}" if "gflops" in r else "-"
            lines.append(f"| {r['config']} | {decoder} | {r['batch']} | {r['samples']} | "
                         f"{r['per_clip']:.1f} | {r['summed']:.1f} | "
                         f"{r['summed'] / FASTGEN_SAMPLES_PER_S:.1f} | {gflops} | {bound} | "
                         f"{share} |")
    return "\n".join(lines)


AB_PLAN = {  # (batch, samples per timed run) for --ab.
    "h512_bo16": ((1, 24), (64, 8)),
    "small": ((1, 4000), (128, 500)),
    "tiny": ((1, 256), (8, 256)),
}


def ab_formulations(names, log, repeats=5, scale=1.0):
    """The two step formulations timed alternately in one process (min and median)."""
    import tensorflow as tf
    from neural_style_audio.wavenet import config as wn_config, generation, model
    rows = []
    for name in names:
        c = wn_config.get(name)
        net = model.build_model(c, seed=0)
        for batch, n in AB_PLAN[name]:
            n = _samples([n], scale)[0]
            enc = tf.random.stateless_normal(
                [batch, -(-n // c.ae_hop_length), c.ae_bottleneck_width], seed=[0, batch])
            gens = {f: generation.FastGenerator(net, chunk=n, formulation=f)
                    for f in generation.FORMULATIONS}
            bins = {f: g.generate_bins(enc, n_samples=n, seed=1) for f, g in gens.items()}
            times = {f: [] for f in gens}
            for _ in range(repeats):
                for f, g in gens.items():
                    times[f].append(_timed(lambda: g.generate_bins(enc, n_samples=n, seed=1)))
            row = dict(config=name, batch=batch, samples=n, repeats=repeats,
                       same_samples=all(np.array_equal(b, bins["batched"])
                                        for b in bins.values()))
            for f, ts in times.items():
                row[f] = dict(seconds=ts, min_s=min(ts), median_s=float(np.median(ts)),
                              per_clip_best=n / min(ts), per_clip_median=n / np.median(ts))
            row["speedup_min"] = row["batched"]["min_s"] / row["per_layer"]["min_s"]
            row["speedup_median"] = row["batched"]["median_s"] / row["per_layer"]["median_s"]
            rows.append(row)
            log(f"{name} batch {batch}: " + ", ".join(
                f"{f} {row[f]['per_clip_best']:.1f}/{row[f]['per_clip_median']:.1f}"
                for f in times) + f" samples/s per clip (best/median); per_layer "
                f"{row['speedup_min']:.2f}x (min) {row['speedup_median']:.2f}x (median)")
    return rows


def ab_table(rows):
    lines = ["| config | batch | samples x repeats | batched: best / median samples/s per clip "
             "| per_layer: best / median | per_layer speed-up (min / median) | same samples |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['config']} | {r['batch']} | {r['samples']} x {r['repeats']} | "
            f"{r['batched']['per_clip_best']:.1f} / {r['batched']['per_clip_median']:.1f} | "
            f"{r['per_layer']['per_clip_best']:.1f} / {r['per_layer']['per_clip_median']:.1f} | "
            f"{r['speedup_min']:.2f}x / {r['speedup_median']:.2f}x | {r['same_samples']} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="h512_bo16,small",
                        help=f"comma-separated, from {', '.join(PLAN)}")
    parser.add_argument("--json", default="", help="write every number to this file")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiplies the samples per timed run (shorter runs: < 1)")
    parser.add_argument("--ab", action="store_true",
                        help="only time the step formulations (per_layer, batched) "
                             "alternately in one run")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs each for --ab")
    args = parser.parse_args(argv)
    names = [n for n in args.configs.split(",") if n]
    unknown = [n for n in names if n not in PLAN]
    if unknown:
        parser.error(f"unknown config(s) {', '.join(unknown)}")
    if not args.scale > 0 or args.repeats < 1:
        parser.error("--scale must be > 0 and --repeats >= 1")

    def log(line):
        print(line, file=sys.stderr, flush=True)

    from neural_style_audio.wavenet import config as wn_config
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs"
    load_before = os.getloadavg()
    if args.ab:
        rows = ab_formulations(names, log, args.repeats, args.scale)
        record = dict(machine=machine, load_before=load_before, load_after=os.getloadavg(),
                      ab=rows, openblas_coretype=os.environ.get("OPENBLAS_CORETYPE"))
        print(ab_table(rows))
    else:
        bandwidth = memory_bandwidth()
        rates, peak = gemm_peak([(wn_config.get(n), max(PLAN[n]["batches"])) for n in names])
        log(f"bandwidth {bandwidth / 1e9:.1f} GB/s, GEMM peak {peak / 1e9:.1f} GFLOP/s "
            f"(best of {', '.join(f'{k} {v / 1e9:.1f}' for k, v in rates.items())})")
        results = [bench_config(n, bandwidth, peak, log, args.scale) for n in names]
        record = dict(machine=machine, load_before=load_before, load_after=os.getloadavg(),
                      bandwidth_bytes_per_s=bandwidth, gemm_flops_per_s=peak,
                      gemm_flops_per_s_by_path=rates,
                      fastgen_samples_per_s=FASTGEN_SAMPLES_PER_S, results=results,
                      openblas_coretype=os.environ.get("OPENBLAS_CORETYPE"))
        print(table(results, bandwidth, peak))
        over = [r for res in results for r in res["rows"] if r.get("share_of_bound", 0) > 1]
        if over:
            log(f"warning: {len(over)} row(s) beat the measured bound; the peak is too low")
    print(f"\nload average before {record['load_before']}, after {record['load_after']}")
    if args.json:
        Path(args.json).write_text(json.dumps(record, indent=1) + "\n")
    return record


if __name__ == "__main__":
    main()
