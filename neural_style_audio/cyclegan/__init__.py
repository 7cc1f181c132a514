"""CycleGAN audio style transfer between two domains (genres, instruments) on
log-magnitude STFT images: Gupta et al.'s published networks and the keras-io recipe.

Modules: `config` (settings and the two variants), `models` (Keras generator and
discriminators), `losses`, `data` (folders -> images -> tf.data crops), `train` (step
and loop), `convert` (audio of any length through a trained generator). See
docs/cyclegan.md.
"""
from neural_style_audio.cyclegan.config import (  # noqa: F401
    CycleGANConfig, PRESETS, PUBLISHED, STRONG, VARIANTS, preset)
