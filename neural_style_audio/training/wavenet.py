"""Training the WaveNet autoencoder (neural_style_audio/wavenet/) on rendered notes.

NSynth trained on 300k notes of its own dataset, which cannot be had offline. Here the
autoencoder learns General-MIDI instruments rendered with the SoundFonts: the notes,
chords and phrases of `training/instrument_cnn.py` (its events, pitch split and render
cache), as 2.56-s segments at 16 kHz. Held-out-pitch events are the test set.

Objective: magenta's, the cross-entropy of every 8-bit mu-law sample given the past
samples and the encoding (teacher forcing), on random crops of `crop_samples`.

Runs are resumable: `output_dir` holds a tf.train.CheckpointManager checkpoint (model,
optimiser, step, data order), TensorBoard scalars (`tensorboard --logdir output_dir`)
and the settings (`run.json`); a rerun with the same settings continues from the last
checkpoint and one with other settings is refused. With several GPUs the steps run
under tf.distribute.MirroredStrategy.

    result = train_wavenet(TrainConfig(model="small", steps=2000), data, "runs/wavenet")
"""
import dataclasses
import json
import time
from pathlib import Path
from typing import Callable, Optional

import keras
import numpy as np
import tensorflow as tf

from neural_style_audio.wavenet import config as wn_config, generation, model, mulaw, weights


