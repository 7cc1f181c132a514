"""Trains a CycleGAN between two folders or genres of audio; see
neural_style_audio/cli/train_cyclegan.py and docs/cyclegan.md."""
from neural_style_audio.cli.train_cyclegan import console_main

if __name__ == "__main__":
    console_main()
