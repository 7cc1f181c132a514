"""Optimisation-based transfer: load, analyse, optimise the representation, synthesise,
reconstruct the phase (Ulyanov & Lebedev and the reports that followed them).

    result = neural_style_audio.transfer("content.wav", "style.wav", config)
    result.audio, result.sr, result.record
"""
import collections
import dataclasses
import time
import warnings
from pathlib import Path

import numpy as np

from neural_style_audio import (audio, losses, methods, networks, optimize, outputs, phase,
                                representations, spectral)
from neural_style_audio import config as config_lib
from neural_style_audio.config import TransferConfig, validate
from neural_style_audio.evaluation import metrics


@dataclasses.dataclass
class TransferResult:
    """Output of `transfer`."""
    audio: np.ndarray  # [n_samples] float32 at `sr`, peak-normalised.
    sr: int
    magnitude: np.ndarray  # Optimised linear magnitude [T, n_fft/2+1].
    content_magnitude: np.ndarray
    style_magnitude: np.ndarray
    record: dict  # Everything needed to reproduce and judge the run (JSON-able).


class TransferCache:
    """What consecutive transfers can share: built networks and compiled functions.

    Give the same cache to every `transfer` of a sweep or pair set. Networks are
    keyed by their settings and seed (their random weights are a function of these),
    so a transfer with the same network but another alpha, optimiser, learning rate
    or pair reuses the network, its compiled value-and-gradient function (when the
    clip shapes match) and the compiled Griffin-Lim blocks. The `max_networks` most
    recently used networks are kept with their compiled functions; a 4096 x 11 STFT
    network holds 180 MB of weights, and as much again once the BLAS backend has run
    on it (its kernels as GEMM operands).
    """

    def __init__(self, max_networks=2):
        self.max_networks = max_networks
        self._networks = collections.OrderedDict()  # key -> (network, CompileCache).
        self._dropped_traces = 0
        self.griffin_lim_blocks = {}

    def network(self, net_cfg, in_channels, seed, scale):
        """(network, its optimize.CompileCache) for these settings, built on first use."""
        key = (net_cfg, in_channels, seed, scale if net_cfg.network == "vgg19" else None)
        if key not in self._networks:
            self._networks[key] = (networks.build_network(net_cfg, in_channels, seed, scale=scale),
                                   optimize.CompileCache())
            while len(self._networks) > self.max_networks:
                _, (_, dropped) = self._networks.popitem(last=False)
                self._dropped_traces += dropped.n_traces
        self._networks.move_to_end(key)
        return self._networks[key]

    @property
    def n_traces(self):
        """Value-and-gradient compilations made through this cache so far."""
        return self._dropped_traces + sum(c.n_traces for _, c in self._networks.values())


def length_requirement(config):
    """Fewest samples a clip needs for `config`, and the settings to blame.

    Returns:
      (min_samples, needed_for): `needed_for` names the settings (e.g.
      "--filter_width 500") that raise the requirement above the one of the preset
      the config starts from, or is None when the preset's own values set it.
    """
    min_samples = networks.required_samples(config)
    base = config_lib.apply_overrides(TransferConfig(preset=config.preset),
                                      config_lib.PRESETS.get(config.preset, {}))
    blamed = []
    for name, group in config_lib.field_names().items():
        if group not in ("features", "network"):
            continue
        value = getattr(getattr(config, group), name)
        preset_value = getattr(getattr(base, group), name)
        if value == preset_value:
            continue
        reverted = config_lib.apply_overrides(config, {name: preset_value})
        try:
            if networks.required_samples(reverted) < min_samples:
                blamed.append(f"--{name} {value}")
        except (KeyError, ValueError, ZeroDivisionError):
            continue
    return min_samples, (", ".join(blamed) or None)


def _as_waveform(source, sr, min_samples, role, source_sr=None, needed_for=None):
    """A clip as a mono float32 waveform at `sr`, validated.

    Args:
      source: a path (loaded, resampled); a `(samples, rate)` tuple; or an array of
        samples at `source_sr` (default: `sr`). Arrays may be [n], [n, channels] or
        [channels, n] (downmixed), float or integer PCM (scaled to -1..1).
      sr: the processing rate.
      min_samples: fewest samples the settings need; `needed_for` names those settings.
      role: "content" or "style", for messages.

    Returns:
      (y [n] float32 at `sr`, name for the record and messages).
    """
    if isinstance(source, (str, Path)):
        if not str(source).strip():
            raise audio.AudioInputError(f"{role}: empty path")
        return audio.load_audio(source, sr, min_samples, needed_for), str(source)
    name = f"<{role} array>"
    if isinstance(source, tuple):
        if len(source) != 2 or not np.isscalar(source[1]):
            raise audio.AudioInputError(f"{name}: a tuple must be (samples, sample_rate)")
        source, source_sr = source
    source_sr = sr if source_sr is None else source_sr
    if not (np.isscalar(source_sr) and audio.MIN_SAMPLE_RATE <= source_sr <= audio.MAX_SAMPLE_RATE):
        raise audio.AudioInputError(
            f"{name}: unsupported sample rate {source_sr!r} (supported "
            f"{audio.MIN_SAMPLE_RATE}-{audio.MAX_SAMPLE_RATE} Hz)")
    y = audio.as_mono_float(source, name)
    audio.check_waveform(y, name, source_sr)
    if source_sr != sr:
        y = audio.resample(y, source_sr, sr)
    audio.check_waveform(y, name, sr, min_samples, needed_for)
    audio.warn_if_dc_only(y, name)
    return np.ascontiguousarray(y, dtype=np.float32), name


