"""Tests of vggish_loss.loading: TF1 checkpoint, SavedModel/hub, PCA, compact.

Checkpoints are written here with tf.compat.v1 variables under the official
scopes and a V1 Saver, i.e. the format of the published vggish_model.ckpt; the
expected outputs are computed in that same TF1 graph with raw ops.
"""
import contextlib
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from vggish_loss import frontend, loading, params  # noqa: E402
from vggish_loss import model as vggish_model  # noqa: E402
from vggish_loss.perceptual import PerceptualLoss, resolve_perceptual_model  # noqa: E402

COMPACT = vggish_model.VGGishConfig((4, 8, 8, 8, 16, 16), (32, 32), 128)
# Variable shapes of the published checkpoint (vggish_slim.py).
OFFICIAL_VARIABLE_SHAPES = {
    "vggish/conv1/weights": [3, 3, 1, 64], "vggish/conv1/biases": [64],
    "vggish/conv2/weights": [3, 3, 64, 128], "vggish/conv2/biases": [128],
    "vggish/conv3/conv3_1/weights": [3, 3, 128, 256], "vggish/conv3/conv3_1/biases": [256],
    "vggish/conv3/conv3_2/weights": [3, 3, 256, 256], "vggish/conv3/conv3_2/biases": [256],
    "vggish/conv4/conv4_1/weights": [3, 3, 256, 512], "vggish/conv4/conv4_1/biases": [512],
    "vggish/conv4/conv4_2/weights": [3, 3, 512, 512], "vggish/conv4/conv4_2/biases": [512],
    "vggish/fc1/fc1_1/weights": [12288, 4096], "vggish/fc1/fc1_1/biases": [4096],
    "vggish/fc1/fc1_2/weights": [4096, 4096], "vggish/fc1/fc1_2/biases": [4096],
    "vggish/fc2/weights": [4096, 128], "vggish/fc2/biases": [128],
}
# vggish_smoke_test.py (tensorflow/models, measured 07/25/23): 3 s, 1 kHz sine at
# 16 kHz; relative tolerance 10%.
SMOKE_EMBEDDING_MEAN, SMOKE_EMBEDDING_STD = 0.000657, 0.343
SMOKE_POSTPROCESSED_MEAN, SMOKE_POSTPROCESSED_STD = 126.0, 89.3
SMOKE_RTOL = 0.1


def _examples(batch=2, seed=0):
    return np.random.default_rng(seed).normal(-2.0, 2.0, (batch, 96, 64)).astype(np.float32)


def _layer_variables(layer_name, shape):
    """tf.compat.v1 variables vggish/<layer_name>/{weights,biases} (He-scaled)."""
    with contextlib.ExitStack() as scopes:
        for part in layer_name.split("/"):
            scopes.enter_context(tf.compat.v1.variable_scope(part))
        stddev = np.sqrt(2.0 / np.prod(shape[:-1]))
        weights = tf.compat.v1.get_variable(
            params.CHECKPOINT_WEIGHTS_NAME, shape,
            initializer=tf.compat.v1.truncated_normal_initializer(stddev=stddev))
        biases = tf.compat.v1.get_variable(
            params.CHECKPOINT_BIASES_NAME, shape[-1:],
            initializer=tf.compat.v1.random_normal_initializer(stddev=0.1))
    return weights, biases


def write_official_checkpoint(directory, config, examples, seed=0):
    """Writes <directory>/vggish_model.ckpt (V1, official names) and runs it.

    Args:
      directory: output folder (exists).
      config: VGGishConfig widths.
      examples: [n, 96, 64] inputs to evaluate.
      seed: graph seed.

    Returns:
      (checkpoint path, dict of reference activations for `examples` computed
      in the TF1 graph with raw ops: conv1, conv4/conv4_2, fc1/fc1_2, fc2).
    """
    widths = dict(zip(params.WEIGHT_LAYER_NAMES, config.conv_channels + config.fc_units
                      + (config.embedding_size,)))
    outputs = {}
    graph = tf.Graph()
    with graph.as_default():
        tf.compat.v1.set_random_seed(seed)
        features = tf.compat.v1.placeholder(tf.float32, [None, 96, 64])
        with tf.compat.v1.variable_scope(params.CHECKPOINT_SCOPE):
            net = tf.reshape(features, [-1, 96, 64, 1])
            for name in params.LAYER_NAMES:
                if name in params.CONV_LAYER_NAMES:
                    w, b = _layer_variables(name, [3, 3, int(net.shape[-1]), widths[name]])
                    net = tf.nn.relu(tf.nn.conv2d(net, w, 1, "SAME") + b)
                elif name.startswith("pool"):
                    net = tf.nn.max_pool2d(net, 2, 2, "SAME")
                elif name == "flatten":
                    net = tf.reshape(net, [-1, int(np.prod(net.shape[1:]))])
                else:
                    w, b = _layer_variables(name, [int(net.shape[-1]), widths[name]])
                    net = tf.matmul(net, w) + b
                    net = net if name == params.EMBEDDING_LAYER_NAME else tf.nn.relu(net)
                outputs[name] = net
        saver = tf.compat.v1.train.Saver(write_version=tf.compat.v1.train.SaverDef.V1)
        with tf.compat.v1.Session(graph=graph) as session:
            session.run(tf.compat.v1.global_variables_initializer())
            wanted = {k: outputs[k] for k in ("conv1", "conv4/conv4_2", "fc1/fc1_2", "fc2")}
            values = session.run(wanted, {features: examples})
            path = saver.save(session, os.path.join(directory, params.CHECKPOINT_FILENAME),
                              write_meta_graph=False)
    # The published download is the single checkpoint file, no state file.
    state = os.path.join(directory, "checkpoint")
    if os.path.exists(state):
        os.remove(state)
    return path, values


