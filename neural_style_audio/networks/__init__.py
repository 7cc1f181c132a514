"""Registry of feature networks (`--network`).

A new network is one module with a `base.NetworkSpec` subclass decorated with
`@register`, imported at the end of this file.
"""
from neural_style_audio.networks.base import NetworkSpec

_REGISTRY = {}


def register(cls):
    """Class decorator: makes the NetworkSpec `cls` available under `cls.name`."""
    if cls.name in _REGISTRY:
        raise ValueError(f"network '{cls.name}' is registered twice")
    _REGISTRY[cls.name] = cls
    return cls


def names():
    """Registered network names, in registration order."""
    return tuple(_REGISTRY)


def spec(name):
    """The NetworkSpec registered as `name` (KeyError naming the choices if unknown)."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown network '{name}' (choose from {', '.join(_REGISTRY)})") from None


def build_network(net_cfg, in_channels, seed=0, scale=1.0):
    """Builds the feature network of a NetworkConfig (see NetworkSpec.build)."""
    return spec(net_cfg.network).build(net_cfg, in_channels, seed, scale)


def required_frames(net_cfg):
    """Fewest STFT frames a clip needs for the network of a NetworkConfig."""
    return spec(net_cfg.network).min_frames(net_cfg)


def required_samples(config):
    """Fewest samples a clip needs for a TransferConfig's network.

    A centred STFT gives 1 + n_samples // hop_length frames.
    """
    return (required_frames(config.network) - 1) * config.features.hop_length + 1


# Registration happens on import.
from neural_style_audio.networks import random_conv, vgg19  # noqa: E402,F401
from neural_style_audio.networks import instrument_cnn  # noqa: E402,F401
from neural_style_audio.networks import recurrent  # noqa: E402,F401

__all__ = ["NetworkSpec", "register", "names", "spec", "build_network", "required_frames",
           "required_samples"]
