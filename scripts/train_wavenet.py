"""Trains the WaveNet autoencoder; see neural_style_audio/cli/train_wavenet.py and
docs/wavenet.md."""
from neural_style_audio.cli.train_wavenet import console_main

if __name__ == "__main__":
    console_main()