def _assert_matches_reference(model, examples, reference):
    activations = vggish_model.activation_model(model, list(reference))(
        vggish_model.as_model_input(examples))
    for name, expected in reference.items():
        scale = max(1.0, float(np.abs(expected).max()))
        np.testing.assert_allclose(activations[name], expected, atol=1e-4 * scale,
                                   err_msg=name)


# ----------------------------------------------------------------------------
# Official TF1 checkpoint.
# ----------------------------------------------------------------------------
def test_official_checkpoint_with_official_shapes_loads_and_reproduces(tmp_path):
    examples = _examples(2)
    path, reference = write_official_checkpoint(str(tmp_path), vggish_model.VGGishConfig(),
                                                examples)
    assert os.listdir(tmp_path) == [params.CHECKPOINT_FILENAME]  # single V1 file
    assert tf.train.load_checkpoint(path).get_variable_to_shape_map() == \
        OFFICIAL_VARIABLE_SHAPES
    model = loading.load_official_checkpoint(str(tmp_path))  # the directory
    assert vggish_model.config_of(model) == vggish_model.VGGishConfig()
    _assert_matches_reference(model, examples, reference)


def test_compact_width_checkpoint_loads_from_file_path(tmp_path):
    examples = _examples(3, seed=1)
    path, reference = write_official_checkpoint(str(tmp_path), COMPACT, examples, seed=1)
    model = loading.load_official_checkpoint(path)
    assert vggish_model.config_of(model) == COMPACT
    _assert_matches_reference(model, examples, reference)
    assert resolve_perceptual_model(f"official:{tmp_path}").count_params() == \
        model.count_params()


def test_missing_checkpoint_names_path_and_download(tmp_path):
    missing = tmp_path / "nowhere" / "vggish_model.ckpt"
    with pytest.raises(loading.VGGishLoadError) as error:
        loading.load_official_checkpoint(missing)
    assert str(missing) in str(error.value) and params.CHECKPOINT_URL in str(error.value)
    with pytest.raises(loading.VGGishLoadError, match="no vggish_model.ckpt in directory"):
        loading.load_official_checkpoint(tmp_path)


def test_checkpoint_without_vggish_variables_is_refused(tmp_path):
    checkpoint = tf.train.Checkpoint(other=tf.Variable(1.0))
    path = checkpoint.write(str(tmp_path / "other"))
    with pytest.raises(loading.VGGishLoadError, match="not a VGGish checkpoint"):
        loading.load_official_checkpoint(path)


def test_unreadable_checkpoint_is_a_load_error(tmp_path):
    bogus = tmp_path / params.CHECKPOINT_FILENAME
    bogus.write_bytes(b"not a checkpoint")
    with pytest.raises(loading.VGGishLoadError, match=str(bogus)):
        loading.load_official_checkpoint(tmp_path)


# ----------------------------------------------------------------------------
# SavedModel through hub.load.
# ----------------------------------------------------------------------------
class _ExamplesVGGish(tf.Module):
    """A SavedModel like an exported VGGish: official variable names, examples in."""

    def __init__(self, weights):
        super().__init__()
        self._variables = [
            tf.Variable(value, name=loading.checkpoint_variable_name(layer, kind))
            for layer, pair in weights.items() for kind, value in zip(
                (params.CHECKPOINT_WEIGHTS_NAME, params.CHECKPOINT_BIASES_NAME), pair)]
        self._layers = list(zip(self._variables[::2], self._variables[1::2]))

    @tf.function(input_signature=[tf.TensorSpec([None, 96, 64], tf.float32)])
    def __call__(self, examples):
        net = examples[..., tf.newaxis]
        layers = iter(self._layers)
        for name in params.LAYER_NAMES:
            if name in params.CONV_LAYER_NAMES:
                w, b = next(layers)
                net = tf.nn.relu(tf.nn.conv2d(net, w, 1, "SAME") + b)
            elif name.startswith("pool"):
                net = tf.nn.max_pool2d(net, 2, 2, "SAME")
            elif name == "flatten":
                net = tf.reshape(net, [tf.shape(net)[0], -1])
            else:
                w, b = next(layers)
                net = tf.matmul(net, w) + b
                net = net if name == "fc2" else tf.nn.relu(net)
        return net


