"""One training loop for every classifier the package trains.

A classifier here is a Keras model from inputs to logits, trained with sparse
categorical cross-entropy on mini-batches drawn from a seeded generator; the caller
says how a batch of example indices becomes model inputs (rendering, cropping,
augmentation) and how to evaluate after each epoch.
"""
import dataclasses
import time
from typing import Callable, Optional

import keras
import numpy as np
import tensorflow as tf


@dataclasses.dataclass(frozen=True)
class LoopConfig:
    """Settings of `fit_classifier`."""
    epochs: int = 10
    batch_size: int = 32


def sparse_accuracy_count(labels, logits):
    """Number of rows of logits [B, K] whose argmax equals labels [B] (int32 tensor)."""
    predicted = tf.argmax(logits, -1, output_type=tf.int32)
    return tf.reduce_sum(tf.cast(tf.equal(predicted, tf.cast(labels, tf.int32)), tf.int32))


def fit_classifier(model, labels, train_index, make_inputs, optimizer, loop_cfg, rng,
                   preprocess: Optional[Callable] = None,
                   evaluate: Optional[Callable[[], dict]] = None,
                   log: Callable[[str], None] = print):
    """Trains `model` (inputs -> logits) with cross-entropy; returns the per-epoch history.

    Args:
      model: Keras model; its trainable variables are updated.
      labels: [n_examples] int class indices.
      train_index: indices of the training examples.
      make_inputs: (batch indices [B], rng) -> numpy inputs of the batch (augmented).
      optimizer: a Keras optimiser.
      loop_cfg: LoopConfig (epochs, batch_size).
      rng: numpy Generator for the epoch order (and handed to make_inputs).
      preprocess: optional tensor function applied inside the compiled step
        (e.g. waveform -> log-mel examples).
      evaluate: called after each epoch; its dict is merged into the epoch's record.
      log: one line per epoch.

    Returns:
      List of dicts: epoch, loss, train_accuracy (on the augmented batches), and
      whatever `evaluate` returns.
    """
    labels = np.asarray(labels, np.int32)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    preprocess = preprocess or (lambda x: x)

    @tf.function(reduce_retracing=True)
    def train_step(inputs, batch_labels):
        inputs = preprocess(inputs)
        with tf.GradientTape() as tape:
            logits = model(inputs, training=True)
            loss = loss_fn(batch_labels, logits)
        variables = model.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss, sparse_accuracy_count(batch_labels, logits)

    history, start = [], time.perf_counter()
    for epoch in range(loop_cfg.epochs):
        order = rng.permutation(np.asarray(train_index))
        losses, correct = [], 0
        for i in range(0, len(order), loop_cfg.batch_size):
            batch = order[i:i + loop_cfg.batch_size]
            loss, hits = train_step(tf.constant(make_inputs(batch, rng)),
                                    tf.constant(labels[batch]))
            losses.append(float(loss))
            correct += int(hits)
        record = dict(epoch=epoch + 1, loss=float(np.mean(losses)),
                      train_accuracy=correct / max(len(order), 1))
        record.update(evaluate() if evaluate else {})
        extras = ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                           for k, v in record.items() if k not in ("epoch", "loss",
                                                                    "train_accuracy"))
        log(f"epoch {epoch + 1}/{loop_cfg.epochs}: loss {record['loss']:.3f}, augmented "
            f"train acc {record['train_accuracy']:.3f}"
            + (f", {extras}" if extras else "")
            + f" ({time.perf_counter() - start:.0f} s)")
        history.append(record)
    return history
