"""Genre judges: the published CNNs' layers, training on a tiny corpus, saving and
loading, metrics, and the training command."""
import json
import subprocess
import sys

import numpy as np
import pytest

from neural_style_audio import genres
from neural_style_audio.cli import train_genre_classifier as command
from neural_style_audio.genres import features, judges
from neural_style_audio.training import genre_classifier as train
from genre_corpus import SR, write_corpus

REPO = __import__("pathlib").Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_corpus(tmp_path_factory.mktemp("genre_judges") / "genres")


def test_published_cnn_layers():
    model = judges.build_keras_model("feature_cnn", 25, 10)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Reshape", "Conv1D", "LeakyReLU", "BatchNormalization", "MaxPooling1D",
                     "Dropout", "Conv1D", "LeakyReLU", "BatchNormalization", "Dropout",
                     "Flatten", "Dense", "Dense", "Dense"]
    convs = [layer for layer in model.layers if type(layer).__name__ == "Conv1D"]
    assert [(c.filters, c.kernel_size[0]) for c in convs] == [(32, 4), (64, 3)]
    dropouts = [layer.rate for layer in model.layers if type(layer).__name__ == "Dropout"]
    assert dropouts == [0.2, 0.5]
    assert [d.units for d in model.layers if type(d).__name__ == "Dense"] == [256, 64, 10]
    # 25 -> conv k4: 22 -> pool: 11 -> conv k3: 9 frames x 64 channels.
    assert model.layers[10].output.shape[-1] == 9 * 64
    auto = judges.build_keras_model("autocorrelogram_cnn", 512, 4)
    assert [type(layer).__name__ for layer in auto.layers] == [
        "Reshape", "Conv1D", "BatchNormalization", "Dropout", "Flatten", "Dense", "Dense",
        "Dense"]
    assert auto.layers[1].activation.__name__ == "tanh"
    assert [d.units for d in auto.layers if type(d).__name__ == "Dense"] == [128, 64, 4]
    assert judges.JUDGES["feature_cnn"].learning_rate == 1e-4
    assert judges.JUDGES["autocorrelogram_cnn"].learning_rate == 1e-3
    assert command.JUDGE_CHOICES == judges.judge_names()


def test_metrics():
    y_true = np.array([0, 0, 1, 1, 2, 2])
    y_pred = np.array([0, 1, 1, 1, 2, 0])
    # F1: class 0: 2*1/(2+1+1)=0.5; class 1: 2*2/(4+1)=0.8; class 2: 2/(2+0+1)=2/3.
    assert train.macro_f1(y_true, y_pred, 3) == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)
    np.testing.assert_array_equal(train.confusion_matrix(y_true, y_pred, 3),
                                  [[1, 1, 0], [0, 2, 0], [1, 0, 1]])
    mean, half = train.mean_ci([0.5, 0.7, 0.6])
    assert mean == pytest.approx(0.6) and half == pytest.approx(4.303 * 0.1 / np.sqrt(3), rel=1e-3)


def test_logistic_fallback_matches_sklearn_predictions():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(m, 1, (30, 4)) for m in (-2, 0, 2)])
    y = np.repeat([0, 1, 2], 30)
    gd = train._fit_logistic_gd(x, y, 3)
    pred = (x @ gd["coef"].T + gd["intercept"]).argmax(-1)
    assert np.mean(pred == y) > 0.9
    sk = train.fit_logistic(x, y, 3)
    assert np.mean((x @ sk["coef"].T + sk["intercept"]).argmax(-1) == pred) > 0.95


@pytest.mark.parametrize("name", ["mfcc_logreg", "feature_cnn"])
def test_train_save_load_classify(tmp_path, corpus, name):
    tracks = genres.list_tracks(corpus)
    split = genres.make_split(tracks, 0.2, 0.2, seed=0)
    cfg = train.GenreTrainConfig(judge=name, segment_s=0.5, hop_s=0.5, max_epochs=40,
                                 patience=40, learning_rate=3e-3 if name != "mfcc_logreg" else 0)
    cache = features.FeatureCache(cfg.segment_config(), tmp_path / "cache")
    judge, record = train.train_judge(split, cfg, cache, log=lambda line: None)
    result = train.evaluate_judge(judge, cache, genres.split_items(split, "test"))
    assert result["n_tracks"] == 3 and result["n_segments"] == 9
    assert result["track_accuracy"] == 1.0  # Tones vs noise are easy.
    judge.save(tmp_path / "judge")
    loaded = judges.load_judge(tmp_path / "judge" / "judge.json")
    assert loaded.classes == ["high", "low", "noise"]
    test_path = split["test"]["noise"][0]
    y = genres.load_track(test_path, 22050)
    p = loaded.predict_proba(y, 22050)
    np.testing.assert_allclose(p, judge.predict_proba(y, 22050), rtol=1e-5, atol=1e-6)
    assert p.argmax() == 2 and p.sum() == pytest.approx(1.0, abs=1e-5)
    # A clip shorter than a segment is zero-padded to one segment.
    assert loaded.predict_proba(y[:1000], 22050).shape == (3,)
    if name == "feature_cnn":
        assert record["epochs_run"] >= 1 and len(record["val_loss"]) == record["epochs_run"]


