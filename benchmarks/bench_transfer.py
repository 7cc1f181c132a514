"""Speed of one value-and-gradient evaluation of the transfer objective.

    python benchmarks/bench_transfer.py [--seconds 10] [--n_filters 4096] [--filter_width 11]

Prints, for the default configuration on a clip of --seconds: ms per evaluation of
this package's objective (frame + matmul convolution and frame-product style loss,
XLA-compiled), the same evaluation written the straightforward way (tf.nn.conv1d, Gram
matrices on [T, N], tf.function without XLA), the achieved GFLOP/s of both, and the
float32 matmul peak of this machine measured in the same run.
"""
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import app, flags  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from neural_style_audio import examples, features, losses, models, optimize  # noqa: E402
from neural_style_audio.audio import load_audio  # noqa: E402
from neural_style_audio.config import FeatureConfig, LossConfig, NetworkConfig  # noqa: E402

flags.DEFINE_float("seconds", 10.0, "Clip length (content and style).")
flags.DEFINE_integer("n_filters", 4096, "Filters.")
flags.DEFINE_integer("filter_width", 11, "Filter width (frames).")
flags.DEFINE_integer("repeats", 10, "Timed evaluations per variant (median reported).")
FLAGS = flags.FLAGS


def _clip(seconds, sr):
    """The bundled example looped to `seconds`."""
    y = load_audio(examples.content_path(), sr)
    return np.resize(y, int(seconds * sr))


def time_call(fn, repeats):
    """Median wall time (s) of fn() after two warm-up calls."""
    for _ in range(2):
        _block(fn())
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        _block(fn())
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _block(out):
    tf.nest.map_structure(lambda t: t.numpy() if hasattr(t, "numpy") else t, out)


def matmul_peak(repeats):
    """Achieved float32 GFLOP/s of a large XLA-compiled matmul (the machine's practical peak)."""
    n = 4096
    a = tf.random.normal([n, n])
    b = tf.random.normal([n, n])
    mm = tf.function(lambda: tf.matmul(a, b), jit_compile=True)
    return 2 * n ** 3 / time_call(mm, repeats) / 1e9


def evaluation_flops(t, t_s, c, n, w):
    """Matmul FLOPs of one value-and-gradient evaluation (this package's formulation)."""
    t_out, t_s_out = t - w + 1, t_s - w + 1
    conv = 2 * t_out * w * c * n  # Forward conv, and again for the input gradient.
    if t_out + t_s_out < n:  # Frame-product style loss: F F^T, F S^T and their gradients.
        style = 2 * (t_out * t_out * n + t_out * t_s_out * n) * 2
    else:
        style = 2 * t_out * n * n * 2
    return 2 * conv + style + 2 * t_out * n  # + content


def naive_fn(x_shape, kernel, content_x, style_x, alpha):
    """The straightforward evaluation: tf.nn.conv1d and Gram on [T, N], no XLA."""
    kernel = tf.constant(kernel)

    def net(x):
        return tf.nn.relu(tf.nn.conv1d(x[None], kernel, 1, "VALID")[0])

    fc = net(tf.constant(content_x))
    fs = net(tf.constant(style_x))
    gram_s = tf.matmul(fs, fs, transpose_a=True) / fs.shape[0]

    @tf.function(input_signature=[tf.TensorSpec(x_shape, tf.float32)])
    def fn(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            f = net(x)
            gram = tf.matmul(f, f, transpose_a=True) / f.shape[0]
            loss = (alpha * tf.reduce_sum(tf.square(f - fc))
                    + tf.reduce_sum(tf.square(gram - gram_s)))
        return loss, tape.gradient(loss, x)

    return fn


def main(argv):
    del argv
    fcfg = FeatureConfig()
    y = _clip(FLAGS.seconds, fcfg.sr)
    x = features.magnitude_to_features(features.magnitude(y), fcfg)
    style_x = features.magnitude_to_features(features.magnitude(y[::-1].copy()), fcfg)
    t, c = x.shape
    ncfg = NetworkConfig(n_filters=FLAGS.n_filters, filter_width=FLAGS.filter_width)
    lcfg = LossConfig()
    net = models.build_network(ncfg, c)
    objective = losses.TransferObjective(net, x, style_x, lcfg, fcfg)
    ours = optimize.value_and_grad_fn(objective, x.shape)
    x0 = tf.constant(np.abs(np.random.default_rng(0).standard_normal(x.shape) * 1e-3),
                     tf.float32)
    naive = naive_fn(x.shape, net.conv_layers[0].kernel.numpy(), x, style_x,
                     lcfg.content_weight)

    # Same numbers from both (a benchmark of a wrong computation is worthless).
    loss_ours = float(ours(x0)[0]["total"])
    loss_naive = float(naive(x0)[0])
    assert abs(loss_ours - loss_naive) <= 1e-3 * abs(loss_naive), (loss_ours, loss_naive)

    peak = matmul_peak(FLAGS.repeats)
    s_ours = time_call(lambda: ours(x0), FLAGS.repeats)
    s_naive = time_call(lambda: naive(x0), max(3, FLAGS.repeats // 2))
    flops = evaluation_flops(t, len(style_x), c, FLAGS.n_filters, FLAGS.filter_width)
    gf_ours = flops / s_ours / 1e9
    naive_flops = 2 * 2 * (t - FLAGS.filter_width + 1) * FLAGS.filter_width * c * FLAGS.n_filters \
        + 2 * 2 * (t - FLAGS.filter_width + 1) * FLAGS.n_filters ** 2
    gf_naive = naive_flops / s_naive / 1e9
    gpus = tf.config.list_physical_devices("GPU")
    print(f"device: {'GPU ' + gpus[0].name if gpus else 'CPU'} ({os.cpu_count()} cores), "
          f"TF {tf.__version__}")
    print(f"clip {FLAGS.seconds:g} s: T={t} frames x C={c} bins, N={FLAGS.n_filters} "
          f"filters, width {FLAGS.filter_width}")
    print(f"matmul peak (4096^3, XLA): {peak:8.1f} GFLOP/s")
    print(f"{'variant':<34}{'ms/eval':>10}{'GFLOP':>9}{'GFLOP/s':>10}{'% peak':>8}")
    print(f"{'ours (frame+matmul, XLA, TxT)':<34}{s_ours * 1e3:10.1f}{flops / 1e9:9.1f}"
          f"{gf_ours:10.1f}{100 * gf_ours / peak:7.0f}%")
    print(f"{'straightforward (conv1d, NxN Gram)':<34}{s_naive * 1e3:10.1f}"
          f"{naive_flops / 1e9:9.1f}{gf_naive:10.1f}{100 * gf_naive / peak:7.0f}%")
    print(f"speed-up: {s_naive / s_ours:.2f}x")


if __name__ == "__main__":
    app.run(main)
