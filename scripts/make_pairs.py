"""Renders content/style/target triplets with a General-MIDI SoundFont.

  python scripts/make_pairs.py --n_triplets=20 --output_dir=outputs/pairs

Each triplet: content = melody M1 on instrument A, style = a different melody M2 on
instrument B, target = M1 on B (the ground truth of an ideal transfer). Each distinct
(melody, instrument) clip is rendered once into <output_dir>/clips/ as mono 16-bit
FLAC; <output_dir>/manifest.json lists the triplets with paths relative to itself.
Needs: apt-get install fluidsynth fluid-soundfont-gm (and pip install pretty_midi).
"""
from neural_style_audio.cli.make_pairs import console_main

if __name__ == "__main__":
    console_main()
