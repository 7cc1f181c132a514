"""Loading VGGish weights: official checkpoint, TF-Hub / SavedModel, PCA, compact.

Every user-facing failure (missing file, unreadable file, unreachable hub
handle, wrong contents) raises `VGGishLoadError` whose message is one line
naming the file or handle and where to get it, so a command line can print it
without a traceback.
"""
import json
import os
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from vggish_loss import model as vggish_model
from vggish_loss import params

# The compact model ships inside the package (setup.py: package_data weights/*).
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
COMPACT_WEIGHTS_PATH = WEIGHTS_DIR / params.COMPACT_WEIGHTS_FILENAME
# Suffix Keras 3 requires for weights-only files.
KERAS_WEIGHTS_SUFFIX = ".weights.h5"
# Format tag written into the compact JSON config.
COMPACT_FORMAT = "vggish_loss.compact/1"


class VGGishLoadError(Exception):
    """A VGGish file or handle cannot be used; the message is one line for the CLI."""


def _first_line(error):
    """The first line of an exception's message (or its type name)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


# ----------------------------------------------------------------------------
# Official TF1 checkpoint.
# ----------------------------------------------------------------------------
def _checkpoint_exists(prefix):
    """True if `prefix` is a V1 checkpoint file or a V2 checkpoint prefix."""
    return os.path.isfile(prefix) or os.path.isfile(prefix + ".index")


def resolve_checkpoint_path(path):
    """Finds the VGGish checkpoint a user pointed at.

    Args:
      path: the checkpoint file (V1, as the official vggish_model.ckpt), a V2
        prefix, or a directory holding vggish_model.ckpt (or a TF 'checkpoint'
        state file).

    Returns:
      str, a path tf.train.load_checkpoint accepts.

    Raises:
      VGGishLoadError: nothing usable there.
    """
    path = os.fspath(path)
    hint = f"download {params.CHECKPOINT_URL}"
    if os.path.isdir(path):
        candidate = os.path.join(path, params.CHECKPOINT_FILENAME)
        if _checkpoint_exists(candidate):
            return candidate
        latest = tf.train.latest_checkpoint(path)
        if latest:
            return latest
        raise VGGishLoadError(
            f"no {params.CHECKPOINT_FILENAME} in directory {path} ({hint})")
    if _checkpoint_exists(path):
        return path
    raise VGGishLoadError(f"VGGish checkpoint not found: {path} ({hint})")


def checkpoint_variable_name(layer_name, kind):
    """Official variable name, e.g. ('fc1/fc1_1', 'weights') -> 'vggish/fc1/fc1_1/weights'.

    Args:
      layer_name: reference layer name.
      kind: params.CHECKPOINT_WEIGHTS_NAME or params.CHECKPOINT_BIASES_NAME.

    Returns:
      str.
    """
    return f"{params.CHECKPOINT_SCOPE}/{layer_name}/{kind}"


def read_checkpoint_weights(path):
    """Reads the VGGish variables of a TF1 checkpoint by their official names.

    Args:
      path: see resolve_checkpoint_path.

    Returns:
      dict reference layer name -> (kernel, bias) numpy arrays; conv kernels are
      [3, 3, in, out] (HWIO), dense kernels [in, out], as Keras expects.

    Raises:
      VGGishLoadError: missing/unreadable file or missing variables.
    """
    resolved = resolve_checkpoint_path(path)
    try:
        reader = tf.train.load_checkpoint(resolved)
    except (tf.errors.OpError, ValueError, OSError) as err:
        raise VGGishLoadError(f"cannot read VGGish checkpoint {resolved}: "
                              f"{_first_line(err)}") from None
    available = reader.get_variable_to_shape_map()
    wanted = [checkpoint_variable_name(layer, kind)
              for layer in params.WEIGHT_LAYER_NAMES
              for kind in (params.CHECKPOINT_WEIGHTS_NAME, params.CHECKPOINT_BIASES_NAME)]
    missing = [name for name in wanted if name not in available]
    if missing:
        raise VGGishLoadError(
            f"{resolved} is not a VGGish checkpoint: missing {len(missing)} variables "
            f"(first: {missing[0]}); download {params.CHECKPOINT_URL}")
    return {layer: tuple(reader.get_tensor(checkpoint_variable_name(layer, kind))
                         for kind in (params.CHECKPOINT_WEIGHTS_NAME,
                                      params.CHECKPOINT_BIASES_NAME))
            for layer in params.WEIGHT_LAYER_NAMES}


def config_from_weights(weights):
    """Infers the network widths from weight shapes.

    Args:
      weights: dict reference layer name -> (kernel, bias).

    Returns:
      VGGishConfig.
    """
    def width(layer):
        return int(np.shape(weights[layer][0])[-1])
    return vggish_model.VGGishConfig(
        tuple(width(n) for n in params.CONV_LAYER_NAMES),
        tuple(width(n) for n in params.FC_LAYER_NAMES),
        width(params.EMBEDDING_LAYER_NAME))


def set_vggish_weights(model, weights, source="weights"):
    """Copies (kernel, bias) pairs into a VGGish Keras model, checking shapes.

    Args:
      model: a model from build_vggish.
      weights: dict reference layer name -> (kernel, bias).
      source: file or handle named in error messages.

    Raises:
      VGGishLoadError: a shape does not fit the model.
    """
    for layer_name in params.WEIGHT_LAYER_NAMES:
        layer = model.get_layer(vggish_model.keras_layer_name(layer_name))
        kernel, bias = (np.asarray(w, dtype=np.float32) for w in weights[layer_name])
        expected = [tuple(v.shape) for v in layer.weights]
        if [kernel.shape, bias.shape] != expected:
            raise VGGishLoadError(
                f"{source}: {layer_name} has shapes {kernel.shape}, {bias.shape}; the "
                f"model expects {expected[0]}, {expected[1]}")
        layer.set_weights([kernel, bias])


def load_official_checkpoint(path):
    """Builds VGGish and loads the official TF1 checkpoint into it.

    The widths are read from the checkpoint, so a checkpoint with the official
    names but other widths (e.g. a compact model exported the same way) loads
    too.

    Args:
      path: vggish_model.ckpt, or a directory holding it.

    Returns:
      keras.Model [batch, 96, 64, 1] -> [batch, embedding_size].

    Raises:
      VGGishLoadError: missing/unreadable/incompatible checkpoint.
    """
    weights = read_checkpoint_weights(path)
    model = vggish_model.build_vggish(config_from_weights(weights))
    set_vggish_weights(model, weights, source=os.fspath(path))
    return model


# ----------------------------------------------------------------------------
# TF-Hub handle or local SavedModel.
# ----------------------------------------------------------------------------
def _is_remote_handle(handle):
    return "://" in handle


class HubVGGish:
    """A VGGish SavedModel (TF-Hub handle or local directory) behind one call.

    Loaded with `hub.load`, never `hub.KerasLayer` (which does not work inside a
    Keras 3 model). Two input conventions exist:

    - "examples": the SavedModel's __call__ takes [n, 96, 64] (or [n, 96, 64, 1])
      log-mel examples; `__call__(examples)` returns [n, 128] embeddings,
      differentiably.
    - "waveform": the published TF-Hub VGGish takes a 1-D 16 kHz waveform and
      computes its own features; use `embed_waveform`. `__call__(examples)` is
      then refused. Its variables carry the official names, so `to_keras()`
      still gives a model that takes examples and exposes every layer.

    Attributes:
      handle: the handle or path given.
      input_kind: "examples" or "waveform".
    """

    def __init__(self, handle):
        """Loads the SavedModel.

        Args:
          handle: URL (e.g. params.TFHUB_HANDLE) or local SavedModel directory.

        Raises:
          VGGishLoadError: directory missing / not a SavedModel, or handle
            unreachable / unloadable.
        """
        self.handle = os.fspath(handle)
        if not _is_remote_handle(self.handle):
            if not os.path.isdir(self.handle):
                raise VGGishLoadError(
                    f"SavedModel directory not found: {self.handle} (or use the TF-Hub "
                    f"handle {params.TFHUB_HANDLE})")
            if not os.path.isfile(os.path.join(self.handle, "saved_model.pb")):
                raise VGGishLoadError(f"{self.handle} is not a SavedModel directory "
                                      "(no saved_model.pb)")
        import tensorflow_hub as hub  # Imported lazily: it needs tf-keras.
        try:
            self._module = hub.load(self.handle)
        except Exception as err:  # hub raises URLError, OSError, ValueError, ...
            raise VGGishLoadError(
                f"cannot load VGGish from {self.handle}: {_first_line(err)} (is it "
                "reachable? otherwise download it and pass the local SavedModel "
                "directory)") from None
        if not callable(self._module):
            raise VGGishLoadError(f"{self.handle}: the SavedModel has no __call__")
        self.input_kind = "waveform" if self._input_rank() == 1 else "examples"

    def _concrete_functions(self):
        return list(getattr(self._module.__call__, "concrete_functions", []))

    def _input_rank(self):
        """Rank of the first input of the SavedModel's __call__ (None if unknown)."""
        for function in self._concrete_functions():
            args, _ = function.structured_input_signature
            if args and hasattr(args[0], "shape"):
                return args[0].shape.rank
        return None

    def __call__(self, examples):
        """Embeds log-mel examples.

        Args:
          examples: [n, 96, 64] or [n, 96, 64, 1] log-mel examples.

        Returns:
          [n, embedding_size] embeddings.

        Raises:
          ValueError: the SavedModel takes waveforms.
        """
        if self.input_kind != "examples":
            raise ValueError(f"{self.handle} takes a 16 kHz waveform, not examples: use "
                             "embed_waveform(), or to_keras() for an examples model")
        examples = vggish_model.as_model_input(examples)
        if self._input_rank() == 3:
            examples = examples[..., 0]
        return self._module(examples)

    def embed_waveform(self, waveform):
        """Embeds a 16 kHz waveform (only for waveform SavedModels).

        Args:
          waveform: [n] float32 waveform at params.SAMPLE_RATE.

        Returns:
          [num_examples, embedding_size] embeddings.
        """
        if self.input_kind != "waveform":
            raise ValueError(f"{self.handle} takes examples; use __call__")
        return self._module(tf.convert_to_tensor(waveform, dtype=tf.float32))

    def variables_by_name(self):
        """The SavedModel's variables, keyed by name without the ':0' suffix.

        Returns:
          dict name -> tf.Variable.
        """
        found = {}
        for function in self._concrete_functions():
            for variable in function.variables:
                found[variable.name.split(":")[0]] = variable
        for variable in getattr(self._module, "variables", None) or []:
            found.setdefault(variable.name.split(":")[0], variable)
        return found

    def to_keras(self):
        """Copies officially-named variables into a Keras VGGish.

        Returns:
          keras.Model [batch, 96, 64, 1] -> [batch, embedding_size].

        Raises:
          VGGishLoadError: the SavedModel's variables do not carry the official
            names ('vggish/conv1/weights', ...).
        """
        variables = self.variables_by_name()
        weights = {}
        for layer in params.WEIGHT_LAYER_NAMES:
            names = [checkpoint_variable_name(layer, kind) for kind in
                     (params.CHECKPOINT_WEIGHTS_NAME, params.CHECKPOINT_BIASES_NAME)]
            missing = [n for n in names if n not in variables]
            if missing:
                raise VGGishLoadError(
                    f"{self.handle}: variables do not carry the official VGGish names "
                    f"(no {missing[0]}); only its embedding is available")
            weights[layer] = tuple(variables[n].numpy() for n in names)
        model = vggish_model.build_vggish(config_from_weights(weights))
        set_vggish_weights(model, weights, source=self.handle)
        return model


