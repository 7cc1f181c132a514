"""The transfer objective: weighted content, style and envelope terms for one pair.

The objective of an output x [T, C] with network activations F (content layer) and F_l
(style layers l), for a content clip with activations F_c and a style clip with
activations S_l:

  total = LOSS_SCALE * (alpha * C + beta * S + gamma_E * E + gamma_F * Phi)

  C   = mean((F - F_c)^2) / mean(F_c^2)                         (relative content error)
  S   = reduce over l of mean((G_l - G_s,l)^2) / mean(G_s,l^2)   (relative Gram error;
        G = F^T F / T; the sum over layers for the shallow network, the mean for vgg19)
  E   = mean over frames of (log1p energy(x) - log1p energy(content))^2
  Phi = mean over bins of (log1p mean spectrum(x) - log1p mean spectrum(style))^2

with alpha = content_weight, beta = style_weight, gamma_E = energy_weight and
gamma_F = freq_envelope_weight. With the perceptual content loss, C = P(x) / P(silence),
the VGGish distance relative to that of a silent output.

Why: the old terms were sums, T x N squared activations for the content and N x N
squared Gram entries for the style, so alpha's effect grew with the clip length and
shrank with the number of filters (content/style ~ T / N), and with the input level
(activations of the ReLU/tanh networks on log1p features scale roughly with the
level: content ~ level^2, style ~ level^4, hence the ratio ~ 1 / level^2). Means remove
T and N; dividing each term by a constant of its own target (computed once per pair,
per chunk for the content, with the targets) removes the level: C and S are
dimensionless, both 1 at a silent output (F = 0; G = 0), so alpha is "how much content
error is worth the same as the style error" at any length, width and level. The
presets' alphas were re-derived so that at the published setting (10-s clip, 4096
filters) the content/style ratio is what it was with the sums; see
experiments/calibrate_loss_weights.py.

LOSS_SCALE is one fixed constant. The normalised total starts near 1 (a noise start),
and scipy's L-BFGS-B stops on an absolute projected-gradient tolerance (pgtol 1e-5)
and on a relative decrease that turns absolute below |f| = 1 (factr * eps against
max(|f_k|, |f_k+1|, 1)), so a total of order 1 would stop too early. 1e5 puts the
starting total at about the size it had with the sums at the published setting
(3.9e5 for the bundled pair with the ulyanov preset), so the stopping rules act as
they did. Each reported term includes LOSS_SCALE and its weight; they sum to 'total'.
"""
import numpy as np
import tensorflow as tf

from neural_style_audio import representations, spectral
from neural_style_audio.losses.terms import (NORMALISER_FLOOR, content_loss, content_scale,
                                             energy_envelope, envelope_loss,
                                             frequency_envelope, gram_energy, style_loss)

# Fixed overall factor of the total (see the module docstring).
LOSS_SCALE = 1e5


def perceptual_content_loss(content_feats, loss_cfg, feature_cfg, seed=0):
    """A VGGish PerceptualLoss whose reference is the content's linear magnitude."""
    from vggish_loss import PerceptualLoss, resolve_perceptual_model
    model = resolve_perceptual_model(loss_cfg.perceptual_model, seed)
    layers = [name.strip() for name in loss_cfg.perceptual_layers.split(",") if name.strip()]
    reference = spectral.log1p_to_linear(content_feats)
    return PerceptualLoss(model, layers, reference=reference, reference_kind="magnitude",
                          sample_rate=feature_cfg.sr, n_fft=feature_cfg.n_fft,
                          hop_length=feature_cfg.hop_length)


def style_targets(network, style_feats, feature_cfg):
    """What the style clip contributes to the objective; shared by every chunk.

    Returns:
      dict 'style' -> [style activation of each layer], 'style_gram_energy' ->
      [||gram||^2 of each layer, float64] (the style terms' normalisers, N^2 mean(G_s^2)),
      'freq_envelope' -> [C].
    """
    style_feats = tf.convert_to_tensor(style_feats, tf.float32)
    _, acts = network.content_and_style(style_feats)
    acts = list(acts)
    return dict(style=acts, style_gram_energy=[gram_energy(a) for a in acts],
                freq_envelope=frequency_envelope(
                    representations.get(feature_cfg).to_energy(style_feats)))


def content_targets(network, content_feats, feature_cfg):
    """What the content clip contributes: 'content' activation, its normaliser
    'content_scale' (mean(F_c^2)) and 'energy' envelope."""
    content_feats = tf.convert_to_tensor(content_feats, tf.float32)
    act, _ = network.content_and_style(content_feats)
    return dict(content=act, content_scale=content_scale(act), energy=energy_envelope(
        representations.get(feature_cfg).to_energy(content_feats)))


_WEIGHTS = ("content_weight", "style_weight", "energy_weight", "freq_envelope_weight")


