"""The contract of a time-frequency representation the optimisation works on.

A representation maps a linear STFT magnitude [T, n_fft/2+1] to the feature matrix
[T, C] the feature network sees (`analyse`), maps an optimised feature matrix back to
a linear magnitude for phase reconstruction (`synthesise`), and gives a differentiable
non-negative spectrum of a feature matrix for the envelope losses (`to_energy`).
"""
import abc


class Representation(abc.ABC):
    """One representation, configured by a `config.FeatureConfig`.

    Subclasses set `name` (the `--feature` value) and register themselves with
    `representations.register`.
    """

    name = ""
    # Lower bound of every feature value during optimisation, or None (unbounded).
    lower_bound = None

    def __init__(self, cfg):
        self.cfg = cfg

    @property
    @abc.abstractmethod
    def n_channels(self):
        """Feature channels C (the network's input channels)."""

    @abc.abstractmethod
    def analyse(self, mag):
        """Linear magnitude [T, n_fft/2+1] -> float32 features [T, C] (numpy)."""

    @abc.abstractmethod
    def synthesise(self, x):
        """Features [T, C] -> float32 linear magnitude [T, n_fft/2+1] (numpy)."""

    @abc.abstractmethod
    def to_energy(self, x):
        """Differentiable map of features [T, C] (tensor) to a non-negative spectrum [T, C']."""
