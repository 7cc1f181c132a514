"""Optimisation of the input spectrogram: scipy L-BFGS-B or Keras optimisers.

Both optimisers call one value-and-gradient function, x (numpy) -> (terms, gradient),
run by one of two backends:

- "xla": the objective compiled with XLA (any objective); a CompileCache shares the
  compiled code between optimisations (other pairs, chunks, loss weights, optimisers
  with the same shapes);
- "blas": the shallow network's content and style objective written out in numpy
  (losses/blas.py), whose matrix products run in numpy's BLAS.

"auto" (the default) runs the optimiser's first evaluations on the two backends in turn
(AUTO_SCHEDULE: one untimed warm-up each, XLA's includes its compilation, then two timed
each), then keeps the faster, by at least AUTO_MARGIN, else XLA. No evaluation is spent on
the choice alone: each one is a step of the optimisation (the backends' losses agree to
about 2e-8 relative, their gradients to 2e-7 - 2.5e-4, the larger near a noise start where
rounding flips ReLU masks of activations near zero). A pause of AUTO_GAP_S before each
timed call lets the other backend's worker threads stop spinning. Every optimisation runs the same schedule, so a transfer gives the same
output whether or not a cache was shared, as long as the same backend is kept; the
record says which one was (`--backend` fixes it). Objectives under AUTO_MIN_GFLOP per
evaluation stay on XLA: there the difference is milliseconds, and timing noise would
pick at random. Which is faster depends on the
machine and on how its BLAS is configured (losses/blas.py). A non-finite loss stops the
optimisation and the best finite iterate seen so far is returned.
"""
import dataclasses
import time

import keras
import numpy as np
import scipy.optimize
import tensorflow as tf
from tqdm.auto import tqdm

from neural_style_audio.quiet import progress_disabled

BACKENDS = ("auto", "xla", "blas")
# "auto" keeps BLAS only when its evaluation is at least this much faster than XLA's, so
# that near-ties (which would flip from run to run) stay on XLA.
AUTO_MARGIN = 0.05
# The backends of auto's first evaluations; the first of each is a warm-up (not timed).
AUTO_SCHEDULE = ("xla", "blas", "xla", "blas", "xla", "blas")
# Smaller objectives (matrix-product GFLOP per evaluation) are not worth choosing for.
AUTO_MIN_GFLOP = 2.0
# Pause before each of auto's timed calls (s).
AUTO_GAP_S = 0.05


@dataclasses.dataclass
class OptimizeResult:
    """Outcome of `optimize`."""
    x: np.ndarray  # Best iterate [T, C].
    loss: float  # Its total loss.
    terms: dict  # Its loss terms (name -> float).
    history: list  # Total loss after each iteration.
    n_evaluations: int
    seconds: float
    message: str  # Why it stopped.
    first_call_s: float = 0.0  # The first value-and-gradient call (includes compilation).
    evaluation_s: float = 0.0  # All value-and-gradient calls together.
    # Where the evaluations ran: "xla" or "blas" ("auto": it stopped before auto chose;
    # the evaluations alternated between the two).
    backend: str = "xla"
    # auto's best ms per evaluation of each backend (partial if it stopped before choosing).
    backend_ms: dict = dataclasses.field(default_factory=dict)


class _NonFiniteLoss(Exception):
    pass


def _with_gradient(evaluate):
    """Wraps evaluate(x, *args) -> terms into x, *args -> (terms, d terms['total'] / dx)."""

    def fn(x, *args):
        with tf.GradientTape() as tape:
            tape.watch(x)
            terms = evaluate(x, *args)
        return terms, tape.gradient(terms["total"], x)

    return fn


def value_and_grad_fn(objective, shape):
    """Compiles x [shape] -> (terms dict, gradient of terms['total']) for one objective."""
    return tf.function(_with_gradient(objective), jit_compile=True, reduce_retracing=True,
                       input_signature=[tf.TensorSpec(shape, tf.float32)])


class CompileCache:
    """XLA-compiled value-and-gradient functions shared between optimisations.

    An objective that offers `structure`, `evaluate(x, targets, weights)`, `targets`
    and `weights` (losses.TransferObjective) is compiled once per structure; its
    targets and weights are passed as tensors, so another pair, chunk or loss weight
    with the same shapes reuses the compiled code instead of tracing and compiling
    again (about 1 s per 4096-filter objective on a 2-core CPU). Other callables are
    compiled afresh each time. It also keeps the BLAS backend's GEMM kernels of each
    shallow network (`blas_kernels`), made once.
    """

    def __init__(self):
        self._functions = {}
        self._kernels = {}  # id(network) -> (network, its BLAS GEMM kernels).

    def value_and_grad(self, objective, shape):
        """x [shape] -> (terms, gradient), reusing compiled code where possible."""
        key = getattr(objective, "structure", None)
        if key is None:
            return value_and_grad_fn(objective, shape)
        if key not in self._functions:
            self._functions[key] = tf.function(_with_gradient(objective.evaluate),
                                               jit_compile=True)
        compiled, targets, weights = self._functions[key], objective.targets, objective.weights
        return lambda x: compiled(x, targets, weights)

    def blas_kernels(self, network):
        """losses.blas.network_kernels(network), made once per network."""
        from neural_style_audio.losses import blas
        held = self._kernels.get(id(network))
        if held is None or held[0] is not network:
            held = self._kernels[id(network)] = (network, blas.network_kernels(network))
        return held[1]

    @property
    def n_traces(self):
        """How many times the shared functions were traced (compiled) so far."""
        return sum(f.experimental_get_tracing_count() for f in self._functions.values())


