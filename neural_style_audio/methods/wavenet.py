"""WaveNet-feature transfer (`--method wavenet`): DeepMix's fourth architecture.

    config = resolve_config("deepmix_wavenet")
    result = neural_style_audio.transfer("melody.wav", "violin.wav", config)

The output waveform y is optimised (the package's optimisers: L-BFGS-B or Keras) to
minimise, through NSynth's WaveNet encoder (neural_style_audio/wavenet/),

    alpha * |E(y) - E(c)|^2 / |E(c)|^2  +  beta * mean_l |G_l(y) - G_l(s)|^2 / |G_l(s)|^2

where E is the 16-d encoding (31.25 frames/s), G_l the Gram matrix (over time) of
encoder layer l's residual-stream activations, c the content and s the style clip.
The encoder sees the *differentiable* mu-law (`wavenet.mulaw.compress`): magenta's
quantising mu-law has a zero gradient, which is one reason stylising with NSynth's
activations failed (DeepMix heard noise). With --wavenet_decode the optimised
waveform's encoding is then decoded by the WaveNet decoder (fast generation), as
DeepMix did; otherwise the optimised waveform is the output.
"""
import dataclasses
import time

import numpy as np
import tensorflow as tf

from neural_style_audio import audio, methods, optimize, outputs, spectral
from neural_style_audio.config import ConfigError, TransferConfig, resolve_config, validate

PRESET = "deepmix_wavenet"
MIN_SECONDS = 0.1


def parse_style_layers(text, n_layers):
    """'all' or '1,5,10' -> 0-based indices into Encoder.activations (0 = start conv)."""
    if str(text).strip() == "all":
        return list(range(1, n_layers + 1))
    try:
        layers = [int(v) for v in str(text).split(",") if v.strip()]
    except ValueError:
        layers = []
    if not layers or min(layers) < 0 or max(layers) > n_layers:
        raise ConfigError(f"--wavenet_style_layers must be 'all' or layer numbers in 0..{n_layers} "
                          f"(0 = the start convolution), got '{text}'")
    return layers


class WaveNetObjective:
    """The content + style objective of a waveform through a WaveNet encoder."""

    def __init__(self, net, y_content, y_style, style_layers, content_weight, style_weight):
        self.net = net
        self.style_layers = list(style_layers)
        self.weights = (float(content_weight), float(style_weight))
        content_enc, _ = self.features(tf.constant(y_content))
        _, style_grams = self.features(tf.constant(y_style))
        self.content_target = content_enc
        self.content_norm = tf.maximum(tf.reduce_mean(tf.square(content_enc)), 1e-12)
        self.style_targets = style_grams
        self.style_norms = [tf.maximum(tf.reduce_mean(tf.square(g)), 1e-12) for g in style_grams]

    def features(self, y):
        """(encoding [F, C], [Gram matrices [N, N]]) of a waveform [T] (differentiable)."""
        encoder = self.net.encoder
        x = self.net.encoder_input(y[None], differentiable=True)
        acts, bottleneck = encoder.activations(x)
        grams = []
        for i in self.style_layers:
            a = acts[i][0]
            grams.append(tf.matmul(a, a, transpose_a=True) / tf.cast(tf.shape(a)[0], tf.float32))
        return encoder.pool(bottleneck)[0], grams

    def __call__(self, y):
        enc, grams = self.features(y)
        content = tf.reduce_mean(tf.square(enc - self.content_target)) / self.content_norm
        style = tf.add_n([tf.reduce_mean(tf.square(g - t)) / n for g, t, n in
                          zip(grams, self.style_targets, self.style_norms)]) / len(grams)
        alpha, beta = self.weights
        return {"total": alpha * content + beta * style, "content": content, "style": style}


def start_point(y_content, init, scale, seed):
    if init == "content":
        return y_content.copy()
    if init == "zeros":
        return np.zeros_like(y_content)
    return (scale * np.random.default_rng(seed).standard_normal(len(y_content))).astype(np.float32)


