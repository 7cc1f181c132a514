"""The WaveNet autoencoder as Keras layers (magenta's `h512_bo16`, every size configurable).

Encoder (non-causal, on the mu-law-scaled waveform [B, T]):
    h = ae_startconv(x)                              # width ae_filter_length, ae_width ch.
    for i in 1..ae_num_layers (dilation 2^((i-1) mod ae_num_stages)):
        h += ae_res_i(relu(ae_dilatedconv_i(relu(h))))
    encoding = avg_pool(ae_bottleneck(h), ae_hop_length)     # [B, ceil(T/hop), 16]

Decoder (causal, teacher-forced on the same scaled waveform shifted right by one):
    l = startconv(shift_right(x));  s = skip_start(l)
    for i in 1..num_layers (dilation 2^((i-1) mod num_stages)):
        d = dilatedconv_i(l) + upsample(cond_map_i(encoding))      # 2 * width channels
        d = sigmoid(d[..., :width]) * tanh(d[..., width:])
        l += res_i(d);  s += skip_i(d)
    s = relu(out1(relu(s)) + upsample(cond_map_out1(encoding)))
    logits = logits(s)                                                # [B, T, 256]

`upsample` repeats each encoding frame ae_hop_length times (nearest neighbour, as
magenta's `_condition`), so sample t is conditioned on frame t // hop. All convolutions
are `keras.layers.Conv1D` named after magenta's variable scopes, so that
`checkpoint.py` maps `<scope>/W` [1, K, in, out] and `<scope>/biases` onto them.
"""
import keras
import tensorflow as tf

from neural_style_audio.wavenet import mulaw
from neural_style_audio.wavenet.config import WaveNetConfig


def _conv(filters, kernel_size, name, dilation=1, padding="valid", seed=None):
    # magenta's masked.conv1d: uniform unit scaling (variance 1 / fan_in), zero biases.
    init = keras.initializers.VarianceScaling(1.0, "fan_in", "uniform", seed=seed)
    return keras.layers.Conv1D(filters, kernel_size, dilation_rate=dilation, padding=padding,
                               kernel_initializer=init, name=name)


def shift_right(x):
    """[B, T, C] -> the same with a zero first step and the last step dropped."""
    return tf.pad(x, [[0, 0], [1, 0], [0, 0]])[:, :-1]


def upsample(frames, hop_length, n_samples):
    """Nearest-neighbour upsampling of [B, F, C] frames to [B, n_samples, C] (t -> t // hop).

    Raises:
      ValueError: F * hop_length < n_samples (static shapes only).
    """
    n_frames = frames.shape[1]
    if n_frames is not None and isinstance(n_samples, int) and n_frames * hop_length < n_samples:
        raise ValueError(f"{n_frames} encoding frames cover {n_frames * hop_length} samples; "
                         f"{n_samples} were asked for")
    return tf.repeat(frames, hop_length, axis=1)[:, :n_samples]