class _Tracker:
    """Keeps the best finite iterate, the history and the progress bar."""

    def __init__(self, total, progress, desc):
        self.best_x, self.best_loss, self.best_terms = None, np.inf, {}
        self.history, self.n_evaluations = [], 0
        self.bar = tqdm(total=total, desc=desc, disable=progress_disabled(progress), unit="it",
                        dynamic_ncols=True, leave=False)
        self.last_loss = np.nan

    def evaluated(self, x, terms):
        self.n_evaluations += 1
        loss = float(terms["total"])
        if not np.isfinite(loss):
            raise _NonFiniteLoss(f"non-finite loss ({loss}) at evaluation {self.n_evaluations}")
        self.last_loss = loss
        if loss < self.best_loss:
            self.best_x, self.best_loss = np.array(x, dtype=np.float32), loss
            self.best_terms = {k: float(v) for k, v in terms.items()}

    def iteration(self, loss):
        self.history.append(float(loss))
        self.bar.update(1)
        self.bar.set_postfix(loss=f"{loss:.4g}", refresh=False)


def _lbfgs(fn, x0, cfg, lower, tracker):
    shape = x0.shape

    def fun(flat):
        x = flat.reshape(shape).astype(np.float32)
        terms, grad = fn(x)
        tracker.evaluated(x, terms)
        return float(terms["total"]), np.asarray(grad, np.float64).ravel()

    def callback(intermediate_result):
        tracker.iteration(intermediate_result.fun)

    bounds = None
    if lower is not None:
        bounds = scipy.optimize.Bounds(np.full(x0.size, lower), np.full(x0.size, np.inf))
    res = scipy.optimize.minimize(
        fun, x0.astype(np.float64).ravel(), jac=True, method="L-BFGS-B", bounds=bounds,
        callback=callback, options=dict(maxiter=cfg.iterations, maxfun=cfg.iterations * 4))
    msg = res.message if isinstance(res.message, str) else res.message.decode()
    return f"L-BFGS-B: {msg}"


def _keras_optimizer(cfg):
    cls = {"adam": keras.optimizers.Adam, "rmsprop": keras.optimizers.RMSprop,
           "sgd": keras.optimizers.SGD}[cfg.optimizer]
    return cls(learning_rate=cfg.learning_rate)


def _gradient_descent(fn, x0, cfg, lower, tracker):
    var = tf.Variable(x0, dtype=tf.float32)
    opt = _keras_optimizer(cfg)
    opt.build([var])
    for _ in range(cfg.iterations):
        x_before = var.numpy()
        terms, grad = fn(x_before)
        tracker.evaluated(x_before, terms)  # terms are those of x_before.
        tracker.iteration(float(terms["total"]))
        opt.apply_gradients([(tf.convert_to_tensor(grad, tf.float32), var)])
        if lower is not None:
            var.assign(tf.maximum(var, lower))
    x_last = var.numpy()
    terms, _ = fn(x_last)
    tracker.evaluated(x_last, terms)
    return f"{cfg.optimizer}: {cfg.iterations} iterations done"


def _xla_numpy(compiled):
    """An XLA value-and-gradient function with numpy in and out."""

    def fn(x):
        terms, grad = compiled(tf.constant(x, tf.float32))
        return {k: float(v) for k, v in terms.items()}, grad.numpy()

    return fn


def choose_backend(ms):
    """auto's rule: name -> ms per evaluation -> the fastest, if it beats XLA's time by
    AUTO_MARGIN; else "xla"."""
    fastest = min(ms, key=ms.get)
    return fastest if ms[fastest] < (1.0 - AUTO_MARGIN) * ms["xla"] else "xla"


class _Fixed:
    """A value-and-gradient function on one backend (`backend`, `probe_ms` as _Auto's)."""

    def __init__(self, fn, backend):
        self.fn, self.backend, self.probe_ms = fn, backend, {}

    def __call__(self, x):
        return self.fn(x)


