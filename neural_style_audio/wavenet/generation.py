"""Autoregressive decoding of encodings: fast (cached dilated states) and naive.

Fast generation (Paine et al. 2016, "Fast Wavenet Generation Algorithm"; the queue
method of magenta's fastgen.py): each causal layer keeps its last
(filter_length - 1) * dilation inputs, so one new sample costs a few matrix products
per layer instead of a convolution over the receptive field. Unlike fastgen's one
`session.run` per sample, the whole sample loop is one XLA-compiled `tf.while_loop`
over a batch of clips; a chunk of samples is one call, so a progress bar can move
between chunks. Per step:

    past = rows of every layer's inputs at t - 2 d_i, t - d_i    # read at the end of t-1
    for each layer i:
        z = cond_i[t // hop] + [past_i | l] @ W_dilated[i]        # one 2-D GEMM per layer
        g = sigmoid(z[:, :width]) * tanh(z[:, width:])
        [res, skip] = g @ [W_res | W_skip]_i;  l += res;  s += skip
    write every layer's input l_i into its circular rows; read the next step's past

(formulation "batched" instead does past @ W_past for all layers in one batched GEMM
ahead of the layer loop and l @ W_current[i] inside it: fewer operations per step, which
is faster for narrow decoders; see default_formulation and
benchmarks/bench_wavenet.py --ab.)

All layers share one state buffer (`StateLayout`), so a step has one scatter and one
gather whatever the depth; the read comes after the write so that XLA updates the
buffer in place (a read before the write made it copy the buffer every step). The
conditioning (cond_map_i(encoding) + biases) is computed once per encoding frame and
picked by t // hop (nearest neighbour, as magenta).

Sampling is seeded and stateless: the sample at step t is argmax(logits / temperature
+ Gumbel noise), the noise an integer hash of (seed, t, position), so the fast and the
naive decoder draw the same noise and give the same output (`mode="argmax"` takes the
most likely bin). The naive decoder reruns the teacher-forced decoder over the whole
clip for every sample (O(T^2)); it is the reference the fast one is checked against.
"""
import dataclasses

import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from neural_style_audio.wavenet import mulaw

MODES = ("sample", "argmax")
DEFAULT_CHUNK = 4000  # Samples per compiled call (a progress-bar step).
# How a step multiplies the dilated kernels (see dilated_kernels and default_formulation).
FORMULATIONS = ("per_layer", "batched")
# Decoders at least this wide default to "per_layer". Measured (RESULTS section 12, A/B in
# one process): width 512 (h512_bo16) per_layer 1.2x faster at batch 1 and 1.3x at batch
# 64 than batched; width 32 (small) batched 1.07x faster at batch 1 (a step is per-op
# overhead there, and per_layer adds a concat per layer), equal at batch 128. The
# crossover between 32 and 512 was not measured: 128 is their geometric mean.
PER_LAYER_MIN_WIDTH = 128


_MASK32 = 0xFFFFFFFF


def _hash32(x):
    """An integer mixing function on 32-bit values held in int64 (products stay < 2^63)."""
    for multiplier in (0x2C1B3C6D, 0x297A2D39, 0x45D9F3B):
        x = tf.bitwise.bitwise_xor(x, tf.bitwise.right_shift(x, 16))
        x = tf.bitwise.bitwise_and(x * multiplier, _MASK32)
    return tf.bitwise.bitwise_xor(x, tf.bitwise.right_shift(x, 16))


def uniform_noise(seed, t, shape):
    """Uniform (0, 1) noise [B, Q] that is a pure function of (seed, t, position).

    Integer hashing rather than tf.random: TF's stateless ops derive their key from the
    seed differently inside and outside XLA, and both decoders must see the same noise.
    """
    seed = tf.cast(seed, tf.int64)
    t = tf.cast(t, tf.int64)
    key = _hash32(tf.bitwise.bitwise_xor(_hash32(tf.bitwise.bitwise_and(seed, _MASK32)), t))
    n = shape[0] * shape[1]
    index = tf.reshape(tf.range(tf.cast(n, tf.int64), dtype=tf.int64), shape)
    bits = _hash32(tf.bitwise.bitwise_xor(key, index) + 0x9E3779B)
    return (tf.cast(tf.bitwise.right_shift(bits, 8), tf.float32) + 0.5) / float(2 ** 24)


def _gumbel(seed, t, shape):
    return -tf.math.log(-tf.math.log(uniform_noise(seed, t, shape)))


def choose_bins(logits, t, seed, mode, temperature=1.0):
    """Next bins [B] int32 from logits [B, Q] at step t (same noise for both decoders)."""
    if mode == "argmax":
        return tf.argmax(logits, -1, output_type=tf.int32)
    noise = _gumbel(seed, t, tf.shape(logits))
    return tf.argmax(logits / temperature + noise, -1, output_type=tf.int32)


