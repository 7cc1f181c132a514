"""Converting audio of any length with a trained CycleGAN generator.

The generator is fully convolutional but was trained on crops, and InstanceNorm
takes its statistics over the whole input: so a clip is cut into crop-sized chunks
that overlap, converted as one batch, and stitched back with linear crossfades over
the overlaps (in the [-1, 1] image domain). Clips shorter than a chunk are padded with
silence and cut back. The magnitude is then turned into audio with Griffin-Lim or
with the content's own phase; the output has exactly the input's number of samples.
"""
import json
from pathlib import Path

import numpy as np

from neural_style_audio.cyclegan import data, models
from neural_style_audio.cyclegan.config import CycleGANConfig, ConfigError, PHASES

CONFIG_NAME = "cyclegan.json"
CHECKPOINT_DIR = "checkpoints"
DIRECTIONS = ("a2b", "b2a")
GENERATOR_FILES = {d: f"generator_{d}.weights.h5" for d in DIRECTIONS}
BATCH_CHUNKS = 16  # Chunks per generator call.


class ModelLoadError(ValueError):
    """A --model that is not a CycleGAN run folder or exported generator (one line)."""


def chunk_starts(n_frames, chunk_frames, overlap_frames):
    """First frames of overlapping chunks covering [0, n_frames); the last one ends at
    n_frames. One chunk (start 0) when n_frames <= chunk_frames."""
    if n_frames <= chunk_frames:
        return [0]
    step = chunk_frames - overlap_frames
    starts = list(range(0, n_frames - chunk_frames, step))
    return starts + [n_frames - chunk_frames]


def crossfade_weights(chunk_frames, overlap_frames, first, last):
    """[chunk_frames] weights: linear ramps over the overlaps at inner edges only."""
    w = np.ones(chunk_frames, np.float32)
    if overlap_frames > 0:
        ramp = (np.arange(overlap_frames, dtype=np.float32) + 0.5) / overlap_frames
        if not first:
            w[:overlap_frames] = ramp
        if not last:
            w[-overlap_frames:] = ramp[::-1]
    return w


def convert_image(generator, image, chunk_frames, overlap_frames=None):
    """Runs `generator` over an image of any length.

    Args:
      generator: keras.Model [batch, frames, bins, 1] -> same.
      image: [frames, bins] in [-1, 1].
      chunk_frames: frames per chunk (a multiple of 4; the training crop length).
      overlap_frames: frames shared by neighbouring chunks (default chunk / 2).

    Returns:
      [frames, bins] float32, the same frames as `image`.
    """
    if chunk_frames % 4 or chunk_frames < 8:
        raise ValueError(f"chunk_frames {chunk_frames}: a multiple of 4, at least 8")
    overlap = chunk_frames // 2 if overlap_frames is None else int(overlap_frames)
    if not 0 <= overlap < chunk_frames:
        raise ValueError(f"overlap_frames {overlap}: must be in 0..chunk_frames-1")
    image = np.asarray(image, np.float32)
    n_frames, bins = image.shape
    padded = max(n_frames, chunk_frames)
    work = np.pad(image, [[0, padded - n_frames], [0, 0]], constant_values=-1.0)
    starts = chunk_starts(padded, chunk_frames, overlap)
    chunks = np.stack([work[s:s + chunk_frames] for s in starts])[..., None]
    outputs = []
    for i in range(0, len(chunks), BATCH_CHUNKS):
        outputs.append(np.asarray(generator(chunks[i:i + BATCH_CHUNKS], training=False)))
    outputs = np.concatenate(outputs)[..., 0]
    total = np.zeros_like(work)
    weight = np.zeros(padded, np.float32)
    for k, (s, out) in enumerate(zip(starts, outputs)):
        w = crossfade_weights(chunk_frames, overlap, k == 0, k == len(starts) - 1)
        total[s:s + chunk_frames] += w[:, None] * out
        weight[s:s + chunk_frames] += w
    return (total / weight[:, None])[:n_frames]