def chunk_bounds(n_frames, chunk_frames, overlap_frames, min_frames=1):
    """Splits [0, n_frames) into chunks of at most `chunk_frames` overlapping by `overlap_frames`.

    Every chunk starts before the last `overlap_frames` frames, so each adds new frames;
    a last chunk shorter than `min_frames` (too short for the network) is merged into
    the chunk before it.

    Returns:
      List of (start, stop) frame indices covering every frame.
    """
    if n_frames <= chunk_frames:
        return [(0, n_frames)]
    step = chunk_frames - overlap_frames
    starts = list(range(0, n_frames - overlap_frames, step))
    bounds = [(s, min(s + chunk_frames, n_frames)) for s in starts]
    if len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] < min_frames:
        bounds.pop()
        bounds[-1] = (bounds[-1][0], n_frames)
    return bounds


def crossfade(chunks, bounds, n_frames):
    """Overlap-adds chunk matrices [t_i, C] with linear cross-fades over the overlaps."""
    out = np.zeros((n_frames, chunks[0].shape[1]), np.float32)
    weight = np.zeros((n_frames, 1), np.float32)
    for i, (chunk, (start, stop)) in enumerate(zip(chunks, bounds)):
        w = np.ones(stop - start, np.float32)
        if i > 0:
            fade = bounds[i - 1][1] - start
            if fade > 0:
                w[:fade] = np.linspace(0, 1, fade + 2, dtype=np.float32)[1:-1]
        if i + 1 < len(bounds):
            fade = stop - bounds[i + 1][0]
            if fade > 0:
                w[-fade:] = np.linspace(1, 0, fade + 2, dtype=np.float32)[1:-1]
        out[start:stop] += chunk * w[:, None]
        weight[start:stop] += w[:, None]
    return out / np.maximum(weight, 1e-8)


def compile_and_evaluation_times(runs):
    """Splits the optimisation time of chunk runs into compilation and evaluations.

    The first value-and-gradient call of a run includes tracing and XLA compilation
    when the function was not compiled before; its excess over a typical later call
    is counted as compilation.

    Returns:
      dict compile_s, evaluations (count), ms_per_evaluation, backend and backend_ms
      (of the chunk with the most evaluations: where it ran, and auto's ms per
      evaluation of each backend there) and backends (each chunk's, in order).
    """
    n = sum(r["n_evaluations"] for r in runs)
    total = sum(r["evaluation_s"] for r in runs)
    later = [(r["evaluation_s"] - r["first_call_s"], r["n_evaluations"] - 1) for r in runs]
    later_s, later_n = sum(t for t, _ in later), sum(k for _, k in later)
    per_eval = later_s / later_n if later_n else total / max(n, 1)
    first_excess = sum(max(r["first_call_s"] - per_eval, 0.0) for r in runs)
    main = max(runs, key=lambda r: r["n_evaluations"]) if runs else {}
    return dict(compile_s=first_excess,
                evaluations=n, ms_per_evaluation=1e3 * (total - first_excess) / max(n, 1),
                backend=main.get("backend", "xla"), backend_ms=main.get("backend_ms", {}),
                backends=[r.get("backend", "xla") for r in runs])


def initial_features(content_x, init, scale, seed):
    """Start point of the optimisation: the content, seeded noise or zeros."""
    if init == "content":
        return content_x.copy()
    if init == "zeros":
        return np.zeros_like(content_x)
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(content_x.shape) * scale).astype(np.float32)


