"""Converts the published loss weights of Gupta et al.'s RNN/BiLSTM style networks to the
package's normalised loss terms (the method of experiments/calibrate_loss_weights.py).

Published (content weight, style weight): the RNN as their CNN baseline (1, 500; the
paper gives no other value for it), the BiLSTM (1, 2500). For each, the content weight
alpha that gives the same content/style ratio with style weight 1 at the published
setting (bundled examples looped to 10 s, 22050 Hz, the preset's network, seed 0, a
noise start since the presets start from the content, where the content term is 0).
Both axes are shown; the presets use the frequency axis.

    python experiments/genre_calibrate_rnn.py
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import calibrate_loss_weights as calibration  # noqa: E402

from neural_style_audio import config  # noqa: E402

PUBLISHED = {"gupta_rnn": (1.0, 500.0), "gupta_bilstm": (1.0, 2500.0)}


def main():
    calibration.OLD_WEIGHTS.update(PUBLISHED)
    for preset in PUBLISHED:
        for axis in ("frequency", "time"):
            name = f"{preset}_{axis}"
            config.PRESETS[name] = dict(config.PRESETS[preset], rnn_axis=axis)
            calibration.OLD_WEIGHTS[name] = PUBLISHED[preset]
            for line in calibration.calibrate(name):
                print(line, flush=True)


if __name__ == "__main__":
    main()
