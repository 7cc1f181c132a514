"""The numpy/BLAS evaluation of the transfer objective against the TF objective."""
import time

import numpy as np
import pytest
import tensorflow as tf

from neural_style_audio import losses, networks, optimize
from neural_style_audio.config import FeatureConfig, LossConfig, NetworkConfig, OptimizerConfig
from neural_style_audio.losses import blas

FCFG = FeatureConfig(feature="stft", n_fft=64, hop_length=16)


def _objective(n_filters=64, n_layers=1, activation="relu", t=20, t_s=24, seed=0, **loss):
    net = networks.build_network(NetworkConfig(n_filters=n_filters, filter_width=3,
                                               n_layers=n_layers, activation=activation), 33)
    rng = np.random.default_rng(seed)
    content = np.abs(rng.standard_normal((t, 33))).astype(np.float32)
    style = np.abs(rng.standard_normal((t_s, 33)) * 1.3).astype(np.float32)
    obj = losses.TransferObjective(net, content, style, LossConfig(**loss), FCFG)
    return obj, content, style


def _tf_value_and_grad(obj, x):
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        terms = obj(x)
    return {k: float(v) for k, v in terms.items()}, tape.gradient(terms["total"], x).numpy()


@pytest.mark.parametrize("n_filters, n_layers, activation", [
    (64, 1, "relu"),   # T' + T_s < N: the float64 T x T expansion.
    (16, 1, "relu"),   # The direct N x N Gram.
    (64, 2, "tanh"),   # Two layers, style summed over both, content on the last.
    (24, 2, "relu"),   # Two layers, direct form.
])
def test_terms_and_gradient_match_the_tf_objective(n_filters, n_layers, activation):
    obj, content, _ = _objective(n_filters, n_layers, activation, content_weight=0.3,
                                 style_weight=2.0)
    x = np.abs(np.random.default_rng(9).standard_normal(content.shape)).astype(np.float32)
    ref_terms, ref_grad = _tf_value_and_grad(obj, x)
    terms, grad = blas.BlasValueAndGrad(obj)(x)
    assert set(terms) == set(ref_terms) == {"content", "style", "total"}
    for k in terms:
        assert terms[k] == pytest.approx(ref_terms[k], rel=1e-5), k
    assert grad.shape == x.shape and grad.dtype == np.float32
    assert np.linalg.norm(grad - ref_grad) < 1e-5 * np.linalg.norm(ref_grad)


@pytest.mark.parametrize("weights", [dict(content_weight=0.0, style_weight=1.0),
                                     dict(content_weight=1.0, style_weight=0.0)])
def test_one_term_only(weights):
    obj, content, _ = _objective(**weights)
    x = np.abs(np.random.default_rng(2).standard_normal(content.shape)).astype(np.float32)
    ref_terms, ref_grad = _tf_value_and_grad(obj, x)
    terms, grad = blas.BlasValueAndGrad(obj)(x)
    assert set(terms) == set(ref_terms)
    assert terms["total"] == pytest.approx(ref_terms["total"], rel=1e-5)
    assert np.linalg.norm(grad - ref_grad) < 1e-5 * np.linalg.norm(ref_grad)


def test_style_term_precise_near_convergence():
    """The output's activations are the style's, perturbed by 1e-3: the Grams nearly match
    and the T x T expansion must not cancel (float64 reference of the direct form)."""
    obj, _, style = _objective(n_filters=256, t=24, t_s=24, content_weight=0.0)
    evaluate = blas.BlasValueAndGrad(obj)
    spec = evaluate.style_spec[0][0]  # The style activations [T_s', N].
    rng = np.random.default_rng(0)
    f = (spec.astype(np.float64) * (1 + 1e-3 * rng.standard_normal(spec.shape))).astype(np.float32)
    term = blas._Style(spec, evaluate.style_spec[0][1], len(f),
                       evaluate.style_spec[0][2] / losses.LOSS_SCALE)
    assert term.expanded
    value, grad = term(f)
    s64, f64 = spec.astype(np.float64), f.astype(np.float64)
    t, n = f.shape
    diff = f64.T @ f64 / t - s64.T @ s64 / t
    gs_mean_sq = np.mean((s64.T @ s64 / t) ** 2)
    ref = np.mean(diff ** 2) / np.float32(gs_mean_sq)  # k = LOSS_SCALE beta / mean(G_s^2).
    assert 1e-9 < np.mean(diff ** 2) / gs_mean_sq < 1e-6  # Near convergence indeed.
    assert value == pytest.approx(ref, rel=1e-5)
    expected = 4 / (t * n ** 2) * f64 @ diff / np.float32(gs_mean_sq)
    assert np.linalg.norm(grad - expected) < 1e-5 * np.linalg.norm(expected)