def load_hub(handle=params.TFHUB_HANDLE):
    """Loads a VGGish SavedModel; see HubVGGish.

    Args:
      handle: TF-Hub URL or local SavedModel directory.

    Returns:
      HubVGGish.
    """
    return HubVGGish(handle)


# ----------------------------------------------------------------------------
# PCA post-processing (vggish_postprocess.py).
# ----------------------------------------------------------------------------
class PCAPostprocessor:
    """PCA + whitening and 8-bit quantisation, as the released AudioSet embeddings.

    Attributes:
      pca_matrix: [128, 128] eigenvectors (output dims x input dims).
      pca_means: [128] means subtracted before projecting.
    """

    def __init__(self, pca_matrix, pca_means):
        """Args:
          pca_matrix: [embedding_size, embedding_size] array.
          pca_means: [embedding_size] (or [embedding_size, 1]) array.
        """
        self.pca_matrix = np.asarray(pca_matrix, dtype=np.float64)
        self.pca_means = np.asarray(pca_means, dtype=np.float64).reshape(-1)
        size = self.pca_means.shape[0]
        if self.pca_matrix.shape != (size, size):
            raise ValueError(f"PCA matrix shape {self.pca_matrix.shape} does not match "
                             f"means of length {size}")

    @classmethod
    def from_file(cls, path):
        """Loads vggish_pca_params.npz.

        Args:
          path: the .npz file, or a directory holding vggish_pca_params.npz.

        Returns:
          PCAPostprocessor.

        Raises:
          VGGishLoadError: missing, unreadable or malformed file.
        """
        path = os.fspath(path)
        if os.path.isdir(path):
            path = os.path.join(path, params.PCA_PARAMS_FILENAME)
        if not os.path.isfile(path):
            raise VGGishLoadError(f"VGGish PCA parameters not found: {path} "
                                  f"(download {params.PCA_PARAMS_URL})")
        try:
            with np.load(path) as data:
                matrix = data[params.PCA_EIGEN_VECTORS_NAME]
                means = data[params.PCA_MEANS_NAME]
        except KeyError as err:
            raise VGGishLoadError(f"{path}: missing array {err}; expected "
                                  f"{params.PCA_EIGEN_VECTORS_NAME!r} and "
                                  f"{params.PCA_MEANS_NAME!r}") from None
        except (OSError, ValueError) as err:
            raise VGGishLoadError(f"cannot read PCA parameters {path}: "
                                  f"{_first_line(err)}") from None
        try:
            return cls(matrix, means)
        except ValueError as err:
            raise VGGishLoadError(f"{path}: {err}") from None

    def apply_pca(self, embeddings):
        """Projects embeddings: (e - means) @ pca_matrix.T.

        Args:
          embeddings: [batch, embedding_size].

        Returns:
          [batch, embedding_size] float64, before clipping / quantisation.
        """
        embeddings = np.asarray(embeddings, dtype=np.float64)
        if embeddings.ndim != 2 or embeddings.shape[1] != self.pca_means.shape[0]:
            raise ValueError(f"expected [batch, {self.pca_means.shape[0]}] embeddings, "
                             f"got {embeddings.shape}")
        return (embeddings - self.pca_means) @ self.pca_matrix.T

    def postprocess(self, embeddings):
        """PCA, clip to [-2, 2], map linearly to [0, 255] and truncate to uint8.

        Args:
          embeddings: [batch, embedding_size] raw VGGish embeddings.

        Returns:
          [batch, embedding_size] uint8.
        """
        clipped = np.clip(self.apply_pca(embeddings), params.QUANTIZE_MIN_VAL,
                          params.QUANTIZE_MAX_VAL)
        scaled = (clipped - params.QUANTIZE_MIN_VAL) * (
            params.QUANTIZE_LEVELS / (params.QUANTIZE_MAX_VAL - params.QUANTIZE_MIN_VAL))
        return scaled.astype(np.uint8)


