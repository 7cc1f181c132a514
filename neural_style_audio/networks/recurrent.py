"""Random-weight recurrent feature networks: `--network rnn` and `--network bilstm`
(Gupta et al., "Music Generation using Style Transfer by Deep Learning Methods").

The published style networks are a recurrent layer with 100 hidden units followed by a
Dense layer of 4096 units, with the Gram style loss of the CNN baseline: like
Ulyanov's network, their weights are random and fixed (seeded here), only the input
spectrogram is optimised. `rnn` is a simple (Elman, tanh) recurrent layer, `bilstm` a
bidirectional LSTM (100 units each way, outputs concatenated: 200 features). The Dense
layer has the network's `--activation` (ReLU by default).

`--rnn_axis` says what the recurrence runs over:

- `frequency` (as published): the paper's input size 430 is the number of STFT
  frames of a 10-s clip (22050 Hz, hop 512), so its recurrence ran over the 1025
  frequency bins with the time frames as the features of each step. A layer whose
  input size is a number of frames cannot take clips of any length, so the clip's
  [T, C] features are cut into windows of `--rnn_window_frames` (W, 430 as published)
  frames: windows start every W frames and the last one ends at the last frame (it
  overlaps its neighbour when W does not divide T); a clip shorter than W is
  zero-padded (log1p silence) to W. Each window is one sequence of C steps with W
  features, giving activations [C, 4096]; the windows' rows are stacked, so the
  activations are [n_windows * C, 4096], one row per (window, frequency bin).
  The style Gram matrix G = F^T F / rows is then the mean over windows and bins of
  the outer products of the 4096-d bin descriptors: what the time course inside a
  window looks like at each frequency, pooled over frequency (the role time plays
  for a convolution over time). The content term compares those rows one to one,
  so it pins each bin's time course in each window. Content and output clips always
  have the same length, so their windows coincide; the style clip may have any length.
- `time` (the variant): the recurrence runs over the T frames with the C frequency
  bins as features, as the shallow CNN does; activations [T, 4096], the Gram matrix
  pools over time as in Ulyanov's method, and clips of any length work.

The input is divided by `scale` (the content's largest feature value), so the
random recurrent gates see inputs in [0, 1] at any level; the content and style
terms are normalised (losses/objective.py), so this changes no balance.
"""
import keras
import numpy as np
import tensorflow as tf

from neural_style_audio.networks import base, register

AXES = ("frequency", "time")
CELLS = ("simple", "bilstm")


def window_starts(n_frames, window):
    """Start frames of the windows covering [0, n_frames): every `window` frames, the
    last one moved back to end at n_frames (one window at 0 when n_frames <= window)."""
    if n_frames <= window:
        return [0]
    starts = list(range(0, n_frames - window + 1, window))
    if starts[-1] + window < n_frames:
        starts.append(n_frames - window)
    return starts


def frequency_sequences(x, window):
    """[T, C] features -> [n_windows, C, window]: one sequence over the bins per window.

    T must be static (the shapes of an optimised spectrogram are).
    """
    n_frames = int(x.shape[0])
    if n_frames < window:
        x = tf.pad(x, [[0, window - n_frames], [0, 0]])
    windows = tf.stack([x[s:s + window] for s in window_starts(n_frames, window)])
    return tf.transpose(windows, [0, 2, 1])