@pytest.mark.parametrize("change, reason", [
    (dict(energy_weight=0.1), "terms energy_weight"),
    (dict(freq_envelope_weight=0.1), "terms freq_envelope_weight"),
])
def test_unsupported_terms_are_named(change, reason):
    obj, _, _ = _objective(**change)
    assert blas.unsupported(obj) == reason
    with pytest.raises(ValueError, match="unsupported"):
        blas.BlasValueAndGrad(obj)


def test_pooling_is_unsupported():
    net = networks.build_network(NetworkConfig(n_filters=32, filter_width=3, pooling="max"), 33)
    content = np.ones((20, 33), np.float32)
    obj = losses.TransferObjective(net, content, content, LossConfig(), FCFG)
    assert blas.unsupported(obj) == "pooling"


def test_frames_and_overlap_add_are_adjoint():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((9, 4)).astype(np.float32)
    frames = blas.frames_matrix(x, 3)
    assert frames.shape == (7, 12)
    assert np.array_equal(frames[2], x[2:5].ravel())
    d = rng.standard_normal(frames.shape).astype(np.float32)
    # <frames(x), d> = <x, overlap_add(d)>.
    assert np.sum(frames * d) == pytest.approx(np.sum(x * blas.overlap_add(d, 3, 4)), rel=1e-5)


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_optimize_on_both_backends_agrees(optimizer):
    obj, content, _ = _objective(n_filters=48)
    x0 = np.abs(np.random.default_rng(1).standard_normal(content.shape) * 1e-2).astype(np.float32)
    cfg = OptimizerConfig(optimizer=optimizer, iterations=15, learning_rate=0.05)
    runs = {b: optimize.optimize(obj, x0, cfg, lower=0.0, progress=False, backend=b)
            for b in ("xla", "blas")}
    assert runs["blas"].backend == "blas" and runs["xla"].backend == "xla"
    start = _tf_value_and_grad(obj, x0)[0]["total"]
    for run in runs.values():
        assert run.loss < 0.5 * start and run.x.min() >= 0.0
    assert runs["blas"].loss == pytest.approx(runs["xla"].loss, rel=1e-4)
    assert np.abs(runs["blas"].x - runs["xla"].x).max() < 1e-3 * np.abs(runs["xla"].x).max()


def test_auto_rule_needs_a_margin_to_leave_xla():
    assert optimize.choose_backend(dict(xla=100.0, blas=97.0)) == "xla"  # Within 5 %.
    assert optimize.choose_backend(dict(xla=100.0, blas=80.0)) == "blas"
    assert optimize.choose_backend(dict(xla=80.0, blas=100.0)) == "xla"


@pytest.mark.parametrize("xla_s, blas_s, kept", [(0.030, 0.003, "blas"),
                                                  (0.010, 0.0098, "xla"),  # Within 5 %.
                                                  (0.010, 0.020, "xla")])
def test_auto_alternates_on_the_first_evaluations_then_keeps_the_faster(xla_s, blas_s, kept):
    calls, clock, pauses = [], [0.0], []
    cost = dict(xla=xla_s, blas=blas_s)

    def backend(name):
        def fn(x):
            calls.append(name)
            clock[0] += cost[name] * (3 if calls.count(name) == 1 else 1)  # Slow warm-up.
            return {"total": float(np.sum(x))}, x
        return fn

    auto = optimize._Auto(dict(xla=backend("xla"), blas=backend("blas")),
                          clock=lambda: clock[0], sleep=pauses.append)
    x = np.ones((2, 3), np.float32)
    for _ in range(len(optimize.AUTO_SCHEDULE)):
        assert auto.backend == "auto"
        assert auto(x)[0]["total"] == 6.0  # Every call is a real evaluation.
    assert calls == list(optimize.AUTO_SCHEDULE)
    assert pauses == [optimize.AUTO_GAP_S] * (len(optimize.AUTO_SCHEDULE) - 2)  # Timed calls.
    # The warm-ups (3x slower here) are not counted.
    assert auto.probe_ms == pytest.approx(dict(xla=1e3 * xla_s, blas=1e3 * blas_s))
    assert auto.backend == kept
    auto(x), auto(x)
    assert calls[-2:] == [kept, kept]


