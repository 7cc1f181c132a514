"""Speed of one value-and-gradient evaluation of the transfer objective, against an honest peak.

    python benchmarks/bench_transfer.py [--seconds 10] [--n_filters 4096] [--filter_width 11]
        [--rounds 5] [--repeats 2] [--json]

Times, on a clip of --seconds (content = the bundled example looped, style = it reversed):

- ours: this package's objective as the optimiser calls it (`optimize.value_and_grad` on
  `losses.TransferObjective` with the default one-layer network and loss weights, on the
  backend that `--backend auto` picks: its first evaluations alternate between XLA and
  numpy's BLAS, then it keeps the faster, see optimize.py and losses/blas.py);
  "ours_xla" and "ours_blas" time each backend by itself;
- ablation variants, each one change away from the next:
  (a) straightforward: `tf.nn.conv1d`, Gram matrices on [T', N] (N x N), tf.function, no XLA;
  (b) as (a) under XLA;
  (c) the convolution as frame + one GEMM (`random_conv.conv_over_time`), N x N Gram, XLA;
  (d) GEMM convolution + the style loss expanded into T' x T' products in float32, XLA
      (the package's formulation before the float64 fix of the style loss);
  (e) as (d) without XLA (TF's own oneDNN/Eigen kernels).
- the peak: float32 GEMM throughput of several paths (TF eager = oneDNN/Eigen kernel,
  tf.function without XLA, XLA, numpy/OpenBLAS) at --peak_size^3 and at the objective's own
  GEMM shapes. "Peak" is the best of all of them, so no objective built from these GEMMs
  can exceed it; the best TF path alone is printed too. Where the package's style loss
  uses float64 products, their float64 GEMM is timed as well (not part of the peak).

GFLOP/s count the matrix products only (see evaluation_flops: "useful" FLOPs, and the
"executed" ones, which are checked against the dots in the compiled HLO); float64 FLOPs of
the style products count like float32 ones, so a float64 form shows a lower % of peak.

Everything is timed in --rounds interleaved rounds: each round times every peak path and every
variant --repeats times, so load from other work on the machine shows up as spread between min
and median, in the variants and the peak alike. Ratios use the same statistic for both sides:
best-of (min time) against best-of, median against median. The load average is printed before
and after. All variants are first checked to give the same loss (1e-3 relative) and gradient.

With --json exactly one JSON object is printed on stdout; everything else goes to stderr.
"""
import json
import os
import random
import re
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

_JSON_STDOUT = None
if __name__ == "__main__" and "--json" in sys.argv:
    # Keep stdout for the one JSON object: anything else written to file descriptor 1
    # while the benchmark runs (TF, XLA or BLAS chatter) goes to stderr.
    _JSON_STDOUT = os.dup(1)
    os.dup2(2, 1)

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import app, flags  # noqa: E402
from absl import logging as absl_logging  # noqa: E402

from neural_style_audio import examples, optimize, representations, spectral  # noqa: E402
from neural_style_audio import losses, networks  # noqa: E402
from neural_style_audio.audio import load_audio  # noqa: E402
from neural_style_audio.config import FeatureConfig, LossConfig, NetworkConfig  # noqa: E402
from neural_style_audio.networks import random_conv  # noqa: E402

FLAGS = flags.FLAGS


def define_flags():
    """Command-line flags; defined only when run as a script, so importing defines none."""
    flags.DEFINE_float("seconds", 10.0, "Clip length (content and style).")
    flags.DEFINE_integer("n_filters", 4096, "Filters.")
    flags.DEFINE_integer("filter_width", 11, "Filter width (frames).")
    flags.DEFINE_integer("rounds", 5, "Interleaved rounds; each times every peak GEMM and "
                         "variant, in a shuffled order.")
    flags.DEFINE_integer("repeats", 2, "Timed calls of each peak GEMM and variant per round.")
    flags.DEFINE_integer("peak_size", 4096, "Square GEMM size of the peak measurement.")
    flags.DEFINE_float("gap_s", 0.1, "Pause before each peak GEMM or variant's timed calls, so "
                       "that spinning worker threads of the previous one have stopped.")
    flags.DEFINE_list("variants", "ours,ours_xla,ours_blas,a,b,c,d,e",
                      "Variants to time (ours and a always run).")
    flags.DEFINE_list("peak_paths", "eager,function,xla,numpy", "GEMM paths of the peak.")
    flags.DEFINE_bool("json", False, "Print one JSON object on stdout (the table goes to stderr).")