class _WaveformVGGish(tf.Module):
    """A SavedModel with the published TF-Hub convention: 16 kHz waveform in."""

    def __init__(self):
        super().__init__()
        self.scale = tf.Variable(2.0, name="scale")

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def __call__(self, waveform):
        examples = frontend.log_mel_to_examples(frontend.waveform_to_log_mel(waveform))
        return self.scale * tf.reduce_mean(examples, axis=1)[:, :params.EMBEDDING_SIZE]


@pytest.fixture(scope="module")
def compact_weights():
    model = vggish_model.build_vggish(COMPACT)
    return {layer: tuple(model.get_layer(vggish_model.keras_layer_name(layer)).get_weights())
            for layer in params.WEIGHT_LAYER_NAMES}


@pytest.fixture(scope="module")
def savedmodel_dir(tmp_path_factory, compact_weights):
    directory = str(tmp_path_factory.mktemp("vggish_savedmodel"))
    tf.saved_model.save(_ExamplesVGGish(compact_weights), directory)
    return directory


def test_hub_savedmodel_embeds_examples(savedmodel_dir, compact_weights):
    hub_model = loading.load_hub(savedmodel_dir)
    assert hub_model.input_kind == "examples"
    examples = _examples(2)
    expected = _ExamplesVGGish(compact_weights)(tf.constant(examples)).numpy()
    np.testing.assert_allclose(hub_model(examples), expected, atol=1e-4)
    np.testing.assert_allclose(hub_model(examples[..., None]), expected, atol=1e-4)
    keras_model = hub_model.to_keras()
    np.testing.assert_allclose(keras_model(examples[..., None]), expected, atol=1e-4)


def test_hub_model_feeds_perceptual_loss(savedmodel_dir):
    hub_model = resolve_perceptual_model(f"hub:{savedmodel_dir}")
    rng = np.random.default_rng(0)
    reference = rng.uniform(0.0, 1.0, (120, 257)).astype(np.float32)
    magnitude = tf.Variable(rng.uniform(0.0, 1.0, (120, 257)).astype(np.float32))
    for layers in (["embedding"], ["conv2", "fc2"]):  # direct call; via to_keras()
        loss = PerceptualLoss(hub_model, layers=layers, reference=reference)
        with tf.GradientTape() as tape:
            value = loss(magnitude)
        gradient = tape.gradient(value, magnitude)
        assert float(value) > 0 and float(tf.reduce_max(tf.abs(gradient))) > 0, layers
        assert float(loss(reference)) < 1e-8 * float(value) + 1e-10


def test_waveform_savedmodel_is_detected(tmp_path):
    tf.saved_model.save(_WaveformVGGish(), str(tmp_path))
    hub_model = loading.HubVGGish(str(tmp_path))
    assert hub_model.input_kind == "waveform"
    waveform = np.sin(np.arange(16000 * 2) * 0.3).astype(np.float32)
    assert tuple(hub_model.embed_waveform(waveform).shape) == (2, 64)
    with pytest.raises(ValueError, match="waveform"):
        hub_model(_examples(1))
    with pytest.raises(loading.VGGishLoadError, match="official VGGish names"):
        hub_model.to_keras()


def test_hub_errors_are_load_errors(tmp_path):
    with pytest.raises(loading.VGGishLoadError, match="SavedModel directory not found"):
        loading.load_hub(str(tmp_path / "missing"))
    with pytest.raises(loading.VGGishLoadError, match="no saved_model.pb"):
        loading.load_hub(str(tmp_path))
    # '.invalid' never resolves (RFC 2606), with or without network access.
    handle = "https://vggish.invalid/google/vggish/1"
    with pytest.raises(loading.VGGishLoadError, match="cannot load VGGish from"):
        loading.load_hub(handle)


# ----------------------------------------------------------------------------
# PCA post-processing.
# ----------------------------------------------------------------------------
def _write_pca(path, seed=0):
    rng = np.random.default_rng(seed)
    matrix = np.linalg.qr(rng.normal(size=(128, 128)))[0] * 3.0
    means = rng.normal(size=(128,))
    np.savez(path, **{params.PCA_EIGEN_VECTORS_NAME: matrix, params.PCA_MEANS_NAME: means})
    return matrix, means


