"""VGGish as a Keras 3 functional model, with configurable width.

The architecture follows vggish_slim.py (tensorflow/models research/audioset):

    input [batch, 96, 64, 1] log-mel examples
    conv1 (64)  -> pool1 -> conv2 (128) -> pool2
    -> conv3/conv3_1 (256) -> conv3/conv3_2 (256) -> pool3
    -> conv4/conv4_1 (512) -> conv4/conv4_2 (512) -> pool4      [batch, 6, 4, 512]
    -> flatten (12288) -> fc1/fc1_1 (4096) -> fc1/fc1_2 (4096) -> fc2 (128)

Convolutions are 3x3, stride 1, SAME, ReLU; max-pools 2x2, stride 2, SAME;
fc1_* have ReLU. fc2 has NO activation: vggish_slim calls
`slim.fully_connected(net, EMBEDDING_SIZE, scope='fc2', activation_fn=None)` and
the README states the embedding is pre-activation. We match that.

Keras 3 forbids '/' in layer names, so layers are named by the last part of
the reference scope (`conv3_1`, `fc1_2`, ...); everything user-facing (the
activation dict, layer lists) uses the reference names (`conv3/conv3_1`), and
`canonical_layer_name` accepts either.
"""
import dataclasses
import json

import keras
import tensorflow as tf

from vggish_loss import params


@dataclasses.dataclass(frozen=True)
class VGGishConfig:
    """Widths of a VGGish-architecture network.

    Attributes:
      conv_channels: output channels of conv1, conv2, conv3_1, conv3_2,
        conv4_1, conv4_2.
      fc_units: units of fc1_1 and fc1_2.
      embedding_size: units of fc2 (the embedding).
    """
    conv_channels: tuple = params.CONV_CHANNELS
    fc_units: tuple = params.FC_UNITS
    embedding_size: int = params.EMBEDDING_SIZE

    def __post_init__(self):
        object.__setattr__(self, "conv_channels", tuple(int(c) for c in self.conv_channels))
        object.__setattr__(self, "fc_units", tuple(int(u) for u in self.fc_units))
        object.__setattr__(self, "embedding_size", int(self.embedding_size))
        if len(self.conv_channels) != len(params.CONV_LAYER_NAMES):
            raise ValueError(f"conv_channels needs {len(params.CONV_LAYER_NAMES)} "
                             f"values, got {self.conv_channels}")
        if len(self.fc_units) != len(params.FC_LAYER_NAMES):
            raise ValueError(f"fc_units needs {len(params.FC_LAYER_NAMES)} values, "
                             f"got {self.fc_units}")
        if min(self.conv_channels + self.fc_units + (self.embedding_size,)) < 1:
            raise ValueError(f"all widths must be >= 1: {self}")

    @classmethod
    def from_width_multiplier(cls, width_multiplier, embedding_size=params.EMBEDDING_SIZE):
        """Scales every conv / fc1 width of the official model.

        Args:
          width_multiplier: e.g. 0.125 -> conv (8, 16, 32, 32, 64, 64), fc (512, 512).
          embedding_size: fc2 units (the official 128 by default).

        Returns:
          VGGishConfig.
        """
        def scale(width):
            return max(1, int(round(width * width_multiplier)))
        return cls(tuple(scale(c) for c in params.CONV_CHANNELS),
                   tuple(scale(u) for u in params.FC_UNITS), embedding_size)

    def to_dict(self):
        """Returns a JSON-ready dict."""
        return {"conv_channels": list(self.conv_channels),
                "fc_units": list(self.fc_units),
                "embedding_size": self.embedding_size}

    @classmethod
    def from_dict(cls, config):
        """Inverse of to_dict (unknown keys are an error)."""
        return cls(**config)

    def to_json(self):
        """Returns the config as a JSON string."""
        return json.dumps(self.to_dict(), indent=2)


def keras_layer_name(name):
    """Reference layer name -> Keras layer name ('conv3/conv3_1' -> 'conv3_1').

    Args:
      name: reference or Keras layer name.

    Returns:
      str, the Keras name.
    """
    return canonical_layer_name(name).split("/")[-1]


def canonical_layer_name(name):
    """Normalises a layer name to its reference form ('conv3_1' -> 'conv3/conv3_1').

    Args:
      name: reference name, Keras name, or 'embedding' (alias of 'fc2').

    Returns:
      str, one of params.LAYER_NAMES.

    Raises:
      ValueError: unknown layer.
    """
    if name == "embedding":
        return params.EMBEDDING_LAYER_NAME
    for reference in params.LAYER_NAMES:
        if name in (reference, reference.split("/")[-1]):
            return reference
    raise ValueError(f"unknown VGGish layer {name!r}; choose from {params.LAYER_NAMES}")


