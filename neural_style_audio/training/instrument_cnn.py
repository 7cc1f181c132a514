"""Training the instrument CNN shipped in neural_style_audio/networks/weights/.

Verma & Smith trained their feature network on 80 AudioSet instrument classes, which
cannot be had offline. Here it learns which General-MIDI instrument plays a sound:
single notes, chords and short phrases of many pitches, velocities and durations,
rendered with two SoundFonts (FluidR3 GM and MuseScore General), as 2.56-s segments
at 16 kHz. The network sees the transfer's own representation (log1p |STFT|, FFT 512,
hop 160, `spectral.stft`), so its activations during a transfer are those it was
trained on.

Split. Each instrument's playing range is cut by pitch: every `held_out_every`-th
semitone is held out, and an event (note, chord or phrase) is built either from
training pitches only or from held-out pitches only, so no held-out pitch is ever heard
in training, on either SoundFont. With `held_out_soundfont`, one SoundFont is left out
of training altogether: its events are all test events (a timbre the model never heard).

    data = EventDataConfig()
    result = train_instrument_cnn(data, TrainConfig(), soundfonts=find_soundfonts(),
                                  cache_dir="outputs/instrument_cnn_cache")
    instrument_cnn.save_classifier(result.model, path, result.metadata)
"""
import dataclasses
import functools
import hashlib
import json
import time
from pathlib import Path
from typing import Callable, Dict, Optional, Tuple

import keras
import numpy as np
import tensorflow as tf

from neural_style_audio import synth
from neural_style_audio.networks import instrument_cnn
from neural_style_audio.networks.vgg19 import seeded_glorot
from neural_style_audio.training import loop
from neural_style_audio.training import vggish_compact

# ----------------------------------------------------------------------------
# Classes and SoundFonts.
# ----------------------------------------------------------------------------
# name -> (GM program, lowest, highest MIDI pitch): the compact VGGish's table plus the
# harp (the paper's first content) and a choir (the nearest GM sound to a voice).
INSTRUMENT_RANGES = dict(vggish_compact.INSTRUMENT_RANGES,
                         harp=(46, 36, 91), choir_aahs=(52, 48, 79))
DEFAULT_INSTRUMENTS = synth.TRAINING_INSTRUMENTS
# SoundFont name -> file names searched in synth.SOUNDFONT_DIRS (first found wins).
SOUNDFONT_FILES = {
    "fluidr3": ("FluidR3_GM.sf2",),
    "musescore": ("MuseScore_General_Lite.sf3", "MuseScore_General.sf3"),
}

# ----------------------------------------------------------------------------
# Rendering geometry (seconds; MIDI at 60 bpm, so one beat is one second).
# ----------------------------------------------------------------------------
SAMPLE_RATE = instrument_cnn.SAMPLE_RATE
SEGMENT_SAMPLES = (instrument_cnn.SEGMENT_FRAMES - 1) * instrument_cnn.HOP_LENGTH  # 2.56 s.
SLOT_S = 4.0  # One event per slot: the segment, its release, silence.
ONSET_RANGE_S = (0.05, 0.3)  # First onset of an event, after the segment starts.
EVENT_SPAN_S = 2.2  # Every note of an event ends before this (in the segment).
NOTE_DURATION_RANGE_S = (0.15, 2.0)
VELOCITY_RANGE = (35, 127)
EVENT_KINDS = ("note", "chord", "phrase")
EVENT_KIND_SHARES = (0.4, 0.3, 0.3)
NOTE_PEAK_LEVEL = vggish_compact.NOTE_PEAK_LEVEL
CACHE_VERSION = 1  # Bumped whenever rendering changes, so stale caches are not reused.


class TrainingDataError(ValueError):
    """Bad data settings (unknown instrument or SoundFont, too few classes)."""


def find_soundfonts(names=tuple(SOUNDFONT_FILES), explicit=None):
    """{name: path} of the SoundFonts, searched as synth.find_soundfont searches.

    Args:
      names: keys of SOUNDFONT_FILES.
      explicit: optional {name: path} overriding the search.

    Raises:
      synth.SynthUnavailableError: a SoundFont is not installed.
    """
    from neural_style_audio import synth
    found = {}
    for name in names:
        if explicit and explicit.get(name):
            found[name] = synth.find_soundfont(explicit[name])
            continue
        candidates = [Path(d) / f for f in SOUNDFONT_FILES[name] for d in synth.SOUNDFONT_DIRS]
        path = next((c for c in candidates if c.is_file()), None)
        if path is None:
            raise synth.SynthUnavailableError(
                f"SoundFont '{name}' ({' or '.join(SOUNDFONT_FILES[name])}) not found in "
                f"{', '.join(synth.SOUNDFONT_DIRS)}; apt-get install fluid-soundfont-gm "
                "musescore-general-soundfont-lite")
        found[name] = str(path)
    return found


