"""A trained instrument-classifier CNN as the feature network (Verma & Smith).

Verma & Smith train "a standard AlexNet architecture" with 3x3 convolutions and 2x2
pooling, 6 layers, cross-entropy and Adam, on 80 AudioSet instrument classes, and take
the style (Gram) and content activations of chosen layers. Offline, the package ships
a compact network of that shape trained on General-MIDI instruments rendered with two
SoundFonts (`neural_style_audio/training/instrument_cnn.py`, docs/instrument_cnn.md).

Input: the log1p |STFT| feature matrix [T, C] of the `stft` representation at the
paper's analysis settings (16 kHz, FFT 512, hop 160 = 10 ms; the package's STFT window
is the FFT length, 32 ms, where the paper used 30 ms frames). It is seen as a
one-channel image, time as height and frequency bins as width.

Layers conv1 ... conv6: each a 3x3 SAME convolution + ReLU; conv1 ... conv5 are each
followed by a 2x2 max-pool. The classifier head (global mean + dense logits) is used
for training only. Style = the Gram matrices of the chosen layers' [T_i * F_i, K_i]
activations (averaged over layers), content = one layer's activations.
"""
import json
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from neural_style_audio.config import ConfigError
from neural_style_audio.networks import base, register

# The paper's analysis settings (and the shipped model's training input).
SAMPLE_RATE = 16000
N_FFT = 512
HOP_LENGTH = 160  # 10 ms.
N_BINS = N_FFT // 2 + 1
SEGMENT_FRAMES = 257  # 2.57 s at a 10-ms hop: the paper's spectrogram length.
N_LAYERS = 6
N_POOLS = 5  # After conv1 ... conv5.
LAYER_NAMES = tuple(f"conv{i + 1}" for i in range(N_LAYERS))
# Every pooled layer must keep at least one row and column: 2^5 frames and bins.
MIN_SIZE = 2 ** N_POOLS
DEFAULT_WIDTHS = (16, 32, 64, 64, 128, 128)
# log1p |STFT| (FFT 512) of peak-normalised audio stays below about 6; dividing by this
# constant brings the inputs to unit order. Fixed, so trained and random weights see
# the same input.
INPUT_SCALE = 2.0

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
WEIGHTS_FILENAME = "instrument_cnn.weights.h5"
SHIPPED_WEIGHTS = WEIGHTS_DIR / WEIGHTS_FILENAME


class InstrumentCNNWeightsError(ConfigError):
    """The requested instrument-CNN weights cannot be loaded; the message is one line."""


def parse_widths(text):
    """'16,32,...' -> tuple of N_LAYERS positive ints (ValueError otherwise)."""
    try:
        widths = tuple(int(w) for w in str(text).split(",") if w.strip())
    except ValueError:
        widths = ()
    if len(widths) != N_LAYERS or min(widths) < 1:
        raise ValueError(f"--instrument_cnn_widths needs {N_LAYERS} positive integers, "
                         f"got '{text}'")
    return widths


def parse_layers(text):
    """Comma-separated layer names -> tuple (ValueError naming unknown ones)."""
    layers = tuple(name.strip() for name in str(text).split(",") if name.strip())
    unknown = [name for name in layers if name not in LAYER_NAMES]
    if not layers or unknown:
        raise ValueError(f"unknown instrument_cnn layer(s) {', '.join(unknown) or '(none)'}; "
                         f"choose from {', '.join(LAYER_NAMES)}")
    return layers


def max_pool_2x2(y):
    """Non-overlapping 2x2 max-pool of [B, H, W, K] as reshape + reduce (VALID).

    Never calls a pooling kernel: TF's oneDNN MaxPool aborts on an input smaller than
    its window; here an odd last row/column is dropped and fewer than 2 rows give an
    empty result.
    """
    b, h, w = tf.shape(y)[0], tf.shape(y)[1] // 2, tf.shape(y)[2] // 2
    k = y.shape[-1]
    y = y[:, :2 * h, :2 * w]
    y = tf.reshape(y, [b, h, 2, w, 2, k])
    return tf.reduce_max(y, axis=[2, 4])


def output_size(n, layer_index):
    """Rows (or columns) of conv<layer_index+1>'s output for n input rows."""
    for _ in range(min(layer_index, N_POOLS)):
        n //= 2
    return n