class RecurrentNetwork(keras.Model):
    """Random recurrent layer + Dense; `content_and_style` as in networks/base.py.

    Args:
      cell: "simple" (SimpleRNN) or "bilstm" (bidirectional LSTM).
      axis: "frequency" or "time" (see the module docstring).
      units: hidden units of the recurrent layer (per direction).
      dense_units: width of the Dense layer whose activations make both losses.
      window_frames: frames per window on the frequency axis (the layer's input size).
      activation: of the Dense layer ("relu" or "tanh").
      seed: seed of every initialiser.
      scale: the input value that means "loud" (inputs are divided by it).
    """

    style_reduction = "sum"  # One style layer.

    def __init__(self, cell="simple", axis="frequency", units=100, dense_units=4096,
                 window_frames=430, activation="relu", seed=0, scale=1.0, **kwargs):
        super().__init__(**kwargs)
        if cell not in CELLS or axis not in AXES:
            raise ValueError(f"cell must be one of {CELLS} and axis one of {AXES}")
        self.cell, self.axis, self.window_frames = cell, axis, int(window_frames)
        self.scale = float(scale) if scale > 0 else 1.0
        init = dict(kernel_initializer=keras.initializers.GlorotUniform(seed=seed),
                    recurrent_initializer=keras.initializers.Orthogonal(seed=seed + 1))
        if cell == "simple":
            self.recurrent = keras.layers.SimpleRNN(units, return_sequences=True,
                                                    trainable=False, name="rnn", **init)
        else:
            self.recurrent = keras.layers.Bidirectional(
                keras.layers.LSTM(units, return_sequences=True, **init), trainable=False,
                name="bilstm",
                backward_layer=keras.layers.LSTM(
                    units, return_sequences=True, go_backwards=True,
                    kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 2),
                    recurrent_initializer=keras.initializers.Orthogonal(seed=seed + 3)))
        self.dense = keras.layers.Dense(
            dense_units, activation=activation, trainable=False, name="dense",
            kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 4))
        self.trainable = False  # Random, fixed weights: only the input is optimised.

    def sequences(self, x):
        """[T, C] features -> [batch, steps, features] recurrent input."""
        x = tf.convert_to_tensor(x, tf.float32) / self.scale
        if self.axis == "time":
            return x[None]
        return frequency_sequences(x, self.window_frames)

    def call(self, x):
        """[T, C] -> [rows, dense_units]: rows = T (time) or n_windows * C (frequency)."""
        y = self.dense(self.recurrent(self.sequences(x)))
        return tf.reshape(y, [-1, y.shape[-1]])

    def content_and_style(self, x):
        """Returns (content activation [rows, N], [the same activation as the one style layer])."""
        y = self(x)
        return y, [y]

    def min_frames(self):
        return 1


class _RecurrentSpec(base.NetworkSpec):
    cell = ""

    @staticmethod
    def min_frames(net_cfg):
        return 1

    @classmethod
    def build(cls, net_cfg, in_channels, seed=0, scale=1.0):
        net = RecurrentNetwork(cls.cell, net_cfg.rnn_axis, net_cfg.rnn_units,
                               net_cfg.rnn_dense_units, net_cfg.rnn_window_frames,
                               net_cfg.activation, seed, scale)
        net(tf.zeros([2, in_channels]))
        return net

    @staticmethod
    def check(config):
        net = config.network
        if net.rnn_axis not in AXES:
            return f"--rnn_axis must be one of {AXES}"
        if net.rnn_units < 1 or net.rnn_dense_units < 1:
            return "--rnn_units and --rnn_dense_units must be >= 1"
        if net.rnn_window_frames < 1:
            return "--rnn_window_frames must be >= 1"
        if config.loss.content_loss == "perceptual":
            return "--content_loss perceptual is for the shallow network"
        return None


@register
class RNNSpec(_RecurrentSpec):
    """`--network rnn`: random SimpleRNN (100) + Dense 4096 (Gupta et al.)."""
    name = "rnn"
    cell = "simple"


@register
class BiLSTMSpec(_RecurrentSpec):
    """`--network bilstm`: random bidirectional LSTM (100 per direction) + Dense 4096."""
    name = "bilstm"
    cell = "bilstm"


def published_window_frames(seconds=10.0, sr=22050, hop_length=512):
    """STFT frames of a clip (centred STFT): 431 for the paper's 10 s; it reports 430."""
    return 1 + int(np.floor(seconds * sr)) // hop_length