@dataclasses.dataclass(frozen=True)
class EventDataConfig:
    """Which sounds to render and how to split them.

    Attributes:
      instruments: names in INSTRUMENT_RANGES (the classes, in label order).
      soundfonts: names in SOUNDFONT_FILES.
      train_events: training events per instrument and SoundFont.
      test_events: held-out-pitch events per instrument and SoundFont.
      held_out_every: every n-th semitone of a range (from index n // 2) is held out.
      held_out_soundfont: a SoundFont left out of training ('' = none).
      seed: seeds the events (pitches, durations, velocities).
    """
    instruments: Tuple[str, ...] = DEFAULT_INSTRUMENTS
    soundfonts: Tuple[str, ...] = tuple(SOUNDFONT_FILES)
    train_events: int = 64
    test_events: int = 16
    held_out_every: int = 4
    held_out_soundfont: str = ""
    seed: int = 0

    def __post_init__(self):
        object.__setattr__(self, "instruments", tuple(self.instruments))
        object.__setattr__(self, "soundfonts", tuple(self.soundfonts))
        unknown = [n for n in self.instruments if n not in INSTRUMENT_RANGES]
        if unknown:
            raise TrainingDataError(f"unknown instrument(s) {', '.join(unknown)}; choose "
                                    f"from {', '.join(INSTRUMENT_RANGES)}")
        if len(set(self.instruments)) < 2:
            raise TrainingDataError(f"need at least 2 distinct instruments, got "
                                    f"{list(self.instruments)}")
        bad = [n for n in self.soundfonts if n not in SOUNDFONT_FILES]
        if bad or not self.soundfonts:
            raise TrainingDataError(f"unknown SoundFont(s) {', '.join(bad) or '(none)'}; "
                                    f"choose from {', '.join(SOUNDFONT_FILES)}")
        if self.held_out_soundfont and self.held_out_soundfont not in self.soundfonts:
            raise TrainingDataError(f"held-out SoundFont '{self.held_out_soundfont}' is not "
                                    f"among {list(self.soundfonts)}")
        if self.held_out_soundfont and len(self.soundfonts) < 2:
            raise TrainingDataError("holding out a SoundFont needs at least two")
        if self.train_events < 1 or self.test_events < 0:
            raise TrainingDataError("need train_events >= 1 and test_events >= 0")
        if self.held_out_every < 2:
            raise TrainingDataError(f"held_out_every must be >= 2, got {self.held_out_every}")

    def to_dict(self):
        return dataclasses.asdict(self)


def split_pitches(instrument, held_out_every):
    """(training pitches, held-out pitches) of an instrument's range (every semitone)."""
    _, low, high = INSTRUMENT_RANGES[instrument]
    pitches = np.arange(low, high + 1)
    mask = vggish_compact.held_out_mask(len(pitches), held_out_every)
    return [int(p) for p in pitches[~mask]], [int(p) for p in pitches[mask]]


