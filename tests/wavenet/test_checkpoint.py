"""Loading magenta-named checkpoints written here with small widths."""
import numpy as np
import pytest
import tensorflow as tf

from neural_style_audio.wavenet import checkpoint, config, model


def random_arrays(c, seed):
    rng = np.random.default_rng(seed)
    return {scope: (rng.standard_normal(w).astype(np.float32),
                    rng.standard_normal(b).astype(np.float32))
            for scope, (w, b) in checkpoint.expected_shapes(c).items()}


def test_names_readable_by_tf_train_load_checkpoint(tmp_path):
    arrays = random_arrays(config.TINY, 0)
    prefix = checkpoint.write_checkpoint(arrays, tmp_path / "model.ckpt-10")
    names = tf.train.load_checkpoint(prefix).get_variable_to_shape_map()
    assert names["ae_dilatedconv_3/W"] == [1, 3, 8, 8]
    assert names["cond_map_out1/biases"] == [8]
    assert names["logits/W"] == [1, 1, 8, 256]


def test_load_layer_by_layer_prefers_moving_averages(tmp_path):
    c = config.TINY
    raw, ema = random_arrays(c, 1), random_arrays(c, 2)
    prefix = checkpoint.write_checkpoint(raw, tmp_path / "ckpt" / "model.ckpt-5", ema_arrays=ema)
    m = model.build_model(c, seed=0)
    info = checkpoint.load_magenta_checkpoint(m, tmp_path / "ckpt")  # A folder works too.
    assert info["from_moving_average"] == info["variables"] == 2 * len(raw)
    layers = m.named_layers()
    for scope, (w, b) in ema.items():
        np.testing.assert_array_equal(layers[scope].kernel.numpy(), w[0])
        np.testing.assert_array_equal(layers[scope].bias.numpy(), b)
    checkpoint.load_magenta_checkpoint(m, prefix, prefer_ema=False)
    for scope, (w, b) in raw.items():
        np.testing.assert_array_equal(layers[scope].kernel.numpy(), w[0])


def test_round_trip_and_inferred_config(tmp_path):
    c = config.TINY
    a = model.build_model(c, seed=1)
    prefix = checkpoint.save_magenta_checkpoint(a, tmp_path / "m.ckpt")
    inferred = checkpoint.config_from_checkpoint(prefix, name="tiny", ae_num_stages=3,
                                                 num_stages=3, ae_hop_length=16)
    assert inferred == c
    b = model.build_model(inferred, seed=2)
    checkpoint.load_magenta_checkpoint(b, str(prefix) + ".index")
    y = np.random.default_rng(0).uniform(-0.5, 0.5, (1, 48)).astype(np.float32)
    np.testing.assert_array_equal(a(y).numpy(), b(y).numpy())


def test_missing_checkpoint_is_one_line(tmp_path):
    m = model.build_model(config.TINY, seed=0)
    with pytest.raises(FileNotFoundError) as err:
        checkpoint.load_magenta_checkpoint(m, tmp_path / "nothing.ckpt")
    text = str(err.value)
    assert "\n" not in text and "wavenet-ckpt.tar" in text and "nothing.ckpt" in text
    with pytest.raises(FileNotFoundError, match="no TensorFlow checkpoint"):
        checkpoint.load_magenta_checkpoint(m, tmp_path)


def test_mismatched_checkpoint_names_the_variable(tmp_path):
    arrays = random_arrays(config.TINY, 0)
    m = model.build_model(config.TINY, seed=0)
    wide = dict(arrays, res_2=(np.zeros((1, 1, 8, 16), np.float32), np.zeros(16, np.float32)))
    prefix = checkpoint.write_checkpoint(wide, tmp_path / "wide.ckpt")
    with pytest.raises(checkpoint.CheckpointError) as err:
        checkpoint.load_magenta_checkpoint(m, prefix)
    text = str(err.value)
    assert "\n" not in text and "res_2/W" in text and "[1, 1, 8, 8]" in text
    partial = {k: v for k, v in arrays.items() if not k.startswith("skip_")}
    prefix = checkpoint.write_checkpoint(partial, tmp_path / "partial.ckpt")
    with pytest.raises(checkpoint.CheckpointError, match="missing skip_start/W") as err:
        checkpoint.load_magenta_checkpoint(m, prefix)
    assert "wavenet-ckpt.tar" in str(err.value) and "\n" not in str(err.value)
    # The published sizes against a tiny checkpoint: a shape error, not a crash.
    big = model.WaveNetAutoencoder(config.H512_BO16)
    with pytest.raises(checkpoint.CheckpointError, match="ae_startconv/W has shape"):
        checkpoint.read_variables(checkpoint.write_checkpoint(arrays, tmp_path / "t.ckpt"),
                                  big.config)


def test_shipped_small_model_loads():
    from neural_style_audio.wavenet import weights
    if not weights.SHIPPED_WEIGHTS.is_file():
        pytest.skip("no shipped WaveNet")
    net = weights.load_model("shipped")
    assert net.config == config.SMALL
    meta = weights.read_metadata(weights.SHIPPED_WEIGHTS)
    assert meta["steps_done"] > 0 and meta["history"][-1]["test_nll"] < np.log(256)
    with pytest.raises(weights.WaveNetWeightsError, match="not 'tiny'"):
        weights.load_model("shipped", "tiny")