@dataclasses.dataclass
class DecoderWeights:
    """The decoder's weights, arranged for one-sample steps (all tensors float32).

    start: [K, width] (the start conv on a 1-channel input), start_b [width];
    skip_start [width, skip], skip_start_b; dilated: L kernels [K * width, 2 * width] (the
    taps oldest first: K - 1 taps on past inputs, then the tap on the current input);
    res_skip: L kernels [width, width + skip], res_skip_b: L biases [width + skip];
    out1 [skip, skip]; logits [skip, Q], logits_b [Q].

    The per-layer weights are lists of separate tensors, not one stacked [L, ...] tensor:
    with layer i's kernels sliced out of stacked tensors inside the XLA loop, h512_bo16 ran
    4.9x slower at batch 1 (8.9 against 43.2 samples/s, same "batched" formulation; most
    likely the slices were copied every step).
    """
    start: tf.Tensor
    start_b: tf.Tensor
    skip_start: tf.Tensor
    skip_start_b: tf.Tensor
    dilated: list
    res_skip: list
    res_skip_b: list
    out1: tf.Tensor
    logits: tf.Tensor
    logits_b: tf.Tensor


def _t(variable):
    return tf.convert_to_tensor(variable)


def fused_weights(decoder):
    """DecoderWeights of a model.Decoder (read from its variables, inside a tf.function)."""
    c = decoder.config
    k, w = c.filter_length, c.width
    return DecoderWeights(
        start=tf.reshape(decoder.startconv.kernel, [k, w]), start_b=decoder.startconv.bias,
        skip_start=decoder.skip_start.kernel[0], skip_start_b=decoder.skip_start.bias,
        dilated=[tf.reshape(conv.kernel, [k * w, 2 * w]) for conv in decoder.dilatedconvs],
        res_skip=[tf.concat([_t(r.kernel)[0], _t(s.kernel)[0]], axis=1)
                  for r, s in zip(decoder.res, decoder.skips)],
        res_skip_b=[tf.concat([_t(r.bias), _t(s.bias)], axis=0)
                    for r, s in zip(decoder.res, decoder.skips)],
        out1=decoder.out1.kernel[0], logits=decoder.logits.kernel[0],
        logits_b=decoder.logits.bias)


def conditioning(decoder, encoding):
    """Per-frame additive terms: ([F, L, B, 2 * width], [F, B, skip]).

    cond[f, i] = cond_map_i(encoding[:, f]) + its bias + dilatedconv_i's bias;
    cond_out[f] = cond_map_out1(encoding[:, f]) + its bias + out1's bias.
    """
    encoding = tf.convert_to_tensor(encoding, tf.float32)
    layers = [cond(encoding) + conv.bias for cond, conv in
              zip(decoder.cond_maps, decoder.dilatedconvs)]
    cond = tf.transpose(tf.stack(layers, axis=0), [2, 0, 1, 3])
    cond_out = decoder.cond_map_out1(encoding) + decoder.out1.bias
    return cond, tf.transpose(cond_out, [1, 0, 2])


class StateLayout:
    """Where each layer's past inputs live in the one state buffer.

    Layer i keeps its last R_i = (K - 1) * d_i inputs, input t in row
    offset_i + t mod R_i of a [sum R_i, B, width] buffer; one gather per step reads
    every layer's past taps and one scatter writes every layer's new input.
    """

    def __init__(self, config):
        self.taps = config.filter_length - 1
        dilations = np.array([config.dilation(i) for i in range(config.num_layers)])
        self.sizes = np.maximum(self.taps * dilations, 1)
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)[:-1]])
        self.rows = int(self.sizes.sum())
        # Read order: layer-major, oldest tap first (t - taps*d, ..., t - d).
        j = np.arange(self.taps, 0, -1)
        self.read_lag = (j[None, :] * dilations[:, None]).reshape(-1)
        self.read_size = np.repeat(self.sizes, self.taps)
        self.read_offset = np.repeat(self.offsets, self.taps)

    def read_rows(self, t):
        """[L * taps] rows of the past taps at step t (t - lag mod size)."""
        t = tf.cast(t, tf.int64)
        return self.read_offset + tf.math.floormod(t - self.read_lag, self.read_size)

    def write_rows(self, t):
        """[L, 1] rows where step t's inputs go."""
        t = tf.cast(t, tf.int64)
        return (self.offsets + tf.math.floormod(t, self.sizes))[:, None]


