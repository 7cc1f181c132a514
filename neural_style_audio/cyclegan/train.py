"""Training the CycleGAN: the step (both generators and both discriminators updated
from one forward pass, as keras-io does) and the loop (tf.data, tf.distribute,
checkpoints and resume, TensorBoard scalars, audio samples, progress bar).

    gan = CycleGAN(config)                       # under the current tf.distribute strategy
    result = train(config, images_a, images_b, "runs/piano2violin")

A run folder holds cyclegan.json (settings, domains and a log of training sessions),
losses.jsonl (every step's losses),
checkpoints/ (tf.train.CheckpointManager: networks, optimisers, the step counter),
logs/ (TensorBoard), samples/ (audio written every --sample_every steps) and, at the
end, generator_a2b.weights.h5 / generator_b2a.weights.h5. Training again into the same
folder resumes from the latest checkpoint; different settings are refused (only the
number of epochs may change, to train longer).
"""
import dataclasses
import json
import os
import platform
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from neural_style_audio import audio
from neural_style_audio.config import ConfigError
from neural_style_audio.cyclegan import convert, data, losses, models
from neural_style_audio.cyclegan.config import CycleGANConfig
from neural_style_audio.quiet import progress_disabled

LOSS_NAMES = ("gen_ab_adv", "gen_ba_adv", "cycle_a", "cycle_b", "identity_a", "identity_b",
              "gen_total", "disc_a", "disc_b")
MAX_CHECKPOINTS = 3
SAMPLE_SECONDS = 4.0  # Audio converted for each sample (the start of the sample clip).
SAMPLE_GRIFFIN_LIM_ITERS = 32
LOSSES_NAME = "losses.jsonl"  # One line per step: {"step": n, <loss>: value, ...}.
LOSS_WINDOW = 20  # Steps averaged for a session's first and final losses in the record.


def make_strategy(name="auto"):
    """A tf.distribute strategy by name.

    auto: MirroredStrategy over the GPUs when there are several, else the default
    (one device); mirrored: MirroredStrategy over every local GPU (or the CPU);
    multi_worker: MultiWorkerMirroredStrategy, configured by the TF_CONFIG
    environment variable (docs/cyclegan.md); default: no distribution.
    """
    if name == "auto":
        name = "mirrored" if len(tf.config.list_physical_devices("GPU")) > 1 else "default"
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi_worker":
        if not os.environ.get("TF_CONFIG"):
            raise ConfigError("--strategy multi_worker needs the TF_CONFIG environment "
                              "variable (see docs/cyclegan.md)")
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ConfigError(f"--strategy {name}: choose auto, default, mirrored or multi_worker")


