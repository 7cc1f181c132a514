"""Trains the instrument CNN (Verma & Smith's feature network); see
neural_style_audio/cli/train_instrument_cnn.py and docs/instrument_cnn.md."""
from neural_style_audio.cli.train_instrument_cnn import console_main

if __name__ == "__main__":
    console_main()
