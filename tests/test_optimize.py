import numpy as np
import pytest
import tensorflow as tf

from neural_style_audio import optimize
from neural_style_audio.config import OptimizerConfig

TARGET = np.linspace(0.5, 2.0, 12, dtype=np.float32).reshape(3, 4)


def quadratic(x):
    return {"total": tf.reduce_sum(tf.square(x - TARGET))}


@pytest.mark.parametrize("name, lr, iters", [
    ("lbfgs", 0.01, 20), ("adam", 0.1, 300), ("rmsprop", 0.05, 300), ("sgd", 0.1, 100)])
def test_optimizers_reach_minimum(name, lr, iters):
    cfg = OptimizerConfig(optimizer=name, iterations=iters, learning_rate=lr)
    res = optimize.optimize(quadratic, np.zeros((3, 4), np.float32), cfg, progress=False)
    assert res.loss < 1e-2, res.message
    assert np.allclose(res.x, TARGET, atol=0.1)
    assert len(res.history) >= 1 and res.history[0] > res.history[-1]


def test_lower_bound_is_respected():
    def pull_negative(x):
        return {"total": tf.reduce_sum(tf.square(x + 1.0))}
    for name in ("lbfgs", "adam"):
        cfg = OptimizerConfig(optimizer=name, iterations=50, learning_rate=0.1)
        res = optimize.optimize(pull_negative, np.ones((2, 2), np.float32), cfg, lower=0.0,
                                progress=False)
        assert res.x.min() >= 0.0 and res.x.max() < 0.05


def test_non_finite_loss_stops_and_keeps_best_iterate():
    def blows_up(x):
        loss = tf.reduce_sum(tf.square(x - 3.0))
        # Finite near the start, NaN once x moves past 1 (as a diverging run would).
        return {"total": tf.where(tf.reduce_max(x) > 1.0, tf.constant(np.nan), loss)}
    cfg = OptimizerConfig(optimizer="sgd", iterations=50, learning_rate=0.05)
    res = optimize.optimize(blows_up, np.zeros((2,), np.float32), cfg, progress=False)
    assert res.message.startswith("stopped: non-finite loss")
    assert np.isfinite(res.loss) and np.all(res.x <= 1.0) and res.x.max() > 0.0
