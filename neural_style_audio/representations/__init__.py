"""Registry of time-frequency representations (`--feature`).

A new representation is one module with a `base.Representation` subclass decorated
with `@register`, imported at the end of this file.

    rep = representations.get(feature_cfg)
    x = rep.analyse(magnitude)          # [T, C]
    magnitude = rep.synthesise(x)       # [T, n_fft/2+1]
"""
from neural_style_audio.representations.base import Representation

_REGISTRY = {}


def register(cls):
    """Class decorator: makes `cls` available under `cls.name`."""
    if cls.name in _REGISTRY:
        raise ValueError(f"representation '{cls.name}' is registered twice")
    _REGISTRY[cls.name] = cls
    return cls


def names():
    """Registered representation names, in registration order."""
    return tuple(_REGISTRY)


def get(feature_cfg):
    """The Representation of a FeatureConfig (KeyError naming the choices if unknown)."""
    try:
        cls = _REGISTRY[feature_cfg.feature]
    except KeyError:
        raise KeyError(f"unknown representation '{feature_cfg.feature}' "
                       f"(choose from {', '.join(_REGISTRY)})") from None
    return cls(feature_cfg)


# Registration happens on import.
from neural_style_audio.representations import stft, mel, mfcc  # noqa: E402,F401

__all__ = ["Representation", "register", "names", "get"]
