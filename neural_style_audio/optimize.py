"""Optimisation of the input spectrogram: scipy L-BFGS-B or Keras optimisers.

Both paths share one XLA-compiled value-and-gradient function; a CompileCache shares
it between optimisations too (other pairs, chunks, loss weights, optimisers with the
same shapes). A non-finite loss stops the optimisation and the best finite iterate seen
so far is returned.
"""
import dataclasses
import time

import keras
import numpy as np
import scipy.optimize
import tensorflow as tf
from tqdm.auto import tqdm

from neural_style_audio.quiet import progress_disabled


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
    compiled afresh each time.
    """

    def __init__(self):
        self._functions = {}

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
        terms, grad = fn(tf.constant(x))
        tracker.evaluated(x, terms)
        return float(terms["total"]), grad.numpy().astype(np.float64).ravel()

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

    @tf.function
    def step():
        terms, grad = fn(tf.convert_to_tensor(var))
        opt.apply_gradients([(grad, var)])
        if lower is not None:
            var.assign(tf.maximum(var, lower))
        return terms

    x_before = var.numpy()
    for _ in range(cfg.iterations):
        terms = step()
        tracker.evaluated(x_before, terms)  # terms are those of x_before.
        tracker.iteration(float(terms["total"]))
        x_before = var.numpy()
    terms, _ = fn(tf.convert_to_tensor(var))
    tracker.evaluated(x_before, terms)
    return f"{cfg.optimizer}: {cfg.iterations} iterations done"


def optimize(objective, x0, cfg, lower=None, progress=True, desc="optimise", cache=None):
    """Minimises objective(x)['total'] over x, starting from x0.

    Args:
      objective: callable [T, C] tensor -> dict of scalar terms with 'total'.
      x0: [T, C] float32 start.
      cfg: OptimizerConfig (optimizer, iterations, learning_rate).
      lower: optional lower bound on every element (e.g. 0 for log1p magnitudes).
      progress: show a tqdm bar with iteration and loss.
      desc: progress-bar label.
      cache: a CompileCache to reuse compiled code across calls (default: none kept).

    Returns:
      OptimizeResult with the best finite iterate.
    """
    x0 = np.asarray(x0, dtype=np.float32)
    if lower is not None:
        x0 = np.maximum(x0, lower)
    compiled = (cache or CompileCache()).value_and_grad(objective, x0.shape)
    call_times = []

    def fn(x):
        t = time.perf_counter()
        terms, grad = compiled(x)
        float(terms["total"])  # Waits for the computation.
        call_times.append(time.perf_counter() - t)
        return terms, grad

    tracker = _Tracker(cfg.iterations, progress, desc)
    start = time.perf_counter()
    try:
        if cfg.iterations == 0:
            terms, _ = fn(tf.constant(x0))
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
                          evaluation_s=float(sum(call_times)))
