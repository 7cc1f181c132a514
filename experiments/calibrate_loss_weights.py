"""Re-derives the presets' loss weights for the normalised loss terms.

The old objective summed squares (content over T x N activations, style over N x N
Gram entries), so the content/style balance moved with the clip length, the number
of filters and the input level. The normalised terms (losses/objective.py) divide each
term by a constant of its own target, so

    new ratio(x) = old ratio(x) * (alpha_new / beta_new) / (alpha_old / beta_old)
                   * ||G_s||^2 / ||F_c||^2             (one style layer)

at every x: matching the ratio at one point matches it everywhere. This script
measures, at the published setting (the bundled content/style examples looped to
10 s at 22050 Hz, 4096 filters, the preset's own filter width, network seed 0, the
optimiser's start: a noise start clipped at 0, or the content for cnn_baseline), the
old ratio content/style with the published weights, the alpha that gives the same
ratio with style_weight 1 (rounded to 2 significant digits, 3 where 2 are more than
1 % off) and the ratio the presets now give. A content start (cnn_baseline) has content = 0 in both forms, so the ratio
is also shown at the noise start, where both terms are non-zero.

    python experiments/calibrate_loss_weights.py
"""
import numpy as np
import tensorflow as tf

from neural_style_audio import audio, examples, losses, networks, representations, spectral
from neural_style_audio.config import resolve_config
from neural_style_audio.methods.optimisation import initial_features

SECONDS = 10.0
# The published (unnormalised) weights: (content_weight alpha, style_weight).
OLD_WEIGHTS = {"ulyanov": (1e-2, 1.0), "deepmix": (0.006, 1.0), "iitb": (1e-2, 1.0),
               "cnn_baseline": (1.0, 500.0)}


def looped(path, sr, seconds=SECONDS):
    """The clip repeated and trimmed to `seconds`."""
    y = audio.load_audio(path, sr)
    n = int(round(seconds * sr))
    return np.tile(y, -(-n // len(y)))[:n]


def old_terms(f, f_content, style_acts, style_targets):
    """The old unweighted sums: sum (F - F_c)^2 and sum over layers ||G - G_s||_F^2.

    Float64, through T x T products (exact enough here: far from convergence).
    """
    f, f_content = np.float64(f), np.float64(f_content)
    content = np.sum((f - f_content) ** 2)
    style = 0.0
    for a, s in zip(style_acts, style_targets):
        a, s = np.float64(a), np.float64(s)
        t, t_s = len(a), len(s)
        style += (np.sum((a @ a.T) ** 2) / t ** 2 - 2 * np.sum((a @ s.T) ** 2) / (t * t_s)
                  + np.sum((s @ s.T) ** 2) / t_s ** 2)
    return content, style


def rounded(x):
    """x to 2 significant digits, or 3 where 2 are more than 1 % off."""
    two = float(f"{x:.1e}")
    return two if abs(two / x - 1) <= 0.01 else float(f"{x:.2e}")


def start_point(content_x, init, cfg):
    """The optimiser's first iterate (optimize clips it at the lower bound)."""
    x0 = initial_features(content_x, init, cfg.optimizer.init_scale, cfg.run.seed)
    if cfg.optimizer.nonnegative and cfg.features.feature in ("stft", "mel"):
        x0 = np.maximum(x0, 0.0)
    return x0


def calibrate(preset):
    cfg = resolve_config(preset, progress=False)
    fc, sr = cfg.features, cfg.features.sr
    rep = representations.get(fc)
    content_x, style_x = (rep.analyse(spectral.magnitude(looped(p, sr), fc.n_fft, fc.hop_length))
                          for p in (examples.content_path(), examples.style_path()))
    network = networks.build_network(cfg.network, rep.n_channels, cfg.run.seed)
    objective = losses.TransferObjective(network, content_x, style_x, cfg.loss, fc)
    f_content = objective.targets["content"]
    style_targets = objective.targets["style"]
    alpha_old, beta_old = OLD_WEIGHTS[preset]
    lines = []
    starts = [cfg.optimizer.init] + (["noise"] if cfg.optimizer.init != "noise" else [])
    for init in starts:
        x0 = start_point(content_x, init, cfg)
        f, style_acts = network.content_and_style(tf.constant(x0))
        c_old, s_old = old_terms(f, f_content, style_acts, style_targets)
        ratio_old = alpha_old * c_old / (beta_old * s_old)
        terms = {k: float(v) for k, v in objective(tf.constant(x0)).items()}
        ratio_new = terms["content"] / terms["style"]
        # Unweighted normalised terms: C and S of the objective's docstring.
        c_new = terms["content"] / (losses.LOSS_SCALE * cfg.loss.content_weight)
        s_new = terms["style"] / (losses.LOSS_SCALE * cfg.loss.style_weight)
        if c_new > 0:
            alpha = ratio_old * s_new / c_new  # With style_weight 1.
            derived = f"alpha for the same ratio {alpha:.4g} -> {rounded(alpha):g}"
            change = f"{100 * (ratio_new / ratio_old - 1):+.2f} %"
        else:
            derived, change = "content = 0 at this start (ratio 0 in both forms)", "-"
        lines.append(
            f"{preset:12s} start={init:7s} T={len(f)} N={f.shape[1]} | old weights "
            f"({alpha_old:g}, {beta_old:g}): content {alpha_old * c_old:.4g}, style "
            f"{beta_old * s_old:.4g}, total {alpha_old * c_old + beta_old * s_old:.4g}, "
            f"ratio {ratio_old:.4g} | {derived} | preset now ({cfg.loss.content_weight:g}, "
            f"{cfg.loss.style_weight:g}): C {c_new:.4f}, S {s_new:.4f}, total "
            f"{terms['total']:.4g}, ratio {ratio_new:.4g} ({change} vs old)")
    return lines


def main():
    print(f"LOSS_SCALE = {losses.LOSS_SCALE:g}; clips: bundled examples looped to {SECONDS:g} s")
    for preset in OLD_WEIGHTS:
        for line in calibrate(preset):
            print(line, flush=True)


if __name__ == "__main__":
    main()
