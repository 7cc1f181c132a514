"""A differentiable VGGish perceptual loss on magnitude spectrograms.

    loss = PerceptualLoss(model, layers=["conv3/conv3_2", "conv4/conv4_2"],
                          reference=reference_magnitude,
                          sample_rate=22050, n_fft=2048, hop_length=512)
    with tf.GradientTape() as tape:
        value = loss(magnitude)          # scalar
    tape.gradient(value, magnitude)      # flows through VGGish and the front end

The input (and a magnitude reference) go through the VGGish front end of
`frontend.py` (exact at VGGish STFT settings, approximate otherwise), are cut
into 96 x 64 examples (the tail padded with log-silence), and run through the
network; the loss compares the chosen layers' activations.
"""
import numpy as np
import tensorflow as tf

from vggish_loss import frontend, loading, params
from vggish_loss import model as vggish_model

# Mid/high conv layers: abstract enough to be "perceptual", still time-frequency
# maps (so they stay meaningful for a single example).
DEFAULT_LAYERS = ("conv3/conv3_2", "conv4/conv4_2")
# What the loss compares: activations themselves (content-like, needs equal
# durations) or their Gram matrices over time-frequency positions (style-like,
# any durations).
STATISTICS = ("activations", "gram")
REFERENCE_KINDS = ("magnitude", "log_mel")
# Width of the network that resolve_perceptual_model("random") builds.
DEFAULT_RANDOM_WIDTH = 0.25


def gram_matrix(activation):
    """Channel Gram matrix averaged over all other positions.

    Args:
      activation: [n, ..., channels] activation (conv [n, h, w, c] or dense [n, d]).

    Returns:
      [channels, channels] tensor F^T F / positions.
    """
    channels = tf.shape(activation)[-1]
    features = tf.reshape(activation, [-1, channels])
    positions = tf.cast(tf.shape(features)[0], features.dtype)
    return tf.matmul(features, features, transpose_a=True) / positions


def _feature_function(model, layer_names):
    """Wraps any loader's model as examples -> {layer: activation}.

    Args:
      model: keras.Model from build_vggish / loaders, or loading.HubVGGish.
      layer_names: reference layer names.

    Returns:
      callable [n, 96, 64, 1] -> dict.

    Raises:
      VGGishLoadError: a hub model without official variable names asked for
        anything but its embedding.
    """
    if isinstance(model, loading.HubVGGish):
        if list(layer_names) == [params.EMBEDDING_LAYER_NAME] and (
                model.input_kind == "examples"):
            return lambda examples: {params.EMBEDDING_LAYER_NAME: model(examples)}
        model = model.to_keras()
    if not loading.is_keras_model(model):
        raise TypeError(f"expected a VGGish Keras model or HubVGGish, got {type(model)}")
    activations = vggish_model.activation_model(model, layer_names)
    return lambda examples: activations(examples, training=False)


