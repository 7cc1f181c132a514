"""Sizes of the WaveNet autoencoder (Engel et al. 2017, magenta's `h512_bo16`).

Every size of the model is a field here; `H512_BO16` is the published configuration
(magenta/models/nsynth/wavenet/h512_bo16.py) and `SMALL` / `TINY` are small ones for
a CPU and for tests. `CONFIGS` names them for command-line flags.
"""
import dataclasses

SAMPLE_RATE = 16000  # NSynth audio.
QUANTIZATION_CHANNELS = 256  # 8-bit mu-law: the decoder's softmax has 256 classes.


@dataclasses.dataclass(frozen=True)
class WaveNetConfig:
    """Sizes of the encoder and decoder.

    Attributes:
      name: how the configuration is called (`--wavenet_model`).
      sample_rate: audio rate (Hz).
      quantization_channels: mu-law levels (mu + 1); the decoder's softmax width.
      ae_num_stages: encoder dilations cycle 1, 2, ..., 2^(ae_num_stages - 1).
      ae_num_layers: encoder residual layers.
      ae_filter_length: encoder (non-causal) convolution width.
      ae_width: encoder channels.
      ae_bottleneck_width: channels of the encoding.
      ae_hop_length: samples per encoding frame (average pooling window and stride).
      num_stages: decoder dilations cycle 1, ..., 2^(num_stages - 1).
      num_layers: decoder gated layers.
      filter_length: decoder (causal) convolution width.
      width: decoder residual channels (the dilated convolutions have 2 * width).
      skip_width: decoder skip channels.
    """
    name: str = "h512_bo16"
    sample_rate: int = SAMPLE_RATE
    quantization_channels: int = QUANTIZATION_CHANNELS
    ae_num_stages: int = 10
    ae_num_layers: int = 30
    ae_filter_length: int = 3
    ae_width: int = 128
    ae_bottleneck_width: int = 16
    ae_hop_length: int = 512
    num_stages: int = 10
    num_layers: int = 30
    filter_length: int = 3
    width: int = 512
    skip_width: int = 256

    def __post_init__(self):
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name != "name" and (not isinstance(value, int) or value < 1):
                raise ValueError(f"WaveNetConfig.{f.name} must be a positive integer, "
                                 f"got {value!r}")
        if self.quantization_channels < 2:
            raise ValueError("WaveNetConfig.quantization_channels must be >= 2")

    @property
    def mu(self):
        """The mu-law parameter (255 for 8 bits)."""
        return self.quantization_channels - 1

    def ae_dilation(self, i):
        """Dilation of encoder layer i (0-based)."""
        return 2 ** (i % self.ae_num_stages)

    def dilation(self, i):
        """Dilation of decoder layer i (0-based)."""
        return 2 ** (i % self.num_stages)

    @property
    def receptive_field(self):
        """Past samples the decoder sees (start conv plus the dilated layers)."""
        taps = self.filter_length - 1
        return 1 + taps + sum(taps * self.dilation(i) for i in range(self.num_layers))

    @property
    def frames_per_second(self):
        """Encoding frames per second (31.25 for the published model)."""
        return self.sample_rate / self.ae_hop_length

    def to_dict(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values):
        """Inverse of to_dict (unknown keys are an error)."""
        return cls(**values)


# magenta h512_bo16: 30 + 30 layers, widths 128 (encoder), 512/256 (decoder), 16-d
# encoding at hop 512 (31.25 frames per second).
H512_BO16 = WaveNetConfig()
# For a CPU: the decoder must run faster than real time, one clip at a time (see
# benchmarks/bench_wavenet.py); 2 x 8 decoder layers see 1023 samples (64 ms). The
# encoding keeps the published format (16 channels, 31.25 frames per second).
SMALL = WaveNetConfig(name="small", ae_num_stages=10, ae_num_layers=10, ae_width=32,
                      ae_bottleneck_width=16, ae_hop_length=512, num_stages=8,
                      num_layers=16, width=32, skip_width=32)
# For tests: a few layers, narrow, short hop.
TINY = WaveNetConfig(name="tiny", ae_num_stages=3, ae_num_layers=3, ae_width=8,
                     ae_bottleneck_width=4, ae_hop_length=16, num_stages=3, num_layers=4,
                     width=8, skip_width=8)
CONFIGS = {c.name: c for c in (H512_BO16, SMALL, TINY)}


def get(name):
    """The WaveNetConfig called `name` (KeyError naming the choices)."""
    try:
        return CONFIGS[name]
    except KeyError:
        raise KeyError(f"unknown WaveNet configuration '{name}' (choose from "
                       f"{', '.join(CONFIGS)})") from None
