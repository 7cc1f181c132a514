"""Importing TensorFlow without its C++ start-up chatter (see neural_style_audio.quiet)."""
from neural_style_audio.quiet import import_tensorflow_quietly

__all__ = ["import_tensorflow_quietly"]