class PerceptualLoss:
    """Mean squared distance between VGGish activations of an input and a reference.

    Configured once (model, layers, reference, STFT settings); calling it on a
    magnitude spectrogram returns a scalar, differentiable w.r.t. that
    spectrogram. Reference activations are computed once, in __init__.
    """

    def __init__(self, model, layers=DEFAULT_LAYERS, reference=None,
                 reference_kind="magnitude", sample_rate=None, n_fft=None,
                 hop_length=None, win_length=None, center=True, mapping="rewindow",
                 statistic="activations", layer_weights=None):
        """Args:
          model: a VGGish from loading.py (Keras model or HubVGGish) or
            resolve_perceptual_model.
          layers: reference layer names ('conv1', ..., 'conv4/conv4_2', 'fc1/fc1_2',
            'fc2' / 'embedding'); Keras names ('conv4_2') are accepted too.
          reference: [time, bins] linear magnitude at the same STFT settings as
            the input (reference_kind="magnitude") or [time, 64] VGGish log-mel
            (reference_kind="log_mel").
          reference_kind: "magnitude" or "log_mel".
          sample_rate: STFT sample rate of the input. None: the input is at
            VGGish settings ([time, 257], 16 kHz, 400/160/512, no centring) and
            goes through the exact front end.
          n_fft, hop_length, win_length, center: the input's STFT settings when
            sample_rate is given (see frontend.linear_magnitude_to_vggish_log_mel).
          mapping: "rewindow" or "mel", see linear_magnitude_to_vggish_log_mel.
          statistic: "activations" (needs equal example counts) or "gram".
          layer_weights: per-layer weights (default: equal, summing to 1).

        Raises:
          ValueError: bad option or reference shape.
        """
        if reference is None:
            raise ValueError("PerceptualLoss needs a reference spectrogram")
        if reference_kind not in REFERENCE_KINDS:
            raise ValueError(f"reference_kind must be one of {REFERENCE_KINDS}")
        if statistic not in STATISTICS:
            raise ValueError(f"statistic must be one of {STATISTICS}, got {statistic!r}")
        self.layers = tuple(vggish_model.canonical_layer_name(n) for n in layers)
        if not self.layers:
            raise ValueError("PerceptualLoss needs at least one layer")
        if layer_weights is None:
            layer_weights = [1.0 / len(self.layers)] * len(self.layers)
        if len(layer_weights) != len(self.layers):
            raise ValueError(f"{len(layer_weights)} layer_weights for "
                             f"{len(self.layers)} layers")
        self.layer_weights = dict(zip(self.layers, (float(w) for w in layer_weights)))
        self.statistic = statistic
        self.stft = dict(sample_rate=sample_rate, n_fft=n_fft, hop_length=hop_length,
                         win_length=win_length, center=center, method=mapping)
        self._features = _feature_function(model, self.layers)
        reference = tf.constant(np.asarray(reference, dtype=np.float32))
        reference_log_mel = (reference if reference_kind == "log_mel"
                             else self.to_log_mel(reference))
        if reference_log_mel.shape[-1] != params.NUM_MEL_BINS:
            raise ValueError(f"reference log-mel must be [time, {params.NUM_MEL_BINS}], "
                             f"got {reference_log_mel.shape}")
        self._reference = {name: tf.stop_gradient(value) for name, value in
                           self._statistics(reference_log_mel).items()}

    def to_log_mel(self, magnitude):
        """Input magnitude -> VGGish log-mel with this loss's front end.

        Args:
          magnitude: [time, bins] linear magnitude.

        Returns:
          [frames, 64] log-mel.
        """
        if self.stft["sample_rate"] is None:
            return frontend.magnitude_to_log_mel(magnitude)
        return frontend.linear_magnitude_to_vggish_log_mel(
            magnitude, self.stft["sample_rate"], self.stft["n_fft"] or params.FFT_LENGTH,
            hop_length=self.stft["hop_length"], win_length=self.stft["win_length"],
            center=self.stft["center"], method=self.stft["method"])

    def _statistics(self, log_mel):
        """[frames, 64] log-mel -> {layer: activation or Gram matrix}."""
        examples = frontend.log_mel_to_examples(log_mel, pad_end=True)
        activations = self._features(vggish_model.as_model_input(examples))
        if self.statistic == "gram":
            return {name: gram_matrix(activations[name]) for name in self.layers}
        return {name: activations[name] for name in self.layers}

    def layer_losses(self, magnitude):
        """Unweighted per-layer mean squared distances.

        Args:
          magnitude: [time, bins] linear magnitude (a tf.Variable when optimising).

        Returns:
          dict layer name -> scalar tensor.

        Raises:
          ValueError: statistic="activations" and the input gives a different
            number of examples than the reference.
        """
        current = self._statistics(self.to_log_mel(magnitude))
        losses = {}
        for name in self.layers:
            if current[name].shape != self._reference[name].shape:
                raise ValueError(
                    f"input and reference give different {name} shapes "
                    f"{current[name].shape} vs {self._reference[name].shape}: use "
                    "equal durations or statistic='gram'")
            losses[name] = tf.reduce_mean(tf.square(current[name] - self._reference[name]))
        return losses

    def __call__(self, magnitude):
        """Weighted sum of the per-layer losses.

        Args:
          magnitude: [time, bins] linear magnitude spectrogram.

        Returns:
          scalar float32 tensor.
        """
        losses = self.layer_losses(magnitude)
        return tf.add_n([self.layer_weights[name] * loss for name, loss in losses.items()])

    call = __call__


def resolve_perceptual_model(spec, seed=0):
    """Parses a perceptual-model spec and loads the model.

    Args:
      spec: "compact" (the packaged compact VGGish), "official:PATH" (PATH a
        vggish_model.ckpt file or its directory), "hub:HANDLE" (TF-Hub URL or
        local SavedModel directory), or "random[:WIDTH]" (untrained VGGish of
        that width multiplier, default 0.25, with He-normal weights drawn from
        `seed`, for random-feature losses and tests).

    Returns:
      keras.Model or loading.HubVGGish, accepted by PerceptualLoss.

    Raises:
      VGGishLoadError: malformed spec or the model cannot be loaded.
    """
    kind, _, argument = str(spec).partition(":")
    if kind == "compact" and not argument:
        return loading.load_compact()
    if kind == "official" and argument:
        return loading.load_official_checkpoint(argument)
    if kind == "hub" and argument:
        return loading.load_hub(argument)
    if kind == "random":
        try:
            width = float(argument) if argument else DEFAULT_RANDOM_WIDTH
        except ValueError:
            width = -1.0
        if width <= 0:
            raise loading.VGGishLoadError(f"bad width in perceptual model spec {spec!r}")
        import keras
        return vggish_model.build_vggish(
            width_multiplier=width, name="vggish_random",
            kernel_initializer=keras.initializers.HeNormal(seed=seed))
    raise loading.VGGishLoadError(
        f"unknown perceptual model spec {spec!r}: expected 'compact', 'official:PATH', "
        "'hub:HANDLE' or 'random[:WIDTH]'")