def make_event(kind, pitches, rng):
    """One event: notes (pitch, onset_s, duration_s, velocity) inside a segment.

    Args:
      kind: "note" (one note), "chord" (2-4 pitches within an octave, near-simultaneous
        onsets, as strummed or played together) or "phrase" (3-6 notes in sequence).
      pitches: the pitches the event may use (training or held-out ones).
      rng: numpy Generator.

    Returns:
      list of (int pitch, float onset_s, float duration_s, int velocity), onsets
      relative to the segment start.
    """
    pitches = np.asarray(pitches)
    onset = float(rng.uniform(*ONSET_RANGE_S))
    velocity = int(rng.integers(VELOCITY_RANGE[0], VELOCITY_RANGE[1] + 1))
    if kind == "note":
        longest = EVENT_SPAN_S - onset
        duration = float(np.exp(rng.uniform(np.log(NOTE_DURATION_RANGE_S[0]),
                                            np.log(min(NOTE_DURATION_RANGE_S[1], longest)))))
        return [(int(rng.choice(pitches)), onset, duration, velocity)]
    root = int(rng.choice(pitches))
    near = pitches[np.abs(pitches - root) <= 12]
    if kind == "chord":
        count = int(min(rng.integers(2, 5), len(near)))
        chosen = rng.choice(near, size=count, replace=False)
        duration = float(rng.uniform(0.3, EVENT_SPAN_S - onset - 0.1))
        spread = rng.uniform(0.0, 0.03) * np.arange(count)  # 0-30 ms strum.
        return [(int(p), onset + float(s), duration, int(np.clip(velocity + rng.integers(-8, 9),
                                                                 1, 127)))
                for p, s in zip(sorted(chosen), spread)]
    count = int(rng.integers(3, 7))
    step = (EVENT_SPAN_S - onset) / count
    notes, t = [], onset
    for _ in range(count):
        gap = float(rng.uniform(0.0, 0.3)) * step  # Legato to detached.
        notes.append((int(rng.choice(near)), t, max(step - gap, 0.08),
                      int(np.clip(velocity + rng.integers(-15, 16), 1, 127))))
        t += step
    return notes


def make_events(data_config, instrument, soundfont):
    """The training and test events of one instrument on one SoundFont.

    Deterministic in (seed, instrument, SoundFont). Returns a list of
    (event, held_out_pitches: bool, kind).
    """
    digest = hashlib.sha1(f"{data_config.seed}/{instrument}/{soundfont}".encode()).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
    train_pitches, test_pitches = split_pitches(instrument, data_config.held_out_every)
    events = []
    for count, pitches, held in ((data_config.train_events, train_pitches, False),
                                 (data_config.test_events, test_pitches, True)):
        kinds = rng.choice(EVENT_KINDS, size=count, p=EVENT_KIND_SHARES)
        events += [(make_event(str(kind), pitches, rng), held, str(kind)) for kind in kinds]
    return events


def _cache_path(cache_dir, program, events, soundfont):
    font = Path(soundfont)
    key = json.dumps([CACHE_VERSION, program, events, SAMPLE_RATE, SLOT_S, SEGMENT_SAMPLES,
                      font.name, font.stat().st_size])
    return Path(cache_dir) / f"p{program}-{font.stem}-{hashlib.sha1(key.encode()).hexdigest()[:12]}.npz"


def render_events(program, events, soundfont, cache_dir=None):
    """Renders events (one per SLOT_S) of one GM program in one fluidsynth call.

    The notes go through synth.melody_to_midi (60 bpm: beats are seconds), with each
    note's own velocity, and synth.render_midi_file at 16 kHz; each segment is then
    peak-normalised to NOTE_PEAK_LEVEL (loudness is left to the gain augmentation).

    Args:
      program: General-MIDI program.
      events: lists of (pitch, onset_s, duration_s, velocity) (make_event).
      soundfont: .sf2/.sf3 path.
      cache_dir: directory for .npz caches, or None.

    Returns:
      [len(events), SEGMENT_SAMPLES] float32 at SAMPLE_RATE.

    Raises:
      neural_style_audio.synth.SynthUnavailableError: no fluidsynth / SoundFont.
    """
    import tempfile

    from neural_style_audio import synth
    cache = _cache_path(cache_dir, program, events, soundfont) if cache_dir else None
    if cache is not None and cache.is_file():
        with np.load(cache) as stored:
            return stored["segments"].astype(np.float32)
    notes, velocities = [], []
    for i, event in enumerate(events):
        for pitch, onset, duration, velocity in event:
            notes.append((pitch, i * SLOT_S + onset, duration))
            velocities.append(velocity)
    midi = synth.melody_to_midi(notes, program, tempo_bpm=60.0)
    for note, velocity in zip(midi.instruments[0].notes, velocities):
        note.velocity = int(velocity)
    with tempfile.TemporaryDirectory(prefix="nsa_events_") as tmp:
        path = str(Path(tmp) / "events.mid")
        midi.write(path)
        audio = synth.render_midi_file(path, sr=SAMPLE_RATE, soundfont=soundfont)
    slot = int(round(SLOT_S * SAMPLE_RATE))
    audio = np.pad(audio, (0, max(0, len(events) * slot - len(audio))))
    segments = np.stack([audio[i * slot:i * slot + SEGMENT_SAMPLES] for i in range(len(events))])
    peaks = np.max(np.abs(segments), axis=1, keepdims=True)
    segments = (segments * (NOTE_PEAK_LEVEL / np.maximum(peaks, 1e-6))).astype(np.float32)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, segments=segments.astype(np.float16))  # ~-66 dB error: inaudible.
    return segments