def image_to_waveform(image, spec, n_samples, phase="griffin_lim", content=None,
                      n_iter=100, seed=0):
    """An image back to [n_samples] audio: Griffin-Lim, or the content's phase."""
    from neural_style_audio import phase as phase_lib
    if phase not in PHASES:
        raise ConfigError(f"--phase {phase}: choose from {', '.join(PHASES)}")
    mag = data.image_to_magnitude(image, spec)
    if phase == "content":
        return phase_lib.with_phase_of(mag, content, spec.n_fft, spec.hop_length, n_samples)
    return phase_lib.griffin_lim(mag, spec.n_fft, spec.hop_length, n_iter=n_iter, seed=seed,
                                 length=n_samples, progress=False)


def convert_waveform(generator, y, spec, phase="griffin_lim", n_iter=100, chunk_frames=None,
                     overlap_frames=None, seed=0):
    """Converts a waveform of any length (at spec.sr) into the other domain.

    Returns:
      [len(y)] float32 waveform.
    """
    y = np.asarray(y, np.float32)
    peak = max(float(np.max(np.abs(y))), 1e-9)
    y_norm = data.PEAK_LEVEL * y / peak  # As in training (data.load_clip).
    image = data.waveform_to_image(y_norm, spec)
    chunk = chunk_frames or spec.crop_frames
    converted = convert_image(generator, image, chunk, overlap_frames)
    return image_to_waveform(converted, spec, len(y), phase, y_norm, n_iter, seed)


def convert_at_rate(generator, y, sr, spec, **kwargs):
    """`convert_waveform` for a waveform at rate `sr` (resampled to the model's rate
    and back when they differ). Returns [len(y)] at `sr`."""
    from neural_style_audio import audio
    if sr == spec.sr:
        return convert_waveform(generator, y, spec, **kwargs)
    out = convert_waveform(generator, audio.resample(np.asarray(y, np.float32), sr, spec.sr),
                           spec, **kwargs)
    return np.resize(audio.resample(out, spec.sr, sr), len(y)).astype(np.float32)


# --- Loading trained generators ----------------------------------------------------

def read_run_config(folder):
    """The CycleGANConfig in `folder`/cyclegan.json (ModelLoadError if absent/bad)."""
    path = Path(folder) / CONFIG_NAME
    if not path.is_file():
        raise ModelLoadError(f"{folder}: no {CONFIG_NAME} (not a CycleGAN run folder "
                             "written by train_cyclegan.py)")
    try:
        record = json.loads(path.read_text())
        return CycleGANConfig.from_dict(record["config"])
    except (ValueError, KeyError, TypeError) as err:
        raise ModelLoadError(f"{path}: not a CycleGAN run record ({err})") from None


def load_generator(model, direction="a2b"):
    """A trained generator and its settings.

    Args:
      model: a run folder (its latest checkpoint; or its exported weights when it has
        no checkpoint), or an exported generator_<direction>.weights.h5 with its
        cyclegan.json beside it.
      direction: 'a2b' or 'b2a' (ignored for a weights file, which is one direction).

    Returns:
      (keras.Model, CycleGANConfig).
    """
    import tensorflow as tf
    if direction not in DIRECTIONS:
        raise ModelLoadError(f"--direction {direction}: choose a2b or b2a")
    model = Path(model)
    if not model.exists():
        raise ModelLoadError(f"{model}: not found")
    if model.is_file():
        if not model.name.endswith(".weights.h5"):
            raise ModelLoadError(f"{model}: expected a run folder or a .weights.h5 file")
        config = read_run_config(model.parent)
        generator = models.build_generator(config, name=f"generator_{direction}")
        try:
            generator.load_weights(str(model))
        except (ValueError, OSError) as err:
            raise ModelLoadError(f"{model}: cannot load ({str(err).splitlines()[0]})") from None
        return generator, config
    config = read_run_config(model)
    generator = models.build_generator(config, name=f"generator_{direction}")
    latest = tf.train.latest_checkpoint(str(model / CHECKPOINT_DIR))
    if latest:
        checkpoint = tf.train.Checkpoint(**{f"generator_{direction}": generator})
        checkpoint.restore(latest).expect_partial().assert_existing_objects_matched()
        return generator, config
    weights = model / GENERATOR_FILES[direction]
    if weights.is_file():
        generator.load_weights(str(weights))
        return generator, config
    raise ModelLoadError(f"{model}: has no checkpoint in {CHECKPOINT_DIR}/ and no "
                         f"{GENERATOR_FILES[direction]}")
