"""neural-style-audio: the content of one clip with the style (timbre, texture) of another."""
__version__ = "0.1.0"