def initial_state(config, batch_size):
    """Silence before the first sample: (t, previous input [B], start taps [B, K - 1],
    buffer [rows, B, width], the next step's past taps [L * (K - 1), B, width])."""
    layout = StateLayout(config)
    return (tf.constant(0, tf.int32), tf.zeros([batch_size]),
            tf.zeros([batch_size, max(layout.taps, 1)]),
            tf.zeros([layout.rows, batch_size, config.width]),
            tf.zeros([max(len(layout.read_lag), 1), batch_size, config.width]))


def default_formulation(config):
    """"per_layer" for decoders of width >= PER_LAYER_MIN_WIDTH, else "batched"."""
    return "per_layer" if config.width >= PER_LAYER_MIN_WIDTH else "batched"


def dilated_kernels(weights, config, formulation):
    """The dilated kernels as the step uses them: (past [L, (K - 1) * width, 2 * width] or
    None, [kernel of layer i]); taken out of `weights` once, ahead of the sample loop.

    "per_layer": layer i's whole kernel [K * width, 2 * width] (one GEMM on
    [past taps | current input]); "batched": the past taps of all layers in one tensor
    for a single batched GEMM, and each layer's current tap [width, 2 * width].
    """
    if formulation not in FORMULATIONS:
        raise ValueError(f"formulation must be one of {FORMULATIONS}, got '{formulation}'")
    split = (config.filter_length - 1) * config.width
    if formulation == "per_layer" or not split:
        return None, weights.dilated
    return (tf.stack([kernel[:split] for kernel in weights.dilated]),
            [kernel[split:] for kernel in weights.dilated])


def _step(config, layout, weights, kernels, cond, cond_out, state, seed, mode, temperature):
    """One sample for every clip: (next state, bins [B]); kernels from dilated_kernels."""
    t, x, start_taps, buffer, past = state
    w, taps, n_layers = config.width, layout.taps, config.num_layers
    past_kernel, layer_kernels = kernels
    frame = t // config.ae_hop_length
    if taps:
        window = tf.concat([start_taps, x[:, None]], axis=1)  # [B, K]: oldest first.
        start_taps = window[:, 1:]
    else:
        window = x[:, None]
    l = tf.matmul(window, weights.start) + weights.start_b
    s = tf.matmul(l, weights.skip_start) + weights.skip_start_b
    pre = tf.gather(cond, frame)  # [L, B, 2w]
    if taps:  # `past` [L * taps, B, w] was read at the end of the previous step.
        taps_in = tf.reshape(tf.transpose(tf.reshape(past, [n_layers, taps, -1, w]),
                                          [0, 2, 1, 3]), [n_layers, -1, taps * w])
        if past_kernel is not None:
            # Every layer's taps on past inputs depend on earlier steps only: one batched
            # GEMM for all layers ahead of the layer loop.
            pre = pre + tf.matmul(taps_in, past_kernel)
    inputs = []
    for i in range(n_layers):
        inputs.append(l)
        if taps and past_kernel is None:
            # One 2-D GEMM on [past taps | current input] against the whole kernel.
            z = pre[i] + tf.matmul(tf.concat([taps_in[i], l], axis=1), layer_kernels[i])
        else:
            z = pre[i] + tf.matmul(l, layer_kernels[i])
        g = tf.sigmoid(z[:, :w]) * tf.tanh(z[:, w:])
        rs = tf.matmul(g, weights.res_skip[i]) + weights.res_skip_b[i]
        l = l + rs[:, :w]
        s = s + rs[:, w:]
    if taps:
        # Write this step's inputs, then read the next step's taps. Reading after the
        # writes lets XLA update the buffer in place: a read before them (in the same
        # step) made it copy the whole buffer every step.
        buffer = tf.tensor_scatter_nd_update(buffer, layout.write_rows(t), tf.stack(inputs))
        past = tf.gather(buffer, layout.read_rows(t + 1))
    s = tf.nn.relu(tf.matmul(tf.nn.relu(s), weights.out1) + tf.gather(cond_out, frame))
    logits = tf.matmul(s, weights.logits) + weights.logits_b
    bins = choose_bins(logits, t, seed, mode, temperature)
    x = mulaw.bins_to_scaled(bins, config.quantization_channels)
    return (t + 1, x, start_taps, buffer, past), bins


