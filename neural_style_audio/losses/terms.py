"""Content, style (Gram) and envelope loss terms (pure functions of tensors).

Every term is a mean, so that its size does not grow with the clip length T or the
number of filters N (as in Gatys et al.; Ulyanov's code used sums of squares):

  content_loss(F, F_c)    = mean over T x N of (F - F_c)^2
  style_loss(F, S)        = mean over N x N of (gram(F) - gram(S))^2,
                            gram(F) = F^T F / T (normalised by the number of frames)
  envelope_loss(a, b)     = mean of (a - b)^2 (Verma & Smith's envelopes, log1p domain)

The objective (`objective.py`) then divides the content and style terms by a constant
of their own target (`content_scale`, `gram_energy`), which also removes their
dependence on the input level.

Precision of the style loss. When T + T_s < N the loss is computed from frame-by-frame
products (T x T and T x T_s) instead of N x N Grams, which is several times cheaper.
That expansion is a difference of large, nearly equal numbers near convergence
(||G||^2 - 2 <G, G_s> + ||G_s||^2 with ||G - G_s||^2 ~ 1e-6 ||G_s||^2): in float32 it
lost every digit (23 % relative error at an unnormalised loss of 0.15 on the bundled
violin clip, 24x at a 1e-3 relative perturbation of the activations). Accumulating
float32 products in float64 is not enough (the products' own rounding is amplified
as much: 0.5 % and 61 %). Here the two products are computed in float64 from the
exact float64 image of the float32 activations, and the style target's ||G_s||^2 is
computed once, in float64, with the targets; the error is then ~1e-9 and ~5e-8
relative (the direct float32 form: ~7e-7 and ~5e-6), and the cost is about 10-15 %
more per value-and-gradient than the float32 expansion at 4096 filters on a 10-s
clip, against about 70 % more for the direct form (float64 GEMMs of T x N x T, while
the network's convolution, T x 11 C x N, stays in float32).
"""
import tensorflow as tf

# Floor of the normalisers (a silent target would otherwise divide by zero).
NORMALISER_FLOOR = 1e-30


def gram_matrix(f):
    """Gram matrix normalised by the number of frames.

    Args:
      f: [T, N] activations.

    Returns:
      [N, N] tensor F^T F / T.
    """
    f = tf.convert_to_tensor(f)
    return tf.matmul(f, f, transpose_a=True) / tf.cast(tf.shape(f)[0], f.dtype)


def content_loss(f, f_content):
    """Mean over the T x N activations of the squared difference (unweighted)."""
    return tf.reduce_mean(tf.square(f - f_content))


def content_scale(f_content):
    """mean(F_c^2), the content term's normaliser (float32, floored above 0)."""
    f_content = tf.convert_to_tensor(f_content, tf.float32)
    return tf.maximum(tf.reduce_mean(tf.square(f_content)), NORMALISER_FLOOR)


def gram_energy(f):
    """||gram(F)||_F^2 = ||F^T F||^2 / T^2 in float64, via the smaller of F F^T, F^T F.

    A sum of squares (no cancellation); float64 because style_loss subtracts it from
    numbers of the same size. Computed once per style clip, with the targets.

    Args:
      f: [T, N] activations.

    Returns:
      float64 scalar tensor.
    """
    f = tf.cast(f, tf.float64)
    t, n = f.shape
    product = tf.matmul(f, f, transpose_b=True) if t < n else tf.matmul(f, f, transpose_a=True)
    return tf.reduce_sum(tf.square(product)) / float(t) ** 2


def style_loss(f, f_style, style_gram_energy=None):
    """mean((gram(F) - gram(S))^2) over the N x N entries, by the cheaper exact formula.

    With T (output) and T_s (style) frames and N filters, the direct form costs
    O(T N^2). When T + T_s < N it is cheaper to expand the square into frame-by-frame
    products, which are T x T and T x T_s instead of N x N:

      ||F^T F / T - S^T S / T_s||^2 = ||F F^T||^2 / T^2 - 2 ||F S^T||^2 / (T T_s)
                                      + ||gram(S)||^2

    (using trace identities: <F^T F, S^T S> = ||F S^T||_F^2). The expansion cancels
    catastrophically near convergence, so its products and sums are float64 (see the
    module docstring); the result is clipped at 0 (rounding) and returned as float32.
    The style activations are a constant: no gradient flows to f_style.

    Args:
      f: [T, N] output activations.
      f_style: [T_s, N] style activations (constant).
      style_gram_energy: gram_energy(f_style), if already computed (float64 scalar);
        only the expansion uses it.

    Returns:
      Scalar float32 loss (unweighted).
    """
    f, f_style = tf.convert_to_tensor(f), tf.convert_to_tensor(f_style)
    t, n = f.shape
    t_s = f_style.shape[0]
    if t + t_s < n:
        if style_gram_energy is None:
            style_gram_energy = gram_energy(f_style)
        return _expanded_style_loss(f, tf.cast(f_style, tf.float64),
                                    tf.cast(style_gram_energy, tf.float64))
    return tf.reduce_mean(tf.square(gram_matrix(f) - gram_matrix(f_style)))


def _expanded_style_loss(f, s64, style_gram_energy):
    """The T x T expansion of style_loss in float64, with a written-out gradient.

    The gradient is written out, d/dF = 4 / (T N^2) ((F F^T / T) F - (F S^T / T_s) S),
    rather than left to autodiff: it reuses the two forward products and needs two
    T x T x N products instead of three (autodiff does not see that F F^T is
    symmetric), about 6 % of a 4096-filter evaluation.
    """
    t, n = f.shape
    t_s = s64.shape[0]

    @tf.custom_gradient
    def loss(f):
        f64 = tf.cast(f, tf.float64)
        ff = tf.matmul(f64, f64, transpose_b=True)
        fs = tf.matmul(f64, s64, transpose_b=True)
        total = (tf.reduce_sum(tf.square(ff)) / float(t) ** 2
                 - 2.0 * tf.reduce_sum(tf.square(fs)) / (float(t) * float(t_s))
                 + style_gram_energy)

        def gradient(upstream):
            d_f = tf.matmul(ff, f64) / float(t) - tf.matmul(fs, s64) / float(t_s)
            # Zero where the clip at 0 below is active (rounding at exact convergence).
            scale = tf.cast(upstream, tf.float64) * tf.cast(total > 0.0, tf.float64) * (
                4.0 / (float(t) * float(n) ** 2))
            return tf.cast(scale * d_f, f.dtype)

        return tf.cast(tf.maximum(total, 0.0) / float(n) ** 2, tf.float32), gradient

    return loss(f)


def energy_envelope(spectrum):
    """log1p of the per-frame energy (sum over bins) of a non-negative spectrum [T, C] -> [T]."""
    return tf.math.log1p(tf.reduce_sum(spectrum, axis=-1))


def frequency_envelope(spectrum):
    """log1p of the time-averaged spectrum [T, C] -> [C]."""
    return tf.math.log1p(tf.reduce_mean(spectrum, axis=0))


def envelope_loss(a, b):
    """Mean squared difference between two envelopes of equal shape."""
    return tf.reduce_mean(tf.square(a - b))