@dataclasses.dataclass
class EventDataset:
    """Rendered events and their labels (one row per event).

    Attributes:
      segments: [n, SEGMENT_SAMPLES] float32 16-kHz audio.
      labels: [n] class index.
      soundfonts: [n] SoundFont name.
      kinds: [n] "note", "chord" or "phrase".
      held_out_pitches: [n] bool, the event uses held-out pitches.
      test: [n] bool, a test event (held-out pitches, or the held-out SoundFont).
      classes: instrument names.
      pitches: name -> {"train": [...], "held_out": [...]}.
    """
    segments: np.ndarray
    labels: np.ndarray
    soundfonts: np.ndarray
    kinds: np.ndarray
    held_out_pitches: np.ndarray
    test: np.ndarray
    classes: Tuple[str, ...]
    pitches: Dict[str, Dict[str, list]]


def build_dataset(data_config, soundfonts, cache_dir=None, log=print):
    """Renders (or reads from cache) every event of an EventDataConfig.

    Args:
      data_config: EventDataConfig.
      soundfonts: {name: path} (find_soundfonts).
      cache_dir: render cache directory or None.
      log: one line of progress per call.
    """
    segments, labels, fonts, kinds, held, split = [], [], [], [], [], {}
    for label, instrument in enumerate(data_config.instruments):
        train_pitches, test_pitches = split_pitches(instrument, data_config.held_out_every)
        split[instrument] = {"train": train_pitches, "held_out": test_pitches}
        for font in data_config.soundfonts:
            events = make_events(data_config, instrument, font)
            segments.append(render_events(INSTRUMENT_RANGES[instrument][0],
                                          [e for e, _, _ in events], soundfonts[font],
                                          cache_dir))
            labels += [label] * len(events)
            fonts += [font] * len(events)
            kinds += [k for _, _, k in events]
            held += [h for _, h, _ in events]
        log(f"  {instrument:<15} {len(train_pitches)} training / {len(test_pitches)} held-out "
            f"pitches, {len(data_config.soundfonts)} SoundFonts")
    fonts, held = np.asarray(fonts), np.asarray(held, bool)
    test = held | (fonts == data_config.held_out_soundfont)
    return EventDataset(np.concatenate(segments), np.asarray(labels, np.int32), fonts,
                        np.asarray(kinds), held, test, tuple(data_config.instruments), split)


# ----------------------------------------------------------------------------
# Features and augmentation.
# ----------------------------------------------------------------------------
_WINDOW_FN = functools.partial(tf.signal.hann_window, periodic=True)