class Encoder(keras.layers.Layer):
    """Non-causal temporal encoder: scaled waveform [B, T] -> encoding [B, ceil(T / hop), C]."""

    def __init__(self, config: WaveNetConfig, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.config = c = config
        seeds = iter(range(10**6)) if seed is None else iter(range(seed * 1000, seed * 1000 + 999))
        s = (lambda: None) if seed is None else (lambda: next(seeds))
        self.startconv = _conv(c.ae_width, c.ae_filter_length, "ae_startconv",
                               padding="same", seed=s())
        self.dilatedconvs = [_conv(c.ae_width, c.ae_filter_length, f"ae_dilatedconv_{i + 1}",
                                   dilation=c.ae_dilation(i), padding="same", seed=s())
                             for i in range(c.ae_num_layers)]
        self.res = [_conv(c.ae_width, 1, f"ae_res_{i + 1}", seed=s())
                    for i in range(c.ae_num_layers)]
        self.bottleneck = _conv(c.ae_bottleneck_width, 1, "ae_bottleneck", seed=s())

    def activations(self, x_scaled):
        """The residual stream after the start conv and after every layer.

        Args:
          x_scaled: [B, T] mu-law-scaled waveform (`mulaw.compress` or
            `mulaw.quantized_input`).
        Returns:
          (list of ae_num_layers + 1 tensors [B, T, ae_width], bottleneck output [B, T, C]
          before pooling).
        """
        h = self.startconv(tf.convert_to_tensor(x_scaled, tf.float32)[..., None])
        outputs = [h]
        for conv, res in zip(self.dilatedconvs, self.res):
            h = h + res(tf.nn.relu(conv(tf.nn.relu(h))))
            outputs.append(h)
        return outputs, self.bottleneck(h)

    def pool(self, bottleneck):
        """Average over windows of ae_hop_length samples ('SAME': a partial last window is
        averaged over its own samples). [B, T, C] -> [B, ceil(T / hop), C]."""
        hop = self.config.ae_hop_length
        return tf.nn.avg_pool1d(bottleneck, hop, hop, "SAME")

    def call(self, x_scaled):
        return self.pool(self.activations(x_scaled)[1])


class Decoder(keras.layers.Layer):
    """Causal gated WaveNet conditioned on an encoding: logits of every next sample."""

    def __init__(self, config: WaveNetConfig, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.config = c = config
        seeds = iter(range(10**6, 2 * 10**6)) if seed is None else \
            iter(range(seed * 1000 + 500, seed * 1000 + 999))
        s = (lambda: None) if seed is None else (lambda: next(seeds))
        self.startconv = _conv(c.width, c.filter_length, "startconv", padding="causal", seed=s())
        self.skip_start = _conv(c.skip_width, 1, "skip_start", seed=s())
        self.dilatedconvs = [_conv(2 * c.width, c.filter_length, f"dilatedconv_{i + 1}",
                                   dilation=c.dilation(i), padding="causal", seed=s())
                             for i in range(c.num_layers)]
        self.cond_maps = [_conv(2 * c.width, 1, f"cond_map_{i + 1}", seed=s())
                          for i in range(c.num_layers)]
        self.res = [_conv(c.width, 1, f"res_{i + 1}", seed=s()) for i in range(c.num_layers)]
        self.skips = [_conv(c.skip_width, 1, f"skip_{i + 1}", seed=s())
                      for i in range(c.num_layers)]
        self.out1 = _conv(c.skip_width, 1, "out1", seed=s())
        self.cond_map_out1 = _conv(c.skip_width, 1, "cond_map_out1", seed=s())
        self.logits = _conv(c.quantization_channels, 1, "logits", seed=s())

    def call(self, x_scaled, encoding):
        """Teacher-forced logits.

        Args:
          x_scaled: [B, T] quantised mu-law input (`mulaw.quantized_input`); logits[:, t]
            depend on x_scaled[:, :t] only.
          encoding: [B, F, C] with F * hop >= T.
        Returns:
          [B, T, quantization_channels] logits.
        """
        c = self.config
        x = tf.convert_to_tensor(x_scaled, tf.float32)[..., None]
        n = x.shape[1] if x.shape[1] is not None else tf.shape(x)[1]
        encoding = tf.convert_to_tensor(encoding, tf.float32)
        l = self.startconv(shift_right(x))
        s = self.skip_start(l)
        for conv, cond, res, skip in zip(self.dilatedconvs, self.cond_maps, self.res, self.skips):
            d = conv(l) + upsample(cond(encoding), c.ae_hop_length, n)
            d = tf.sigmoid(d[..., :c.width]) * tf.tanh(d[..., c.width:])
            l = l + res(d)
            s = s + skip(d)
        s = self.out1(tf.nn.relu(s)) + upsample(self.cond_map_out1(encoding), c.ae_hop_length, n)
        return self.logits(tf.nn.relu(s))


class WaveNetAutoencoder(keras.Model):
    """Encoder + decoder. `model(waveform [B, T])` -> teacher-forced logits [B, T, 256]."""

    def __init__(self, config: WaveNetConfig, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.config = config
        self.encoder = Encoder(config, seed=seed, name="encoder")
        self.decoder = Decoder(config, seed=seed, name="decoder")

    def encoder_input(self, waveform, differentiable=False):
        """The encoder's input: magenta's quantised x_scaled, or the smooth mu-law curve."""
        channels = self.config.quantization_channels
        if differentiable:
            return mulaw.compress(waveform, channels)
        return mulaw.quantized_input(waveform, channels)

    def encode(self, waveform, differentiable=False):
        """[B, T] waveform in [-1, 1] -> encoding [B, ceil(T / hop), bottleneck]."""
        return self.encoder(self.encoder_input(waveform, differentiable))

    def call(self, waveform):
        x_scaled = mulaw.quantized_input(waveform, self.config.quantization_channels)
        return self.decoder(x_scaled, self.encoder(x_scaled))

    def nll(self, waveform):
        """Mean cross-entropy (nats) of the 8-bit mu-law samples, and accuracy, [B, T] input."""
        bins = mulaw.quantize(waveform, self.config.quantization_channels)
        logits = self(waveform)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(bins, logits))
        hits = tf.cast(tf.equal(tf.argmax(logits, -1, output_type=tf.int32), bins), tf.float32)
        return loss, tf.reduce_mean(hits)

    def build_weights(self):
        """Creates every variable (a forward pass on one hop of silence). Returns self."""
        self(tf.zeros([1, self.config.ae_hop_length]))
        return self

    def named_layers(self):
        """{magenta scope name: Conv1D layer} for every convolution."""
        layers = {}
        for part in (self.encoder, self.decoder):
            for value in vars(part).values():
                items = value if isinstance(value, (list, tuple)) else [value]
                for layer in items:
                    if isinstance(layer, keras.layers.Conv1D):
                        layers[layer.name] = layer
        return layers

    def count_params(self):
        return int(sum(v.shape.num_elements() for v in self.weights))


def build_model(config: WaveNetConfig, seed=0):
    """A WaveNetAutoencoder with its (seeded, magenta-initialised) weights created."""
    return WaveNetAutoencoder(config, seed=seed).build_weights()
