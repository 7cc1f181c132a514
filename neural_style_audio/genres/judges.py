"""Genre classifiers ("judges"): the two published 1-D CNNs and linear heads on
pretrained embeddings; saving, loading and classifying a waveform.

Published (Gupta et al., "Music Generation using Style Transfer by Deep Learning
Methods"):

- `feature_cnn`: the 25-value feature vector (features.paper_features) read as a
  sequence with one channel: Conv1d 32 k4, LeakyReLU, BatchNorm, MaxPool 2, Dropout 0.2;
  Conv1d 64 k3, LeakyReLU, BatchNorm, Dropout 0.5; Dense 256, Dense 64, softmax;
  Adam 1e-4, batch 32, up to 500 epochs with early stopping. Paper: F1 0.63 (10 genres).
- `autocorrelogram_cnn`: the autocorrelogram (features.autocorrelogram): Conv1d 32 k4,
  tanh, BatchNorm, Dropout 0.2; Dense 128, Dense 64, softmax; Adam 1e-3. Paper: F1 0.254.
  The paper does not name the hidden Dense activations; ReLU here.

Better than published (linear heads on offline embeddings, the recipe of the GTZAN
VGGish + linear SVM result):

- `vggish_logreg`: compact VGGish embeddings (mean, std) + multinomial logistic regression.
- `instrument_cnn_logreg`: the shipped instrument CNN's conv6 (mean, std) + logistic
  regression.
- `mfcc_logreg`: MFCC mean/std + logistic regression (the "MFCC + SVM" reference point).

A judge classifies fixed-length segments (3 s by default); a clip's probabilities are
the mean of its segments' probabilities. Inputs are standardised with the training
segments' mean and std, stored with the model.
"""
import dataclasses
import json
from pathlib import Path

import numpy as np

from neural_style_audio.genres import data, features

JUDGE_FORMAT = "neural_style_audio.genres.judge/1"


@dataclasses.dataclass(frozen=True)
class JudgeSpec:
    """A judge kind: its features, model and published training settings."""
    feature: str
    model: str  # "feature_cnn", "autocorrelogram_cnn" or "logreg".
    learning_rate: float = 1e-3
    batch_size: int = 32
    max_epochs: int = 500
    description: str = ""


JUDGES = {
    "feature_cnn": JudgeSpec("paper", "feature_cnn", 1e-4, 32, 500,
                             "published feature CNN (Gupta et al.): 25 librosa features"),
    "autocorrelogram_cnn": JudgeSpec("autocorrelogram", "autocorrelogram_cnn", 1e-3, 32, 500,
                                     "published autocorrelogram CNN (Gupta et al.)"),
    "vggish_logreg": JudgeSpec("vggish", "logreg",
                               description="compact VGGish embeddings + logistic regression"),
    "instrument_cnn_logreg": JudgeSpec("instrument_cnn", "logreg",
                                       description="instrument CNN conv6 + logistic regression"),
    "mfcc_logreg": JudgeSpec("mfcc", "logreg",
                             description="MFCC mean/std + logistic regression"),
}


def judge_names():
    """Names of the judge kinds."""
    return tuple(JUDGES)


def spec(name):
    """The JudgeSpec of a judge name (KeyError naming the choices)."""
    try:
        return JUDGES[name]
    except KeyError:
        raise KeyError(f"unknown judge '{name}' (choose from {', '.join(JUDGES)})") from None


def build_keras_model(kind, input_length, num_classes, seed=0):
    """The published 1-D CNN `kind` for inputs [B, input_length] -> logits [B, K].

    Every initialiser and dropout layer is seeded (no global RNG state).
    """
    import keras
    layers = keras.layers
    counter = iter(range(1000))

    def init():
        return keras.initializers.GlorotUniform(seed=seed * 1000 + next(counter))

    if kind == "feature_cnn":
        body = [
            layers.Conv1D(32, 4, kernel_initializer=init()), layers.LeakyReLU(),
            layers.BatchNormalization(), layers.MaxPooling1D(2),
            layers.Dropout(0.2, seed=seed + 1),
            layers.Conv1D(64, 3, kernel_initializer=init()), layers.LeakyReLU(),
            layers.BatchNormalization(), layers.Dropout(0.5, seed=seed + 2),
            layers.Flatten(),
            layers.Dense(256, activation="relu", kernel_initializer=init()),
            layers.Dense(64, activation="relu", kernel_initializer=init()),
        ]
    elif kind == "autocorrelogram_cnn":
        body = [
            layers.Conv1D(32, 4, activation="tanh", kernel_initializer=init()),
            layers.BatchNormalization(), layers.Dropout(0.2, seed=seed + 1),
            layers.Flatten(),
            layers.Dense(128, activation="relu", kernel_initializer=init()),
            layers.Dense(64, activation="relu", kernel_initializer=init()),
        ]
    else:
        raise ValueError(f"no Keras model named {kind!r}")
    model = keras.Sequential(
        [keras.Input((input_length,)), layers.Reshape((input_length, 1)), *body,
         layers.Dense(num_classes, kernel_initializer=init(), name="logits")], name=kind)
    return model


