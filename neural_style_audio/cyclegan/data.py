"""Training data: audio folders -> log-magnitude STFT images in [-1, 1] -> a tf.data
pipeline of unpaired random crops (one from each domain per example).

    spec = SpectrogramConfig()
    images_a = load_folder_images(list_audio_files("renders/piano"), spec)
    dataset = crop_dataset(images_a, images_b, spec.crop_frames, batch_size=10)

Images are [frames, bins] float32 (bins = n_fft / 2, the Nyquist bin dropped); the
pipeline adds the channel axis: batches of ([batch, crop, bins, 1], same).
"""
from pathlib import Path

import numpy as np

from neural_style_audio import audio

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".au", ".mp3", ".aiff", ".aif")
# A crop whose loudest pixel is below this (-1 = silence) is skipped: ~ -40 dB re
# full scale with the default 80-dB range. Rendered notes end in long silent tails.
SILENT_CROP_MAX = -0.5
PEAK_LEVEL = 0.9  # Clips are peak-normalised on loading, so levels are comparable.


class DataError(ValueError):
    """A training folder that cannot be used; the message is one line naming it."""


def list_audio_files(folder, role="folder", min_files=1):
    """The audio files directly in `folder`, sorted.

    Raises:
      DataError: the folder is missing, not a folder, or has fewer than `min_files`
        audio files.
    """
    folder = Path(folder)
    if not folder.exists():
        raise DataError(f"{role} {folder}: folder not found")
    if not folder.is_dir():
        raise DataError(f"{role} {folder}: not a folder")
    files = sorted(p for p in folder.iterdir()
                   if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS)
    if len(files) < min_files:
        raise DataError(f"{role} {folder}: {len(files)} audio files "
                        f"({', '.join(AUDIO_EXTENSIONS)}); need at least {min_files}")
    return files


def magnitude_to_image(mag, spec):
    """|STFT| [frames, n_fft/2 + 1] -> image [frames, n_fft/2] in [-1, 1].

    dB re the full-scale magnitude n_fft / 2 (a unit sine's peak bin under a Hann
    window), floored `spec.dynamic_range_db` below, mapped linearly to [-1, 1].
    """
    ref = spec.n_fft / 2.0
    floor = ref * 10.0 ** (-spec.dynamic_range_db / 20.0)
    db = 20.0 * np.log10(np.maximum(np.asarray(mag, np.float32)[:, :spec.n_bins], floor) / ref)
    return np.clip(1.0 + 2.0 * db / spec.dynamic_range_db, -1.0, 1.0).astype(np.float32)


def image_to_magnitude(image, spec):
    """Inverse of `magnitude_to_image`: [frames, n_fft/2] -> [frames, n_fft/2 + 1]
    linear magnitude (the Nyquist bin at the floor)."""
    image = np.clip(np.asarray(image, np.float32), -1.0, 1.0)
    db = (image - 1.0) * spec.dynamic_range_db / 2.0
    mag = (spec.n_fft / 2.0) * 10.0 ** (db / 20.0)
    floor = (spec.n_fft / 2.0) * 10.0 ** (-spec.dynamic_range_db / 20.0)
    return np.concatenate([mag, np.full((len(mag), 1), floor, np.float32)], axis=1)


def waveform_to_image(y, spec):
    """[n_samples] waveform -> [1 + n_samples // hop, n_fft/2] image."""
    from neural_style_audio import spectral
    return magnitude_to_image(spectral.magnitude(y, spec.n_fft, spec.hop_length), spec)


def load_clip(path, spec):
    """A file as a peak-normalised mono waveform at spec.sr (AudioInputError if bad)."""
    y = audio.load_audio(path, spec.sr, min_samples=spec.n_fft)
    return (PEAK_LEVEL * y / max(float(np.max(np.abs(y))), 1e-9)).astype(np.float32)


def load_folder_images(paths, spec, max_seconds=None, progress=False):
    """The images of audio files (each at least one crop long after padding).

    Args:
      paths: audio files.
      spec: SpectrogramConfig.
      max_seconds: read at most this much of each file (None = all).

    Returns:
      list of [frames, bins] float32 images.

    Raises:
      DataError: an unreadable or silent file (naming it).
    """
    from tqdm.auto import tqdm
    images = []
    for path in tqdm(list(paths), desc="spectrograms", unit="file", disable=not progress,
                     leave=False):
        try:
            y = load_clip(path, spec)
        except audio.AudioInputError as err:
            raise DataError(str(err)) from None
        if max_seconds:
            y = y[:int(max_seconds * spec.sr)]
        image = waveform_to_image(y, spec)
        if len(image) < spec.crop_frames:  # Short clips: pad with silence.
            image = np.pad(image, [[0, spec.crop_frames - len(image)], [0, 0]],
                           constant_values=-1.0)
        images.append(image)
    return images


def crop_starts(images, crop_frames, hop_frames=None):
    """(image index, first frame) of the non-silent crops of each image, every
    `hop_frames` (default crop_frames / 2) frames."""
    hop_frames = hop_frames or max(1, crop_frames // 2)
    starts = []
    for i, image in enumerate(images):
        for t in range(0, len(image) - crop_frames + 1, hop_frames):
            if image[t:t + crop_frames].max() > SILENT_CROP_MAX:
                starts.append((i, t))
    return starts


def steps_per_epoch(images_a, images_b, crop_frames, batch_size):
    """Batches in an epoch: one pass over the larger domain's crops (at least 1)."""
    n = max(len(crop_starts(images_a, crop_frames)), len(crop_starts(images_b, crop_frames)))
    return max(1, n // batch_size)


def _sampler(images, crop_frames, seed):
    """An endless generator of [crop_frames, bins] crops: shuffled crop positions with
    a random frame jitter of up to half a crop, domain by domain independently."""
    starts = crop_starts(images, crop_frames)
    if not starts:
        raise DataError("no non-silent crop in the training clips (are they silent?)")
    rng = np.random.default_rng(seed)
    jitter = max(1, crop_frames // 2)
    while True:
        for k in rng.permutation(len(starts)):
            i, t = starts[k]
            t = int(np.clip(t + rng.integers(-jitter // 2, jitter // 2 + 1), 0,
                            len(images[i]) - crop_frames))
            yield images[i][t:t + crop_frames]


def crop_dataset(images_a, images_b, crop_frames, batch_size, seed=0):
    """Endless tf.data.Dataset of unpaired batches (a, b), each [batch, crop, bins, 1].

    The two domains are sampled independently (CycleGAN needs no pairs); epochs are
    counted by the caller with `steps_per_epoch`.
    """
    import tensorflow as tf
    bins = images_a[0].shape[1]
    if images_b[0].shape[1] != bins:
        raise DataError("the two domains' spectrograms have different heights")
    signature = tf.TensorSpec((crop_frames, bins), tf.float32)

    def domain(images, domain_seed):
        return tf.data.Dataset.from_generator(
            lambda: _sampler(images, crop_frames, domain_seed), output_signature=signature)

    pairs = tf.data.Dataset.zip((domain(images_a, seed), domain(images_b, seed + 1)))
    pairs = pairs.map(lambda a, b: (a[..., None], b[..., None]))
    return pairs.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)

