"""Figures: spectrograms of a transfer and its loss curve."""
import matplotlib
import numpy as np
from matplotlib.figure import Figure

# Figures are made with matplotlib.figure.Figure, not pyplot: saving to a file needs no
# GUI backend, and importing this module leaves matplotlib's global backend alone.


def _subplots(nrows=1, ncols=1, **kwargs):
    """A (Figure, axes) pair like pyplot.subplots, without pyplot's global state."""
    figsize = kwargs.pop("figsize", None)
    kwargs.pop("constrained_layout", None)
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.subplots(nrows, ncols, **kwargs)


def _spans_decades(values):
    """Whether finite `values` are all positive and span more than 100x (log scale)."""
    return bool(values.size) and bool(np.all(values > 0)) and values.max() / values.min() > 100


def _spectrogram(ax, mag, sr, hop_length, title):
    from neural_style_audio import spectral  # Lazy: importing TF is slow.
    db = spectral.spectrogram_db(mag)
    seconds = mag.shape[0] * hop_length / sr
    ax.imshow(db, origin="lower", aspect="auto", cmap="magma", vmin=-80, vmax=0,
              extent=[0, seconds, 0, sr / 2000])
    ax.set_title(title)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("frequency (kHz)")


def transfer_figure(result, path):
    """Saves content / style / output log spectrograms and the loss curve as a PNG.

    Args:
      result: a TransferResult.
      path: output file (PNG).
    """
    cfg = result.record["config"]["features"]
    sr, hop = cfg["sr"], cfg["hop_length"]
    fig, axes = _subplots(2, 2, figsize=(12, 7), constrained_layout=True)
    _spectrogram(axes[0, 0], result.content_magnitude, sr, hop, "content")
    _spectrogram(axes[0, 1], result.style_magnitude, sr, hop, "style")
    _spectrogram(axes[1, 0], result.magnitude, sr, hop, "output (optimised magnitude)")
    ax = axes[1, 1]
    history = np.asarray(result.record["loss_history"], dtype=float)
    if history.size and np.all(history > 0):
        ax.semilogy(np.arange(1, history.size + 1), history)
    elif history.size:
        ax.plot(np.arange(1, history.size + 1), history)
    ax.set_title("loss")
    ax.set_xlabel("iteration")
    ax.grid(True, alpha=0.3)
    fig.savefig(path, dpi=90, format="png")


def spectrogram_image(y, sr, path, title="", n_fft=2048, hop_length=512):
    """Saves the log spectrogram of a waveform as a small PNG (for HTML reports).

    Args:
      y: [n_samples] waveform.
      sr: sample rate, Hz.
      path: output file (PNG).
      title: axes title.
      n_fft, hop_length: STFT frame and hop, samples.
    """
    import librosa  # Numpy STFT: the same display as spectral.magnitude without TF work.
    mag = np.abs(librosa.stft(np.asarray(y, np.float32), n_fft=n_fft, hop_length=hop_length)).T
    fig, ax = _subplots(figsize=(4.2, 2.6), constrained_layout=True)
    _spectrogram(ax, mag, sr, hop_length, title)
    fig.savefig(path, dpi=80, format="png")