VARIANTS = {
    "ours": "ours: package objective (backend auto)",
    "ours_xla": "ours on XLA (backend xla)",
    "ours_blas": "ours on numpy's BLAS (backend blas)",
    "a": "(a) conv1d + NxN Gram, no XLA",
    "b": "(b) conv1d + NxN Gram, XLA",
    "c": "(c) GEMM conv + NxN Gram, XLA",
    "d": "(d) GEMM conv + TxT f32, XLA",
    "e": "(e) GEMM conv + TxT f32, no XLA",
}
PEAK_PATHS = {
    "eager": "TF eager matmul (oneDNN/Eigen)",
    "function": "tf.function matmul, no XLA",
    "xla": "XLA-compiled matmul",
    "numpy": "numpy matmul (BLAS)",
}


def _numpy_blas():
    """Name of numpy's BLAS (e.g. scipy-openblas), or "BLAS"."""
    try:
        return np.__config__.CONFIG["Build Dependencies"]["blas"]["name"]
    except (AttributeError, KeyError, TypeError):
        return "BLAS"


PEAK_PATHS["numpy"] = f"numpy matmul ({_numpy_blas()})"


def evaluation_flops(t, t_style, channels, filters, width, style_form, count="useful",
                     style_constant_recomputed=None):
    """Matrix-product FLOPs of one value-and-gradient evaluation of a one-layer objective.

    2 FLOPs per multiply-add. With T' = t - width + 1 output frames, T_s' = t_style - width + 1
    style frames, K = width * channels and N = filters:

    - convolution forward, [T', K] x [K, N]: 2 T' K N;
    - its input gradient, [T', N] x [N, K]: 2 T' K N (the kernel is fixed: no kernel gradient);
    - style "nxn" (G = F^T F, [N, N]): forward 2 T' N^2; backward dF = F (dG + dG^T):
      "useful" counts it as one product, 2 T' N^2; "executed" counts the two products that
      reverse-mode differentiation of matmul(F, F) emits, 4 T' N^2. The style clip's Gram
      S^T S is a constant: not counted as useful; "executed" adds 2 T_s' N^2 if
      style_constant_recomputed (the package's N x N form recomputes it; variants (a)-(c)
      precompute it).
    - style "txt" (the T x T expansion: F F^T, F S^T, S S^T): forward 2 T'^2 N + 2 T' T_s' N;
      backward 2 T'^2 N + 2 T' T_s' N "useful" (one product per term); "executed" adds the
      second product of the symmetric F F^T's gradient (2 T'^2 N) and S S^T, a constant that
      the float32 form recomputes each evaluation (2 T_s'^2 N; style_constant_recomputed
      defaults to True here).
    - style "txt64": the same expansion with F F^T and F S^T (and their gradients) in
      float64 and ||S S^T||^2 precomputed: as "txt" without S S^T (whatever
      style_constant_recomputed says), and with the gradient written out
      (`losses.terms._expanded_style_loss`: (F F^T) F and (F S^T) S, one product per
      term, so "executed" equals "useful"). The style parts are then float64 FLOPs
      (reported under "float64").

    Not counted (O(T' N) or O(T K) each, below 0.5 % at the default size): ReLU, the content
    term, squares and sums, framing and its gradient, casts.

    Returns:
      dict of the parts, their sum under "total" and the float64 share under "float64".
    """
    if count not in ("useful", "executed"):
        raise ValueError(f"count must be 'useful' or 'executed', not {count!r}")
    t_out, t_s_out = t - width + 1, t_style - width + 1
    k = width * channels
    n = filters
    executed = count == "executed"
    if style_constant_recomputed is None:
        style_constant_recomputed = style_form == "txt"
    parts = {"conv_forward": 2 * t_out * k * n, "conv_input_gradient": 2 * t_out * k * n}
    if style_form == "nxn":
        parts["style_forward"] = 2 * t_out * n * n
        parts["style_backward"] = (4 if executed else 2) * t_out * n * n
        if executed and style_constant_recomputed:
            parts["style_forward"] += 2 * t_s_out * n * n
    elif style_form in ("txt", "txt64"):
        parts["style_forward"] = 2 * t_out * t_out * n + 2 * t_out * t_s_out * n
        symmetric_twice = executed and style_form == "txt"  # Autodiff of F F^T.
        parts["style_backward"] = ((4 if symmetric_twice else 2) * t_out * t_out * n
                                   + 2 * t_out * t_s_out * n)
        if executed and style_constant_recomputed and style_form == "txt":
            parts["style_forward"] += 2 * t_s_out * t_s_out * n
    else:
        raise ValueError(f"unknown style form {style_form!r}")
    parts["total"] = sum(parts.values())
    parts["float64"] = (parts["style_forward"] + parts["style_backward"]
                        if style_form == "txt64" else 0)
    return parts