class TrainingSettingsError(ValueError):
    """Bad settings, or a resume with settings other than the run's; one line."""


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Settings of one training run.

    Attributes:
      model: WaveNet configuration name (wavenet.config.CONFIGS).
      steps: total Adam steps (a resumed run continues up to this).
      batch_size: crops per step (global, over all replicas).
      crop_samples: samples per crop (rounded down to a multiple of the hop).
      learning_rate: Adam rate (magenta: 2e-4 for the published model; small models take more).
      gain_db_range: random gain of a crop, dB re the segment's peak.
      eval_every: steps between held-out evaluations and checkpoints.
      eval_crops: held-out crops in each evaluation.
      seed: initialisation, crop order and gains.
    """
    model: str = "small"
    steps: int = 2000
    batch_size: int = 8
    crop_samples: int = 4096
    learning_rate: float = 1e-3
    gain_db_range: tuple = (-20.0, 0.0)
    eval_every: int = 200
    eval_crops: int = 32
    seed: int = 0

    def __post_init__(self):
        object.__setattr__(self, "gain_db_range", tuple(self.gain_db_range))
        if self.model not in wn_config.CONFIGS:
            raise TrainingSettingsError(f"unknown model '{self.model}' (choose from "
                                        f"{', '.join(wn_config.CONFIGS)})")
        hop = wn_config.get(self.model).ae_hop_length
        for name in ("steps", "batch_size", "eval_every", "eval_crops"):
            if getattr(self, name) < 1:
                raise TrainingSettingsError(f"--{name} must be >= 1")
        if self.crop_samples < hop:
            raise TrainingSettingsError(f"--crop_samples must be at least the hop ({hop})")
        if self.learning_rate <= 0:
            raise TrainingSettingsError("--learning_rate must be > 0")

    @property
    def wavenet(self):
        return wn_config.get(self.model)

    @property
    def crop(self):
        hop = self.wavenet.ae_hop_length
        return self.crop_samples // hop * hop

    def to_dict(self):
        return dataclasses.asdict(self)


def strategy():
    """MirroredStrategy over the GPUs when there are several, else the default strategy."""
    gpus = tf.config.list_logical_devices("GPU")
    return tf.distribute.MirroredStrategy() if len(gpus) > 1 else tf.distribute.get_strategy()


def crop_dataset(segments, config, seed, repeat=True, first=0):
    """tf.data pipeline of random crops [batch, crop] with random gain.

    Crops are drawn with stateless ops from (seed, element counter), so a run that
    resumes at step k starts the counter at `first` = k * batch_size and sees the same
    data as an uninterrupted one.
    """
    segments = np.asarray(segments, np.float32)
    crop, n = config.crop, len(segments)
    if segments.shape[1] < crop:
        raise TrainingSettingsError(f"segments of {segments.shape[1]} samples are shorter than "
                                    f"a crop ({crop})")
    data = tf.constant(segments)
    low, high = config.gain_db_range

    def make(i):
        s = tf.stack([tf.cast(seed, tf.int64), i])
        idx = tf.random.stateless_uniform([], s, 0, n, dtype=tf.int64)
        start = tf.random.stateless_uniform([], s + [0, 1 << 40], 0,
                                            segments.shape[1] - crop + 1, dtype=tf.int64)
        gain_db = tf.random.stateless_uniform([], s + [0, 2 << 40], low, high)
        piece = data[idx, start:start + crop]
        piece = piece * 10.0 ** (gain_db / 20.0)
        return tf.clip_by_value(piece, -1.0, 1.0)

    counter = tf.data.Dataset.counter(first) if repeat else tf.data.Dataset.range(config.eval_crops)
    return counter.map(make, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True) \
        .batch(config.batch_size, drop_remainder=repeat).prefetch(2)


def fixed_crops(segments, config, seed=12345):
    """[eval_crops, crop] held-out crops, the same in every evaluation and every run."""
    return np.concatenate(list(crop_dataset(segments, config, seed, repeat=False).as_numpy_iterator()))


def evaluate_nll(net, crops, batch_size=8):
    """Teacher-forced mean cross-entropy (nats per sample) and accuracy over crops."""
    losses, accs = [], []
    for i in range(0, len(crops), batch_size):
        loss, acc = _nll(net, tf.constant(crops[i:i + batch_size]))
        losses.append(float(loss) * len(crops[i:i + batch_size]))
        accs.append(float(acc) * len(crops[i:i + batch_size]))
    return sum(losses) / len(crops), sum(accs) / len(crops)


@tf.function(reduce_retracing=True)
def _nll(net, batch):
    return net.nll(batch)


def reconstruction_lsd(net, clips, sr, seed=0):
    """Encodes clips [B, T], decodes them with fast generation; LSD (dB) to the inputs.

    Returns (mean LSD over clips, decoded audio [B, T]).
    """
    from neural_style_audio.evaluation import metrics
    encoding = net.encode(tf.constant(clips))
    decoded = generation.FastGenerator(net).generate(encoding, n_samples=clips.shape[1],
                                                     seed=seed)
    lsd = [metrics.log_spectral_distance(d, c, sr) for d, c in zip(decoded, clips)]
    return float(np.mean(lsd)), decoded


def mulaw_lsd(clips, sr, channels=256):
    """LSD (dB) of 8-bit mu-law quantisation alone: the floor a perfect decoder reaches."""
    from neural_style_audio.evaluation import metrics
    coded = mulaw.dequantize(mulaw.quantize(clips, channels), channels).numpy()
    return float(np.mean([metrics.log_spectral_distance(d, c, sr)
                          for d, c in zip(coded, clips)]))


@dataclasses.dataclass
class TrainResult:
    model: keras.Model
    metadata: dict


def write_scalar(tag, value, step):
    """A TensorBoard scalar through tf.summary.write (tf.summary.scalar needs the
    tensorboard package, which the package does not depend on)."""
    from tensorflow.core.framework import summary_pb2
    metadata = summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"),
        data_class=summary_pb2.DATA_CLASS_SCALAR)
    tf.summary.write(tag, tf.constant(float(value), tf.float32), step=step,
                     metadata=metadata.SerializeToString())


def read_scalars(log_dir):
    """{tag: [(step, value)]} of the scalars written by write_scalar (for tests and reports)."""
    scalars = {}
    for path in sorted(Path(log_dir).glob("events.out.tfevents.*")):
        for raw in tf.data.TFRecordDataset(str(path)).as_numpy_iterator():
            event = tf.compat.v1.Event.FromString(raw)
            for value in event.summary.value:
                number = float(tf.make_ndarray(value.tensor))
                scalars.setdefault(value.tag, []).append((int(event.step), number))
    return scalars


def _flat(record):
    """{"group.name": value} of a two-level JSON record; `train.steps` left out (a run may
    be continued to more steps)."""
    record = json.loads(json.dumps(record))
    return {f"{group}.{key}": value for group, values in record.items()
            for key, value in values.items() if (group, key) != ("train", "steps")}


def _check_resume(output_dir, record):
    path = Path(output_dir) / "run.json"
    if path.is_file():
        stored, wanted = _flat(json.loads(path.read_text())), _flat(record)
        changed = sorted(k for k in set(stored) | set(wanted) if stored.get(k) != wanted.get(k))
        if changed:
            raise TrainingSettingsError(
                f"{output_dir} holds a run with other settings ({', '.join(changed)}); "
                "use another --output_dir, or the same settings to resume")
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record, indent=1) + "\n")


def train_wavenet(config: TrainConfig, train_segments, test_segments, output_dir,
                  data_record: Optional[dict] = None, log: Callable[[str], None] = print,
                  max_steps_this_run: Optional[int] = None,
                  max_seconds_this_run: Optional[float] = None):
    """Trains (or resumes training of) a WaveNet autoencoder.

    Args:
      config: TrainConfig.
      train_segments, test_segments: [n, samples] float32 16-kHz audio.
      output_dir: checkpoints, TensorBoard logs, run.json.
      data_record: JSON-able description of the data (part of the resume check).
      log: one line per evaluation.
      max_steps_this_run: stop after this many steps even if config.steps is not reached
        (to split a long run into several jobs); None = run to config.steps.
      max_seconds_this_run: stop (evaluating and saving first) once this much training
        time has passed; None = no limit.

    Returns:
      TrainResult(model, metadata with the held-out NLL / accuracy history).
    """
    output_dir = Path(output_dir)
    _check_resume(output_dir, dict(train=config.to_dict(), data=data_record or {}))
    dist = strategy()
    with dist.scope():
        net = model.build_model(config.wavenet, seed=config.seed)
        optimizer = keras.optimizers.Adam(config.learning_rate)
        optimizer.build(net.trainable_variables)
        step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
    ckpt = tf.train.Checkpoint(model=net, optimizer=optimizer, step=step)
    manager = tf.train.CheckpointManager(ckpt, str(output_dir / "checkpoints"), max_to_keep=2)
    if manager.latest_checkpoint:
        ckpt.restore(manager.latest_checkpoint).expect_partial()
        log(f"resumed from {manager.latest_checkpoint} at step {int(step)}")
    start_step = int(step)
    history_path = output_dir / "history.json"
    history = json.loads(history_path.read_text()) if history_path.is_file() and start_step else []

    batches = crop_dataset(train_segments, config, config.seed,
                           first=start_step * config.batch_size)
    batches = dist.experimental_distribute_dataset(batches)
    eval_crops = fixed_crops(test_segments, config)
    writer = tf.summary.create_file_writer(str(output_dir / "tensorboard"))

    def replica_step(batch):
        with tf.GradientTape() as tape:
            bins = mulaw.quantize(batch, config.wavenet.quantization_channels)
            logits = net(batch, training=True)
            per_sample = tf.nn.sparse_softmax_cross_entropy_with_logits(bins, logits)
            loss = tf.reduce_sum(per_sample) / (config.batch_size * config.crop)
        grads = tape.gradient(loss, net.trainable_variables)
        # The last layer's residual output (res_N) feeds nothing, as in magenta.
        optimizer.apply_gradients([(g, v) for g, v in zip(grads, net.trainable_variables)
                                   if g is not None])
        return loss

    @tf.function
    def train_step(batch):
        losses = dist.run(replica_step, args=(batch,))
        return dist.reduce(tf.distribute.ReduceOp.SUM, losses, axis=None)

    end = config.steps if max_steps_this_run is None else min(config.steps,
                                                               start_step + max_steps_this_run)
    t0, losses = time.perf_counter(), []
    iterator = iter(batches)
    while int(step) < end:
        loss = train_step(next(iterator))
        step.assign_add(1)
        losses.append(float(loss))
        s = int(step)
        out_of_time = (max_seconds_this_run is not None
                       and time.perf_counter() - t0 > max_seconds_this_run)
        if out_of_time:
            end = s
        if s % config.eval_every == 0 or s == end:
            nll, acc = evaluate_nll(net, eval_crops)
            record = dict(step=s, train_nll=float(np.mean(losses)), test_nll=nll,
                          test_accuracy=acc, seconds=round(time.perf_counter() - t0, 1))
            history.append(record)
            with writer.as_default():
                for tag, value in (("train/nll", record["train_nll"]), ("test/nll", nll),
                                   ("test/accuracy", acc)):
                    write_scalar(tag, value, s)
            writer.flush()
            manager.save(checkpoint_number=s)
            history_path.write_text(json.dumps(history, indent=1) + "\n")
            log(f"step {s}/{config.steps}: train NLL {record['train_nll']:.3f}, held-out NLL "
                f"{nll:.3f} nats, accuracy {acc:.3f} ({record['seconds']} s)")
            losses = []
    metadata = dict(train=config.to_dict(), data=data_record or {}, steps_done=int(step),
                    history=history, complete=int(step) >= config.steps,
                    versions={"tensorflow": tf.__version__, "keras": keras.__version__})
    return TrainResult(net, metadata)


def export(result, path, extra=None):
    """Writes the trained model as .weights.h5 + JSON (weights.save_model)."""
    return weights.save_model(result.model, path, dict(result.metadata, **(extra or {})))
