import keras
import numpy as np

from neural_style_audio.training import loop


def test_fit_classifier_learns_a_separable_problem_and_logs_each_epoch():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 4)).astype(np.float32)
    labels = (x[:, 0] + x[:, 1] > 0).astype(np.int32)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(
        2, kernel_initializer=keras.initializers.GlorotUniform(seed=1))])
    lines = []
    calls = []

    def evaluate():
        calls.append(1)
        logits = model(x).numpy()
        return {"accuracy": float(np.mean(logits.argmax(-1) == labels))}

    history = loop.fit_classifier(model, labels, np.arange(48), lambda b, r: x[b],
                                  keras.optimizers.Adam(0.05), loop.LoopConfig(8, 16), rng,
                                  evaluate=evaluate, log=lines.append)
    assert [h["epoch"] for h in history] == list(range(1, 9)) and len(calls) == 8
    assert len(lines) == 8 and "accuracy" in lines[-1]
    assert history[-1]["loss"] < history[0]["loss"]
    assert history[-1]["accuracy"] > 0.85


def test_preprocess_runs_inside_the_step():
    seen = []
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])

    def preprocess(inputs):
        seen.append(inputs.shape[-1])
        return inputs[:, :3]

    x = np.ones((8, 5), np.float32)
    loop.fit_classifier(model, np.zeros(8, np.int32), np.arange(8), lambda b, r: x[b],
                        keras.optimizers.SGD(0.1), loop.LoopConfig(1, 4),
                        np.random.default_rng(0), preprocess=preprocess, log=lambda s: None)
    assert seen and seen[0] == 5