def load_pca(path):
    """Loads the PCA post-processor; see PCAPostprocessor.from_file."""
    return PCAPostprocessor.from_file(path)


# ----------------------------------------------------------------------------
# Compact model shipped with the package.
# ----------------------------------------------------------------------------
def compact_config_path(weights_path):
    """JSON config beside a weights file: compact.weights.h5 -> compact.json.

    Args:
      weights_path: path ending in '.weights.h5'.

    Returns:
      Path.
    """
    weights_path = Path(weights_path)
    stem = weights_path.name
    if stem.endswith(KERAS_WEIGHTS_SUFFIX):
        stem = stem[:-len(KERAS_WEIGHTS_SUFFIX)]
    return weights_path.with_name(stem + ".json")


def save_compact(model, weights_path=COMPACT_WEIGHTS_PATH, metadata=None):
    """Writes a VGGish-architecture model as weights + JSON config.

    Args:
      model: a model from build_vggish.
      weights_path: must end in '.weights.h5' (Keras 3); default: the packaged
        location vggish_loss/weights/compact.weights.h5.
      metadata: optional JSON-ready dict stored in the config (e.g. training data,
        distillation loss).

    Returns:
      (weights Path, config Path).
    """
    weights_path = Path(weights_path)
    if not weights_path.name.endswith(KERAS_WEIGHTS_SUFFIX):
        raise ValueError(f"weights_path must end in {KERAS_WEIGHTS_SUFFIX}: {weights_path}")
    weights_path.parent.mkdir(parents=True, exist_ok=True)
    model.save_weights(str(weights_path))
    config_path = compact_config_path(weights_path)
    document = {"format": COMPACT_FORMAT,
                "config": vggish_model.config_of(model).to_dict(),
                "metadata": metadata or {}}
    config_path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return weights_path, config_path


