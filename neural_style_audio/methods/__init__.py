"""Registry of transfer methods.

A method is one module that registers a function

    transfer(content, style, config, progress=None, cache=None) -> TransferResult

together with its settings dataclass (`config_class`). Today: `optimisation` (the
optimisation of a spectrogram representation through a feature network, as in
Ulyanov & Lebedev and the reports that build on it) and `source_filter` (the content's
notes played by a harmonic-plus-noise model of the style's instrument). The setting
`run.method` (`--method`) selects one.
"""
import dataclasses
from typing import Callable

_REGISTRY = {}


@dataclasses.dataclass(frozen=True)
class Method:
    """A registered method: its name, transfer function and settings dataclass."""
    name: str
    transfer: Callable
    config_class: type
    # The TransferConfig groups the method reads (empty: all of them). The command line
    # warns about explicit flags of the other groups, which would have no effect.
    settings_groups: tuple = ()


def register(name, config_class, settings_groups=()):
    """Decorator for a method's transfer function (see Method for the arguments)."""

    def decorate(fn):
        if name in _REGISTRY:
            raise ValueError(f"method '{name}' is registered twice")
        _REGISTRY[name] = Method(name, fn, config_class, tuple(settings_groups))
        return fn

    return decorate


def names():
    """Registered method names."""
    return tuple(_REGISTRY)


def get(name):
    """The Method registered as `name` (KeyError naming the choices if unknown)."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown method '{name}' (choose from {', '.join(_REGISTRY)})") from None


# Registration happens on import.
from neural_style_audio.methods import optimisation, source_filter  # noqa: E402,F401
from neural_style_audio.methods import wavenet  # noqa: E402,F401