def build_vggish(config=None, width_multiplier=None,
                 kernel_initializer="he_normal", name="vggish"):
    """Builds the VGGish network (random weights).

    He-normal initialisation (not the reference's N(0, 0.01)) keeps activations
    of a *random* network at a useful scale through all layers, which matters
    when a random network serves as a perceptual feature extractor; loaded
    weights replace it anyway.

    Args:
      config: VGGishConfig (default: the official widths).
      width_multiplier: alternative to config, see VGGishConfig.from_width_multiplier.
      kernel_initializer: Keras initializer for conv/dense kernels.
      name: model name.

    Returns:
      keras.Model mapping [batch, 96, 64, 1] -> [batch, embedding_size].
    """
    if config is not None and width_multiplier is not None:
        raise ValueError("pass either config or width_multiplier, not both")
    if config is None:
        config = (VGGishConfig() if width_multiplier is None
                  else VGGishConfig.from_width_multiplier(width_multiplier))

    def conv(reference_name, channels):
        return keras.layers.Conv2D(
            channels, params.CONV_KERNEL_SIZE, padding="same", activation="relu",
            kernel_initializer=kernel_initializer, name=keras_layer_name(reference_name))

    def pool(reference_name):
        return keras.layers.MaxPooling2D(params.POOL_SIZE, strides=params.POOL_STRIDE,
                                         padding="same", name=reference_name)

    conv_widths = dict(zip(params.CONV_LAYER_NAMES, config.conv_channels))
    fc_widths = dict(zip(params.FC_LAYER_NAMES, config.fc_units))
    inputs = keras.Input((params.NUM_FRAMES, params.NUM_BANDS, 1), name="log_mel_examples")
    net = inputs
    for layer_name in params.LAYER_NAMES:
        if layer_name in conv_widths:
            net = conv(layer_name, conv_widths[layer_name])(net)
        elif layer_name.startswith("pool"):
            net = pool(layer_name)(net)
        elif layer_name == "flatten":
            net = keras.layers.Flatten(name="flatten")(net)
        elif layer_name in fc_widths:
            net = keras.layers.Dense(fc_widths[layer_name], activation="relu",
                                     kernel_initializer=kernel_initializer,
                                     name=keras_layer_name(layer_name))(net)
        else:  # fc2, the embedding: pre-activation, as in vggish_slim.
            net = keras.layers.Dense(config.embedding_size, activation=None,
                                     kernel_initializer=kernel_initializer,
                                     name=keras_layer_name(layer_name))(net)
    return keras.Model(inputs, net, name=name)


def config_of(model):
    """The VGGishConfig a model was built with (read from its layers).

    Args:
      model: a model from build_vggish.

    Returns:
      VGGishConfig.
    """
    def units(name):
        layer = model.get_layer(keras_layer_name(name))
        return layer.filters if hasattr(layer, "filters") else layer.units
    return VGGishConfig(tuple(units(n) for n in params.CONV_LAYER_NAMES),
                        tuple(units(n) for n in params.FC_LAYER_NAMES),
                        units(params.EMBEDDING_LAYER_NAME))


def activation_model(model, layer_names=params.LAYER_NAMES):
    """A model returning a dict of intermediate activations.

    Args:
      model: a model from build_vggish (or a loader).
      layer_names: reference or Keras names; 'embedding' is an alias of 'fc2'.

    Returns:
      keras.Model mapping [batch, 96, 64, 1] -> {reference name: activation},
      e.g. 'conv4/conv4_2' -> [batch, 12, 8, 512], 'fc2' -> [batch, 128].
    """
    names = [canonical_layer_name(n) for n in layer_names]
    outputs = {n: model.get_layer(keras_layer_name(n)).output for n in names}
    return keras.Model(model.input, outputs, name=f"{model.name}_activations")


def as_model_input(examples):
    """Adds the channel axis the model expects.

    Args:
      examples: [n, 96, 64] or [n, 96, 64, 1] log-mel examples.

    Returns:
      [n, 96, 64, 1] float tensor.
    """
    examples = tf.convert_to_tensor(examples)
    if examples.shape.rank == 3:
        examples = examples[..., tf.newaxis]
    if examples.shape.rank != 4 or tuple(examples.shape[1:]) != (
            params.NUM_FRAMES, params.NUM_BANDS, 1):
        raise ValueError(f"expected [n, {params.NUM_FRAMES}, {params.NUM_BANDS}(, 1)] "
                         f"examples, got shape {examples.shape}")
    return examples
