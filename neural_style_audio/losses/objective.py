"""The transfer objective: weighted content, style and envelope terms for one pair."""
import tensorflow as tf

from neural_style_audio import representations, spectral
from neural_style_audio.losses.terms import (content_loss, energy_envelope, envelope_loss,
                                             frequency_envelope, style_loss)


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
      dict 'style' -> [style activation of each layer], 'freq_envelope' -> [C].
    """
    style_feats = tf.convert_to_tensor(style_feats, tf.float32)
    _, acts = network.content_and_style(style_feats)
    return dict(style=list(acts), freq_envelope=frequency_envelope(
        representations.get(feature_cfg).to_energy(style_feats)))


def content_targets(network, content_feats, feature_cfg):
    """What the content clip contributes: 'content' activation and 'energy' envelope."""
    content_feats = tf.convert_to_tensor(content_feats, tf.float32)
    act, _ = network.content_and_style(content_feats)
    return dict(content=act, energy=energy_envelope(
        representations.get(feature_cfg).to_energy(content_feats)))


_WEIGHTS = ("content_weight", "style_weight", "energy_weight", "freq_envelope_weight")


class TransferObjective:
    """The weighted sum of content, style and envelope terms for one content/style pair.

    Targets (content activations, style activations, envelopes) are computed once in
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

    def evaluate(self, x, targets, weights):
        """Terms of x [T, C] given the targets and weights of some pair (tensors)."""
        content_act, style_acts = self.network.content_and_style(x)
        terms = {}
        on = self.terms_on
        if "content_weight" in on:
            if self.perceptual is not None:
                # The perceptual term sees the linear magnitude (features are log1p).
                terms["content"] = weights["content_weight"] * self.perceptual(
                    spectral.log1p_to_linear(x))
            else:
                terms["content"] = weights["content_weight"] * content_loss(
                    content_act, targets["content"])
        if "style_weight" in on:
            per_layer = [style_loss(a, s) for a, s in zip(style_acts, targets["style"])]
            style = tf.add_n(per_layer)
            if self.network.style_reduction == "mean":
                style = style / len(per_layer)
            terms["style"] = weights["style_weight"] * style
        if "energy_weight" in on or "freq_envelope_weight" in on:
            spectrum = representations.get(self.feature_cfg).to_energy(x)
            if "energy_weight" in on:
                terms["energy"] = weights["energy_weight"] * envelope_loss(
                    energy_envelope(spectrum), targets["energy"])
            if "freq_envelope_weight" in on:
                terms["freq_envelope"] = weights["freq_envelope_weight"] * envelope_loss(
                    frequency_envelope(spectrum), targets["freq_envelope"])
        terms["total"] = tf.add_n(list(terms.values()))
        return terms