class TransferObjective:
    """The weighted sum of content, style and envelope terms for one content/style pair.

    Targets (content activations, style activations, envelopes and the normalisers of
    the content and style terms, see the module docstring) are computed once in
    __init__; `__call__(x)` maps a feature matrix x [T, C] to a dict of the scalar terms
    and their weighted total under 'total'.

    The computation itself is `evaluate(x, targets, weights)`, a function of tensors
    only, so one compiled version serves every objective with the same `structure`
    (same network, same terms switched on) and the same shapes: another pair, another
    chunk or another alpha does not recompile (see optimize.CompileCache).
    """

    def __init__(self, network, content_feats, style_feats, loss_cfg, feature_cfg,
                 shared_style_targets=None, seed=0):
        """Args as named; shared_style_targets: style_targets() computed once already;
        seed: weights of a random perceptual model, if one is used."""
        self.network = network
        self.feature_cfg = feature_cfg
        content_feats = tf.convert_to_tensor(content_feats, tf.float32)
        if shared_style_targets is None:
            shared_style_targets = style_targets(network, style_feats, feature_cfg)
        self.targets = dict(content_targets(network, content_feats, feature_cfg),
                            **shared_style_targets)
        self.weights = {k: tf.constant(getattr(loss_cfg, k), tf.float32) for k in _WEIGHTS}
        self.perceptual = None
        if loss_cfg.content_loss == "perceptual":
            self.perceptual = perceptual_content_loss(content_feats, loss_cfg, feature_cfg, seed)
            # C = P(x) / P(silence): the distance of a silent output is its unit.
            self.targets["content_scale"] = tf.maximum(
                self.perceptual(tf.zeros_like(content_feats)), NORMALISER_FLOOR)
        self.terms_on = tuple(k for k in _WEIGHTS if getattr(loss_cfg, k) > 0)

    @property
    def structure(self):
        """Hashable description of everything `evaluate` bakes into its graph.

        None when the objective holds state that is not passed as a tensor (the
        perceptual loss's reference), so its compiled function cannot be shared.
        """
        if self.perceptual is not None:
            return None
        # The cached function keeps this objective, hence the network, alive, so the
        # network's id cannot be reused by another network while the entry exists.
        return (id(self.network), self.terms_on, self.feature_cfg)

    def __call__(self, x):
        return self.evaluate(x, self.targets, self.weights)

    def constants(self):
        """The factors `evaluate` multiplies the unweighted means by, as Python floats.

        Returns:
          dict 'content' -> LOSS_SCALE alpha / mean(F_c^2) (None if the term is off or
          perceptual), 'style' -> [LOSS_SCALE beta / mean(G_s,l^2) per layer, divided by
          the number of layers for a "mean" reduction] (None if off); mean(G_s^2) is
          max(||G_s||^2, NORMALISER_FLOOR) / N^2 in float32, as in `evaluate`.
        """
        on, targets, weights = self.terms_on, self.targets, self.weights
        content = style = None
        if "content_weight" in on and self.perceptual is None:
            content = (LOSS_SCALE * float(weights["content_weight"])
                       / float(targets["content_scale"]))
        if "style_weight" in on:
            k = LOSS_SCALE * float(weights["style_weight"])
            if self.network.style_reduction == "mean":
                k /= len(targets["style"])
            style = []
            for act, energy in zip(targets["style"], targets["style_gram_energy"]):
                scale = (np.float32(max(float(energy), NORMALISER_FLOOR))
                         / np.float32(float(act.shape[-1]) ** 2))
                style.append(k / float(scale))
        return dict(content=content, style=style)

    def evaluate(self, x, targets, weights):
        """Terms of x [T, C] given the targets and weights of some pair (tensors)."""
        content_act, style_acts = self.network.content_and_style(x)
        terms = {}
        on = self.terms_on
        if "content_weight" in on:
            if self.perceptual is not None:
                # The perceptual term sees the linear magnitude (features are log1p).
                content = self.perceptual(spectral.log1p_to_linear(x))
            else:
                content = content_loss(content_act, targets["content"])
            terms["content"] = (LOSS_SCALE * weights["content_weight"]) * (
                content / targets["content_scale"])
        if "style_weight" in on:
            per_layer = []
            for act, target, energy in zip(style_acts, targets["style"],
                                           targets["style_gram_energy"]):
                # mean(G_s^2) = ||G_s||^2 / N^2; style_loss is a mean over N x N too.
                scale = (tf.cast(tf.maximum(energy, NORMALISER_FLOOR), tf.float32)
                         / float(act.shape[-1]) ** 2)
                per_layer.append(style_loss(act, target, energy) / scale)
            style = tf.add_n(per_layer)
            if self.network.style_reduction == "mean":
                style = style / len(per_layer)
            terms["style"] = (LOSS_SCALE * weights["style_weight"]) * style
        if "energy_weight" in on or "freq_envelope_weight" in on:
            spectrum = representations.get(self.feature_cfg).to_energy(x)
            if "energy_weight" in on:
                terms["energy"] = (LOSS_SCALE * weights["energy_weight"]) * envelope_loss(
                    energy_envelope(spectrum), targets["energy"])
            if "freq_envelope_weight" in on:
                terms["freq_envelope"] = (
                    LOSS_SCALE * weights["freq_envelope_weight"]) * envelope_loss(
                        frequency_envelope(spectrum), targets["freq_envelope"])
        terms["total"] = tf.add_n(list(terms.values()))
        return terms