def package_style_form(objective, t_out, t_style_out, filters):
    """The form of `losses.style_loss` for these sizes: "nxn", "txt" or "txt64".

    The package switches to the T x T expansion when T' + T_s' < N; it is the float64 form
    when the objective's targets carry the style Gram's precomputed energy.
    """
    if t_out + t_style_out >= filters:
        return "nxn"
    return "txt64" if "style_gram_energy" in objective.targets else "txt"


_HLO_DEF = re.compile(r"^\s*(?:ROOT\s+)?%?([\w.\-]+)\s*=\s*(\w+)\[([0-9,]*)\]")


def hlo_dot_flops(hlo_text):
    """FLOPs of every dot in HLO text, by element type: 2 x output size x contracted size.

    A cross-check of evaluation_flops(..., "executed") against what XLA actually runs.
    """
    def dims(text):
        return [int(d) for d in text.split(",") if d]

    shapes = {}
    for line in hlo_text.splitlines():
        m = _HLO_DEF.match(line)
        if m:
            shapes[m.group(1)] = dims(m.group(3))
    totals = {}
    for line in hlo_text.splitlines():
        m = _HLO_DEF.match(line)
        call = re.search(r"\bdot\((?:\w+\[([0-9,]*)\]\S*\s+)?%?([\w.\-]+)", line)
        if not (m and call):
            continue
        lhs_dims = dims(call.group(1)) if call.group(1) is not None else shapes[call.group(2)]
        contracting = re.search(r"lhs_contracting_dims=\{([0-9,]*)\}", line)
        size = int(np.prod([lhs_dims[i] for i in dims(contracting.group(1))])) if contracting else 1
        flop = 2 * int(np.prod(dims(m.group(3)))) * size
        totals[m.group(2)] = totals.get(m.group(2), 0) + flop
    return totals


def theoretical_fma_peak():
    """float32 FMA peak from /proc/cpuinfo and the CPU affinity, or None where unreadable.

    lanes: 16 with avx512f, 8 with avx2 + fma, 4 otherwise; 2 FMA units per core ASSUMED
    (many cores have 2 full-width units; some have fewer or narrower ones); clock from
    cpufreq's cpuinfo_max_freq where present, else /proc/cpuinfo "cpu MHz" (under a
    hypervisor this is the nominal/TSC clock, not the boost clock).
    """
    try:
        with open("/proc/cpuinfo") as f:
            info = f.read()
    except OSError:
        return None
    fields = {}
    for line in info.splitlines():
        if ":" in line:
            key, value = (s.strip() for s in line.split(":", 1))
            fields.setdefault(key, value)
    cpu_flags = set(fields.get("flags", "").split())
    if "avx512f" in cpu_flags:
        lanes, isa = 16, "avx512f"
    elif {"avx2", "fma"} <= cpu_flags:
        lanes, isa = 8, "avx2+fma"
    else:
        lanes, isa = 4, "sse"
    clock_ghz, clock_source = None, None
    try:
        with open("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq") as f:
            clock_ghz, clock_source = int(f.read()) / 1e6, "cpufreq cpuinfo_max_freq"
    except (OSError, ValueError):
        if "cpu MHz" in fields:
            clock_ghz, clock_source = float(fields["cpu MHz"]) / 1e3, '/proc/cpuinfo "cpu MHz"'
    if clock_ghz is None:
        return None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    fma_units = 2
    return dict(gflops=cores * clock_ghz * lanes * 2 * fma_units, cores=cores,
                clock_ghz=clock_ghz, clock_source=clock_source, isa=isa, fp32_lanes=lanes,
                fma_units_assumed=fma_units, model=fields.get("model name", "?"),
                hypervisor="hypervisor" in cpu_flags)


def _clip(seconds, sr):
    """The bundled example looped to `seconds`."""
    y = load_audio(examples.content_path(), sr)
    return np.resize(y, int(seconds * sr))


def _block(out):
    tf.nest.map_structure(lambda t: t.numpy() if hasattr(t, "numpy") else t, out)


def _timed(fn):
    start = time.perf_counter()
    _block(fn())
    return time.perf_counter() - start


# ---------------------------------------------------------------- peak GEMMs