@methods.register("optimisation", TransferConfig)
def transfer(content, style, config=None, progress=None, cache=None, sr=None):
    """Renders the content of one clip with the style of another.

    Args:
      content: path of an audio file; a `(samples, sample_rate)` tuple; or an array
        of samples at `sr`. Arrays may be [n], [n, channels] or [channels, n] with
        at most 8 channels (averaged to mono), float in -1..1 or integer PCM
        (scaled); other rates are resampled to config.features.sr.
      style: the same, for the style clip (any length; it may differ from the content).
      config: a TransferConfig (default: the Ulyanov preset).
      progress: show progress bars (default: config.run.progress).
      cache: a TransferCache shared with other transfers to reuse networks and
        compiled functions (default: a new one, used for this transfer's chunks).
      sr: sample rate of array inputs given without one (default:
        config.features.sr, the processing rate).

    Returns:
      TransferResult with the audio and a JSON-able run record.

    Raises:
      AudioInputError: an input is missing, unreadable, empty, silent, non-finite,
        too short for the network, or an array of ambiguous shape or type.
      ConfigError: invalid settings.
      vgg19.VGGWeightsError, vggish_loss.VGGishLoadError: a requested model cannot be
        loaded (no download possible, missing file).

    Warns:
      audio.InputWarning: a truncated WAV, a clip that is only a DC offset, or
        `iterations` 0 (the output is then the start point).
    """
    config = config or TransferConfig()
    validate(config)
    fc, oc, pc, rc = config.features, config.optimizer, config.phase, config.run
    progress = rc.progress if progress is None else progress
    cache = cache or TransferCache()
    timings = {}
    t0 = time.perf_counter()
    min_frames = networks.required_frames(config.network)
    min_samples, needed_for = length_requirement(config)
    y_content, content_name = _as_waveform(content, fc.sr, min_samples, "content", sr,
                                           needed_for)
    y_style, style_name = _as_waveform(style, fc.sr, min_samples, "style", sr, needed_for)
    if oc.iterations == 0:
        warnings.warn(f"--iterations 0: nothing is optimised; the output is the "
                      f"'{oc.init}' start point", audio.InputWarning, stacklevel=2)
    timings["load_s"] = time.perf_counter() - t0

    t = time.perf_counter()
    rep = representations.get(fc)
    content_mag = spectral.magnitude(y_content, fc.n_fft, fc.hop_length)
    style_mag = spectral.magnitude(y_style, fc.n_fft, fc.hop_length)
    content_x = rep.analyse(content_mag)
    style_x = rep.analyse(style_mag)
    timings["features_s"] = time.perf_counter() - t

    t = time.perf_counter()
    network, compiled = cache.network(config.network, fc.n_channels, rc.seed,
                                      float(np.max(content_x)))
    timings["build_network_s"] = time.perf_counter() - t

    frames_per_s = fc.sr / fc.hop_length
    chunk_frames = max(int(rc.max_chunk_s * frames_per_s), min_frames)
    overlap_frames = min(int(rc.chunk_overlap_s * frames_per_s), chunk_frames // 2)
    bounds = chunk_bounds(len(content_x), chunk_frames, overlap_frames, min_frames)

    lower = rep.lower_bound if oc.nonnegative else None
    t = time.perf_counter()
    chunks, runs = [], []
    style_targets = losses.style_targets(network, style_x, fc)  # Shared by the chunks.
    for i, (start, stop) in enumerate(bounds):
        objective = losses.TransferObjective(network, content_x[start:stop], style_x,
                                             config.loss, fc, style_targets, seed=rc.seed)
        x0 = initial_features(content_x[start:stop], oc.init, oc.init_scale, rc.seed + i)
        desc = "optimise" if len(bounds) == 1 else f"optimise {i + 1}/{len(bounds)}"
        res = optimize.optimize(objective, x0, oc, lower=lower, progress=progress, desc=desc,
                                cache=compiled)
        chunks.append(res.x)
        runs.append(dict(frames=[start, stop], loss=res.loss, terms=res.terms,
                         history=res.history, n_evaluations=res.n_evaluations,
                         seconds=res.seconds, message=res.message,
                         first_call_s=res.first_call_s, evaluation_s=res.evaluation_s,
                         backend=res.backend, backend_ms=res.backend_ms))
    x = crossfade(chunks, bounds, len(content_x))
    timings["optimise_s"] = time.perf_counter() - t
    timings.update(compile_and_evaluation_times(runs))

    t = time.perf_counter()
    mag = rep.synthesise(x)
    timings["invert_features_s"] = time.perf_counter() - t

    t = time.perf_counter()
    length = len(y_content)
    if pc.phase == "content":
        y = phase.with_phase_of(mag, y_content, fc.n_fft, fc.hop_length, length)
    else:
        y = phase.griffin_lim(mag, fc.n_fft, fc.hop_length, pc.griffin_lim_iters,
                              pc.griffin_lim_momentum, rc.seed, length, progress,
                              compiled_blocks=cache.griffin_lim_blocks)
    timings["phase_s"] = time.perf_counter() - t
    convergence = metrics.spectral_convergence(mag, y, fc.n_fft, fc.hop_length)
    y = audio.normalize_peak(y)
    timings["total_s"] = time.perf_counter() - t0

    record = dict(
        content=content_name, style=style_name, config=dataclasses.asdict(config),
        seed=rc.seed, sr=fc.sr, content_seconds=len(y_content) / fc.sr,
        style_seconds=len(y_style) / fc.sr, output_seconds=len(y) / fc.sr,
        n_frames=len(content_x), chunks=runs, loss_history=[h for r in runs for h in r["history"]],
        final_loss=float(sum(r["loss"] for r in runs)),
        spectral_convergence=convergence, timings=timings,
        environment=outputs.environment())
    return TransferResult(audio=y, sr=fc.sr, magnitude=mag, content_magnitude=content_mag,
                          style_magnitude=style_mag, record=record)
