"""The CycleGAN's networks: a ResNet generator and two discriminators (Keras 3).

Images are [batch, frames, bins, 1] log-magnitude crops in [-1, 1] (data.py).

Gupta et al.'s generator table (section 3.3, PyTorch notation) and how it is read here:

    ReflectionPad 3, Conv 1->4 k7, InstanceNorm, ReLU
    Conv 4->8 k3 s2 p1, InstanceNorm, ReLU
    Conv 8->16 k3 s2 p1, InstanceNorm, ReLU
    3 residual blocks (ReflectionPad 1, Conv k3, InstanceNorm, ReLU, ReflectionPad 1,
        Conv k3, InstanceNorm, + input)
    ConvTranspose 16->8 k3 s2 p1, InstanceNorm, ReLU
    ConvTranspose 8->4 k3 s2 p1, InstanceNorm, ReLU
    ReflectionPad 3, Conv 4->1 k7, Tanh

Inconsistencies of the table and the choices made:

* The residual blocks are listed as Conv 8->8 with InstanceNorm(8), but they sit
  between a 16-channel convolution and a 16-channel transposed convolution: a block
  must keep its input's width to be added to it, so they have 16 channels here.
* Convolutions are listed with "stride=0" (impossible); the 7x7 and residual
  convolutions have stride 1.
* ConvTranspose k3 s2 p1 without output_padding gives 2n - 1 frames, so the output
  would not match the input (nor could the cycle loss be taken); 'same' transposed
  convolutions (PyTorch output_padding=1) give 2n.
* InstanceNorm2d "in channels = n": PyTorch's default has no learned scale/offset
  (affine=False); `instance_norm_affine` follows it for the published variant.

The discriminator table: ReflectionPad 1, Conv 1->8 k4 s2 p1, ReLU, MaxPool k3 s2,
Conv 8->16 k3 s2 p2, ReLU, MaxPool k3 s2, Conv 16->32 k3 s2 p2, MaxPool k3 s2 (no
ReLU is listed after the third convolution, and none is added), Linear
32*10*16 -> 512, ReLU, Linear 512 -> 1, Sigmoid. A 32 x 10 x 16 map after three
(conv, pool) stages means an input of about 647 x 1025: 1025 bins of a 2048-point
STFT and 647 frames, i.e. a whole 30-s GTZAN clip at 22.05 kHz with hop 1024 (or 15 s
with hop 512). Here the flattened size follows the crop; the sigmoid is folded into
the loss (logits out, `from_logits` binary cross-entropy), which is the same function,
computed stably.

The strong variant follows the keras-io CycleGAN recipe: the same generator shape
with 64-128-256 channels, 9 residual blocks, N(0, 0.02) kernels and learned
InstanceNorm scale/offset; a PatchGAN discriminator (Conv 64 k4 s2, LeakyReLU 0.2,
then convolutions doubling the channels, stride 2 except the last, InstanceNorm,
LeakyReLU 0.2, and a 1-channel k4 convolution: one logit per patch).
"""
import keras
from keras import layers, ops

from neural_style_audio.cyclegan.config import (  # noqa: F401 (re-exported)
    GENERATOR_STRIDE, GUPTA_CONVS, GUPTA_POOL, GUPTA_REFLECTION, _gupta_side,
    gupta_discriminator_min_side)

LEAKY_SLOPE = 0.2  # keras-io's PatchGAN.
INSTANCE_NORM_EPSILON = 1e-5  # PyTorch InstanceNorm2d's default.


class ReflectionPadding2D(layers.Layer):
    """Mirrors `padding` rows and columns at the edges of [batch, h, w, c] (PyTorch's
    ReflectionPad2d; Keras 3 has no such layer)."""

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.padding = int(padding)

    def call(self, x):
        p = self.padding
        return ops.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], mode="reflect")

    def compute_output_shape(self, shape):
        grow = lambda n: None if n is None else n + 2 * self.padding  # noqa: E731
        return (shape[0], grow(shape[1]), grow(shape[2]), shape[3])

    def get_config(self):
        return dict(super().get_config(), padding=self.padding)


def instance_norm(affine, name=None, gamma_stddev=0.0):
    """InstanceNorm as Keras 3's GroupNormalization with one group per channel.

    Normalises each example's channel over its spatial positions (tested against the
    formula in tests/cyclegan/test_models.py).
    """
    gamma = (keras.initializers.RandomNormal(1.0, gamma_stddev) if gamma_stddev
             else "ones")
    return layers.GroupNormalization(groups=-1, epsilon=INSTANCE_NORM_EPSILON,
                                     center=affine, scale=affine,
                                     gamma_initializer=gamma, name=name)


def _kernel_init(stddev):
    return keras.initializers.RandomNormal(0.0, stddev) if stddev else "glorot_uniform"


def residual_block(x, filters, affine, init, name):
    """Two reflection-padded 3x3 convolutions with InstanceNorm, added to the input."""
    y = x
    for i in (1, 2):
        y = ReflectionPadding2D(1, name=f"{name}_pad{i}")(y)
        y = layers.Conv2D(filters, 3, kernel_initializer=init, name=f"{name}_conv{i}")(y)
        y = instance_norm(affine, f"{name}_norm{i}")(y)
        if i == 1:
            y = layers.ReLU(name=f"{name}_relu")(y)
    return layers.Add(name=f"{name}_add")([x, y])