def metric_distributions(rows, metric_names, systems, path, titles=None):
    """Saves box plots with the individual values (strip plot) per metric and system.

    Args:
      rows: dicts with 'system' and one float per metric name (NaN/None skipped).
      metric_names: metrics to show, one panel each.
      systems: system names, in the order of the boxes.
      path: output file (PNG).
      titles: optional {metric: panel title} (default: the metric name).
    """
    titles = titles or {}
    n = max(len(metric_names), 1)
    n_cols = min(n, 3)
    n_rows = -(-n // n_cols)
    fig, axes = _subplots(n_rows, n_cols, figsize=(4.2 * n_cols, 3.4 * n_rows),
                             squeeze=False, constrained_layout=True)
    rng = np.random.default_rng(0)  # Jitter of the strip plot, reproducible.
    for ax, metric in zip(axes.flat, metric_names):
        data = []
        for system in systems:
            values = [r.get(metric) for r in rows if r.get("system") == system]
            data.append(np.array([v for v in values if v is not None and np.isfinite(v)],
                                 dtype=float))
        positions = np.arange(1, len(systems) + 1)
        shown = [(p, d) for p, d in zip(positions, data) if d.size]
        if shown:
            ax.boxplot([d for _, d in shown], positions=[p for p, _ in shown], widths=0.5,
                       showfliers=False)
        for p, d in shown:
            ax.plot(p + rng.uniform(-0.12, 0.12, d.size), d, "o", ms=3.5, alpha=0.6)
        ax.set_xticks(positions)
        ax.set_xticklabels(systems, rotation=15)
        ax.set_title(titles.get(metric, metric))
        ax.grid(True, axis="y", alpha=0.3)
    for ax in list(axes.flat)[len(metric_names):]:
        ax.axis("off")
    fig.savefig(path, dpi=90, format="png")


def grid_figure(axes_values, values, title, path, max_panels=16):
    """Saves a sweep result: a line plot (1 axis) or heat-map(s) (2+ axes).

    With more than two axes, one heat-map of the first two per combination of the
    others (at most `max_panels`).

    Args:
      axes_values: [(name, [value, ...]), ...], one per grid axis, in order.
      values: array shaped [len(values_0), len(values_1), ...]; NaN = missing.
      title: figure title (e.g. the metric).
      path: output file (PNG).
      max_panels: panels drawn at most with 3+ axes.
    """
    import itertools
    from matplotlib import colors
    values = np.asarray(values, dtype=float)
    labels = [[str(v) for v in vals] for _, vals in axes_values]
    if len(axes_values) == 1:
        fig, ax = _subplots(figsize=(5.5, 3.6), constrained_layout=True)
        ax.plot(np.arange(len(values)), values, "o-")
        ax.set_xticks(np.arange(len(values)))
        ax.set_xticklabels(labels[0])
        ax.set_xlabel(axes_values[0][0])
        ax.set_ylabel(title)
        if _spans_decades(values[np.isfinite(values)]):
            ax.set_yscale("log")
        ax.grid(True, alpha=0.3)
        ax.set_title(title)
        fig.savefig(path, dpi=90, format="png")
        return
    rest = list(itertools.product(*[range(len(v)) for _, v in axes_values[2:]]))[:max_panels]
    n_cols = min(len(rest), 4)
    n_rows = -(-len(rest) // n_cols)
    fig, axes = _subplots(n_rows, n_cols, squeeze=False, constrained_layout=True,
                             figsize=(1.2 + 0.9 * len(labels[1]) * n_cols + 1.2,
                                      1.0 + 0.6 * len(labels[0]) * n_rows + 0.6))
    finite = values[np.isfinite(values)]
    norm = None
    if _spans_decades(finite):
        norm = colors.LogNorm(finite.min(), finite.max())
    elif finite.size:
        norm = colors.Normalize(finite.min(), finite.max())
    cmap = matplotlib.colormaps["viridis"].with_extremes(bad="lightgrey")
    image = None
    for ax, index in zip(axes.flat, rest):
        panel = values[(slice(None), slice(None)) + index]
        image = ax.imshow(np.ma.masked_invalid(panel), cmap=cmap, norm=norm, aspect="auto",
                          origin="lower")
        for (i, j), v in np.ndenumerate(panel):
            ax.text(j, i, f"{v:.3g}" if np.isfinite(v) else "–", ha="center", va="center",
                    fontsize=8, color="white" if norm is None or not np.isfinite(v)
                    or norm(v) < 0.6 else "black")
        ax.set_xticks(np.arange(len(labels[1])))
        ax.set_xticklabels(labels[1])
        ax.set_yticks(np.arange(len(labels[0])))
        ax.set_yticklabels(labels[0])
        ax.set_xlabel(axes_values[1][0])
        ax.set_ylabel(axes_values[0][0])
        if index:
            ax.set_title(", ".join(f"{axes_values[2 + k][0]}={labels[2 + k][i]}"
                                   for k, i in enumerate(index)), fontsize=9)
    for ax in list(axes.flat)[len(rest):]:
        ax.axis("off")
    if image is not None and finite.size:
        fig.colorbar(image, ax=axes, shrink=0.8)
    fig.suptitle(title)
    fig.savefig(path, dpi=90, format="png")
