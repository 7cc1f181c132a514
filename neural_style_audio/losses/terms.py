"""Content, style (Gram) and envelope loss terms (pure functions of tensors).

Scale conventions follow Ulyanov's code: losses are sums of squares (2 * l2_loss),
Gram matrices are normalised by the number of frames, the content term is weighted by
alpha (`content_weight`).
"""
import tensorflow as tf


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
    """Sum of squared differences between activations [T, N] (unweighted)."""
    return tf.reduce_sum(tf.square(f - f_content))


def style_loss(f, f_style):
    """||gram(F) - gram(S)||_F^2, choosing the cheaper of two exact formulas.

    With T (output) and T_s (style) frames and N filters, the direct form costs
    O(T N^2). When T + T_s < N it is cheaper to expand the square into frame-by-frame
    products, which are T x T, T x T_s and T_s x T_s instead of N x N:

      ||F^T F / T - S^T S / T_s||^2 = ||F F^T||^2 / T^2 - 2 ||F S^T||^2 / (T T_s)
                                      + ||S S^T||^2 / T_s^2

    (using trace identities: <F^T F, S^T S> = ||F S^T||_F^2).

    Args:
      f: [T, N] output activations.
      f_style: [T_s, N] style activations (constant).

    Returns:
      Scalar loss (unweighted).
    """
    t, n = f.shape
    t_s = f_style.shape[0]
    if t + t_s < n:
        t_f, t_sf = float(t), float(t_s)
        ff = tf.matmul(f, f, transpose_b=True)
        fs = tf.matmul(f, f_style, transpose_b=True)
        ss = tf.matmul(f_style, f_style, transpose_b=True)
        return (tf.reduce_sum(tf.square(ff)) / t_f ** 2
                - 2.0 * tf.reduce_sum(tf.square(fs)) / (t_f * t_sf)
                + tf.reduce_sum(tf.square(ss)) / t_sf ** 2)
    return tf.reduce_sum(tf.square(gram_matrix(f) - gram_matrix(f_style)))


def energy_envelope(spectrum):
    """log1p of the per-frame energy (sum over bins) of a non-negative spectrum [T, C] -> [T]."""
    return tf.math.log1p(tf.reduce_sum(spectrum, axis=-1))


def frequency_envelope(spectrum):
    """log1p of the time-averaged spectrum [T, C] -> [C]."""
    return tf.math.log1p(tf.reduce_mean(spectrum, axis=0))


def envelope_loss(a, b):
    """Sum of squared differences between two envelopes of equal shape."""
    return tf.reduce_sum(tf.square(a - b))