def is_chief(strategy):
    """Whether this process writes the run's files: always, except the non-chief
    workers of a MultiWorkerMirroredStrategy (which save their checkpoints, a
    collective operation, into a scratch folder instead)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not getattr(resolver, "task_type", None):
        return True
    cluster = resolver.cluster_spec().as_dict() if resolver.cluster_spec() else {}
    if "chief" in cluster:
        return resolver.task_type == "chief"
    return resolver.task_type == "worker" and resolver.task_id == 0


class CycleGAN:
    """Generators G_AB, G_BA, discriminators D_A, D_B, their Adam optimisers and the
    step counter, created under `strategy`'s scope.

    `compiled=False` runs the step eagerly: slower per step but without the 15-30 s
    of tracing the compiled step takes on a CPU (tests, a handful of steps).
    """

    def __init__(self, config, strategy=None, compiled=True):
        self.config = config
        self.compiled = compiled
        self.strategy = strategy or tf.distribute.get_strategy()
        tr = config.train
        with self.strategy.scope():
            self.generator_a2b = models.build_generator(config, "generator_a2b")
            self.generator_b2a = models.build_generator(config, "generator_b2a")
            self.discriminator_a = models.build_discriminator(config, "discriminator_a")
            self.discriminator_b = models.build_discriminator(config, "discriminator_b")
            adam = dict(learning_rate=tr.learning_rate, beta_1=tr.beta_1)
            self.generator_optimizer = keras.optimizers.Adam(**adam)
            self.discriminator_optimizer = keras.optimizers.Adam(**adam)
            # Build the optimisers' slots now, so a checkpoint restores into them.
            self.generator_optimizer.build(self.generator_variables)
            self.discriminator_optimizer.build(self.discriminator_variables)
            self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        self._step_fn = None

    @property
    def generator_variables(self):
        return (self.generator_a2b.trainable_variables
                + self.generator_b2a.trainable_variables)

    @property
    def discriminator_variables(self):
        return (self.discriminator_a.trainable_variables
                + self.discriminator_b.trainable_variables)

    def checkpoint(self):
        """A tf.train.Checkpoint of everything training needs to resume."""
        return tf.train.Checkpoint(
            step=self.step, generator_a2b=self.generator_a2b,
            generator_b2a=self.generator_b2a, discriminator_a=self.discriminator_a,
            discriminator_b=self.discriminator_b,
            generator_optimizer=self.generator_optimizer,
            discriminator_optimizer=self.discriminator_optimizer)

    def per_example_losses(self, real_a, real_b, training=True):
        """Every term of the objective, each [batch].

        Returns:
          dict LOSS_NAMES -> [batch] (gen_total: what the generators minimise).
        """
        lo = self.config.loss
        fake_b = self.generator_a2b(real_a, training=training)
        fake_a = self.generator_b2a(real_b, training=training)
        cycled_a = self.generator_b2a(fake_b, training=training)
        cycled_b = self.generator_a2b(fake_a, training=training)
        out = {}
        disc_fake_b = self.discriminator_b(fake_b, training=training)
        disc_fake_a = self.discriminator_a(fake_a, training=training)
        out["gen_ab_adv"] = losses.generator_adversarial_loss(disc_fake_b, lo.gan_loss)
        out["gen_ba_adv"] = losses.generator_adversarial_loss(disc_fake_a, lo.gan_loss)
        out["cycle_a"] = losses.cycle_loss(real_a, cycled_a)
        out["cycle_b"] = losses.cycle_loss(real_b, cycled_b)
        if lo.lambda_identity:
            out["identity_a"] = losses.identity_loss(real_a, self.generator_b2a(
                real_a, training=training))
            out["identity_b"] = losses.identity_loss(real_b, self.generator_a2b(
                real_b, training=training))
        else:  # Skip two generator passes when the term has no weight.
            out["identity_a"] = out["identity_b"] = tf.zeros_like(out["cycle_a"])
        out["gen_total"] = (out["gen_ab_adv"] + out["gen_ba_adv"]
                            + lo.lambda_cycle * (out["cycle_a"] + out["cycle_b"])
                            + lo.lambda_identity * (out["identity_a"] + out["identity_b"]))
        out["disc_a"] = losses.discriminator_loss(
            self.discriminator_a(real_a, training=training), disc_fake_a, lo.gan_loss)
        out["disc_b"] = losses.discriminator_loss(
            self.discriminator_b(real_b, training=training), disc_fake_b, lo.gan_loss)
        return out

    def _replica_step(self, real_a, real_b):
        global_batch = self.config.train.batch_size
        with tf.GradientTape(persistent=True) as tape:
            per_example = self.per_example_losses(real_a, real_b)
            mean = {k: tf.nn.compute_average_loss(v, global_batch_size=global_batch)
                    for k, v in per_example.items()}
            disc_total = mean["disc_a"] + mean["disc_b"]
        gen_vars, disc_vars = self.generator_variables, self.discriminator_variables
        gen_grads = tape.gradient(mean["gen_total"], gen_vars)
        disc_grads = tape.gradient(disc_total, disc_vars)
        del tape
        self.generator_optimizer.apply_gradients(zip(gen_grads, gen_vars))
        self.discriminator_optimizer.apply_gradients(zip(disc_grads, disc_vars))
        return mean

    def train_step(self, real_a, real_b):
        """One update of all four networks on a (distributed) batch.

        Returns:
          dict LOSS_NAMES -> scalar, averaged over the global batch.
        """
        if self._step_fn is None:
            def step_fn(a, b):
                per_replica = self.strategy.run(self._replica_step, args=(a, b))
                summed = {k: self.strategy.reduce(tf.distribute.ReduceOp.SUM, v, axis=None)
                          for k, v in per_replica.items()}
                self.step.assign_add(1)
                return summed
            self._step_fn = tf.function(step_fn) if self.compiled else step_fn
        return self._step_fn(real_a, real_b)


@dataclasses.dataclass
class TrainResult:
    gan: CycleGAN
    record: dict
    losses: list  # [(step, {name: value})] of this session.


def _scalar_metadata():
    from tensorflow.core.framework import summary_pb2
    return summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"))


def write_scalar(name, value, step):
    """A TensorBoard scalar in the default summary writer.

    tf.summary.scalar needs the tensorboard package, which TensorFlow 2.21 does not
    install; the same event (a float32 tensor with the 'scalars' plugin metadata) is
    written with tf.summary.write, which TensorBoard shows as a scalar.
    """
    tf.summary.write(name, tf.constant(value, tf.float32), step=step,
                     metadata=_scalar_metadata())


def machine():
    """One line describing this computer (for run records)."""
    gpus = tf.config.list_physical_devices("GPU")
    device = f"{len(gpus)} GPU(s)" if gpus else "CPU only"
    return (f"{platform.node()}: {platform.processor() or platform.machine()}, "
            f"{os.cpu_count()} CPU cores, {device}, TensorFlow {tf.__version__}")


def _write_json(path, payload):
    with audio.atomic_output(path) as tmp:
        Path(tmp).write_text(json.dumps(payload, indent=1, sort_keys=True) + "\n")


def _comparable(config_dict):
    """Settings that must match to resume (the epoch count may grow)."""
    out = json.loads(json.dumps(config_dict))
    out["train"].pop("epochs", None)
    return out


def prepare_run_folder(output_dir, config, domains):
    """Creates or reopens a run folder.

    Returns:
      The run record (dict), with earlier sessions when resuming.

    Raises:
      ConfigError: the folder holds a run with other settings or other domains.
    """
    output_dir = Path(output_dir)
    path = output_dir / convert.CONFIG_NAME
    if path.is_file():
        try:
            record = json.loads(path.read_text())
        except ValueError:
            raise ConfigError(f"{path}: unreadable run record; choose another "
                              "--output_dir") from None
        old = record.get("config", {})
        if _comparable(old) != _comparable(config.to_dict()):
            changed = sorted(f"{g}.{k}" for g, vals in _comparable(config.to_dict()).items()
                             if isinstance(vals, dict)
                             for k, v in vals.items() if old.get(g, {}).get(k) != v)
            raise ConfigError(f"{output_dir}: holds a run with other settings "
                              f"({', '.join(changed) or 'variant'}); choose another "
                              "--output_dir to start a new run")
        if record.get("domains") != domains:
            raise ConfigError(f"{output_dir}: holds a run on other data "
                              f"({record.get('domains')}); choose another --output_dir")
        record["config"] = config.to_dict()
        return record
    return dict(config=config.to_dict(), domains=domains, sessions=[])


def _has_tensorboard():
    import importlib.util
    return importlib.util.find_spec("tensorboard") is not None


def write_sample(gan, clip, spec, folder, step, writer=None):
    """Converts the start of `clip` A->B, writes samples/step_<n>_a2b.wav (and to
    TensorBoard when `writer`)."""
    y = clip[:int(SAMPLE_SECONDS * spec.sr)]
    out = convert.convert_waveform(gan.generator_a2b, y, spec,
                                   n_iter=SAMPLE_GRIFFIN_LIM_ITERS)
    path = Path(folder) / f"step_{step:07d}_a2b.wav"
    audio.write_audio(path, out, spec.sr)
    if writer is not None and _has_tensorboard():  # tf.summary.audio needs it.
        with writer.as_default():
            tf.summary.audio("sample_a2b", audio.normalize_peak(out)[None, :, None], spec.sr,
                             step=step, max_outputs=1)
    return path


def _train_steps(gan, iterator, step, total_steps, started, max_seconds, history, writer,
                 bar, steps_per_epoch, manager, checkpoint_every, chief, sample_every,
                 sample_clip, spec, output_dir, log):
    """The loop of `train`: steps until total_steps or max_seconds; returns the step."""
    while step < total_steps:
        if max_seconds is not None and time.perf_counter() - started > max_seconds:
            log(f"stopped after {max_seconds:.0f} s at step {step} (resume by running "
                "again)")
            break
        a, b = next(iterator)
        values = {k: float(v) for k, v in gan.train_step(a, b).items()}
        step = int(gan.step.numpy())
        history.append((step, values))
        with writer.as_default():
            for name, value in values.items():
                write_scalar(f"loss/{name}", value, step)
        bar.update(1)
        bar.set_postfix(epoch=f"{step / steps_per_epoch:.1f}",
                        cycle=f"{values['cycle_a'] + values['cycle_b']:.3f}",
                        d=f"{values['disc_a'] + values['disc_b']:.3f}")
        if checkpoint_every and step % checkpoint_every == 0:
            manager.save(checkpoint_number=step)
        if (chief and sample_every and sample_clip is not None
                and step % sample_every == 0):
            write_sample(gan, sample_clip, spec, output_dir / "samples", step, writer)
    return step


def train(config, images_a, images_b, output_dir, domains=None, checkpoint_every=500,
          sample_every=0, sample_clip=None, max_steps=None, max_seconds=None, strategy=None,
          progress=True, log=print, compiled=True):
    """Trains (or resumes) a CycleGAN run in `output_dir`.

    Args:
      config: CycleGANConfig (validated).
      images_a, images_b: lists of [frames, bins] images (data.load_folder_images).
      output_dir: the run folder.
      domains: JSON-able description of the two domains (must match on resume).
      checkpoint_every: steps between checkpoints (and one at the end).
      sample_every: steps between audio samples (0 = none); needs `sample_clip`.
      sample_clip: an A-domain waveform at spec.sr for the samples.
      max_steps: stop at this global step even before `config.train.epochs` (tests,
        time-boxed runs); None = the epochs' steps.
      max_seconds: stop (with a checkpoint) after this many seconds of training in
        this call; run again to resume. None = no limit.
      strategy: tf.distribute strategy (default: the current one).
      compiled: run the step as a tf.function (see CycleGAN).

    Returns:
      TrainResult.
    """
    config.validate()
    output_dir = Path(output_dir)
    domains = domains or {}
    record = prepare_run_folder(output_dir, config, domains)
    tr, sp = config.train, config.spectrogram
    steps_per_epoch = data.steps_per_epoch(images_a, images_b, sp.crop_frames, tr.batch_size)
    total_steps = steps_per_epoch * tr.epochs
    if max_steps is not None:
        total_steps = min(total_steps, max_steps)
    record.update(steps_per_epoch=steps_per_epoch,
                  n_images=dict(a=len(images_a), b=len(images_b)))
    strategy = strategy or tf.distribute.get_strategy()
    chief = is_chief(strategy)
    if chief:
        _write_json(output_dir / convert.CONFIG_NAME, record)

    gan = CycleGAN(config, strategy, compiled)  # Seeding the weights is the caller's (CLI's).
    checkpoint_dir = output_dir / convert.CHECKPOINT_DIR
    if not chief:
        checkpoint_dir = output_dir / f".worker_{strategy.cluster_resolver.task_id}_checkpoints"
    manager = tf.train.CheckpointManager(gan.checkpoint(), str(checkpoint_dir),
                                         max_to_keep=MAX_CHECKPOINTS)
    if manager.latest_checkpoint:
        gan.checkpoint().restore(manager.latest_checkpoint).assert_consumed()
        log(f"resumed from {manager.latest_checkpoint} at step {int(gan.step.numpy())}")
    start_step = int(gan.step.numpy())
    dataset = data.crop_dataset(images_a, images_b, sp.crop_frames, tr.batch_size,
                                seed=tr.seed + start_step)
    options = tf.data.Options()  # A generator dataset: workers shard its examples.
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    dataset = gan.strategy.experimental_distribute_dataset(dataset.with_options(options))
    writer = (tf.summary.create_file_writer(str(output_dir / "logs")) if chief
              else tf.summary.create_noop_writer())
    history = []
    started = time.perf_counter()
    step = start_step
    with tqdm(total=total_steps, initial=min(start_step, total_steps), unit="step",
              desc="cyclegan", disable=progress_disabled(progress), dynamic_ncols=True) as bar:
        iterator = iter(dataset)
        try:
            step = _train_steps(gan, iterator, step, total_steps, started, max_seconds, history,
                                writer, bar, steps_per_epoch, manager, checkpoint_every,
                                chief, sample_every, sample_clip, sp, output_dir, log)
        except KeyboardInterrupt:
            step = int(gan.step.numpy())
            if step > start_step:
                manager.save(checkpoint_number=step)
                log(f"interrupted: saved a checkpoint at step {step}; run again to resume")
            raise
    writer.flush()
    seconds = time.perf_counter() - started
    if step > start_step and manager.latest_checkpoint != str(checkpoint_dir / f"ckpt-{step}"):
        manager.save(checkpoint_number=step)
    if not chief:
        return TrainResult(gan, record, history)
    gan.generator_a2b.save_weights(str(output_dir / convert.GENERATOR_FILES["a2b"]))
    gan.generator_b2a.save_weights(str(output_dir / convert.GENERATOR_FILES["b2a"]))
    record["sessions"].append(dict(
        first_step=start_step, last_step=step, seconds=round(seconds, 2),
        seconds_per_step=round(seconds / max(1, step - start_step), 4),
        replicas=gan.strategy.num_replicas_in_sync, machine=machine(),
        first_losses={k: round(v, 5) for k, v in mean_losses(history[:LOSS_WINDOW]).items()},
        final_losses={k: round(v, 5) for k, v in mean_losses(history, LOSS_WINDOW).items()}))
    record["total_steps"] = step
    if history:  # Every step's losses, appended session by session (for plots).
        with open(output_dir / LOSSES_NAME, "a", encoding="utf-8") as f:
            for n, values in history:
                f.write(json.dumps(dict(step=n, **{k: round(v, 6) for k, v in values.items()}))
                        + "\n")
    _write_json(output_dir / convert.CONFIG_NAME, record)
    return TrainResult(gan, record, history)


def config_from_record(record):
    return CycleGANConfig.from_dict(record["config"])


def mean_losses(history, last_n=None):
    """Mean of each loss over the (last `last_n`) steps of a history."""
    rows = history[-last_n:] if last_n else history
    return {k: float(np.mean([v[k] for _, v in rows])) for k in LOSS_NAMES} if rows else {}
