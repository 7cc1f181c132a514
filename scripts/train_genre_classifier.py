"""Trains and tests the genre classifiers (judges); see
neural_style_audio/cli/train_genre_classifier.py and docs/genre_classifiers.md."""
from neural_style_audio.cli.train_genre_classifier import console_main

if __name__ == "__main__":
    console_main()