class _Auto:
    """Runs the first evaluations on the backends of AUTO_SCHEDULE in turn, timing them,
    then keeps choose_backend's pick. `backend` is "auto" until it has decided."""

    def __init__(self, candidates, clock=time.perf_counter, sleep=time.sleep):
        self.candidates, self.clock, self.sleep = candidates, clock, sleep
        self.backend, self.probe_ms, self.calls = "auto", {}, 0

    def __call__(self, x):
        if self.backend != "auto":
            return self.candidates[self.backend](x)
        name = AUTO_SCHEDULE[self.calls]
        timed = self.calls >= len(self.candidates)  # After each backend's warm-up call.
        if timed:
            self.sleep(AUTO_GAP_S)
        start = self.clock()
        out = self.candidates[name](x)
        ms = 1e3 * (self.clock() - start)
        if timed:
            self.probe_ms[name] = min(self.probe_ms.get(name, np.inf), ms)
        self.calls += 1
        if self.calls == len(AUTO_SCHEDULE):
            self.backend = choose_backend(self.probe_ms)
        return out


def value_and_grad(objective, x0_shape, backend="auto", cache=None):
    """The numpy value-and-gradient function of `objective` on the chosen backend.

    Args:
      objective: callable [T, C] tensor -> dict of scalar terms with 'total'; a
        losses.TransferObjective may also run on "blas".
      x0_shape: shape of its input [T, C].
      backend: "auto", "xla" or "blas" (see the module docstring).
      cache: a CompileCache (compiled code, BLAS kernels), or None.

    Returns:
      fn x [T, C] float32 -> (dict of float terms, gradient [T, C]), with attributes
      `backend` (where it runs: "xla", "blas", or "auto" while still choosing) and
      `probe_ms` (auto's best ms per evaluation of each backend so far: complete once
      it has chosen; {} for a fixed backend).

    Raises:
      ValueError: backend "blas" for an objective it cannot evaluate, or an unknown one.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    from neural_style_audio.losses import blas
    cache = cache or CompileCache()
    reason = (blas.unsupported(objective) if hasattr(objective, "terms_on")
              else "not a TransferObjective")
    if backend == "blas" and reason is not None:
        raise ValueError(f"backend blas cannot evaluate this objective: {reason}")
    if backend == "auto" and (reason is not None or blas.evaluation_gflop(
            objective.network, x0_shape) < AUTO_MIN_GFLOP):
        backend = "xla"

    def xla():
        return _xla_numpy(cache.value_and_grad(objective, x0_shape))

    def blas_fn():
        return blas.BlasValueAndGrad(objective, cache.blas_kernels(objective.network))

    if backend == "xla":
        return _Fixed(xla(), "xla")
    if backend == "blas":
        return _Fixed(blas_fn(), "blas")
    return _Auto(dict(xla=xla(), blas=blas_fn()))


def optimize(objective, x0, cfg, lower=None, progress=True, desc="optimise", cache=None,
             backend=None):
    """Minimises objective(x)['total'] over x, starting from x0.

    Args:
      objective: callable [T, C] tensor -> dict of scalar terms with 'total'.
      x0: [T, C] float32 start.
      cfg: OptimizerConfig (optimizer, iterations, learning_rate).
      lower: optional lower bound on every element (e.g. 0 for log1p magnitudes).
      progress: show a tqdm bar with iteration and loss.
      desc: progress-bar label.
      cache: a CompileCache to reuse compiled code across calls (default: none kept).
      backend: "auto", "xla" or "blas" (module docstring); default cfg.backend.

    Returns:
      OptimizeResult with the best finite iterate.
    """
    x0 = np.asarray(x0, dtype=np.float32)
    if lower is not None:
        x0 = np.maximum(x0, lower)
    compiled = value_and_grad(objective, x0.shape, backend or cfg.backend, cache)
    call_times = []

    def fn(x):
        t = time.perf_counter()
        terms, grad = compiled(x)
        call_times.append(time.perf_counter() - t)
        return terms, grad

    tracker = _Tracker(cfg.iterations, progress, desc)
    start = time.perf_counter()
    try:
        if cfg.iterations == 0:
            terms, _ = fn(x0)
            tracker.evaluated(x0, terms)
            message = "no iterations requested"
        elif cfg.optimizer == "lbfgs":
            message = _lbfgs(fn, x0, cfg, lower, tracker)
        else:
            message = _gradient_descent(fn, x0, cfg, lower, tracker)
    except _NonFiniteLoss as err:
        message = f"stopped: {err}; kept the best iterate"
    finally:
        tracker.bar.close()
    if tracker.best_x is None:
        tracker.best_x, tracker.best_loss = x0, float("nan")
    return OptimizeResult(x=tracker.best_x, loss=tracker.best_loss, terms=tracker.best_terms,
                          history=tracker.history, n_evaluations=tracker.n_evaluations,
                          seconds=time.perf_counter() - start, message=message,
                          first_call_s=call_times[0] if call_times else 0.0,
                          evaluation_s=float(sum(call_times)), backend=compiled.backend,
                          backend_ms=compiled.probe_ms)
