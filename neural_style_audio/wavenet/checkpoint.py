"""Reading (and writing) checkpoints with magenta's NSynth WaveNet variable names.

magenta's `masked.conv1d` stores each convolution under its scope as
`<scope>/W` [1, filter_length, in, out] and `<scope>/biases` [out]; training keeps
exponential moving averages beside them (`<scope>/W/ExponentialMovingAverage`), which
magenta's generation scripts restore when present and which are used here too. The
scopes are:

    encoder  ae_startconv, ae_dilatedconv_1..N, ae_res_1..N, ae_bottleneck
    decoder  startconv, skip_start, dilatedconv_1..M, cond_map_1..M, res_1..M,
             skip_1..M, out1, cond_map_out1, logits

The official h512_bo16 checkpoint (`model.ckpt-200000` in `wavenet-ckpt.tar`) is
published by Magenta; this package cannot download it. Load it with

    model = build_model(config.H512_BO16)
    load_magenta_checkpoint(model, "wavenet-ckpt/model.ckpt-200000")
"""
from pathlib import Path

import numpy as np
import tensorflow as tf

from neural_style_audio.wavenet.config import WaveNetConfig

OFFICIAL_URL = "http://download.magenta.tensorflow.org/models/nsynth/wavenet-ckpt.tar"
OFFICIAL_HINT = (f"the official h512_bo16 checkpoint is published by Magenta as "
                 f"wavenet-ckpt.tar ({OFFICIAL_URL})")
EMA_SUFFIX = "ExponentialMovingAverage"


class CheckpointError(ValueError):
    """A checkpoint that does not fit the model; the message is one line."""


def expected_shapes(config: WaveNetConfig):
    """{scope: (W shape [1, K, in, out], biases shape [out])} of a configuration."""
    c = config
    shapes = {}

    def add(scope, k, n_in, n_out):
        shapes[scope] = ((1, k, n_in, n_out), (n_out,))

    add("ae_startconv", c.ae_filter_length, 1, c.ae_width)
    for i in range(1, c.ae_num_layers + 1):
        add(f"ae_dilatedconv_{i}", c.ae_filter_length, c.ae_width, c.ae_width)
        add(f"ae_res_{i}", 1, c.ae_width, c.ae_width)
    add("ae_bottleneck", 1, c.ae_width, c.ae_bottleneck_width)
    add("startconv", c.filter_length, 1, c.width)
    add("skip_start", 1, c.width, c.skip_width)
    for i in range(1, c.num_layers + 1):
        add(f"dilatedconv_{i}", c.filter_length, c.width, 2 * c.width)
        add(f"cond_map_{i}", 1, c.ae_bottleneck_width, 2 * c.width)
        add(f"res_{i}", 1, c.width, c.width)
        add(f"skip_{i}", 1, c.width, c.skip_width)
    add("out1", 1, c.skip_width, c.skip_width)
    add("cond_map_out1", 1, c.ae_bottleneck_width, c.skip_width)
    add("logits", 1, c.skip_width, c.quantization_channels)
    return shapes


def resolve_path(path):
    """The checkpoint prefix of a file prefix, a `.index`/`.data-*` file or a directory.

    Raises:
      FileNotFoundError: nothing readable there (one line, with where to get one).
    """
    path = Path(path)
    if path.is_dir():
        latest = tf.train.latest_checkpoint(str(path))
        if latest is None:
            indexes = sorted(path.glob("*.index"))
            latest = str(indexes[-1])[:-len(".index")] if indexes else None
        if latest is None:
            raise FileNotFoundError(f"{path}: no TensorFlow checkpoint (*.index) in this folder; "
                                    f"expected magenta NSynth WaveNet variables; {OFFICIAL_HINT}")
        return latest
    text = str(path)
    for suffix in (".index", ".meta"):
        if text.endswith(suffix):
            text = text[:-len(suffix)]
    if ".data-" in Path(text).name:
        text = text[:text.rindex(".data-")]
    if not Path(text + ".index").is_file():
        raise FileNotFoundError(f"{path}: checkpoint not found (expected {text}.index and "
                                f"{text}.data-*); {OFFICIAL_HINT}")
    return text


