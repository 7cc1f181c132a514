"""Trains the compact VGGish shipped in vggish_loss/weights/.

    python scripts/train_vggish_compact.py                      # the shipped model
    python scripts/train_vggish_compact.py --epochs=2 --output_dir=outputs/vggish_try

Renders single notes of General-MIDI instruments with FluidR3_GM (cached in
--cache_dir), trains a reduced-width VGGish with an instrument-classifier head,
prints train / held-out (unseen pitches) accuracy and the held-out confusion
matrix, and writes compact.weights.h5 + compact.json (+ compact.classifier.npz)
so that vggish_loss.load_compact() loads it. See docs/vggish_compact.md.
Needs: apt-get install fluidsynth fluid-soundfont-gm (and pip install pretty_midi).
"""
from neural_style_audio.cli.train_vggish_compact import console_main

if __name__ == "__main__":
    console_main()
