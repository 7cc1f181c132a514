"""Figures: spectrograms of a transfer and its loss curve."""
import matplotlib

matplotlib.use("Agg")  # Files only; never needs a display.
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from neural_style_audio import features  # noqa: E402


def _spectrogram(ax, mag, sr, hop_length, title):
    db = features.spectrogram_db(mag)
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
    fig, axes = plt.subplots(2, 2, figsize=(12, 7), constrained_layout=True)
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
    plt.close(fig)