def read_variables(path, config: WaveNetConfig, prefer_ema=True):
    """{scope: (W [1, K, in, out], biases [out])} numpy arrays from a checkpoint.

    Args:
      path: checkpoint prefix, its .index file or a folder holding one.
      config: the sizes the checkpoint must have.
      prefer_ema: take `<name>/ExponentialMovingAverage` when the checkpoint has it.

    Returns:
      (arrays, number of variables read from moving averages).

    Raises:
      FileNotFoundError: no checkpoint there.
      CheckpointError: a variable is missing or has another shape.
    """
    prefix = resolve_path(path)
    try:
        reader = tf.train.load_checkpoint(prefix)
    except (tf.errors.OpError, ValueError) as err:
        line = str(err).splitlines()[0][:160] if str(err) else type(err).__name__
        raise CheckpointError(f"{prefix}: not a readable TensorFlow checkpoint ({line}); "
                              f"{OFFICIAL_HINT}") from None
    stored = reader.get_variable_to_shape_map()
    expected = expected_shapes(config)

    def chosen(name):
        ema = f"{name}/{EMA_SUFFIX}"
        if ema in stored and (prefer_ema or name not in stored):
            return ema
        return name if name in stored else None

    missing, n_ema, names = [], 0, {}
    for scope, shapes in expected.items():
        for part, shape in zip(("W", "biases"), shapes):
            name = chosen(f"{scope}/{part}")
            if name is None:
                missing.append(f"{scope}/{part}")
            elif tuple(stored[name]) != tuple(shape):
                # A shape error first: it says the sizes differ, not that the file is wrong.
                raise CheckpointError(
                    f"{prefix}: {name} has shape {list(stored[name])}, the '{config.name}' "
                    f"configuration expects {list(shape)} (give the configuration the "
                    f"checkpoint was trained with; {OFFICIAL_HINT})")
            else:
                names[scope, part] = name
                n_ema += name.endswith(EMA_SUFFIX)
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        raise CheckpointError(f"{prefix}: not an NSynth WaveNet checkpoint for the "
                              f"'{config.name}' sizes: missing {shown} (expected variables "
                              f"<scope>/W [1, filter, in, out] and <scope>/biases); "
                              f"{OFFICIAL_HINT}")
    arrays = {scope: (reader.get_tensor(names[scope, "W"]), reader.get_tensor(names[scope, "biases"]))
              for scope in expected}
    return arrays, n_ema


def load_magenta_checkpoint(model, path, prefer_ema=True):
    """Sets every convolution of a model.WaveNetAutoencoder from a magenta-named checkpoint.

    Returns:
      dict(path=prefix, variables=count, from_moving_average=count).

    Raises:
      FileNotFoundError, CheckpointError (see read_variables).
    """
    arrays, n_ema = read_variables(path, model.config, prefer_ema)
    layers = model.named_layers()
    for scope, (kernel, bias) in arrays.items():
        layers[scope].kernel.assign(kernel[0])
        layers[scope].bias.assign(bias)
    return dict(path=resolve_path(path), variables=2 * len(arrays), from_moving_average=n_ema)


def model_arrays(model):
    """{scope: (W [1, K, in, out], biases)} numpy arrays of a model (magenta layout)."""
    return {scope: (layer.kernel.numpy()[None], layer.bias.numpy())
            for scope, layer in model.named_layers().items()}


def write_checkpoint(arrays, prefix, ema_arrays=None):
    """Writes a TensorFlow (V2) checkpoint with magenta's variable names.

    Args:
      arrays: {scope: (W, biases)} (model_arrays).
      prefix: checkpoint prefix (writes prefix.index and prefix.data-00000-of-00001).
      ema_arrays: optional {scope: (W, biases)} stored as `<name>/ExponentialMovingAverage`.
    Returns:
      the prefix (str).
    """
    names, tensors = [], []
    for source, suffix in ((arrays, ""), (ema_arrays or {}, f"/{EMA_SUFFIX}")):
        for scope, (kernel, bias) in source.items():
            names += [f"{scope}/W{suffix}", f"{scope}/biases{suffix}"]
            tensors += [tf.constant(np.asarray(kernel, np.float32)),
                        tf.constant(np.asarray(bias, np.float32))]
    Path(prefix).parent.mkdir(parents=True, exist_ok=True)
    tf.raw_ops.SaveV2(prefix=str(prefix), tensor_names=names,
                      shape_and_slices=[""] * len(names), tensors=tensors)
    return str(prefix)


def save_magenta_checkpoint(model, prefix):
    """Writes a model's weights under magenta's names (readable by magenta's Saver)."""
    return write_checkpoint(model_arrays(model), prefix)


def config_from_checkpoint(path, name="from_checkpoint", ae_num_stages=10, num_stages=10,
                           ae_hop_length=512):
    """A WaveNetConfig with the widths and layer counts a magenta checkpoint stores.

    Dilation cycles and the hop are not stored in a checkpoint; they are arguments
    (magenta's values by default).
    """
    prefix = resolve_path(path)
    stored = {k.replace(f"/{EMA_SUFFIX}", ""): v for k, v in
              tf.train.load_checkpoint(prefix).get_variable_to_shape_map().items()}

    def shape(scope):
        key = f"{scope}/W"
        if key not in stored:
            raise CheckpointError(f"{prefix}: no {key}: not an NSynth WaveNet checkpoint; "
                                  f"{OFFICIAL_HINT}")
        return stored[key]

    def count(stem):
        return sum(1 for k in stored if k.startswith(stem) and k.endswith("/W")
                   and k[len(stem):-2].isdigit())

    ae, start, dil, logits = (shape("ae_startconv"), shape("startconv"), shape("dilatedconv_1"),
                              shape("logits"))
    return WaveNetConfig(
        name=name, quantization_channels=logits[3], ae_num_stages=ae_num_stages,
        ae_num_layers=count("ae_dilatedconv_"), ae_filter_length=ae[1], ae_width=ae[3],
        ae_bottleneck_width=shape("ae_bottleneck")[3], ae_hop_length=ae_hop_length,
        num_stages=num_stages, num_layers=count("dilatedconv_"), filter_length=start[1],
        width=start[3], skip_width=shape("skip_start")[3])
