"""Where a WaveNet's weights come from: the shipped small model, a file, or a seed.

    net = load_model("shipped")                 # neural_style_audio/wavenet/weights/
    net = load_model("run/wavenet.weights.h5")  # written by scripts/train_wavenet.py
    net = load_model("wavenet-ckpt/model.ckpt-200000", "h512_bo16")  # magenta's
    net = load_model("random", "tiny", seed=0)

A Keras weights file has a JSON beside it (x.weights.h5 -> x.json) holding its
WaveNetConfig; a magenta checkpoint takes the configuration by name.
"""
import json
from pathlib import Path

from neural_style_audio.wavenet import checkpoint, config as wn_config, model

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
SHIPPED_NAME = "wavenet_small"
SHIPPED_WEIGHTS = WEIGHTS_DIR / f"{SHIPPED_NAME}.weights.h5"


class WaveNetWeightsError(ValueError):
    """Weights that cannot be loaded; the message is one line."""


def metadata_path(weights_path):
    """x.weights.h5 -> x.json."""
    path = Path(weights_path)
    stem = path.name[:-len(".weights.h5")] if path.name.endswith(".weights.h5") else path.stem
    return path.with_name(stem + ".json")


def save_model(net, path, metadata=None):
    """Writes net's weights (.weights.h5) and a JSON with its configuration and `metadata`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    net.save_weights(str(path))
    record = dict(metadata or {}, wavenet_config=net.config.to_dict())
    metadata_path(path).write_text(json.dumps(record, indent=1) + "\n")
    return path, metadata_path(path)


def read_metadata(path):
    meta = metadata_path(path)
    if not meta.is_file():
        raise WaveNetWeightsError(f"{meta}: WaveNet metadata (JSON) not found beside "
                                  f"{Path(path).name}")
    return json.loads(meta.read_text())


def weights_problem(weights):
    """One line saying why a --wavenet_weights value cannot be used, or None."""
    if weights == "random":
        return None
    path = SHIPPED_WEIGHTS if weights == "shipped" else Path(weights)
    if weights == "shipped" and not path.is_file():
        return (f"{path}: the shipped WaveNet is not installed (train it with "
                "scripts/train_wavenet.py, or use --wavenet_weights random)")
    if str(path).endswith(".weights.h5"):
        if not path.is_file():
            return f"{path}: WaveNet weights file not found"
        if not metadata_path(path).is_file():
            return f"{metadata_path(path)}: WaveNet metadata (JSON) not found beside {path.name}"
        return None
    try:
        checkpoint.resolve_path(path)
    except FileNotFoundError as err:
        return str(err)
    return None


def load_model(weights="shipped", config_name=None, seed=0):
    """A WaveNetAutoencoder with the requested weights.

    Args:
      weights: "shipped", "random", a .weights.h5 path (its JSON beside it) or a magenta
        checkpoint (prefix, .index file or folder).
      config_name: sizes (wavenet.config.CONFIGS) for "random" and for magenta
        checkpoints (default: small for random, h512_bo16 for checkpoints); must agree with
        a .weights.h5 file's own sizes when given.
      seed: seed of random weights.

    Raises:
      WaveNetWeightsError, FileNotFoundError, checkpoint.CheckpointError.
    """
    if weights == "random":
        return model.build_model(wn_config.get(config_name or "small"), seed=seed)
    path = SHIPPED_WEIGHTS if weights == "shipped" else Path(weights)
    problem = weights_problem(weights)
    if problem:
        raise WaveNetWeightsError(problem)
    if str(path).endswith(".weights.h5"):
        cfg = wn_config.WaveNetConfig.from_dict(read_metadata(path)["wavenet_config"])
        if config_name and config_name != cfg.name:
            raise WaveNetWeightsError(f"{path} holds the '{cfg.name}' configuration, not "
                                      f"'{config_name}'")
        net = model.build_model(cfg, seed=seed)
        try:
            net.load_weights(str(path))
        except Exception as err:  # h5py and Keras raise several kinds.
            line = str(err).splitlines()[0][:160] if str(err) else type(err).__name__
            raise WaveNetWeightsError(f"{path}: not usable WaveNet weights ({line})") from None
        return net
    net = model.build_model(wn_config.get(config_name or "h512_bo16"), seed=seed)
    checkpoint.load_magenta_checkpoint(net, path)
    return net
