"""Content, style (Gram) and envelope losses, and the full transfer objective.

Scale conventions follow Ulyanov's code: losses are sums of squares (2 * l2_loss),
Gram matrices are normalised by the number of frames, the content term is weighted by
alpha (`content_weight`).
"""
import tensorflow as tf

from neural_style_audio import features


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


def perceptual_content_loss(content_feats, loss_cfg, feature_cfg):
    """A VGGish PerceptualLoss whose reference is the content's linear magnitude."""
    from vggish_loss import PerceptualLoss, resolve_perceptual_model
    model = resolve_perceptual_model(loss_cfg.perceptual_model)
    layers = [name.strip() for name in loss_cfg.perceptual_layers.split(",") if name.strip()]
    reference = features.log1p_to_linear(content_feats)
    return PerceptualLoss(model, layers, reference=reference, reference_kind="magnitude",
                          sample_rate=feature_cfg.sr, n_fft=feature_cfg.n_fft,
                          hop_length=feature_cfg.hop_length)


class TransferObjective:
    """The weighted sum of content, style and envelope terms for one content/style pair.

    Targets (content activations, style activations, envelopes) are computed once in
    __init__; `__call__(x)` maps a feature matrix x [T, C] to a dict of the scalar terms
    and their weighted total under 'total'.
    """

    def __init__(self, network, content_feats, style_feats, loss_cfg, feature_cfg):
        self.network = network
        self.cfg = loss_cfg
        self.feature_cfg = feature_cfg
        content_feats = tf.convert_to_tensor(content_feats, tf.float32)
        style_feats = tf.convert_to_tensor(style_feats, tf.float32)
        self.content_target, _ = network.content_and_style(content_feats)
        _, self.style_targets = network.content_and_style(style_feats)
        self.perceptual = None
        if loss_cfg.content_loss == "perceptual":
            self.perceptual = perceptual_content_loss(content_feats, loss_cfg, feature_cfg)
        self.energy_target = energy_envelope(
            features.features_to_energy_domain(content_feats, feature_cfg))
        self.freq_target = frequency_envelope(
            features.features_to_energy_domain(style_feats, feature_cfg))

    def __call__(self, x):
        content_act, style_acts = self.network.content_and_style(x)
        terms = {}
        cfg = self.cfg
        if cfg.content_weight > 0:
            if self.perceptual is not None:
                # The perceptual term sees the linear magnitude (features are log1p).
                terms["content"] = cfg.content_weight * self.perceptual(
                    features.log1p_to_linear(x))
            else:
                terms["content"] = cfg.content_weight * content_loss(
                    content_act, self.content_target)
        if cfg.style_weight > 0:
            per_layer = [style_loss(a, s) for a, s in zip(style_acts, self.style_targets)]
            style = tf.add_n(per_layer)
            if self.network.style_reduction == "mean":
                style = style / len(per_layer)
            terms["style"] = cfg.style_weight * style
        if cfg.energy_weight > 0 or cfg.freq_envelope_weight > 0:
            spectrum = features.features_to_energy_domain(x, self.feature_cfg)
            if cfg.energy_weight > 0:
                terms["energy"] = cfg.energy_weight * envelope_loss(
                    energy_envelope(spectrum), self.energy_target)
            if cfg.freq_envelope_weight > 0:
                terms["freq_envelope"] = cfg.freq_envelope_weight * envelope_loss(
                    frequency_envelope(spectrum), self.freq_target)
        terms["total"] = tf.add_n(list(terms.values()))
        return terms