def test_early_stopping_restores_best_epoch(tmp_path, corpus):
    tracks = genres.list_tracks(corpus)
    split = genres.make_split(tracks, 0.2, 0.2, seed=1)
    cfg = train.GenreTrainConfig(judge="autocorrelogram_cnn", segment_s=0.5, hop_s=0.5,
                                 max_epochs=60, patience=3, learning_rate=0.05)
    cache = features.FeatureCache(cfg.segment_config(), None)
    judge, record = train.train_judge(split, cfg, cache, log=lambda line: None)
    assert record["epochs_run"] <= 60
    if record["epochs_run"] < 60:
        assert record["epochs_run"] - record["best_epoch"] == 3
    best = min(v for v in record["val_loss"])
    x_val, y_val, _ = cache.examples(genres.split_items(split, "val"))
    assert train._cross_entropy(judge.segment_logits(x_val), y_val) == pytest.approx(best, rel=1e-4)


def test_load_judge_errors(tmp_path):
    with pytest.raises(genres.GenreDataError, match="nowhere/judge.json: judge file not found"):
        judges.load_judge(tmp_path / "nowhere")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "judge.json").write_text("{}")
    with pytest.raises(genres.GenreDataError, match="bad/judge.json: not a genre judge"):
        judges.load_judge(tmp_path / "bad")


def _run(*args):
    return subprocess.run([sys.executable, str(REPO / "scripts" / "train_genre_classifier.py"),
                           *args], capture_output=True, text=True, cwd=REPO, timeout=300)


def test_command_bad_inputs_are_one_line_errors(tmp_path, corpus):
    for args, message in [
            ([f"--data_dir={tmp_path / 'missing'}"], "missing: corpus folder not found"),
            ([f"--data_dir={corpus}", "--judges=svm"], "--judges: unknown svm"),
            ([f"--data_dir={corpus}", "--genres=low,jazz"], "jazz: genre folder not found"),
            ([f"--data_dir={corpus}", "--test_fraction=0.7", "--val_fraction=0.3"],
             "must be in [0, 1) with a sum below 1"),
            ([f"--data_dir={corpus}", f"--splits_json={tmp_path / 'none.json'}"],
             "none.json: split file not found")]:
        done = _run(*args, f"--output_dir={tmp_path / 'out'}", "--cache_dir=")
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert lines[-1].startswith("error: ") and message in lines[-1], done.stderr
        assert "Traceback" not in done.stderr


def test_command_end_to_end(tmp_path, corpus):
    out = tmp_path / "out"
    done = _run(f"--data_dir={corpus}", "--judges=mfcc_logreg", "--n_splits=2",
                "--segment_s=0.5", "--hop_s=0.5", f"--output_dir={out}",
                f"--cache_dir={tmp_path / 'cache'}", f"--figures_dir={tmp_path / 'fig'}")
    assert done.returncode == 0, done.stderr
    assert "mfcc_logreg | 1.000 ± 0.000 |" in done.stdout
    summary = json.loads((out / "mfcc_logreg" / "cv.json").read_text())
    assert summary["n_splits"] == 2 and summary["track_accuracy"]["mean"] == 1.0
    assert len(genres.load_splits(out / "splits.json")) == 2
    assert (out / "mfcc_logreg" / "confusion.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "fig" / "genre_mfcc_logreg_confusion.png").is_file()
    judge = judges.load_judge(out / "mfcc_logreg")
    assert judge.record["cross_validation"]["track_accuracy"]["mean"] == 1.0
    assert summary["cache"] == {"hits": 15, "misses": 15}  # Split 2 reuses split 1's.