class InstrumentCNN(keras.Model):
    """The classifier: spectrogram batch [B, T, F] -> logits [B, num_classes].

    `activations(x)` gives the post-ReLU output of every conv layer (before pooling).
    """

    def __init__(self, widths=DEFAULT_WIDTHS, num_classes=2, **kwargs):
        super().__init__(**kwargs)
        self.widths = tuple(int(w) for w in widths)
        self.num_classes = int(num_classes)
        self.convs = [keras.layers.Conv2D(w, 3, padding="same", activation="relu", name=name)
                      for w, name in zip(self.widths, LAYER_NAMES)]
        self.logits = keras.layers.Dense(self.num_classes, name="logits")

    def activations(self, x):
        """[B, T, F] features -> list of the conv layers' outputs [B, T_i, F_i, K_i]."""
        y = tf.convert_to_tensor(x, tf.float32)[..., None] / INPUT_SCALE
        outputs = []
        for i, conv in enumerate(self.convs):
            y = conv(y)
            outputs.append(y)
            if i < N_POOLS:
                y = max_pool_2x2(y)
        return outputs

    def call(self, x, training=False):
        last = self.activations(x)[-1]
        return self.logits(tf.reduce_mean(last, axis=[1, 2]))

    def build_for(self, n_bins=N_BINS):
        """Creates the weights (a forward pass on a minimal input). Returns self."""
        self(tf.zeros([1, MIN_SIZE, n_bins]))
        return self


def metadata_path(weights_path):
    """The JSON beside a weights file: x.weights.h5 -> x.json."""
    path = Path(weights_path)
    name = path.name[:-len(".weights.h5")] if path.name.endswith(".weights.h5") else path.stem
    return path.with_name(name + ".json")


def weights_path(weights):
    """The file of an --instrument_cnn_weights value ('shipped' or a path); None for random."""
    if weights == "random":
        return None
    return SHIPPED_WEIGHTS if weights == "shipped" else Path(weights)


def weights_problem(weights):
    """One line saying why an --instrument_cnn_weights value cannot be used, or None."""
    path = weights_path(weights)
    if path is None:
        return None
    if not path.is_file():
        hint = (" (train it with scripts/train_instrument_cnn.py, or use "
                "--instrument_cnn_weights random)" if weights == "shipped" else "")
        return f"{path}: instrument_cnn weights file not found{hint}"
    if not metadata_path(path).is_file():
        return f"{metadata_path(path)}: instrument_cnn metadata (JSON) not found beside {path.name}"
    return None


def read_metadata(weights="shipped"):
    """The JSON record written with a weights file (classes, widths, data, accuracy)."""
    problem = weights_problem(weights)
    if problem:
        raise InstrumentCNNWeightsError(problem)
    return json.loads(metadata_path(weights_path(weights)).read_text())


def load_classifier(weights="shipped", widths=None, seed=0):
    """The InstrumentCNN with the requested weights.

    Args:
      weights: "shipped" (neural_style_audio/networks/weights/), a path to a
        .weights.h5 written by the training command (its .json beside it), or "random"
        (seeded Glorot-uniform kernels, zero biases).
      widths: conv widths; None = those of the weights file (DEFAULT_WIDTHS for random).
        A file with other widths is an error.
      seed: seed of the random weights.

    Raises:
      InstrumentCNNWeightsError: missing or unusable file, or widths that disagree.
    """
    if weights == "random":
        model = InstrumentCNN(widths or DEFAULT_WIDTHS, num_classes=2).build_for()
        from neural_style_audio.networks.vgg19 import seeded_glorot
        return seeded_glorot(model, seed)
    metadata = read_metadata(weights)
    path = weights_path(weights)
    stored = tuple(metadata["widths"])
    if widths is not None and tuple(widths) != stored:
        raise InstrumentCNNWeightsError(
            f"{path} has widths {','.join(map(str, stored))}; --instrument_cnn_widths "
            f"{','.join(map(str, widths))} does not match")
    model = InstrumentCNN(stored, num_classes=len(metadata["classes"])).build_for()
    try:
        model.load_weights(str(path))
    except Exception as err:  # h5py and Keras raise several kinds.
        line = str(err).splitlines()[0][:160] if str(err) else type(err).__name__
        raise InstrumentCNNWeightsError(f"{path}: not usable instrument_cnn weights "
                                        f"({line})") from None
    return model