def _log_softmax(logits):
    logits = logits - logits.max(axis=-1, keepdims=True)
    return logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))


class Judge:
    """A trained genre classifier.

    Attributes:
      name: judge kind (a key of JUDGES).
      seg_cfg: features.SegmentConfig of its inputs.
      classes: genre names, in logit order.
      mean, std: input standardisation [D].
      model: Keras model (CNN judges) or dict(coef [K, D], intercept [K]) (logreg).
      record: JSON-able training record (split, metrics, settings).
    """

    def __init__(self, name, seg_cfg, classes, mean, std, model, record=None):
        self.name = name
        self.seg_cfg = seg_cfg
        self.classes = list(classes)
        self.mean = np.asarray(mean, np.float32)
        self.std = np.asarray(std, np.float32)
        self.model = model
        self.record = record or {}
        self._extract = None

    def standardise(self, feats):
        return (np.asarray(feats, np.float32) - self.mean) / self.std

    def segment_logits(self, feats):
        """Logits [n, K] of segment features [n, D]."""
        x = self.standardise(feats)
        if isinstance(self.model, dict):
            return x @ self.model["coef"].T + self.model["intercept"]
        out = [self.model(x[i:i + 256], training=False) for i in range(0, len(x), 256)]
        return np.concatenate([np.asarray(o) for o in out]).astype(np.float32)

    def segment_probabilities(self, feats):
        """Softmax probabilities [n, K] of segment features [n, D]."""
        return np.exp(_log_softmax(self.segment_logits(feats)))

    def track_probabilities(self, feats):
        """[K]: the mean of the segments' probabilities."""
        return self.segment_probabilities(feats).mean(axis=0)

    def features(self, y, sr):
        """Segment features of a waveform at `sr`."""
        if self._extract is None:
            self._extract = features.extractor(self.seg_cfg.kind)
        return features.waveform_features(y, sr, self.seg_cfg, self._extract)

    def predict_proba(self, y, sr):
        """Genre probabilities [K] of a waveform (any length; shorter than one segment
        is zero-padded), ordered as `classes`."""
        return self.track_probabilities(self.features(y, sr))

    def save(self, folder):
        """Writes judge.json and judge.weights.h5 (CNN) or judge.npz (logreg) into
        `folder`; returns the paths."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        meta = dict(format=JUDGE_FORMAT, name=self.name, classes=self.classes,
                    segment=dataclasses.asdict(self.seg_cfg), mean=self.mean.tolist(),
                    std=self.std.tolist(), record=self.record)
        if isinstance(self.model, dict):
            weights = folder / "judge.npz"
            np.savez(weights, **self.model)
        else:
            weights = folder / "judge.weights.h5"
            self.model.save_weights(str(weights))
            meta["input_length"] = int(self.mean.shape[0])
        meta_path = folder / "judge.json"
        meta_path.write_text(json.dumps(meta, indent=1) + "\n")
        return meta_path, weights


def load_judge(folder):
    """Loads a judge saved by Judge.save (a folder, or its judge.json).

    Raises:
      data.GenreDataError: missing or unusable files (named).
    """
    folder = Path(folder)
    if folder.name == "judge.json":
        folder = folder.parent
    meta_path = folder / "judge.json"
    try:
        meta = json.loads(meta_path.read_text())
        if meta.get("format") != JUDGE_FORMAT:
            raise ValueError(f"format {meta.get('format')!r}")
        judge_spec = spec(meta["name"])
        seg_cfg = features.SegmentConfig(**meta["segment"])
    except FileNotFoundError:
        raise data.GenreDataError(f"{meta_path}: judge file not found (train one with "
                                  "scripts/train_genre_classifier.py)") from None
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise data.GenreDataError(f"{meta_path}: not a genre judge ({err})") from None
    if judge_spec.model == "logreg":
        try:
            with np.load(folder / "judge.npz") as stored:
                model = dict(coef=stored["coef"], intercept=stored["intercept"])
        except (OSError, KeyError, ValueError) as err:
            raise data.GenreDataError(f"{folder / 'judge.npz'}: unusable ({err})") from None
    else:
        model = build_keras_model(judge_spec.model, meta["input_length"], len(meta["classes"]))
        try:
            model.load_weights(str(folder / "judge.weights.h5"))
        except Exception as err:  # noqa: BLE001  (h5py and Keras raise several kinds)
            line = str(err).splitlines()[0][:160] if str(err) else type(err).__name__
            raise data.GenreDataError(f"{folder / 'judge.weights.h5'}: unusable ({line})") from None
    return Judge(meta["name"], seg_cfg, meta["classes"], meta["mean"], meta["std"], model,
                 meta.get("record"))
