"""The CycleGAN objective, per example (so that a distribution strategy can average
over the global batch with `tf.nn.compute_average_loss`).

Every function returns a [batch] tensor: the mean over each example's pixels or
patches. Discriminators output logits; `gan_loss` 'bce' is the binary cross-entropy
of the sigmoid probability (the paper's Sigmoid + BCE, computed stably), 'lsgan' the
least-squares loss on the raw output (Mao et al.; keras-io's choice).
"""
import tensorflow as tf

from neural_style_audio.cyclegan.config import GAN_LOSSES

REAL, FAKE = 1.0, 0.0


def _per_example_mean(x):
    """[batch, ...] -> [batch]."""
    return tf.reduce_mean(tf.reshape(x, [tf.shape(x)[0], -1]), axis=1)


def adversarial_loss(logits, label, gan_loss):
    """How far the discriminator's outputs are from `label` (REAL or FAKE).

    Args:
      logits: [batch, ...] discriminator outputs.
      label: REAL (1) or FAKE (0).
      gan_loss: 'bce' or 'lsgan'.

    Returns:
      [batch] losses.
    """
    if gan_loss not in GAN_LOSSES:
        raise ValueError(f"gan_loss {gan_loss!r}: choose from {', '.join(GAN_LOSSES)}")
    logits = tf.cast(logits, tf.float32)
    target = tf.fill(tf.shape(logits), label)
    if gan_loss == "bce":
        per_output = tf.nn.sigmoid_cross_entropy_with_logits(labels=target, logits=logits)
    else:
        per_output = tf.square(logits - target)
    return _per_example_mean(per_output)


def discriminator_loss(real_logits, fake_logits, gan_loss):
    """Real judged real and fake judged fake, halved (as CycleGAN and keras-io do, to
    slow the discriminator relative to the generator). Returns [batch]."""
    return 0.5 * (adversarial_loss(real_logits, REAL, gan_loss)
                  + adversarial_loss(fake_logits, FAKE, gan_loss))


def generator_adversarial_loss(fake_logits, gan_loss):
    """The generator wants its fakes judged real. Returns [batch]."""
    return adversarial_loss(fake_logits, REAL, gan_loss)


def l1_loss(x, y):
    """Mean absolute difference per example: [batch, ...] x2 -> [batch]. The cycle loss
    is l1_loss(x, G_BA(G_AB(x))), the identity loss l1_loss(y, G_AB(y))."""
    return _per_example_mean(tf.abs(tf.cast(x, tf.float32) - tf.cast(y, tf.float32)))


cycle_loss = l1_loss
identity_loss = l1_loss
