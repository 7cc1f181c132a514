"""Converts audio with a trained CycleGAN generator; see neural_style_audio/cli/convert.py
and docs/cyclegan.md."""
from neural_style_audio.cli.convert import console_main

if __name__ == "__main__":
    console_main()
