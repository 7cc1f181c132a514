"""Audio style transfer from the command line.

    python scripts/transfer.py                       # bundled example -> outputs/
    python scripts/transfer.py --content a.wav --style b.wav [--output c.wav]
    python scripts/transfer.py --content 'melodies/*.wav' --style violin.wav --preset iitb
    python scripts/transfer.py --flagfile my_settings.cfg

Writes, per content/style pair, a WAV, a JSON run record and a PNG figure.
"""
from neural_style_audio.cli.transfer import console_main

if __name__ == "__main__":
    console_main()
