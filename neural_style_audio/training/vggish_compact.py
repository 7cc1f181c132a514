"""Training the compact VGGish shipped in vggish_loss/weights/.

The official VGGish cannot be downloaded offline, so the package ships a
VGGish-*architecture* network (same layers and names, reduced widths) trained
here on a task we can generate: which General-MIDI instrument plays a single
note. Data are single notes rendered with FluidR3_GM (neural_style_audio.synth),
turned into exact VGGish log-mel examples (vggish_loss.frontend); the split is
by pitch, so held-out accuracy measures generalisation to unseen notes.

    data = NoteDataConfig()                 # 16 instruments x ~32 pitches x 3 velocities
    result = train_compact(data, TrainConfig(), cache_dir="outputs/cache")
    save_trained(result, "vggish_loss/weights")

The classifier head is a cosine (normalised-softmax) layer on the 128-d fc2
embedding: training then makes instruments separate by *angle*, which is what
cosine similarity of embeddings measures. It is shipped beside the embedding
model (compact.classifier.npz), not inside it, so `load_compact()` still
returns examples -> [n, 128].
"""
import dataclasses
import hashlib
import json
import time
from pathlib import Path
from typing import Callable, Dict, Optional, Sequence, Tuple

import keras
import numpy as np
import tensorflow as tf

from neural_style_audio.training import loop
from vggish_loss import frontend, loading, params
from vggish_loss import model as vggish_model

# ----------------------------------------------------------------------------
# Data: single notes on General-MIDI instruments.
# ----------------------------------------------------------------------------
# name -> (GM program, lowest MIDI pitch, highest MIDI pitch). Ranges are the
# usual playing ranges, trimmed where FluidR3_GM sounds poor (extreme keys).
INSTRUMENT_RANGES = {
    "piano": (0, 36, 96),
    "electric_piano": (4, 36, 91),
    "harpsichord": (6, 41, 89),
    "vibraphone": (11, 53, 89),
    "marimba": (12, 45, 96),
    "organ": (19, 36, 91),
    "nylon_guitar": (24, 40, 83),
    "steel_guitar": (25, 40, 83),
    "acoustic_bass": (32, 28, 60),
    "violin": (40, 55, 96),
    "viola": (41, 48, 84),
    "cello": (42, 36, 76),
    "trumpet": (56, 52, 84),
    "trombone": (57, 40, 74),
    "french_horn": (60, 41, 77),
    "alto_sax": (65, 49, 81),
    "oboe": (68, 58, 91),
    "bassoon": (70, 34, 75),
    "clarinet": (71, 50, 91),
    "flute": (73, 60, 96),
}
# Sixteen classes over the families (keys, mallets, organ, plucked, bowed,
# brass, reeds, flute). Viola / French horn / bassoon / steel guitar are left
# out of the default: near-duplicates of violin / trombone / cello / nylon
# guitar in a single-note task.
DEFAULT_INSTRUMENTS = (
    "piano", "electric_piano", "harpsichord", "vibraphone", "marimba", "organ",
    "nylon_guitar", "acoustic_bass", "violin", "cello", "trumpet", "trombone",
    "alto_sax", "oboe", "clarinet", "flute")
DEFAULT_VELOCITIES = (60, 90, 120)
DEFAULT_NUM_PITCHES = 32
# Every 4th pitch of an instrument's list is held out, starting at index 2, so
# the lowest and highest pitches are always trained on: held-out notes are
# unseen pitches *inside* the trained range.
DEFAULT_HELD_OUT_EVERY = 4

# Rendering geometry. At 60 bpm one beat is one second, so beats are seconds.
RENDER_SAMPLE_RATE = 22050  # The project's rate; resampled to 16 kHz after.
RENDER_TEMPO_BPM = 60.0
NOTE_SLOT_S = 2.0  # One note per slot: note, release, silence.
NOTE_PRE_ROLL_S = 0.1  # Silence kept before each onset.
NOTE_DURATION_S = 1.25  # Note-on to note-off.
SEGMENT_S = 1.4  # Audio kept per note, from NOTE_PRE_ROLL_S before its onset.
SEGMENT_SAMPLES = int(round(SEGMENT_S * params.SAMPLE_RATE))
# Samples that give exactly one 96-frame example (no padding).
EXAMPLE_SAMPLES = (params.STFT_WINDOW_LENGTH_SAMPLES
                   + (params.NUM_FRAMES - 1) * params.STFT_HOP_LENGTH_SAMPLES)