def gemm_shapes(t, t_style, channels, filters, width, peak_size, float64_style=False):
    """name -> (m, k, n, transpose_a, transpose_b, dtype) of the peak GEMMs.

    The square --peak_size GEMM and the objective's own products: the convolution
    forward [T', wC] x [wC, N] and input gradient [T', N] x [N, wC]^T, the T x T style
    product F F^T and the N x N Gram F^T F, all float32; with float64_style also F F^T in
    float64 (the package's style products; reported, but no part of the float32 peak).
    """
    t_out = t - width + 1
    k = width * channels
    shapes = {
        f"{peak_size}^3": (peak_size, peak_size, peak_size, False, False, "float32"),
        "conv fwd": (t_out, k, filters, False, False, "float32"),
        "conv grad": (t_out, filters, k, False, True, "float32"),
        "F F^T": (t_out, filters, t_out, False, True, "float32"),
        "F^T F": (filters, t_out, filters, True, False, "float32"),
    }
    if float64_style:
        shapes["F F^T f64"] = (t_out, filters, t_out, False, True, "float64")
    return shapes


def gemm_fn(path, m, k, n, transpose_a, transpose_b, dtype, rng):
    """A zero-argument function computing one [m, k] x [k, n] product on `path`."""
    a_shape = (k, m) if transpose_a else (m, k)
    b_shape = (n, k) if transpose_b else (k, n)
    a_np = rng.standard_normal(a_shape).astype(dtype)
    b_np = rng.standard_normal(b_shape).astype(dtype)
    if path == "numpy":
        a_op = a_np.T if transpose_a else a_np
        b_op = b_np.T if transpose_b else b_np
        return lambda: a_op @ b_op
    a, b = tf.constant(a_np), tf.constant(b_np)

    def mm():
        return tf.matmul(a, b, transpose_a=transpose_a, transpose_b=transpose_b)

    if path == "eager":
        return mm
    return tf.function(mm, jit_compile=(path == "xla"))


# ---------------------------------------------------------------- variants


def _nxn_style(f, gram_s):
    gram = tf.matmul(f, f, transpose_a=True) / f.shape[0]
    return tf.reduce_sum(tf.square(gram - gram_s))


def _txt_style_f32(f, s):
    """The T x T expansion in float32 (the package's form before the float64 fix)."""
    t, t_s = float(f.shape[0]), float(s.shape[0])
    return (tf.reduce_sum(tf.square(tf.matmul(f, f, transpose_b=True))) / t ** 2
            - 2.0 * tf.reduce_sum(tf.square(tf.matmul(f, s, transpose_b=True))) / (t * t_s)
            + tf.reduce_sum(tf.square(tf.matmul(s, s, transpose_b=True))) / t_s ** 2)


def objective_coefficients(objective, loss_cfg, t_out, filters):
    """(k_c, k_s) such that the package objective is k_c ||F - F_c||^2 + k_s ||G - G_s||^2.

    G = F^T F / T'. With the normalised objective (losses/objective.py: total = LOSS_SCALE *
    (alpha mean((F - F_c)^2) / mean(F_c^2) + beta mean((G - G_s)^2) / mean(G_s^2))) the
    constants come from its targets; with plain sums (Ulyanov's convention) they are the
    weights themselves.
    """
    if not hasattr(objective, "constants"):  # An older package (A/B against old commits).
        from neural_style_audio.losses import objective as objective_module
        loss_scale = getattr(objective_module, "LOSS_SCALE", None)
        if loss_scale is None:  # Plain sums.
            return loss_cfg.content_weight, loss_cfg.style_weight
        energy = max(float(objective.targets["style_gram_energy"][0]), 1e-30)  # ||G_s||^2
        return (loss_scale * loss_cfg.content_weight
                / (t_out * filters * float(objective.targets["content_scale"])),
                loss_scale * loss_cfg.style_weight / energy)
    # The objective's factors of the means; a mean over T' x N (N x N) is a sum / (T' N) (/ N^2).
    constants = objective.constants()
    return constants["content"] / (t_out * filters), constants["style"][0] / filters ** 2


