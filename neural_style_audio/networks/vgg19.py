"""VGG-19 features of a log spectrogram seen as an image (the DeepMix report's method).

The [T, C] feature matrix becomes a [1, C, T, 3] image (frequency as height, time as
width, the same values in the three colour channels), scaled to the 0-255 range of
the content and centred with the ImageNet channel means that VGG-19 was trained with.
Style = the Gram matrices of conv1_1 ... conv5_1 (averaged), content = conv4_2.
"""
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from neural_style_audio.networks import base, register

STYLE_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1",
                "block5_conv1")
CONTENT_LAYER = "block4_conv2"
# Caffe-style VGG preprocessing: BGR channel means of ImageNet.
IMAGENET_BGR_MEAN = np.array([103.939, 116.779, 123.68], np.float32)
# block5_conv1 follows four 2x2 poolings: at least 16 frames and 16 bins.
MIN_SIZE = 16


class VGGWeightsError(ValueError):
    """The requested VGG-19 weights cannot be loaded; the message is one line."""


def _first_line(err):
    """An exception's first message line (at most 160 characters), or its type name."""
    return str(err).splitlines()[0][:160] if str(err) else type(err).__name__


def seeded_glorot(model, seed):
    """Sets every kernel of `model` to Glorot-uniform values from a seeded generator
    (biases to 0), without touching Keras' global random state. Returns `model`."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        weights = layer.get_weights()
        if not weights:
            continue
        kernel = weights[0]
        receptive = int(np.prod(kernel.shape[:-2])) if kernel.ndim > 2 else 1
        fan_in, fan_out = kernel.shape[-2] * receptive, kernel.shape[-1] * receptive
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        new = [rng.uniform(-limit, limit, kernel.shape).astype(np.float32)]
        new += [np.zeros_like(w) for w in weights[1:]]
        layer.set_weights(new)
    return model


def load_vgg19(weights="imagenet", seed=0):
    """VGG-19 convolutional base (no classifier) with the requested weights.

    Args:
      weights: "imagenet" (Keras' download, cached in ~/.keras/models), a path to a
        local .h5/.weights.h5 file of the no-top model, or "random" (seeded Glorot).
      seed: seed of the random initialisation.

    Raises:
      VGGWeightsError: the ImageNet download failed or the file is missing/unusable.
    """
    if weights == "imagenet":
        try:
            return keras.applications.VGG19(include_top=False, weights="imagenet",
                                            input_shape=(None, None, 3))
        except Exception as err:  # Keras raises several kinds on a failed download.
            raise VGGWeightsError(
                "could not get the ImageNet VGG-19 weights (download failed: "
                f"{_first_line(err)}); pass --vgg_weights PATH to a local "
                "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5, or --vgg_weights random"
            ) from None
    base = keras.applications.VGG19(include_top=False, weights=None, input_shape=(None, None, 3))
    if weights == "random":
        return seeded_glorot(base, seed)
    path = Path(weights)
    if not path.is_file():
        raise VGGWeightsError(f"{path}: VGG-19 weights file not found")
    try:
        base.load_weights(str(path))
    except Exception as err:
        raise VGGWeightsError(
            f"{path}: not usable VGG-19 (no top) weights ({_first_line(err)})") from None
    return base


class VGG19Features(keras.Model):
    """Content and style activations of VGG-19 for a [T, C] spectrogram feature matrix."""

    style_reduction = "mean"  # DeepMix: the mean over layers of the Gram losses.

    def __init__(self, base, scale=1.0, **kwargs):
        """Args:
          base: a VGG-19 base from `load_vgg19`.
          scale: feature value that maps to 255 (the content's maximum).
        """
        super().__init__(**kwargs)
        outputs = [base.get_layer(n).output for n in STYLE_LAYERS + (CONTENT_LAYER,)]
        self.extractor = keras.Model(base.input, outputs)
        self.scale = float(scale) if scale > 0 else 1.0

    def to_image(self, x):
        """[T, C] features -> [1, C, T, 3] mean-centred image."""
        img = tf.transpose(x)[::-1] * (255.0 / self.scale)  # Low frequencies at the bottom.
        img = tf.tile(img[None, :, :, None], [1, 1, 1, 3])
        return img - IMAGENET_BGR_MEAN

    def content_and_style(self, x):
        """Returns (content activation [H*W, K], [style activations [H_i*W_i, K_i]]).

        Raises:
          ValueError: x has fewer than MIN_SIZE frames or channels. Four 2x2 VALID
            max-pools would see fewer rows than their window, which TF's oneDNN kernel
            (the default on AVX-512 CPUs) aborts on instead of returning empty.
        """
        t, c = x.shape
        if (t is not None and t < MIN_SIZE) or (c is not None and c < MIN_SIZE):
            raise ValueError(f"VGG-19 features need at least {MIN_SIZE} frames and "
                             f"{MIN_SIZE} channels; got [{t}, {c}]")
        outs = self.extractor(self.to_image(x))
        flat = [tf.reshape(o, [-1, o.shape[-1]]) for o in outs]
        return flat[-1], flat[:-1]

    def call(self, x):
        content, style = self.content_and_style(x)
        return style + [content]

    def min_frames(self):
        return MIN_SIZE


@register
class VGG19Spec(base.NetworkSpec):
    """`--network vgg19`: VGG-19 on the spectrogram as an image (DeepMix)."""

    name = "vgg19"

    @staticmethod
    def min_frames(net_cfg):
        return MIN_SIZE

    @staticmethod
    def build(net_cfg, in_channels, seed=0, scale=1.0):
        return VGG19Features(load_vgg19(net_cfg.vgg_weights, seed), scale)

    @staticmethod
    def check(config):
        if config.features.n_channels < MIN_SIZE:
            return (f"--network vgg19 needs at least {MIN_SIZE} feature channels "
                    "(e.g. --n_mfcc 40)")
        if config.loss.content_loss == "perceptual":
            return ("--content_loss perceptual is for the shallow network "
                    "(vgg19 has its own content layer)")
        return None