def save_classifier(model, path, metadata):
    """Writes model weights to `path` (.weights.h5) and metadata (+ widths) to its JSON."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save_weights(str(path))
    record = dict(metadata, widths=list(model.widths))
    metadata_path(path).write_text(json.dumps(record, indent=1) + "\n")
    return path, metadata_path(path)


class InstrumentCNNFeatures(keras.Model):
    """Content and style activations of an InstrumentCNN for a [T, C] feature matrix."""

    style_reduction = "mean"  # As VGG-19: the mean over layers of the Gram losses.

    def __init__(self, classifier, content_layer="conv4", style_layers=LAYER_NAMES, **kwargs):
        super().__init__(**kwargs)
        self.classifier = classifier
        self.content_index = LAYER_NAMES.index(content_layer)
        self.style_indices = [LAYER_NAMES.index(name) for name in style_layers]

    def content_and_style(self, x):
        """Returns (content activation [T_c * F_c, K_c], [style activations [T_i * F_i, K_i]]).

        Raises:
          ValueError: x has fewer than MIN_SIZE frames or channels (a pooled layer
            would have no rows).
        """
        t, c = x.shape
        if (t is not None and t < MIN_SIZE) or (c is not None and c < MIN_SIZE):
            raise ValueError(f"instrument_cnn features need at least {MIN_SIZE} frames and "
                             f"{MIN_SIZE} channels; got [{t}, {c}]")
        outs = self.classifier.activations(tf.convert_to_tensor(x, tf.float32)[None])
        flat = [tf.reshape(o, [-1, o.shape[-1]]) for o in outs]
        return flat[self.content_index], [flat[i] for i in self.style_indices]

    def call(self, x):
        content, style = self.content_and_style(x)
        return style + [content]

    def min_frames(self):
        return MIN_SIZE


def trained_analysis_problem(features):
    """Why a FeatureConfig differs from the analysis the weights were trained on, or None."""
    wanted = dict(feature="stft", sr=SAMPLE_RATE, n_fft=N_FFT, hop_length=HOP_LENGTH)
    wrong = [f"--{k} {v}" for k, v in wanted.items() if getattr(features, k) != v]
    if wrong:
        return (f"--network instrument_cnn with trained weights needs the features it was "
                f"trained on: {', '.join(wrong)} (e.g. --preset verma_smith)")
    return None


@register
class InstrumentCNNSpec(base.NetworkSpec):
    """`--network instrument_cnn`: the trained instrument classifier (Verma & Smith)."""

    name = "instrument_cnn"

    @staticmethod
    def min_frames(net_cfg):
        return MIN_SIZE

    @staticmethod
    def build(net_cfg, in_channels, seed=0, scale=1.0):
        widths = parse_widths(net_cfg.instrument_cnn_widths)
        classifier = load_classifier(net_cfg.instrument_cnn_weights, widths, seed)
        return InstrumentCNNFeatures(classifier, net_cfg.instrument_cnn_content_layer,
                                     parse_layers(net_cfg.instrument_cnn_style_layers))

    @staticmethod
    def check(config):
        net = config.network
        try:
            parse_widths(net.instrument_cnn_widths)
            parse_layers(net.instrument_cnn_style_layers)
            parse_layers(net.instrument_cnn_content_layer)
        except ValueError as err:
            return str(err)
        if "," in net.instrument_cnn_content_layer:
            return "--instrument_cnn_content_layer takes one layer"
        if config.features.n_channels < MIN_SIZE:
            return f"--network instrument_cnn needs at least {MIN_SIZE} feature channels"
        if config.loss.content_loss == "perceptual":
            return ("--content_loss perceptual is for the shallow network "
                    "(instrument_cnn has its own content layer)")
        if net.instrument_cnn_weights == "random":
            return None
        problem = weights_problem(net.instrument_cnn_weights)
        if problem:
            return problem
        stored = tuple(read_metadata(net.instrument_cnn_weights).get("widths", ()))
        if stored != parse_widths(net.instrument_cnn_widths):
            return (f"{weights_path(net.instrument_cnn_weights)} has widths "
                    f"{','.join(map(str, stored))}; --instrument_cnn_widths "
                    f"{net.instrument_cnn_widths} does not match")
        return trained_analysis_problem(config.features)