@methods.register("wavenet", TransferConfig)
def transfer(content, style, config=None, progress=None, cache=None, sr=None):
    """Optimises a waveform against WaveNet-encoder content and style targets.

    Args:
      content, style: paths, `(samples, rate)` tuples or arrays at `sr` (as
        methods.optimisation.transfer).
      config: a TransferConfig (default: the deepmix_wavenet preset). Uses features.sr
        (must be the WaveNet's rate), n_fft/hop_length (for the returned magnitudes),
        network.wavenet_*, loss.content_weight/style_weight, the optimizer group and
        run.seed / run.progress.
      progress: show progress bars (default: config.run.progress).
      cache: unused (accepted for the methods' common signature).
      sr: rate of array inputs given without one.

    Returns:
      optimisation.TransferResult.

    Raises:
      AudioInputError, ConfigError, wavenet.weights.WaveNetWeightsError.
    """
    from neural_style_audio.methods.optimisation import TransferResult, _as_waveform
    from neural_style_audio.wavenet import generation, weights as wn_weights
    del cache
    config = config or resolve_config(PRESET)
    validate(config)
    fc, nc, oc, rc = config.features, config.network, config.optimizer, config.run
    progress = rc.progress if progress is None else progress
    timings = {}
    t0 = time.perf_counter()
    problem = wn_weights.weights_problem(nc.wavenet_weights)
    if problem:
        raise ConfigError(problem)
    from neural_style_audio.wavenet.checkpoint import CheckpointError
    own_sizes = nc.wavenet_weights == "shipped" or nc.wavenet_weights.endswith(".weights.h5")
    try:
        net = wn_weights.load_model(nc.wavenet_weights, None if own_sizes else nc.wavenet_model,
                                    seed=rc.seed)
    except (wn_weights.WaveNetWeightsError, CheckpointError, FileNotFoundError) as err:
        raise ConfigError(str(err)) from None
    if fc.sr != net.config.sample_rate:
        raise ConfigError(f"--method wavenet needs --sr {net.config.sample_rate} (the "
                          f"WaveNet's rate), got {fc.sr}")
    layers = parse_style_layers(nc.wavenet_style_layers, net.config.ae_num_layers)
    timings["model_s"] = time.perf_counter() - t0

    t = time.perf_counter()
    min_samples = max(int(MIN_SECONDS * fc.sr), 1)
    y_content, content_name = _as_waveform(content, fc.sr, min_samples, "content", sr)
    y_style, style_name = _as_waveform(style, fc.sr, min_samples, "style", sr)
    y_content = audio.normalize_peak(y_content)
    y_style = audio.normalize_peak(y_style)
    timings["load_s"] = time.perf_counter() - t

    t = time.perf_counter()
    objective = WaveNetObjective(net, y_content, y_style, layers, config.loss.content_weight,
                                 config.loss.style_weight)
    x0 = start_point(y_content, oc.init, oc.init_scale, rc.seed)
    result = optimize.optimize(objective, x0, oc, progress=progress, desc="wavenet transfer")
    y = np.clip(result.x, -1.0, 1.0)
    timings["optimise_s"] = time.perf_counter() - t

    decoded = None
    if nc.wavenet_decode:
        t = time.perf_counter()
        encoding = net.encode(y[None], differentiable=True)
        gen = generation.FastGenerator(net)
        y = gen.generate(encoding, n_samples=len(y), seed=rc.seed, progress=progress)[0]
        decoded = dict(samples=len(y), seconds=time.perf_counter() - t)
        timings["decode_s"] = decoded["seconds"]
    y = audio.normalize_peak(y)
    timings["total_s"] = time.perf_counter() - t0

    record = dict(
        method="wavenet", content=content_name, style=style_name,
        config=dataclasses.asdict(config), seed=rc.seed, sr=fc.sr,
        wavenet=dict(config=net.config.to_dict(), weights=nc.wavenet_weights,
                     style_layers=layers, decoded=decoded),
        content_seconds=len(y_content) / fc.sr, style_seconds=len(y_style) / fc.sr,
        output_seconds=len(y) / fc.sr, final_loss=float(result.loss),
        final_terms={k: float(v) for k, v in (result.terms or {}).items()},
        optimizer_message=result.message, n_evaluations=result.n_evaluations,
        chunks=[], loss_history=[float(v) for v in result.history], timings=timings,
        environment=outputs.environment())
    magnitude = spectral.magnitude(y, fc.n_fft, fc.hop_length)
    return TransferResult(audio=y, sr=fc.sr, magnitude=magnitude,
                          content_magnitude=spectral.magnitude(y_content, fc.n_fft,
                                                               fc.hop_length),
                          style_magnitude=spectral.magnitude(y_style, fc.n_fft, fc.hop_length),
                          record=record)