def variant_fn(name, kernel, content_x, style_x, k_content, k_style):
    """x -> (loss, d loss / dx) of ablation variant `name` ("a" ... "e").

    k_content ||F - F_c||^2 + k_style ||gram(F) - gram(S)||^2 (see objective_coefficients),
    F the ReLU activations of one convolution with the package network's kernel.
    """
    kernel = tf.constant(kernel)

    def conv1d(x):
        return tf.nn.relu(tf.nn.conv1d(x[None], kernel, 1, "VALID")[0])

    def gemm(x):
        return tf.nn.relu(random_conv.conv_over_time(x, kernel))

    conv = conv1d if name in ("a", "b") else gemm
    fc = conv(tf.constant(content_x))
    fs = conv(tf.constant(style_x))
    if name in ("a", "b", "c"):
        gram_s = tf.matmul(fs, fs, transpose_a=True) / fs.shape[0]

        def style(f):
            return _nxn_style(f, gram_s)
    else:
        def style(f):
            return _txt_style_f32(f, fs)

    @tf.function(jit_compile=name in ("b", "c", "d"), reduce_retracing=True,
                 input_signature=[tf.TensorSpec(content_x.shape, tf.float32)])
    def fn(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            f = conv(x)
            loss = (k_content * tf.reduce_sum(tf.square(f - fc))
                    + k_style * style(f))
        return loss, tape.gradient(loss, x)

    return fn


# ---------------------------------------------------------------- measurement


def build_variants(names, seconds, n_filters, filter_width):
    """The clip, shapes and zero-argument callables of the named variants at one point.

    Returns:
      (dict name -> callable () -> (loss or terms, gradient) at the evaluation point,
       that point x0, dict with T, T_style, C of the clip, the package's style-loss form,
       the backend "auto" chose with its probe times, and `compiled`: name -> the
       XLA-compiled tf.function (x -> loss or terms, gradient) of the variants that have one)
    """
    fcfg = FeatureConfig()
    rep = representations.get(fcfg)
    y = _clip(seconds, fcfg.sr)
    x = rep.analyse(spectral.magnitude(y, fcfg.n_fft, fcfg.hop_length))
    style_x = rep.analyse(spectral.magnitude(y[::-1].copy(), fcfg.n_fft, fcfg.hop_length))
    lcfg = LossConfig()
    on = [k for k in ("content_weight", "style_weight", "energy_weight", "freq_envelope_weight")
          if getattr(lcfg, k) > 0]
    # The variants reproduce the default objective: content + style terms, nothing else.
    assert on == ["content_weight", "style_weight"] and lcfg.content_loss == "l2", on
    net = networks.build_network(NetworkConfig(n_filters=n_filters, filter_width=filter_width),
                                 x.shape[1])
    assert len(net.conv_layers) == 1 and net.conv_layers[0].activation_name == "relu"
    objective = losses.TransferObjective(net, x, style_x, lcfg, fcfg)
    x0_np = np.abs(np.random.default_rng(0).standard_normal(x.shape) * 1e-3).astype(np.float32)
    # "auto" as the optimiser runs it: its first evaluations alternate between the
    # backends, then it keeps the faster; those are made here, before anything is timed.
    ours = optimize.value_and_grad(objective, x.shape, "auto")
    for _ in optimize.AUTO_SCHEDULE:
        ours(x0_np)
    backend, probe_ms = ours.backend, ours.probe_ms
    package = {"ours": ours,
               "ours_xla": optimize.value_and_grad(objective, x.shape, "xla"),
               "ours_blas": optimize.value_and_grad(objective, x.shape, "blas")}
    # The compiled XLA function itself, for the dots in its HLO.
    hlo_fn = optimize.value_and_grad_fn(objective, x.shape)
    t_out = net.conv_layers[0].output_frames(x.shape[0])
    k_content, k_style = objective_coefficients(objective, lcfg, t_out, n_filters)
    kernel = net.conv_layers[0].kernel.numpy()
    x0 = tf.constant(x0_np)
    # Zero-argument callables; the package's functions take numpy, as the optimiser calls them.
    variants = {v: variant_fn(v, kernel, x, style_x, k_content, k_style)
                for v in names if v not in package}
    fns = {v: (lambda f: lambda: f(x0_np))(package[v]) if v in package else
           (lambda f: lambda: f(x0))(variants[v]) for v in names}
    # The XLA-compiled functions, whose HLO dots are checked against the FLOP count.
    compiled = {v: variants[v] for v in ("c", "d") if v in variants}
    compiled["ours_xla"] = hlo_fn
    if backend == "xla":
        compiled["ours"] = hlo_fn
    t_s_out = net.conv_layers[0].output_frames(style_x.shape[0])
    return fns, x0, dict(T=x.shape[0], T_style=style_x.shape[0], C=x.shape[1],
                         ours_style_form=package_style_form(objective, t_out, t_s_out, n_filters),
                         ours_backend=backend, ours_backend_probe_ms=probe_ms,
                         compiled=compiled)


def check_same(fns, reference="a", loss_tol=1e-3, grad_tol=1e-2):
    """Loss and relative gradient difference of every variant against `reference`; asserts."""
    results = {}
    for v, fn in fns.items():
        value, grad = fn()
        loss = float(value["total"] if isinstance(value, dict) else value)
        results[v] = (loss, np.asarray(grad))
    loss_ref, grad_ref = results[reference]
    checks = {}
    for v, (loss, grad) in results.items():
        rel_loss = abs(loss - loss_ref) / abs(loss_ref)
        rel_grad = float(np.linalg.norm(grad - grad_ref) / np.linalg.norm(grad_ref))
        checks[v] = dict(loss=loss, rel_loss_vs_a=rel_loss, rel_grad_vs_a=rel_grad)
        assert rel_loss <= loss_tol, f"{v}: loss {loss} vs {loss_ref} ({reference})"
        assert rel_grad <= grad_tol, f"{v}: gradient differs by {rel_grad:.2e} (relative)"
    return checks


def run_rounds(items, rounds, repeats, gap_s, say):
    """Times every zero-argument callable of `items` (name -> fn) in interleaved rounds.

    Each round times every item `repeats` times in a row, in an order shuffled per round
    (seeded), after a pause of gap_s. Returns (name -> list of seconds, load per round).
    """
    for fn in items.values():  # Warm-up: compilation, first-call allocation.
        _block(fn())
    times = {key: [] for key in items}
    order = list(items)
    load_rounds = []
    for r in range(rounds):
        random.Random(r).shuffle(order)  # No item always follows the same other one.
        for key in order:
            time.sleep(gap_s)
            times[key].extend(_timed(items[key]) for _ in range(repeats))
        load_rounds.append(os.getloadavg()[0])
        say(f"round {r + 1}/{rounds} done, load {load_rounds[-1]:.2f}")
    return times, load_rounds


def _best_of(table, keys, stat):
    """(GFLOP/s, path, shape) of the fastest (path, shape) in `keys` by `stat`."""
    path, shape = max(keys, key=lambda key: table[key[0]][key[1]][f"gflops_{stat}"])
    return table[path][shape][f"gflops_{stat}"], path, shape


def main(argv):
    del argv
    out = sys.stderr if FLAGS.json else sys.stdout
    # Many small tf.functions (one per peak GEMM) trip TF's retracing warning; it is noise here.
    tf.get_logger().setLevel("ERROR")
    absl_logging.set_verbosity(absl_logging.ERROR)

    def say(*args):
        print(*args, file=out, flush=True)

    load_before = os.getloadavg()
    names = ["ours", "a"] + [v for v in FLAGS.variants if v not in ("ours", "a")]
    unknown = set(names) - set(VARIANTS)
    if unknown:
        raise app.UsageError(f"unknown variants {sorted(unknown)}; choose from {list(VARIANTS)}")
    unknown = set(FLAGS.peak_paths) - set(PEAK_PATHS)
    if unknown:
        raise app.UsageError(f"unknown peak paths {sorted(unknown)}; choose from "
                             f"{list(PEAK_PATHS)}")
    n, w = FLAGS.n_filters, FLAGS.filter_width
    fns, x0, dims = build_variants(names, FLAGS.seconds, n, w)
    compiled = dims.pop("compiled")
    ours_backend = dims.pop("ours_backend")
    ours_probe_ms = dims.pop("ours_backend_probe_ms")
    t, t_s, c = dims["T"], dims["T_style"], dims["C"]

    # Same numbers from every variant (a benchmark of a wrong computation is worthless).
    checks = check_same(fns)

    # FLOPs per evaluation: "useful" is the headline count, "executed" the sanity bound,
    # checked against the dots in the compiled HLO of the variants whose convolution is one.
    package_form = dims.pop("ours_style_form")
    style_form = {"ours": package_form, "ours_xla": package_form, "ours_blas": package_form,
                  "a": "nxn", "b": "nxn", "c": "nxn", "d": "txt", "e": "txt"}
    flops = {v: evaluation_flops(t, t_s, c, n, w, style_form[v]) for v in names}
    # The package's N x N (and old float32 T x T) form recomputes the style clip's product;
    # variants (a)-(c) precompute it, (d)-(e) recompute it, the float64 form precomputes it.
    flops_exec = {v: evaluation_flops(t, t_s, c, n, w, style_form[v], "executed",
                                      style_constant_recomputed=v.startswith("ours") or None)
                  for v in names}
    hlo_flops, warnings = {}, []
    for v in names:
        if v in compiled:
            hlo_flops[v] = hlo_dot_flops(
                compiled[v].experimental_get_compiler_ir(x0)(stage="optimized_hlo"))
            counted, in_hlo = flops_exec[v]["total"], sum(hlo_flops[v].values())
            if abs(in_hlo - counted) > 0.01 * counted:
                warnings.append(f"{v}: the compiled HLO's dots do {in_hlo:.4g} FLOP, "
                                f"evaluation_flops(..., 'executed') counts {counted:.4g}")

    rng = np.random.default_rng(1)
    shapes = gemm_shapes(t, t_s, c, n, w, FLAGS.peak_size, "txt64" in style_form.values())
    items = {("peak", path, shape): gemm_fn(path, *shapes[shape], rng)
             for path in FLAGS.peak_paths for shape in shapes}
    items.update({("variant", v): fns[v] for v in names})
    times, load_rounds = run_rounds(items, FLAGS.rounds, FLAGS.repeats, FLAGS.gap_s, say)
    load_after = os.getloadavg()

    # Peak: best float32 GFLOP/s of any path and shape, separately for each statistic.
    peak_table = {}
    for key, ts in times.items():
        if key[0] != "peak":
            continue
        _, path, shape = key
        gemm_flop = 2 * shapes[shape][0] * shapes[shape][1] * shapes[shape][2]
        peak_table.setdefault(path, {})[shape] = dict(
            gflops_best=gemm_flop / min(ts) / 1e9,
            gflops_median=gemm_flop / statistics.median(ts) / 1e9,
            min_s=min(ts), median_s=statistics.median(ts), n=len(ts))
    all_keys = [(p, s) for p in peak_table for s in peak_table[p] if shapes[s][5] == "float32"]
    tf_keys = [(p, s) for p, s in all_keys if p != "numpy"]
    best = {stat: _best_of(peak_table, all_keys, stat) for stat in ("best", "median")}
    # For context: the best path TF itself offers (what the objective could route through).
    best_tf = ({stat: _best_of(peak_table, tf_keys, stat) for stat in ("best", "median")}
               if tf_keys else None)

    var_table = {}
    for v in names:
        ts = times[("variant", v)]
        s_min, s_med = min(ts), statistics.median(ts)
        useful, executed = flops[v]["total"], flops_exec[v]["total"]
        var_table[v] = dict(
            label=VARIANTS[v], ms_min=s_min * 1e3, ms_median=s_med * 1e3, n=len(ts),
            style_form=style_form[v], gflop_per_eval=useful / 1e9,
            gflop_float64_per_eval=flops[v]["float64"] / 1e9,
            gflop_executed_per_eval=executed / 1e9,
            gflop_parts={k: f / 1e9 for k, f in flops[v].items()},
            hlo_dot_gflop=({k: f / 1e9 for k, f in hlo_flops[v].items()}
                           if v in hlo_flops else None),
            gflops_best=useful / s_min / 1e9, gflops_median=useful / s_med / 1e9,
            gflops_executed_best=executed / s_min / 1e9,
            gflops_executed_median=executed / s_med / 1e9,
            pct_of_peak_best=100 * useful / s_min / 1e9 / best["best"][0],
            pct_of_peak_median=100 * useful / s_med / 1e9 / best["median"][0],
            **checks[v])
    for v in names:
        var_table[v]["speedup_vs_a_best"] = var_table["a"]["ms_min"] / var_table[v]["ms_min"]
        var_table[v]["speedup_vs_a_median"] = (var_table["a"]["ms_median"]
                                               / var_table[v]["ms_median"])

    # No objective can beat the best GEMM: if its executed FLOP rate does, the count is wrong.
    warnings += [f"{v}: executed {var_table[v][f'gflops_executed_{stat}']:.1f} GFLOP/s ({stat}) "
                f"exceeds every GEMM path's {best[stat][0]:.1f}: check the FLOP count"
                for v in names for stat in ("best", "median")
                if var_table[v][f"gflops_executed_{stat}"] > best[stat][0]]

    theo = theoretical_fma_peak()
    gpus = tf.config.list_physical_devices("GPU")
    say(f"device: {'GPU ' + gpus[0].name if gpus else 'CPU'}, "
        f"{len(os.sched_getaffinity(0))} cores usable, TF {tf.__version__}, numpy {np.__version__}")
    if theo:
        say(f"cpu: {theo['model']}; {theo['isa']} ({theo['fp32_lanes']} fp32 lanes), "
            f"{theo['clock_ghz']:.3f} GHz ({theo['clock_source']}), {theo['cores']} cores; "
            f"theoretical FMA peak {theo['gflops']:.1f} GFLOP/s ASSUMING "
            f"{theo['fma_units_assumed']} FMA units of full width per core")
    say(f"load average before {tuple(round(v, 2) for v in load_before)}, "
        f"after {tuple(round(v, 2) for v in load_after)}")
    say(f"clip {FLAGS.seconds:g} s: T={t} frames x C={c} bins (style T_s={t_s}), N={n} filters, "
        f"width {w}; {FLAGS.rounds} rounds x {FLAGS.repeats} repeats")
    say("\nGEMM GFLOP/s (best / median; float32 unless marked f64):")
    say(f"{'path':<36}" + "".join(f"{s:>17}" for s in shapes))
    for path, row in peak_table.items():
        say(f"{PEAK_PATHS[path]:<36}" + "".join(
            f"{row[s]['gflops_best']:8.1f} /{row[s]['gflops_median']:6.1f}" for s in shapes))
    for stat in ("best", "median"):
        say(f"peak ({stat}): {best[stat][0]:7.1f} GFLOP/s = {PEAK_PATHS[best[stat][1]]} "
            f"at {best[stat][2]}")
    if best_tf:
        say(f"best TF path: {best_tf['best'][0]:.1f} / {best_tf['median'][0]:.1f} GFLOP/s "
            f"(best / median) = {PEAK_PATHS[best_tf['best'][1]]} at {best_tf['best'][2]}")
    say(f"\n{'variant':<42}{'ms min':>9}{'ms med':>9}{'GFLOP':>8}{'GF/s best':>10}"
        f"{'GF/s med':>9}{'%pk best':>9}{'%pk med':>8}{'x vs (a)':>9}")
    for v in names:
        r = var_table[v]
        say(f"{r['label']:<42}{r['ms_min']:9.1f}{r['ms_median']:9.1f}{r['gflop_per_eval']:8.1f}"
            f"{r['gflops_best']:10.1f}{r['gflops_median']:9.1f}{r['pct_of_peak_best']:8.0f}%"
            f"{r['pct_of_peak_median']:7.0f}%{r['speedup_vs_a_best']:8.2f}x")
    say(f"ours = backend {ours_backend}" + (" (auto's timing, ms per evaluation: " + ", ".join(
        f"{k} {ms:.0f}" for k, ms in sorted(ours_probe_ms.items())) + ")" if ours_probe_ms else ""))
    say("GFLOP = useful matrix-product FLOPs (see evaluation_flops); % of peak and speed-up: "
        "best-of against best-of, median against median; x = (a) / variant, best-of")
    for msg in warnings:
        say("WARNING:", msg)

    ours_r, naive_r = var_table["ours"], var_table["a"]
    n_samples = FLAGS.rounds * FLAGS.repeats
    report = dict(
        ms_per_eval=ours_r["ms_min"], ms_per_eval_median=ours_r["ms_median"],
        gflop_per_eval=ours_r["gflop_per_eval"],
        gflop_executed_per_eval=ours_r["gflop_executed_per_eval"],
        gflops=ours_r["gflops_best"], gflops_median=ours_r["gflops_median"],
        peak_gflops=best["best"][0], peak_gflops_median=best["median"][0],
        peak_method=f"{PEAK_PATHS[best['best'][1]]} at {best['best'][2]}, best of {n_samples}",
        peak_method_median=(f"{PEAK_PATHS[best['median'][1]]} at {best['median'][2]}, "
                            f"median of {n_samples}"),
        pct_of_peak=ours_r["pct_of_peak_best"], pct_of_peak_median=ours_r["pct_of_peak_median"],
        peak_tf_gflops=best_tf and best_tf["best"][0],
        peak_tf_gflops_median=best_tf and best_tf["median"][0],
        peak_tf_method=best_tf and f"{PEAK_PATHS[best_tf['best'][1]]} at {best_tf['best'][2]}",
        pct_of_tf_peak=best_tf and 100 * ours_r["gflops_best"] / best_tf["best"][0],
        straightforward_ms_per_eval=naive_r["ms_min"],
        straightforward_ms_per_eval_median=naive_r["ms_median"],
        backend=ours_backend, backend_probe_ms=ours_probe_ms,
        speedup=naive_r["ms_min"] / ours_r["ms_min"],
        speedup_median=naive_r["ms_median"] / ours_r["ms_median"],
        statistic="headline = best-of (min time over rounds x repeats, max GFLOP/s); "
                  "*_median = median; ratios use the same statistic on both sides",
        loadavg=dict(before=list(load_before), after=list(load_after), per_round=load_rounds),
        rounds=FLAGS.rounds, repeats=FLAGS.repeats, gap_s=FLAGS.gap_s,
        shape=dict(seconds=FLAGS.seconds, N=n, width=w, **dims),
        variants=var_table, peak_paths=peak_table,
        gemm_shapes={k: list(v) for k, v in shapes.items()},
        theoretical_fma_peak=theo, warnings=warnings,
        tf_version=tf.__version__, numpy_version=np.__version__,
        env={k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
                                            "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                            "TF_ENABLE_ONEDNN_OPTS", "XLA_FLAGS")},
    )
    if FLAGS.json:
        sys.stdout.flush()
        if _JSON_STDOUT is not None:
            os.dup2(_JSON_STDOUT, 1)
        sys.stdout.write(json.dumps(report) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    define_flags()
    app.run(main)
