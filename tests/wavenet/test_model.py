"""The Keras WaveNet autoencoder against a numpy transcription of magenta's graph."""
import numpy as np
import pytest
import tensorflow as tf

from neural_style_audio.wavenet import config, model, mulaw
from neural_style_audio.wavenet.checkpoint import expected_shapes, model_arrays


def conv(x, w, b, dilation=1, causal=True):
    """numpy [T, in] conv with magenta W [1, K, in, out]: causal (left pad) or SAME."""
    k = w.shape[1]
    pad = (k - 1) * dilation
    left = pad if causal else pad // 2
    xp = np.pad(x, [(left, pad - left), (0, 0)])
    out = np.zeros((len(x), w.shape[3]))
    for j in range(k):
        out += xp[j * dilation:j * dilation + len(x)] @ w[0, j]
    return out + b


def reference_logits(arrays, c, x_scaled):
    """magenta Config.build for one clip (x_scaled [T]), numpy float64."""
    a = {k: (v[0].astype(float), v[1].astype(float)) for k, v in arrays.items()}
    x = x_scaled[:, None].astype(float)
    en = conv(x, *a["ae_startconv"], causal=False)
    for i in range(c.ae_num_layers):
        d = np.maximum(conv(np.maximum(en, 0), *a[f"ae_dilatedconv_{i + 1}"],
                            dilation=2 ** (i % c.ae_num_stages), causal=False), 0)
        en = en + conv(d, *a[f"ae_res_{i + 1}"])
    en = conv(en, *a["ae_bottleneck"])
    enc = en.reshape(-1, c.ae_hop_length, en.shape[1]).mean(axis=1)
    up = lambda f: np.repeat(f, c.ae_hop_length, axis=0)  # noqa: E731
    l = conv(np.concatenate([[[0.0]], x[:-1]]), *a["startconv"])
    s = conv(l, *a["skip_start"])
    for i in range(c.num_layers):
        d = conv(l, *a[f"dilatedconv_{i + 1}"], dilation=2 ** (i % c.num_stages))
        d = d + up(conv(enc, *a[f"cond_map_{i + 1}"]))
        m = d.shape[1] // 2
        d = 1 / (1 + np.exp(-d[:, :m])) * np.tanh(d[:, m:])
        l = l + conv(d, *a[f"res_{i + 1}"])
        s = s + conv(d, *a[f"skip_{i + 1}"])
    s = conv(np.maximum(s, 0), *a["out1"]) + up(conv(enc, *a["cond_map_out1"]))
    return enc, conv(np.maximum(s, 0), *a["logits"])


@pytest.fixture(scope="module")
def tiny():
    return model.build_model(config.TINY, seed=3)


def test_matches_magenta_graph(tiny):
    c = config.TINY
    rng = np.random.default_rng(0)
    y = (0.5 * rng.standard_normal((2, 4 * c.ae_hop_length))).clip(-1, 1).astype(np.float32)
    logits = tiny(y).numpy()
    encoding = tiny.encode(y).numpy()
    arrays = model_arrays(tiny)
    for b in range(2):
        enc, ref = reference_logits(arrays, c, mulaw.quantized_input(y[b]).numpy())
        np.testing.assert_allclose(encoding[b], enc, atol=1e-4)
        np.testing.assert_allclose(logits[b], ref, atol=1e-3)


def test_layer_names_and_shapes_are_magentas(tiny):
    arrays = model_arrays(tiny)
    expected = expected_shapes(config.TINY)
    assert set(arrays) == set(expected)
    for scope, (w, b) in arrays.items():
        assert (w.shape, b.shape) == expected[scope], scope


def test_decoder_is_causal_and_encoder_sees_both_sides(tiny):
    c = config.TINY
    rng = np.random.default_rng(1)
    y = rng.uniform(-0.5, 0.5, (1, 3 * c.ae_hop_length)).astype(np.float32)
    t = 20
    y2 = y.copy()
    y2[0, t] = -y2[0, t] + 0.3
    x, x2 = mulaw.quantized_input(y), mulaw.quantized_input(y2)
    enc = tiny.encode(y)
    a = tiny.decoder(x, enc).numpy()
    b = tiny.decoder(x2, enc).numpy()
    np.testing.assert_array_equal(a[0, :t + 1], b[0, :t + 1])  # Logits up to t see x[< t].
    assert np.abs(a[0, t + 1] - b[0, t + 1]).max() > 0
    # The encoder is non-causal: frame 0 (samples 0..15) changes when sample 20 does,
    # through the receptive field of the dilated layers.
    y3 = y.copy()
    y3[0, c.ae_hop_length + 2] += 0.4
    assert np.abs(tiny.encode(y3).numpy()[0, 0] - enc.numpy()[0, 0]).max() > 0


def test_any_length_encodes_and_published_sizes():
    c = config.TINY
    m = model.build_model(c, seed=0)
    assert m.encode(np.zeros((1, 2 * c.ae_hop_length + 5), np.float32)).shape == (1, 3, 4)
    h = config.H512_BO16
    assert (h.ae_width, h.width, h.skip_width, h.ae_bottleneck_width, h.ae_hop_length,
            h.num_layers, h.ae_num_layers) == (128, 512, 256, 16, 512, 30, 30)
    assert h.frames_per_second == 31.25
    # Parameter count of the published model from the checkpoint shapes: 61.8 M.
    n = sum(np.prod(w) + np.prod(b) for w, b in expected_shapes(h).values())
    assert 61.7e6 < n < 61.9e6
    with pytest.raises(ValueError, match="ae_width"):
        config.WaveNetConfig(ae_width=0)


def test_differentiable_encoding_has_gradient(tiny):
    y = tf.Variable(np.random.default_rng(2).uniform(-0.3, 0.3, (1, 64)).astype(np.float32))
    with tf.GradientTape(persistent=True) as tape:
        smooth = tf.reduce_sum(tiny.encode(y, differentiable=True) ** 2)
        quantised = tf.reduce_sum(tiny.encode(y) ** 2)
    assert np.abs(tape.gradient(smooth, y).numpy()).max() > 0
    g = tape.gradient(quantised, y)
    assert g is None or not np.any(g.numpy())