def test_pca_postprocessing_matches_reference_formula(tmp_path):
    matrix, means = _write_pca(tmp_path / params.PCA_PARAMS_FILENAME)
    processor = loading.load_pca(tmp_path)  # directory form
    embeddings = np.random.default_rng(1).normal(size=(5, 128))
    # vggish_postprocess.py: dot(pca_matrix, (E^T - means column)).T, clip to
    # [-2, 2], scale by 255 / 4, cast to uint8.
    pca = np.dot(matrix, embeddings.T - means.reshape(-1, 1)).T
    expected = ((np.clip(pca, -2.0, 2.0) + 2.0) * (255.0 / 4.0)).astype(np.uint8)
    np.testing.assert_allclose(processor.apply_pca(embeddings), pca, atol=1e-10)
    got = processor.postprocess(embeddings)
    assert got.dtype == np.uint8 and got.shape == (5, 128)
    np.testing.assert_array_equal(got, expected)
    assert got.min() == 0 and got.max() == 255  # both clip limits are hit


def test_pca_errors(tmp_path):
    missing = tmp_path / "missing.npz"
    with pytest.raises(loading.VGGishLoadError) as error:
        loading.load_pca(missing)
    assert str(missing) in str(error.value) and params.PCA_PARAMS_URL in str(error.value)
    np.savez(tmp_path / "bad.npz", pca_means=np.zeros(128))
    with pytest.raises(loading.VGGishLoadError, match="pca_eigen_vectors"):
        loading.load_pca(tmp_path / "bad.npz")


# ----------------------------------------------------------------------------
# Compact model.
# ----------------------------------------------------------------------------
def test_compact_save_and_load_roundtrip(tmp_path):
    model = vggish_model.build_vggish(COMPACT)
    weights_path, config_path = loading.save_compact(
        model, tmp_path / "compact.weights.h5", metadata={"note": "test"})
    assert config_path.name == "compact.json"
    loaded = loading.load_compact(weights_path)
    assert vggish_model.config_of(loaded) == COMPACT
    x = _examples(2)[..., None]
    np.testing.assert_allclose(loaded(x), model(x), atol=1e-6)


def test_missing_compact_files_raise_with_path(tmp_path):
    weights_path = tmp_path / "compact.weights.h5"
    with pytest.raises(loading.VGGishLoadError) as error:
        loading.load_compact(weights_path)
    assert str(weights_path) in str(error.value)
    vggish_model.build_vggish(COMPACT).save_weights(str(weights_path))
    with pytest.raises(loading.VGGishLoadError, match="compact.json"):
        loading.load_compact(weights_path)


def test_packaged_compact_model_loads_or_explains():
    if loading.COMPACT_WEIGHTS_PATH.exists():
        model = resolve_perceptual_model("compact")
        assert model.output_shape == (None, params.EMBEDDING_SIZE)
    else:
        with pytest.raises(loading.VGGishLoadError) as error:
            resolve_perceptual_model("compact")
        assert str(loading.COMPACT_WEIGHTS_PATH) in str(error.value)


# ----------------------------------------------------------------------------
# Published smoke test (runs only with the official files).
# ----------------------------------------------------------------------------
@pytest.mark.skipif(not os.environ.get("VGGISH_CHECKPOINT_DIR"),
                    reason="set VGGISH_CHECKPOINT_DIR to a folder with vggish_model.ckpt "
                           "and vggish_pca_params.npz")
def test_official_smoke_statistics():
    directory = os.environ["VGGISH_CHECKPOINT_DIR"]
    model = loading.load_official_checkpoint(directory)
    processor = loading.load_pca(directory)
    t = np.arange(0, 3, 1 / params.SAMPLE_RATE)
    waveform = np.sin(2 * np.pi * 1000 * t)
    examples = frontend.log_mel_to_examples(
        frontend.waveform_to_log_mel(tf.constant(waveform, tf.float64)))
    assert tuple(examples.shape) == (3, 96, 64)
    embeddings = model(vggish_model.as_model_input(tf.cast(examples, tf.float32))).numpy()
    np.testing.assert_allclose([embeddings.mean(), embeddings.std()],
                               [SMOKE_EMBEDDING_MEAN, SMOKE_EMBEDDING_STD], rtol=SMOKE_RTOL)
    postprocessed = processor.postprocess(embeddings)
    np.testing.assert_allclose([postprocessed.mean(), postprocessed.std()],
                               [SMOKE_POSTPROCESSED_MEAN, SMOKE_POSTPROCESSED_STD],
                               rtol=SMOKE_RTOL)