def load_compact(weights_path=COMPACT_WEIGHTS_PATH):
    """Loads the compact VGGish shipped in vggish_loss/weights/.

    Args:
      weights_path: the .weights.h5 file; its JSON config sits beside it
        (compact.weights.h5 -> compact.json).

    Returns:
      keras.Model [batch, 96, 64, 1] -> [batch, embedding_size].

    Raises:
      VGGishLoadError: weights or config missing, unreadable or mismatched.
    """
    weights_path = Path(weights_path)
    config_path = compact_config_path(weights_path)
    alternatives = (f"use 'official:DIR' with {params.CHECKPOINT_URL} or "
                    f"'hub:{params.TFHUB_HANDLE}'")
    for path in (weights_path, config_path):
        if not path.is_file():
            raise VGGishLoadError(
                f"compact VGGish file not found: {path} (it is produced by training the "
                f"compact model, see vggish_loss.save_compact; meanwhile {alternatives})")
    try:
        document = json.loads(config_path.read_text(encoding="utf-8"))
        config = vggish_model.VGGishConfig.from_dict(document["config"])
    except (ValueError, KeyError, TypeError) as err:
        raise VGGishLoadError(f"bad compact VGGish config {config_path}: "
                              f"{_first_line(err)}") from None
    model = vggish_model.build_vggish(config, name="vggish_compact")
    try:
        model.load_weights(str(weights_path))
    except (ValueError, OSError, KeyError) as err:
        raise VGGishLoadError(f"cannot load compact VGGish weights {weights_path}: "
                              f"{_first_line(err)}") from None
    return model


def is_keras_model(model):
    """True for Keras models (official / compact loaders), False for HubVGGish."""
    return isinstance(model, keras.Model)
