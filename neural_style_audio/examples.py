"""The bundled example clips (rendered with the MIT-licensed FluidR3 GM soundfont)."""
from importlib import resources
from pathlib import Path

_DIR = "data/examples"


def _path(name):
    return Path(str(resources.files("neural_style_audio").joinpath(_DIR, name)))


def content_path():
    """A short piano melody: the bundled content example."""
    return _path("content_piano_melody.flac")


def style_path():
    """A different melody on violin: the bundled style example."""
    return _path("style_violin_melody.flac")