def resnet_generator(filters=4, n_residual_blocks=3, affine=False, init_stddev=0.0,
                     channels=1, name="generator"):
    """The CycleGAN ResNet generator, fully convolutional.

    Args:
      filters: channels of the first 7x7 convolution (4 published, 64 keras-io); the
        two stride-2 convolutions double them twice.
      n_residual_blocks: residual blocks at 1/4 resolution (3 published, 9 keras-io).
      affine: learned InstanceNorm scale and offset.
      init_stddev: N(0, init_stddev) kernels; 0 = Keras' default.
      channels: image channels.

    Returns:
      keras.Model [batch, frames, bins, channels] -> same shape, in (-1, 1); frames
      and bins must be multiples of 4 (any size, so whole clips can be converted).
    """
    init = _kernel_init(init_stddev)
    inputs = keras.Input((None, None, channels), name="spectrogram")
    x = ReflectionPadding2D(3, name="pad_in")(inputs)
    x = layers.Conv2D(filters, 7, kernel_initializer=init, name="conv_in")(x)
    x = instance_norm(affine, "norm_in", init_stddev)(x)
    x = layers.ReLU(name="relu_in")(x)
    width = filters
    for i in (1, 2):
        width *= 2
        x = layers.Conv2D(width, 3, strides=2, padding="same", kernel_initializer=init,
                          name=f"down{i}")(x)
        x = instance_norm(affine, f"down{i}_norm", init_stddev)(x)
        x = layers.ReLU(name=f"down{i}_relu")(x)
    for i in range(n_residual_blocks):
        x = residual_block(x, width, affine, init, f"res{i + 1}")
    for i in (1, 2):
        width //= 2
        x = layers.Conv2DTranspose(width, 3, strides=2, padding="same",
                                   kernel_initializer=init, name=f"up{i}")(x)
        x = instance_norm(affine, f"up{i}_norm", init_stddev)(x)
        x = layers.ReLU(name=f"up{i}_relu")(x)
    x = ReflectionPadding2D(3, name="pad_out")(x)
    x = layers.Conv2D(channels, 7, kernel_initializer=init, name="conv_out")(x)
    outputs = layers.Activation("tanh", name="tanh")(x)
    return keras.Model(inputs, outputs, name=name)


def gupta_discriminator(input_shape, filters=8, dense_units=512, init_stddev=0.0,
                        name="discriminator"):
    """Gupta et al.'s conv/max-pool/dense discriminator (see the module docstring).

    Args:
      input_shape: (frames, bins, channels) of the crops (the dense layer fixes it).

    Returns:
      keras.Model [batch, frames, bins, channels] -> [batch, 1] logits.
    """
    init = _kernel_init(init_stddev)
    inputs = keras.Input(tuple(input_shape), name="spectrogram")
    x = ReflectionPadding2D(GUPTA_REFLECTION, name="pad")(inputs)
    width = filters
    for i, (kernel, stride, pad) in enumerate(GUPTA_CONVS, 1):
        x = layers.ZeroPadding2D(pad, name=f"conv{i}_pad")(x)
        x = layers.Conv2D(width, kernel, strides=stride, kernel_initializer=init,
                          name=f"conv{i}")(x)
        if i < len(GUPTA_CONVS):  # The table lists no ReLU after the third.
            x = layers.ReLU(name=f"conv{i}_relu")(x)
        x = layers.MaxPooling2D(GUPTA_POOL[0], GUPTA_POOL[1], name=f"pool{i}")(x)
        width *= 2
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(dense_units, kernel_initializer=init, name="dense")(x)
    x = layers.ReLU(name="dense_relu")(x)
    outputs = layers.Dense(1, kernel_initializer=init, name="logit")(x)
    return keras.Model(inputs, outputs, name=name)


def patchgan_discriminator(filters=64, n_downsampling=3, init_stddev=0.02, channels=1,
                           name="discriminator"):
    """keras-io's PatchGAN discriminator, fully convolutional.

    Returns:
      keras.Model [batch, frames, bins, channels] -> [batch, frames/8, bins/8, 1]
      logits (one per patch, for n_downsampling 3).
    """
    init = _kernel_init(init_stddev)
    inputs = keras.Input((None, None, channels), name="spectrogram")
    x = layers.Conv2D(filters, 4, strides=2, padding="same", kernel_initializer=init,
                      name="conv0")(inputs)
    x = layers.LeakyReLU(LEAKY_SLOPE, name="conv0_lrelu")(x)
    width = filters
    for i in range(1, n_downsampling + 1):
        width *= 2
        stride = 2 if i < n_downsampling else 1
        x = layers.Conv2D(width, 4, strides=stride, padding="same", use_bias=False,
                          kernel_initializer=init, name=f"conv{i}")(x)
        x = instance_norm(True, f"conv{i}_norm", init_stddev)(x)
        x = layers.LeakyReLU(LEAKY_SLOPE, name=f"conv{i}_lrelu")(x)
    outputs = layers.Conv2D(1, 4, padding="same", kernel_initializer=init, name="logits")(x)
    return keras.Model(inputs, outputs, name=name)


def build_generator(config, name="generator"):
    """The generator of a CycleGANConfig."""
    n = config.network
    return resnet_generator(n.gen_filters, n.n_residual_blocks, n.instance_norm_affine,
                            n.init_stddev, name=name)


def build_discriminator(config, name="discriminator"):
    """The discriminator of a CycleGANConfig (its input: one training crop)."""
    n, sp = config.network, config.spectrogram
    if n.discriminator == "gupta":
        return gupta_discriminator((sp.crop_frames, sp.n_bins, 1), n.disc_filters,
                                   n.disc_dense_units, n.init_stddev, name=name)
    return patchgan_discriminator(n.disc_filters, n.disc_downsampling, n.init_stddev or 0.02,
                                  name=name)


def padded_frames(n_frames):
    """Frames a generator input needs: a multiple of GENERATOR_STRIDE, at least 8."""
    return max(8, -(-n_frames // GENERATOR_STRIDE) * GENERATOR_STRIDE)
