"""Shallow random-weight convolutional networks (Ulyanov & Lebedev, 2016).

The spectrogram [T, C] is treated as a 1-D signal over time with the frequency bins
as channels. Each layer is a VALID convolution over time with random, fixed weights,
followed by a non-linearity and optional pooling over time.

The convolution is written as frame + one matmul: the [T', width * C] matrix of
stacked neighbouring frames times the [width * C, N] kernel, a single large GEMM for the
forward pass and one for the input gradient. Measured with benchmarks/bench_transfer.py
on a 2-core AMD EPYC: about 1.2x faster than tf.nn.conv1d under XLA, 1.4x including
XLA itself (docs/RESULTS.md section 1).
"""
import numpy as np
import keras
import tensorflow as tf

from neural_style_audio.networks import base, register


def ulyanov_std(in_channels, out_channels, width):
    """Weight std of Ulyanov's code: sqrt(2) * sqrt(2 / ((C_in + C_out) * width))."""
    return float(np.sqrt(2.0) * np.sqrt(2.0 / ((in_channels + out_channels) * width)))


def random_kernel(in_channels, out_channels, width, seed):
    """Random kernel [width, in_channels, out_channels] ~ N(0, ulyanov_std), float32."""
    rng = np.random.default_rng(seed)
    std = ulyanov_std(in_channels, out_channels, width)
    return (rng.standard_normal((width, in_channels, out_channels)) * std).astype(np.float32)


def conv_over_time(x, kernel):
    """VALID convolution over time as frame + matmul.

    Args:
      x: [T, C] input.
      kernel: [width, C, N] weights.

    Returns:
      [T - width + 1, N] output.
    """
    width, channels, filters = kernel.shape
    frames = tf.signal.frame(x, width, 1, axis=0)  # [T', width, C]
    frames = tf.reshape(frames, [-1, width * channels])
    return tf.matmul(frames, tf.reshape(kernel, [width * channels, filters]))


def pool_over_time(y, pool_size, kind="max"):
    """Non-overlapping VALID pooling over time, written as reshape + reduce.

    The same result as tf.nn.max_pool1d / avg_pool1d with stride = window, but it never
    calls a pooling kernel: TF's oneDNN MaxPool (the default kernel on AVX-512 CPUs)
    aborts when it gets fewer frames than its window, where the generic kernel returns
    an empty tensor. Here fewer than `pool_size` frames give the correctly shaped empty
    result [0, N] on every CPU code path.

    Args:
      y: [T, N] activations.
      pool_size: window = stride, in frames.
      kind: "max" or "avg".

    Returns:
      [T // pool_size, N].
    """
    n = y.shape[-1]
    t_out = tf.shape(y)[0] // pool_size
    windows = tf.reshape(y[:t_out * pool_size], [t_out, pool_size, n])
    reduce = tf.reduce_max if kind == "max" else tf.reduce_mean
    return reduce(windows, axis=1)


class RandomConv1D(keras.layers.Layer):
    """Fixed random-weight convolution over time, activation and optional pooling.

    Input [T, C], output [T', N]. The weights are drawn once from a seeded generator
    and never trained.
    """

    def __init__(self, filters, width, activation="relu", pooling="none", pool_size=2,
                 seed=0, **kwargs):
        super().__init__(trainable=False, **kwargs)
        self.filters = filters
        self.width = width
        self.activation_name = activation
        self.pooling = pooling
        self.pool_size = pool_size
        self.seed = seed

    def build(self, input_shape):
        channels = int(input_shape[-1])
        self.kernel = self.add_weight(
            name="kernel", shape=(self.width, channels, self.filters), trainable=False,
            initializer=keras.initializers.Constant(
                random_kernel(channels, self.filters, self.width, self.seed)))

    def call(self, x):
        y = conv_over_time(x, self.kernel)
        y = tf.nn.relu(y) if self.activation_name == "relu" else tf.tanh(y)
        if self.pooling != "none" and self.pool_size > 1:
            y = pool_over_time(y, self.pool_size, self.pooling)
        return y

    def output_frames(self, n_frames):
        """Number of output frames for `n_frames` input frames."""
        t = n_frames - self.width + 1
        if self.pooling != "none" and self.pool_size > 1:
            t //= self.pool_size
        return t

    def get_config(self):
        return dict(super().get_config(), filters=self.filters, width=self.width,
                    activation=self.activation_name, pooling=self.pooling,
                    pool_size=self.pool_size, seed=self.seed)


class ShallowNetwork(keras.Model):
    """1 or 2 RandomConv1D layers; `call` returns every layer's activations.

    The style loss uses the Gram matrices of all layers (summed), the content loss the
    last layer's activations.
    """

    style_reduction = "sum"

    def __init__(self, n_layers=1, n_filters=4096, filter_width=11, activation="relu",
                 pooling="none", pool_size=2, seed=0, **kwargs):
        super().__init__(**kwargs)
        self.conv_layers = [
            RandomConv1D(n_filters, filter_width, activation, pooling, pool_size,
                         seed=seed + 1000 * i, name=f"conv{i + 1}")
            for i in range(n_layers)]

    def call(self, x):
        outputs = []
        for layer in self.conv_layers:
            x = layer(x)
            outputs.append(x)
        return outputs

    def content_and_style(self, x):
        """Returns (content activation [T', N], [style activation of each layer])."""
        outputs = self(x)
        return outputs[-1], outputs

    def min_frames(self):
        """Fewest input frames that leave at least one output frame in every layer."""
        first = self.conv_layers[0]
        return min_input_frames(len(self.conv_layers), first.width, first.pooling,
                                first.pool_size)


def min_input_frames(n_layers, filter_width, pooling="none", pool_size=2):
    """Fewest input frames for which every layer has at least one output frame."""
    t = 1
    for _ in range(n_layers):
        if pooling != "none" and pool_size > 1:
            t *= pool_size
        t += filter_width - 1
    return t


@register
class ShallowSpec(base.NetworkSpec):
    """`--network shallow`: Ulyanov & Lebedev's random-weight convolution over time."""

    name = "shallow"

    @staticmethod
    def min_frames(net_cfg):
        return min_input_frames(net_cfg.n_layers, net_cfg.filter_width, net_cfg.pooling,
                                net_cfg.pool_size)

    @staticmethod
    def build(net_cfg, in_channels, seed=0, scale=1.0):
        del scale  # The network is positively homogeneous; it needs no input scale.
        net = ShallowNetwork(net_cfg.n_layers, net_cfg.n_filters, net_cfg.filter_width,
                             net_cfg.activation, net_cfg.pooling, net_cfg.pool_size, seed)
        net(tf.zeros([net.min_frames(), in_channels]))
        return net