class FastGenerator:
    """Decodes encodings of a model.WaveNetAutoencoder with cached layer states.

        gen = FastGenerator(model)
        audio = gen.generate(encoding)          # [B, F * hop] float32 waveform

    One compiled function per (batch size, encoding length, chunk); the weights are read
    from the model's variables at each call, so a generator follows training.
    """

    def __init__(self, model, chunk=DEFAULT_CHUNK, jit_compile=True, formulation=None):
        """formulation: one of FORMULATIONS (None: default_formulation of the config)."""
        if formulation is not None and formulation not in FORMULATIONS:
            raise ValueError(f"formulation must be one of {FORMULATIONS}, got '{formulation}'")
        self.model = model
        self.config = model.config
        self.chunk = int(chunk)
        self.formulation = formulation or default_formulation(self.config)
        self._run = tf.function(self._run_chunk, jit_compile=jit_compile, reduce_retracing=True)

    def _run_chunk(self, state, encoding, n_steps, seed, mode, temperature):
        config = self.config
        decoder = self.model.decoder
        weights = fused_weights(decoder)
        kernels = dilated_kernels(weights, config, self.formulation)
        cond, cond_out = conditioning(decoder, encoding)
        layout = StateLayout(config)
        out = tf.TensorArray(tf.int32, size=self.chunk, element_shape=[encoding.shape[0]])

        def body(i, state, out):
            state, bins = _step(config, layout, weights, kernels, cond, cond_out, state, seed,
                                mode, temperature)
            return i + 1, state, out.write(i, bins)

        _, state, out = tf.while_loop(lambda i, *_: i < n_steps, body,
                                      (tf.constant(0), state, out),
                                      maximum_iterations=self.chunk)
        return state, tf.transpose(out.stack())  # [B, chunk]

    def generate_bins(self, encoding, n_samples=None, seed=0, mode="sample", temperature=1.0,
                      progress=False):
        """Mu-law bins [B, n_samples] int32 decoded from encoding [B, F, C].

        Args:
          encoding: [B, F, C] (any F >= 1).
          n_samples: samples to make (default F * hop; at most that).
          seed: sampling seed (stateless: the same seed gives the same clip).
          mode: "sample" (from the softmax) or "argmax".
          temperature: divides the logits before sampling.
          progress: a tqdm bar over samples, moved once per chunk.
        """
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got '{mode}'")
        encoding = tf.convert_to_tensor(encoding, tf.float32)
        if encoding.shape.rank != 3 or encoding.shape[1] < 1:
            raise ValueError(f"encoding must be [batch, frames >= 1, channels], got "
                             f"{encoding.shape}")
        total = encoding.shape[1] * self.config.ae_hop_length
        n_samples = total if n_samples is None else int(n_samples)
        if not 0 < n_samples <= total:
            raise ValueError(f"n_samples must be in 1..{total} for {encoding.shape[1]} frames")
        state = initial_state(self.config, encoding.shape[0])
        pieces, done = [], 0
        with tqdm(total=n_samples, unit="sample", disable=not progress,
                  desc="wavenet decode") as bar:
            while done < n_samples:
                steps = min(self.chunk, n_samples - done)
                state, bins = self._run(state, encoding, tf.constant(steps), tf.constant(seed),
                                        mode, tf.constant(temperature, tf.float32))
                pieces.append(bins[:, :steps].numpy())
                done += steps
                bar.update(steps)
        return np.concatenate(pieces, axis=1)

    def generate(self, encoding, n_samples=None, seed=0, mode="sample", temperature=1.0,
                 progress=False):
        """Waveform [B, n_samples] float32 (bins -> mu-law bin centres)."""
        bins = self.generate_bins(encoding, n_samples, seed, mode, temperature, progress)
        return mulaw.dequantize(bins, self.config.quantization_channels).numpy()


class NaiveGenerator:
    """The reference: the teacher-forced decoder rerun over the clip for every sample."""

    def __init__(self, model):
        self.model = model
        self.config = model.config
        self._step = tf.function(self._logits_at, reduce_retracing=True)

    def _logits_at(self, x_scaled, encoding, t, seed, mode, temperature):
        logits = self.model.decoder(x_scaled, encoding)[:, t]
        return choose_bins(logits, t, seed, mode, temperature)

    def generate_bins(self, encoding, n_samples=None, seed=0, mode="sample", temperature=1.0,
                      progress=False):
        """As FastGenerator.generate_bins (O(n_samples^2) work)."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got '{mode}'")
        encoding = tf.convert_to_tensor(encoding, tf.float32)
        total = encoding.shape[1] * self.config.ae_hop_length
        n_samples = total if n_samples is None else int(n_samples)
        x = np.zeros([encoding.shape[0], n_samples], np.float32)
        bins = np.zeros([encoding.shape[0], n_samples], np.int32)
        half = self.config.quantization_channels // 2
        for t in tqdm(range(n_samples), disable=not progress, desc="naive decode"):
            b = self._step(tf.constant(x), encoding, tf.constant(t), tf.constant(seed), mode,
                           tf.constant(temperature, tf.float32)).numpy()
            bins[:, t] = b
            x[:, t] = (b - half) / half
        return bins
