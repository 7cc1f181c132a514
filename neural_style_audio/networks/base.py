"""The contract of a feature network.

A network module registers a `NetworkSpec` subclass: how to build the Keras model from
a `config.NetworkConfig`, how many input frames it needs, and which settings it cannot
work with. The built model offers:

    content_and_style(x [T, C]) -> (content activation [T', N], [style activations])
    min_frames() -> fewest input frames
    style_reduction: "sum" or "mean" of the per-layer style losses
"""


class NetworkSpec:
    """How to build one kind of network (`--network NAME`)."""

    name = ""

    @staticmethod
    def min_frames(net_cfg):
        """Fewest input frames for which every layer has at least one output frame."""
        raise NotImplementedError

    @staticmethod
    def build(net_cfg, in_channels, seed=0, scale=1.0):
        """The built Keras model for [T, in_channels] inputs.

        Args:
          net_cfg: NetworkConfig.
          in_channels: feature channels C.
          seed: seed of any random weights.
          scale: the feature value that means "loud" (the content's maximum), for
            networks that expect a fixed input range.
        """
        raise NotImplementedError

    @staticmethod
    def check(config):
        """A one-line problem with this network in a TransferConfig, or None."""
        return None