def log1p_magnitudes(audio):
    """log1p |STFT| of a batch, exactly as spectral.magnitude + the stft representation.

    Args:
      audio: [B, n] float32 16-kHz audio.

    Returns:
      [B, 1 + n // HOP_LENGTH, N_BINS] float32 tensor.
    """
    n_fft, hop = instrument_cnn.N_FFT, instrument_cnn.HOP_LENGTH
    audio = tf.pad(tf.convert_to_tensor(audio, tf.float32), [[0, 0], [n_fft // 2, n_fft // 2]])
    spec = tf.signal.stft(audio, n_fft, hop, fft_length=n_fft, window_fn=_WINDOW_FN,
                          pad_end=False)
    return tf.math.log1p(tf.abs(spec))


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Network widths, optimiser and augmentation.

    Attributes:
      widths: channels of conv1 ... conv6.
      epochs: passes over the training events.
      batch_size: examples per Adam step.
      learning_rate: Adam peak rate, cosine-decayed to 5 % over the run.
      crop_frames: STFT frames of a training crop (the network is convolutional, so
        it runs on the full 257-frame segments at test time; short crops train faster).
      onset_probability: share of crops that start at most 0.1 s into the segment (so
        they contain the attack); the others start anywhere.
      gain_db_range: random gain, dB re the segment's peak NOTE_PEAK_LEVEL.
      noise_probability: chance of adding white noise to a crop.
      noise_db_range: its RMS, dB re full scale.
      seed: weights initialisation and batch order.
    """
    widths: Tuple[int, ...] = instrument_cnn.DEFAULT_WIDTHS
    epochs: int = 12
    batch_size: int = 32
    learning_rate: float = 2e-3
    crop_frames: int = 96
    onset_probability: float = 0.3
    gain_db_range: Tuple[float, float] = (-30.0, 0.0)
    noise_probability: float = 0.3
    noise_db_range: Tuple[float, float] = (-90.0, -50.0)
    seed: int = 0

    def to_dict(self):
        return dataclasses.asdict(self)


def crop_samples(crop_frames):
    """Samples whose centred STFT has exactly `crop_frames` frames."""
    return (crop_frames - 1) * instrument_cnn.HOP_LENGTH


def augment(segments, rng, config):
    """Random crop, gain and white noise of waveform segments (numpy).

    Args:
      segments: [n, SEGMENT_SAMPLES].
      rng: numpy Generator.
      config: TrainConfig.

    Returns:
      [n, crop_samples(config.crop_frames)] float32.
    """
    n, length = len(segments), crop_samples(config.crop_frames)
    latest = segments.shape[1] - length
    onset = rng.random(n) < config.onset_probability
    starts = np.where(onset, rng.integers(0, min(latest, int(0.1 * SAMPLE_RATE)) + 1, n),
                      rng.integers(0, latest + 1, n))
    index = starts[:, None] + np.arange(length)[None, :]
    audio = np.take_along_axis(segments, index, axis=1).astype(np.float32)
    audio *= (10.0 ** (rng.uniform(*config.gain_db_range, n) / 20.0))[:, None].astype(np.float32)
    noisy = rng.random(n) < config.noise_probability
    rms = 10.0 ** (rng.uniform(*config.noise_db_range, n) / 20.0) * noisy
    audio += (rng.standard_normal(audio.shape) * rms[:, None]).astype(np.float32)
    return audio


class CompiledClassifier(keras.Model):
    """The classifier with its forward pass XLA-compiled (about 2x faster on CPU).

    Shares the variables of `model`, so training this trains `model`.
    """

    def __init__(self, model, **kwargs):
        super().__init__(**kwargs)
        self.inner = model
        self._forward = tf.function(lambda x: model(x), jit_compile=True,
                                    reduce_retracing=True)

    def call(self, x, training=False):
        return self._forward(x)


def predict_logits(classifier, segments, batch_size=32):
    """Logits [n, K] of whole segments [n, samples] (no augmentation)."""
    out = [classifier(log1p_magnitudes(segments[i:i + batch_size])).numpy()
           for i in range(0, len(segments), batch_size)]
    return np.concatenate(out) if out else np.zeros((0, classifier.inner.num_classes))


@dataclasses.dataclass
class TrainResult:
    """What train_instrument_cnn produced: the trained InstrumentCNN and its JSON record."""
    model: instrument_cnn.InstrumentCNN
    metadata: dict


def accuracy_table(dataset, index, predicted):
    """Accuracy of the rows `index` overall, per SoundFont and per event kind."""
    correct = predicted == dataset.labels[index]
    table = {"all": float(np.mean(correct)) if len(index) else None, "n": int(len(index))}
    for column, values in (("soundfont", dataset.soundfonts), ("kind", dataset.kinds)):
        for value in np.unique(values[index]):
            rows = values[index] == value
            table[f"{column}={value}"] = float(np.mean(correct[rows]))
    return table


def train_instrument_cnn(data_config, train_config, soundfonts, cache_dir=None,
                         log: Callable[[str], None] = print, extra_metadata=None,
                         eval_every=4):
    """Renders the events, trains the InstrumentCNN with training/loop.py, evaluates it.

    Args:
      data_config: EventDataConfig.
      train_config: TrainConfig.
      soundfonts: {name: path} for data_config.soundfonts.
      cache_dir: render cache directory or None.
      log: progress sink.
      extra_metadata: merged into the metadata (e.g. the command line).
      eval_every: test accuracy is logged every this many epochs (and after the last).

    Returns:
      TrainResult.
    """
    start = time.perf_counter()
    log(f"rendering {len(data_config.instruments)} instruments x "
        f"{len(data_config.soundfonts)} SoundFonts (cache: {cache_dir or 'off'})")
    data = build_dataset(data_config, soundfonts, cache_dir, log)
    render_s = time.perf_counter() - start
    train_index, test_index = np.flatnonzero(~data.test), np.flatnonzero(data.test)
    log(f"{len(data.labels)} events: {len(train_index)} train, {len(test_index)} test "
        f"(rendered in {render_s:.0f} s)")

    model = instrument_cnn.InstrumentCNN(train_config.widths, len(data.classes)).build_for()
    seeded_glorot(model, train_config.seed)  # Seeded without Keras' global state.
    classifier = CompiledClassifier(model)
    steps = max(1, int(np.ceil(len(train_index) / train_config.batch_size))) * train_config.epochs
    optimizer = keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(
        train_config.learning_rate, steps, alpha=0.05))
    epochs_done = []

    def evaluate():
        epochs_done.append(1)
        if len(epochs_done) % eval_every and len(epochs_done) != train_config.epochs:
            return {}
        if not len(test_index):
            return {}
        predicted = np.argmax(predict_logits(classifier, data.segments[test_index]), -1)
        return {"test_accuracy": float(np.mean(predicted == data.labels[test_index]))}

    rng = np.random.default_rng(train_config.seed)
    train_start = time.perf_counter()
    history = loop.fit_classifier(
        classifier, data.labels, train_index,
        lambda batch, rng: augment(data.segments[batch], rng, train_config), optimizer,
        loop.LoopConfig(train_config.epochs, train_config.batch_size), rng,
        preprocess=log1p_magnitudes, evaluate=evaluate, log=log)
    train_s = time.perf_counter() - train_start

    num_classes = len(data.classes)
    test_pred = np.argmax(predict_logits(classifier, data.segments[test_index]), -1)
    train_pred = np.argmax(predict_logits(classifier, data.segments[train_index]), -1)
    confusion = vggish_compact.confusion_matrix(data.labels[test_index], test_pred, num_classes)
    test_table = accuracy_table(data, test_index, test_pred)
    split = ("by pitch: every {0}th semitone of each range is held out; an event uses only "
             "training or only held-out pitches, so no held-out pitch is heard in training"
             .format(data_config.held_out_every))
    if data_config.held_out_soundfont:
        split += (f"; and by SoundFont: {data_config.held_out_soundfont} is not used in "
                  "training (all its events are test events)")
        unseen_font = data.soundfonts[test_index] == data_config.held_out_soundfont
        test_table["unseen soundfont, seen pitch"] = float(np.mean(
            (test_pred == data.labels[test_index])[unseen_font & ~data.held_out_pitches[test_index]]))
        test_table["unseen soundfont, unseen pitch"] = float(np.mean(
            (test_pred == data.labels[test_index])[unseen_font & data.held_out_pitches[test_index]]))
    metadata = {
        "description": ("Instrument-classifier CNN (Verma & Smith's AlexNet-style network, "
                        "compact widths): 6 conv layers of 3x3 + ReLU, 2x2 max-pool after "
                        "conv1..conv5, global mean + dense logits; input log1p |STFT| at "
                        "16 kHz, FFT 512 (32-ms Hann window), hop 160 (10 ms)."),
        "task": "which General-MIDI instrument plays a note, chord or short phrase",
        "classes": list(data.classes),
        "programs": {n: INSTRUMENT_RANGES[n][0] for n in data.classes},
        "input": {"sr": SAMPLE_RATE, "n_fft": instrument_cnn.N_FFT,
                  "hop_length": instrument_cnn.HOP_LENGTH, "feature": "stft (log1p |STFT|)",
                  "segment_frames": instrument_cnn.SEGMENT_FRAMES,
                  "input_scale": instrument_cnn.INPUT_SCALE},
        "data": {**data_config.to_dict(),
                 "soundfont_files": {k: Path(v).name for k, v in soundfonts.items()},
                 "event_kinds": dict(zip(EVENT_KINDS, EVENT_KIND_SHARES)),
                 "note_duration_range_s": NOTE_DURATION_RANGE_S,
                 "velocity_range": VELOCITY_RANGE, "segment_s": SEGMENT_SAMPLES / SAMPLE_RATE,
                 "num_events": int(len(data.labels)), "num_train": int(len(train_index)),
                 "num_test": int(len(test_index)), "split": split, "pitches": data.pitches},
        "training": {**train_config.to_dict(), "loss": "sparse cross-entropy",
                     "optimizer": "Adam, cosine-decayed learning rate",
                     "loop": "neural_style_audio.training.loop.fit_classifier",
                     "num_parameters": int(model.count_params())},
        "results": {
            "train_accuracy": float(np.mean(train_pred == data.labels[train_index])),
            "test_accuracy": test_table,
            "chance_accuracy": 1.0 / num_classes,
            "evaluation": "the whole 2.56-s segment of each event, no augmentation",
            "test_confusion_matrix": confusion.tolist(),
            "confusion_axes": "rows true class, columns predicted, order of classes",
            "test_top_confusions": vggish_compact.top_confusions(confusion, data.classes),
            "history": history,
        },
        "time": {"render_s": round(render_s, 1), "train_s": round(train_s, 1),
                 "total_s": round(time.perf_counter() - start, 1)},
        "versions": {"tensorflow": tf.__version__, "keras": keras.__version__},
        **(extra_metadata or {}),
    }
    return TrainResult(model, metadata)


def classify_clip(model, y, batch_size=8):
    """Mean logits over the 2.56-s windows (hop 1.28 s) of a 16-kHz clip -> [K] numpy."""
    y = np.asarray(y, np.float32)
    y = np.pad(y, (0, max(0, SEGMENT_SAMPLES - len(y))))
    starts = range(0, len(y) - SEGMENT_SAMPLES + 1, SEGMENT_SAMPLES // 2)
    windows = np.stack([y[s:s + SEGMENT_SAMPLES] for s in starts])
    logits = [model(log1p_magnitudes(windows[i:i + batch_size])).numpy()
              for i in range(0, len(windows), batch_size)]
    return np.concatenate(logits).mean(axis=0)


# Real (not rendered) instrument notes in ../shared/audio/dev/mono and their class.
DEV_NOTE_LABELS = {
    "note_flute_A5.flac": "flute", "note_cello_D2.flac": "cello",
    "note_trumpet_A4.flac": "trumpet", "note_violin_G4.flac": "violin",
    "note_piano_C3.flac": "piano", "note_church_organ_A4.flac": "organ",
    "note_steel_guitar_C2.flac": "steel_guitar", "note_bass_woodsy_C2.flac": "acoustic_bass",
}


def dev_clip_check(model, classes, dev_dir):
    """Classifies the labelled clips of a dev folder (mono/ notes and FluidR3 melodies).

    Returns:
      list of dicts: file, source ("recorded note" or "FluidR3 melody"), true class,
      predicted class, top-3 classes; clips whose class is not among `classes` are
      skipped.
    """
    from neural_style_audio import audio
    dev_dir = Path(dev_dir)
    labelled = [(f"mono/{name}", label, "recorded note") for name, label in
                DEV_NOTE_LABELS.items()]
    for path in sorted((dev_dir / "mono").glob("melody_ode_to_joy_*.flac")):
        labelled.append((f"mono/{path.name}", path.stem[len("melody_ode_to_joy_"):],
                         "FluidR3 melody"))
    rows = []
    for rel, label, source in labelled:
        path = dev_dir / rel
        if label not in classes or not path.is_file():
            continue
        y = audio.normalize_peak(audio.load_audio(path, SAMPLE_RATE)) * NOTE_PEAK_LEVEL
        logits = classify_clip(model, y)
        top = [classes[i] for i in np.argsort(-logits)[:3]]
        rows.append(dict(file=rel, source=source, true=label, predicted=top[0], top3=top))
    return rows


def confusion_figure(matrix, classes, path, title):
    """Saves a confusion matrix (rows true, columns predicted) as a PNG."""
    from matplotlib.figure import Figure
    matrix = np.asarray(matrix, float)
    rates = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    fig = Figure(figsize=(9, 8), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(classes)), classes, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(classes)), classes, fontsize=8)
    for i in range(len(classes)):
        for j in range(len(classes)):
            if matrix[i, j]:
                ax.text(j, i, int(matrix[i, j]), ha="center", va="center", fontsize=6,
                        color="white" if rates[i, j] > 0.5 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, shrink=0.7, label="share of the true class")
    fig.savefig(path, dpi=90, format="png")
