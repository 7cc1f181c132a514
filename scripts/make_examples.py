"""Renders the two bundled example clips into neural_style_audio/data/examples/.

  python scripts/make_examples.py            # needs: apt-get install fluidsynth fluid-soundfont-gm

Writes content_piano_melody.flac (Ode to Joy on piano), style_violin_melody.flac
(Twinkle Twinkle on violin), 22050 Hz mono 16-bit FLAC of DURATION_S seconds each,
and LICENSE.txt stating their provenance.
"""
from neural_style_audio.cli.make_examples import console_main

if __name__ == "__main__":
    console_main()