def test_auto_leaves_small_objectives_on_xla():
    obj, content, _ = _objective()  # 64 filters on 20 frames: far below AUTO_MIN_GFLOP.
    assert blas.evaluation_gflop(obj.network, content.shape) < optimize.AUTO_MIN_GFLOP
    assert optimize.value_and_grad(obj, content.shape, "auto").backend == "xla"
    assert optimize.value_and_grad(obj, content.shape, "blas").backend == "blas"


def test_evaluation_gflop_counts_both_convolution_products():
    net = networks.build_network(NetworkConfig(n_filters=8, filter_width=3, n_layers=2), 5)
    # Layer 1: T' = 8, 3 x 5 -> 8; layer 2: T' = 6, 3 x 8 -> 8; forward + input gradient.
    assert blas.evaluation_gflop(net, (10, 5)) * 1e9 == pytest.approx(
        4 * 8 * 3 * 5 * 8 + 4 * 6 * 3 * 8 * 8)


def test_optimisation_that_stops_before_auto_chose_says_so(monkeypatch):
    monkeypatch.setattr(optimize, "AUTO_MIN_GFLOP", 0.0)
    monkeypatch.setattr(optimize, "AUTO_GAP_S", 0.0)
    obj, content, _ = _objective()
    res = optimize.optimize(obj, np.abs(content * 0.5), OptimizerConfig(iterations=0),
                            progress=False)
    assert res.n_evaluations == 1 and res.backend == "auto" and res.backend_ms == {}


def test_auto_on_the_real_backends(monkeypatch):
    monkeypatch.setattr(optimize, "AUTO_MIN_GFLOP", 0.0)  # Choose even for this small one.
    obj, content, _ = _objective()
    x0 = np.abs(content * 0.5)
    fn = optimize.value_and_grad(obj, x0.shape, "auto")
    assert fn.backend == "auto"
    ref_terms, ref_grad = _tf_value_and_grad(obj, x0)
    for _ in range(len(optimize.AUTO_SCHEDULE) + 1):
        terms, grad = fn(x0)
        assert terms["total"] == pytest.approx(ref_terms["total"], rel=1e-5)
        assert np.linalg.norm(grad - ref_grad) < 1e-5 * np.linalg.norm(ref_grad)
    assert fn.backend in ("xla", "blas") and set(fn.probe_ms) == {"xla", "blas"}
    res = optimize.optimize(obj, x0, OptimizerConfig(iterations=10), lower=0.0, progress=False)
    assert res.n_evaluations >= len(optimize.AUTO_SCHEDULE)
    assert res.backend in ("xla", "blas") and set(res.backend_ms) == {"xla", "blas"}


def test_auto_falls_back_to_xla_and_blas_refuses_what_it_cannot_evaluate():
    obj, content, _ = _objective(energy_weight=0.5)
    assert optimize.value_and_grad(obj, content.shape, "auto").backend == "xla"
    with pytest.raises(ValueError, match="backend blas cannot evaluate.*energy_weight"):
        optimize.value_and_grad(obj, content.shape, "blas")


def test_kernels_are_made_once_per_network():
    obj, content, _ = _objective()
    other, _, _ = _objective(seed=1)  # Another pair, another network.
    cache = optimize.CompileCache()
    kernels = cache.blas_kernels(obj.network)
    assert cache.blas_kernels(obj.network) is kernels
    assert cache.blas_kernels(other.network) is not kernels
    w, c, n = obj.network.conv_layers[0].kernel.shape
    assert kernels[0].shape == (w * c, n) and kernels[0].flags.c_contiguous
    assert np.array_equal(kernels[0], obj.network.conv_layers[0].kernel.numpy().reshape(w * c, n))