MAX_SHIFT_SAMPLES = SEGMENT_SAMPLES - EXAMPLE_SAMPLES
# Shifts of "onset" crops: the example starts at most 0.05 s after the
# segment, so the attack is inside it.
ONSET_SHIFT_SAMPLES = int(round(0.05 * params.SAMPLE_RATE))
# Every note is peak-normalised to this before augmentation (as render_melody
# normalises a clip), so gain augmentation spans [gain range] below it.
NOTE_PEAK_LEVEL = 0.9
# Bumped whenever rendering changes, so stale caches are not reused.
CACHE_VERSION = 1


class TrainingDataError(ValueError):
    """Bad data settings (unknown instrument, too few pitches or classes)."""


@dataclasses.dataclass(frozen=True)
class NoteDataConfig:
    """Which notes to render and how to split them.

    Attributes:
      instruments: names in INSTRUMENT_RANGES (the classes, in label order).
      num_pitches: pitches per instrument, evenly spaced over its range
        (fewer if the range has fewer semitones).
      velocities: MIDI velocities rendered for every pitch.
      held_out_every: every n-th pitch (from index n // 2) is held out.
    """
    instruments: Tuple[str, ...] = DEFAULT_INSTRUMENTS
    num_pitches: int = DEFAULT_NUM_PITCHES
    velocities: Tuple[int, ...] = DEFAULT_VELOCITIES
    held_out_every: int = DEFAULT_HELD_OUT_EVERY

    def __post_init__(self):
        object.__setattr__(self, "instruments", tuple(self.instruments))
        object.__setattr__(self, "velocities", tuple(int(v) for v in self.velocities))
        unknown = [n for n in self.instruments if n not in INSTRUMENT_RANGES]
        if unknown:
            raise TrainingDataError(
                f"unknown instrument(s) {', '.join(unknown)}; choose from "
                f"{', '.join(INSTRUMENT_RANGES)}")
        if len(set(self.instruments)) < 2:
            raise TrainingDataError(f"need at least 2 distinct instruments, got "
                                    f"{list(self.instruments)}")
        if self.num_pitches < 1 or not self.velocities:
            raise TrainingDataError("need num_pitches >= 1 and at least one velocity")
        if not all(1 <= v <= 127 for v in self.velocities):
            raise TrainingDataError(f"velocities must be in 1..127: {self.velocities}")
        if self.held_out_every < 2:
            raise TrainingDataError(f"held_out_every must be >= 2, got "
                                    f"{self.held_out_every}")

    def to_dict(self):
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Network widths, optimiser and augmentation.

    Attributes:
      width_multiplier: scales the official conv widths (0.25 -> 16..128).
      fc_units: units of fc1_1 and fc1_2 (None: width_multiplier x 4096).
      epochs: passes over the training notes.
      batch_size: examples per Adam step.
      learning_rate: Adam peak rate, cosine-decayed to 5% over the run.
      dropout: after fc1_1 and fc1_2, training graph only.
      cosine_scale: logit scale of the cosine classifier.
      onset_probability: share of examples cropped at the onset (shift
        <= 0.05 s); the others are shifted uniformly over 0-0.46 s.
      gain_db_range: random gain, dB re the note's peak NOTE_PEAK_LEVEL.
      noise_probability: chance of adding white noise to an example.
      noise_db_range: its RMS, dB re full scale, drawn uniformly.
      seed: seeds numpy, Python and TF.
    """
    width_multiplier: float = 0.25
    fc_units: Optional[int] = 256
    epochs: int = 20
    batch_size: int = 32
    learning_rate: float = 1e-3
    dropout: float = 0.3
    cosine_scale: float = 16.0
    onset_probability: float = 0.25
    gain_db_range: Tuple[float, float] = (-30.0, 0.0)
    noise_probability: float = 0.5
    noise_db_range: Tuple[float, float] = (-90.0, -50.0)
    seed: int = 0

    def vggish_config(self):
        """The VGGishConfig of the embedding network."""
        base = vggish_model.VGGishConfig.from_width_multiplier(self.width_multiplier)
        if self.fc_units is None:
            return base
        return vggish_model.VGGishConfig(base.conv_channels,
                                         (self.fc_units,) * len(params.FC_UNITS))

    def to_dict(self):
        return dataclasses.asdict(self)


def instrument_pitches(instrument, num_pitches):
    """Pitches rendered for an instrument: evenly spaced over its range.

    Args:
      instrument: name in INSTRUMENT_RANGES.
      num_pitches: how many (at most one per semitone).

    Returns:
      list of distinct ascending MIDI pitches.
    """
    _, low, high = INSTRUMENT_RANGES[instrument]
    if num_pitches == 1:
        return [int(round((low + high) / 2))]
    return sorted({int(p) for p in np.round(np.linspace(low, high, num_pitches))})


def held_out_mask(num_pitches, held_out_every):
    """Which positions of an ascending pitch list are held out.

    Args:
      num_pitches: length of the list.
      held_out_every: every n-th position, starting at n // 2.

    Returns:
      [num_pitches] bool array.
    """
    index = np.arange(num_pitches)
    return index % held_out_every == held_out_every // 2


def _cache_path(cache_dir, instrument, velocity, pitches, soundfont):
    """Cache file of one (instrument, velocity) rendering; the name hashes settings."""
    program = INSTRUMENT_RANGES[instrument][0]
    font = Path(soundfont)
    key = json.dumps([CACHE_VERSION, program, velocity, list(pitches), RENDER_SAMPLE_RATE,
                      NOTE_SLOT_S, NOTE_PRE_ROLL_S, NOTE_DURATION_S, SEGMENT_S,
                      font.name, font.stat().st_size])
    digest = hashlib.sha1(key.encode()).hexdigest()[:10]
    return Path(cache_dir) / f"{instrument}-v{velocity}-{digest}.npz"


def render_notes(instrument, pitches, velocity, soundfont=None, cache_dir=None):
    """Renders single notes of one instrument, cut into per-note 16 kHz segments.

    All pitches are rendered in one fluidsynth call (one note per NOTE_SLOT_S;
    render_melody peak-normalises the whole file, so relative levels across
    pitches are kept), resampled to 16 kHz, then cut into segments that start
    NOTE_PRE_ROLL_S before each onset.

    Args:
      instrument: name in INSTRUMENT_RANGES.
      pitches: MIDI pitches.
      velocity: MIDI velocity.
      soundfont: .sf2 path or None (synth.find_soundfont).
      cache_dir: directory for .npz caches, or None for no caching.

    Returns:
      [len(pitches), SEGMENT_SAMPLES] float32 at params.SAMPLE_RATE.

    Raises:
      neural_style_audio.synth.SynthUnavailableError: no fluidsynth / SoundFont.
    """
    from neural_style_audio import synth  # Optional part of the distribution.
    soundfont = synth.find_soundfont(soundfont)
    cache = None
    if cache_dir is not None:
        cache = _cache_path(cache_dir, instrument, velocity, pitches, soundfont)
        if cache.is_file():
            with np.load(cache) as stored:
                return stored["segments"].astype(np.float32)
    notes = [(int(p), i * NOTE_SLOT_S + NOTE_PRE_ROLL_S, NOTE_DURATION_S)
             for i, p in enumerate(pitches)]
    audio = synth.render_melody(notes, INSTRUMENT_RANGES[instrument][0],
                                sr=RENDER_SAMPLE_RATE, tempo_bpm=RENDER_TEMPO_BPM,
                                velocity=velocity, soundfont=soundfont)
    audio = frontend.resample_to_vggish_rate(audio, RENDER_SAMPLE_RATE)
    slot = int(round(NOTE_SLOT_S * params.SAMPLE_RATE))
    audio = np.pad(audio, (0, max(0, len(pitches) * slot - len(audio))))
    segments = np.stack([audio[i * slot:i * slot + SEGMENT_SAMPLES]
                         for i in range(len(pitches))]).astype(np.float32)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        # float16 halves the cache; its ~-66 dB relative error is far below
        # anything the log-mel (floor log 0.01) resolves.
        np.savez(cache, segments=segments.astype(np.float16), pitches=np.asarray(pitches))
    return segments


@dataclasses.dataclass
class NoteDataset:
    """Rendered notes and their labels.

    Attributes:
      segments: [n, SEGMENT_SAMPLES] float32 16 kHz audio, onset at
        NOTE_PRE_ROLL_S, each peak-normalised to NOTE_PEAK_LEVEL.
      labels: [n] int class index (position in classes).
      pitches: [n] MIDI pitch.
      velocities: [n] MIDI velocity.
      held_out: [n] bool, True for held-out pitches.
      classes: instrument names.
      pitches_by_instrument: name -> {"train": [...], "held_out": [...]}.
    """
    segments: np.ndarray
    labels: np.ndarray
    pitches: np.ndarray
    velocities: np.ndarray
    held_out: np.ndarray
    classes: Tuple[str, ...]
    pitches_by_instrument: Dict[str, Dict[str, list]]


def build_dataset(data_config, soundfont=None, cache_dir=None, log=print):
    """Renders (or reads from cache) every note of a NoteDataConfig.

    Args:
      data_config: NoteDataConfig.
      soundfont: .sf2 path or None.
      cache_dir: render cache directory or None.
      log: callable taking one line of progress.

    Returns:
      NoteDataset.
    """
    segments, labels, pitches, velocities, held_out = [], [], [], [], []
    split = {}
    for label, instrument in enumerate(data_config.instruments):
        notes = instrument_pitches(instrument, data_config.num_pitches)
        mask = held_out_mask(len(notes), data_config.held_out_every)
        split[instrument] = {"train": [p for p, h in zip(notes, mask) if not h],
                             "held_out": [p for p, h in zip(notes, mask) if h]}
        for velocity in data_config.velocities:
            segments.append(render_notes(instrument, notes, velocity, soundfont, cache_dir))
            labels += [label] * len(notes)
            pitches += notes
            velocities += [velocity] * len(notes)
            held_out += list(mask)
        log(f"  {instrument:<15} {len(notes)} pitches {notes[0]}-{notes[-1]} "
            f"({int(mask.sum())} held out) x {len(data_config.velocities)} velocities")
    segments = np.concatenate(segments)
    peaks = np.max(np.abs(segments), axis=1, keepdims=True)
    segments *= NOTE_PEAK_LEVEL / np.maximum(peaks, 1e-6)
    return NoteDataset(segments, np.asarray(labels, np.int32),
                       np.asarray(pitches, np.int32), np.asarray(velocities, np.int32),
                       np.asarray(held_out, bool), tuple(data_config.instruments), split)


# ----------------------------------------------------------------------------
# Examples and augmentation.
# ----------------------------------------------------------------------------
def crop_examples(segments, shift_samples):
    """Cuts one example's worth of audio from each segment.

    Args:
      segments: [n, SEGMENT_SAMPLES] audio.
      shift_samples: [n] int start offsets in 0..MAX_SHIFT_SAMPLES.

    Returns:
      [n, EXAMPLE_SAMPLES] float32.
    """
    index = np.asarray(shift_samples)[:, None] + np.arange(EXAMPLE_SAMPLES)[None, :]
    return np.take_along_axis(segments, index, axis=1).astype(np.float32)


def augment(segments, rng, config):
    """Random time shift, gain and white noise (numpy, before the front end).

    Args:
      segments: [n, SEGMENT_SAMPLES] audio.
      rng: numpy Generator.
      config: TrainConfig (gain / noise ranges).

    Returns:
      [n, EXAMPLE_SAMPLES] float32 audio.
    """
    n = len(segments)
    # Shifts go up to 0.46 s: the example then starts well after the onset,
    # as a frame cut from the middle of a note would.
    onset = rng.random(n) < config.onset_probability
    shifts = np.where(onset, rng.integers(0, ONSET_SHIFT_SAMPLES + 1, n),
                      rng.integers(0, MAX_SHIFT_SAMPLES + 1, n))
    audio = crop_examples(segments, shifts)
    gain_db = rng.uniform(*config.gain_db_range, n)
    audio *= (10.0 ** (gain_db / 20.0))[:, None].astype(np.float32)
    noisy = rng.random(n) < config.noise_probability
    noise_rms = 10.0 ** (rng.uniform(*config.noise_db_range, n) / 20.0) * noisy
    audio += (rng.standard_normal(audio.shape) * noise_rms[:, None]).astype(np.float32)
    return audio


def waveforms_to_examples(audio):
    """Exact VGGish log-mel examples of one-example-long waveforms.

    Args:
      audio: [n, EXAMPLE_SAMPLES] 16 kHz audio.

    Returns:
      [n, 96, 64, 1] float32 tensor.
    """
    log_mel = frontend.waveform_to_log_mel(tf.convert_to_tensor(audio, tf.float32))
    return log_mel[..., tf.newaxis]


def evaluation_examples(segments):
    """The unaugmented example of each note: starts NOTE_PRE_ROLL_S before the onset.

    Args:
      segments: [n, SEGMENT_SAMPLES].

    Returns:
      [n, 96, 64, 1] tensor.
    """
    chunks = [waveforms_to_examples(crop_examples(chunk, np.zeros(len(chunk), int)))
              for chunk in np.array_split(segments, max(1, int(np.ceil(len(segments) / 256))))]
    return tf.concat(chunks, axis=0)


# ----------------------------------------------------------------------------
# Classifier head and training.
# ----------------------------------------------------------------------------
def cosine_logits(embeddings, kernel, scale):
    """Normalised-softmax logits: scale * cos(embedding, class vector).

    Args:
      embeddings: [n, embedding_size].
      kernel: [embedding_size, num_classes] class vectors.
      scale: logit scale.

    Returns:
      [n, num_classes].
    """
    return scale * tf.matmul(tf.math.l2_normalize(embeddings, axis=-1),
                             tf.math.l2_normalize(kernel, axis=0))


class CosineClassifier(keras.layers.Layer):
    """Dense layer without bias on L2-normalised inputs and class vectors."""

    def __init__(self, num_classes, scale, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = int(num_classes)
        self.scale = float(scale)

    def build(self, input_shape):
        self.kernel = self.add_weight(
            name="kernel", shape=(int(input_shape[-1]), self.num_classes),
            initializer="glorot_uniform")

    def call(self, embeddings):
        return cosine_logits(embeddings, self.kernel, self.scale)


def build_classifier(embedding_model, num_classes, dropout, scale):
    """Training graph: the embedding network's layers, dropout after fc1_*, a cosine head.

    The layers are shared with `embedding_model`, so training this graph
    trains it; dropout exists only here.

    Args:
      embedding_model: a model from build_vggish.
      num_classes: classes.
      dropout: rate after fc1_1 and fc1_2.
      scale: cosine logit scale.

    Returns:
      (keras.Model examples -> logits, CosineClassifier).
    """
    fc_names = {vggish_model.keras_layer_name(n) for n in params.FC_LAYER_NAMES}
    net = inputs = keras.Input(embedding_model.input_shape[1:])
    for layer in embedding_model.layers[1:]:
        net = layer(net)
        if layer.name in fc_names and dropout > 0:
            net = keras.layers.Dropout(dropout, name=f"{layer.name}_dropout")(net)
    head = CosineClassifier(num_classes, scale, name="instrument_classifier")
    return keras.Model(inputs, head(net), name="vggish_compact_classifier"), head


def confusion_matrix(labels, predictions, num_classes):
    """[true, predicted] counts.

    Args:
      labels: [n] int.
      predictions: [n] int.
      num_classes: matrix size.

    Returns:
      [num_classes, num_classes] int array.
    """
    matrix = np.zeros((num_classes, num_classes), dtype=int)
    np.add.at(matrix, (np.asarray(labels), np.asarray(predictions)), 1)
    return matrix


def top_confusions(matrix, classes, count=8):
    """The largest off-diagonal cells as (true, predicted, n), largest first."""
    cells = [(int(matrix[i, j]), classes[i], classes[j])
             for i in range(len(classes)) for j in range(len(classes))
             if i != j and matrix[i, j] > 0]
    return [(t, p, n) for n, t, p in sorted(cells, reverse=True)[:count]]


def predict(classifier, examples, batch_size=128):
    """Class indices of examples under the training graph (dropout off)."""
    logits = [classifier(examples[i:i + batch_size], training=False)
              for i in range(0, int(examples.shape[0]), batch_size)]
    return np.argmax(np.concatenate(logits), axis=-1)


@dataclasses.dataclass
class TrainResult:
    """What train_compact produced.

    Attributes:
      model: the embedding network (build_vggish), trained.
      head_kernel: [embedding_size, num_classes] cosine-classifier vectors.
      metadata: JSON-ready record (data, split, config, accuracies, confusion, time).
    """
    model: keras.Model
    head_kernel: np.ndarray
    metadata: dict


def train_compact(data_config, train_config, soundfont=None, cache_dir=None,
                  log: Callable[[str], None] = print, extra_metadata=None):
    """Renders the notes, trains the compact VGGish + head, evaluates it.

    Args:
      data_config: NoteDataConfig.
      train_config: TrainConfig.
      soundfont: .sf2 path or None.
      cache_dir: render cache directory or None.
      log: progress sink, one line per call.
      extra_metadata: dict merged into the metadata (e.g. the command line).

    Returns:
      TrainResult.
    """
    start = time.perf_counter()
    # Keras' weight initialisers and dropout draw from its global seed; the command
    # (cli/train_vggish_compact.py) seeds it, the library leaves global state alone.
    rng = np.random.default_rng(train_config.seed)
    log(f"rendering {len(data_config.instruments)} instruments "
        f"(cache: {cache_dir or 'off'})")
    data = build_dataset(data_config, soundfont, cache_dir, log)
    render_s = time.perf_counter() - start
    train_index = np.flatnonzero(~data.held_out)
    held_index = np.flatnonzero(data.held_out)
    log(f"{len(data.labels)} notes: {len(train_index)} train, {len(held_index)} held out "
        f"(rendered in {render_s:.0f} s)")

    model = vggish_model.build_vggish(train_config.vggish_config(), name="vggish_compact")
    classifier, head = build_classifier(model, len(data.classes), train_config.dropout,
                                        train_config.cosine_scale)
    steps_per_epoch = max(1, int(np.ceil(len(train_index) / train_config.batch_size)))
    schedule = keras.optimizers.schedules.CosineDecay(
        train_config.learning_rate, steps_per_epoch * train_config.epochs, alpha=0.05)
    optimizer = keras.optimizers.Adam(schedule)

    eval_examples = evaluation_examples(data.segments)

    def accuracy(index):
        if len(index) == 0:
            return None, np.zeros(0, int)
        predicted = predict(classifier, tf.gather(eval_examples, index))
        return float(np.mean(predicted == data.labels[index])), predicted

    def evaluate():
        held, _ = accuracy(held_index)
        return {"held_out_accuracy": held}

    train_start = time.perf_counter()
    history = loop.fit_classifier(
        classifier, data.labels, train_index,
        lambda batch, rng: augment(data.segments[batch], rng, train_config), optimizer,
        loop.LoopConfig(train_config.epochs, train_config.batch_size), rng,
        preprocess=waveforms_to_examples, evaluate=evaluate, log=log)
    for record in history:  # The name the model card has always used.
        record["augmented_train_accuracy"] = record.pop("train_accuracy")
    train_s = time.perf_counter() - train_start

    train_accuracy, _ = accuracy(train_index)
    held_accuracy, held_predicted = accuracy(held_index)
    num_classes = len(data.classes)
    confusion = confusion_matrix(data.labels[held_index], held_predicted, num_classes)
    per_class = {name: (float(confusion[i, i] / confusion[i].sum())
                        if confusion[i].sum() else None)
                 for i, name in enumerate(data.classes)}
    metadata = {
        "description": (
            "Compact VGGish-architecture network (not the official AudioSet VGGish), "
            "trained as a General-MIDI instrument classifier on single FluidR3_GM notes; "
            "the embedding is fc2 (pre-activation), the cosine classifier head is "
            "stored separately."),
        "task": "instrument classification of single notes",
        "classes": list(data.classes),
        "programs": {n: INSTRUMENT_RANGES[n][0] for n in data.classes},
        "data": {
            **data_config.to_dict(),
            "soundfont": Path(soundfont or _default_soundfont()).name,
            "render_sample_rate": RENDER_SAMPLE_RATE,
            "note_duration_s": NOTE_DURATION_S, "segment_s": SEGMENT_S,
            "pre_roll_s": NOTE_PRE_ROLL_S,
            "num_notes": int(len(data.labels)), "num_train": int(len(train_index)),
            "num_held_out": int(len(held_index)),
            "split": "by pitch: held-out pitches are never rendered into training",
            "pitches": data.pitches_by_instrument,
        },
        "training": {**train_config.to_dict(),
                     "vggish_config": train_config.vggish_config().to_dict(),
                     "optimizer": "Adam, cosine-decayed learning rate",
                     "head": "cosine classifier (normalised softmax) on fc2",
                     "augmentation": ("per-note peak normalisation, then time "
                                      "shift (onset crops or 0-0.46 s), gain, "
                                      "white noise"),
                     "num_parameters": int(model.count_params())},
        "results": {
            "train_accuracy": train_accuracy, "held_out_accuracy": held_accuracy,
            "chance_accuracy": 1.0 / num_classes,
            "evaluation": "one unaugmented example per note, starting 0.1 s before onset",
            "held_out_per_class_accuracy": per_class,
            "held_out_confusion_matrix": confusion.tolist(),
            "confusion_axes": "rows true class, columns predicted, order of classes",
            "held_out_top_confusions": top_confusions(confusion, data.classes),
            "history": history,
        },
        "time": {"render_s": round(render_s, 1), "train_s": round(train_s, 1),
                 "total_s": round(time.perf_counter() - start, 1)},
        "versions": {"tensorflow": tf.__version__, "keras": keras.__version__},
        **(extra_metadata or {}),
    }
    return TrainResult(model, head.kernel.numpy(), metadata)


def _default_soundfont():
    from neural_style_audio import synth
    return synth.find_soundfont()


# ----------------------------------------------------------------------------
# Saving / loading.
# ----------------------------------------------------------------------------
CLASSIFIER_SUFFIX = ".classifier.npz"


def classifier_path(weights_path):
    """Head file beside the weights: compact.weights.h5 -> compact.classifier.npz."""
    config_path = loading.compact_config_path(weights_path)
    return config_path.with_name(config_path.stem + CLASSIFIER_SUFFIX)


def save_trained(result, output_dir, weights_filename=params.COMPACT_WEIGHTS_FILENAME):
    """Writes the embedding model (save_compact) and the classifier head.

    Args:
      result: TrainResult.
      output_dir: directory (created).
      weights_filename: must end in '.weights.h5'.

    Returns:
      (weights Path, config Path, classifier Path).
    """
    weights_path = Path(output_dir) / weights_filename
    weights_path, config_path = loading.save_compact(result.model, weights_path,
                                                     metadata=result.metadata)
    head_path = classifier_path(weights_path)
    np.savez(head_path, kernel=result.head_kernel.astype(np.float32),
             scale=np.float32(result.metadata["training"]["cosine_scale"]),
             classes=np.asarray(result.metadata["classes"]))
    return weights_path, config_path, head_path


def load_classifier(weights_path=loading.COMPACT_WEIGHTS_PATH):
    """Loads the compact model's instrument classifier head.

    Args:
      weights_path: the compact .weights.h5 (the head sits beside it).

    Returns:
      (kernel [embedding_size, num_classes], scale, classes tuple); logits are
      cosine_logits(embeddings, kernel, scale).

    Raises:
      VGGishLoadError: the head file is missing.
    """
    path = classifier_path(weights_path)
    if not path.is_file():
        raise loading.VGGishLoadError(f"compact VGGish classifier head not found: {path}")
    with np.load(path) as stored:
        return (stored["kernel"], float(stored["scale"]),
                tuple(str(c) for c in stored["classes"]))


def file_sizes_mb(paths: Sequence[Path]):
    """{file name: size in MB}."""
    return {Path(p).name: round(Path(p).stat().st_size / 1e6, 3) for p in paths}
