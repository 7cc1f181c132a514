"""Training and evaluating the genre judges over repeated splits by track.

`train_judge` fits one judge on one split: the published CNNs with the shared loop
(training/loop.py `fit_classifier`) and early stopping on the validation tracks'
loss, the linear judges with multinomial logistic regression (scikit-learn when
installed, else full-batch gradient descent on the same convex objective) on the
train and validation tracks together (they have no early stopping to feed).
`cross_validate` repeats that over several splits and reports the test metrics with a
95 % confidence interval (Student t over the splits): with 80 tracks, one 16-track
test set moves by 1/16 = 6 points per track, too coarse to rank judges.

Track-level metrics classify a track by the mean of its segments' probabilities;
segment-level metrics are reported beside them.
"""
import dataclasses
import time
from typing import Callable

import numpy as np

from neural_style_audio.genres import data, features, judges


@dataclasses.dataclass(frozen=True)
class GenreTrainConfig:
    """Settings of one judge training (per split)."""
    judge: str = "vggish_logreg"
    segment_s: float = 3.0
    hop_s: float = 3.0
    max_epochs: int = 0  # 0 = the judge's published value.
    patience: int = 20  # Early stopping on the val loss (epochs without improvement).
    batch_size: int = 0  # 0 = the judge's published value.
    learning_rate: float = 0.0  # 0 = the judge's published value.
    l2: float = 1.0  # Logistic regression: inverse regularisation C.
    seed: int = 0

    def segment_config(self):
        return features.SegmentConfig(judges.spec(self.judge).feature, self.segment_s,
                                      self.hop_s)


class _EarlyStop(Exception):
    """Raised from the per-epoch callback to end fit_classifier early."""


def macro_f1(y_true, y_pred, num_classes):
    """Unweighted mean over classes of F1 (a class never predicted nor present: skipped)."""
    scores = []
    for k in range(num_classes):
        tp = np.sum((y_pred == k) & (y_true == k))
        fp = np.sum((y_pred == k) & (y_true != k))
        fn = np.sum((y_pred != k) & (y_true == k))
        if tp + fp + fn == 0:
            continue
        scores.append(2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores)) if scores else 0.0


def confusion_matrix(y_true, y_pred, num_classes):
    """[K, K] counts, rows true class, columns predicted."""
    matrix = np.zeros((num_classes, num_classes), np.int64)
    np.add.at(matrix, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return matrix


def mean_ci(values, level=0.95):
    """(mean, half-width of the Student-t confidence interval) of per-split values."""
    values = np.asarray(values, float)
    if len(values) < 2:
        return float(values.mean()), float("nan")
    from scipy import stats
    half = stats.t.ppf(0.5 + level / 2, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return float(values.mean()), float(half)


def fit_logistic(x, y, num_classes, c=1.0, seed=0):
    """Multinomial logistic regression on standardised x [N, D] -> dict(coef, intercept)."""
    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        return _fit_logistic_gd(x, y, num_classes, c)
    model = LogisticRegression(C=c, max_iter=5000, random_state=seed).fit(x, y)
    coef, intercept = model.coef_, model.intercept_
    if num_classes == 2 and coef.shape[0] == 1:  # sklearn's binary form: one row.
        coef = np.concatenate([-coef / 2, coef / 2])
        intercept = np.concatenate([-intercept / 2, intercept / 2])
    full_coef = np.zeros((num_classes, x.shape[1]), np.float32)
    full_int = np.full(num_classes, -1e4, np.float32)  # Classes absent from training.
    full_coef[model.classes_] = coef
    full_int[model.classes_] = intercept
    return dict(coef=full_coef, intercept=full_int)


def _fit_logistic_gd(x, y, num_classes, c=1.0, steps=3000, lr=0.5):
    """Full-batch gradient descent on the L2-regularised multinomial cross-entropy."""
    n, d = x.shape
    w, b = np.zeros((num_classes, d)), np.zeros(num_classes)
    onehot = np.eye(num_classes)[y]
    for _ in range(steps):
        logits = x @ w.T + b
        p = np.exp(judges._log_softmax(logits))
        grad = (p - onehot) / n
        w -= lr * (grad.T @ x + w / (c * n))
        b -= lr * grad.sum(axis=0)
    return dict(coef=w.astype(np.float32), intercept=b.astype(np.float32))


def _cross_entropy(logits, labels):
    return float(-np.mean(judges._log_softmax(logits)[np.arange(len(labels)), labels]))


def train_judge(split, cfg, cache, log: Callable[[str], None] = print):
    """Fits one judge on a split's train (and val) tracks.

    Args:
      split: split dict (genres.data).
      cfg: GenreTrainConfig.
      cache: features.FeatureCache for cfg.segment_config().
      log: progress sink.

    Returns:
      (Judge, training record dict).
    """
    import keras
    from neural_style_audio.training import loop
    jspec = judges.spec(cfg.judge)
    classes = split["genres"]
    x_train, y_train, _ = cache.examples(data.split_items(split, "train"), log)
    val_items = data.split_items(split, "val")
    x_val, y_val, _ = cache.examples(val_items) if val_items else (None, None, None)
    mean = x_train.mean(axis=0)
    std = np.maximum(x_train.std(axis=0), 1e-6)
    record = dict(judge=cfg.judge, train_segments=int(len(y_train)),
                  val_segments=int(len(y_val)) if y_val is not None else 0)
    start = time.perf_counter()
    if jspec.model == "logreg":
        if x_val is not None:  # No early stopping to feed: the val tracks train too.
            x_train = np.concatenate([x_train, x_val])
            y_train = np.concatenate([y_train, y_val])
            mean, std = x_train.mean(axis=0), np.maximum(x_train.std(axis=0), 1e-6)
            record["train_segments"] += record.pop("val_segments")
        model = fit_logistic((x_train - mean) / std, y_train, len(classes), cfg.l2, cfg.seed)
        judge = judges.Judge(cfg.judge, cache.seg_cfg, classes, mean, std, model)
        record.update(model="logistic regression (multinomial, L2, C=%g)" % cfg.l2)
    else:
        model = judges.build_keras_model(jspec.model, x_train.shape[1], len(classes), cfg.seed)
        judge = judges.Judge(cfg.judge, cache.seg_cfg, classes, mean, std, model)
        epochs = cfg.max_epochs or jspec.max_epochs
        batch = cfg.batch_size or jspec.batch_size
        lr = cfg.learning_rate or jspec.learning_rate
        xs_train = judge.standardise(x_train)
        best = dict(loss=np.inf, epoch=0, weights=None)
        history = []

        def evaluate():
            epoch = len(history) + 1
            if x_val is None:
                history.append({})
                return {}
            val_logits = judge.segment_logits(x_val)
            val_loss = _cross_entropy(val_logits, y_val)
            result = dict(val_loss=val_loss,
                          val_accuracy=float(np.mean(val_logits.argmax(-1) == y_val)))
            history.append(result)
            if val_loss < best["loss"] - 1e-4:
                best.update(loss=val_loss, epoch=epoch, weights=model.get_weights())
            elif epoch - best["epoch"] >= cfg.patience:
                raise _EarlyStop
            return result

        quiet = [0]

        def epoch_log(line):  # One line every 25 epochs; the rest is in the record.
            quiet[0] += 1
            if quiet[0] % 25 == 0:
                log("  " + line)

        try:
            loop.fit_classifier(model, y_train, np.arange(len(y_train)),
                                lambda batch_index, rng: xs_train[batch_index],
                                keras.optimizers.Adam(lr), loop.LoopConfig(epochs, batch),
                                np.random.default_rng(cfg.seed), evaluate=evaluate,
                                log=epoch_log)
            stopped = f"ran all {epochs} epochs"
        except _EarlyStop:
            stopped = (f"early stop after {len(history)} epochs (val loss best at epoch "
                       f"{best['epoch']})")
        if best["weights"] is not None:
            model.set_weights(best["weights"])
        record.update(model=jspec.model, epochs_run=len(history), best_epoch=best["epoch"],
                      stopped=stopped, learning_rate=lr, batch_size=batch,
                      max_epochs=epochs, patience=cfg.patience,
                      val_loss=[h.get("val_loss") for h in history])
        log(f"  {stopped}")
    record["train_s"] = round(time.perf_counter() - start, 2)
    judge.record = record
    return judge, record


def evaluate_judge(judge, cache, items):
    """Test metrics of a judge on [(path, label)] items.

    Returns:
      dict: track_accuracy, track_macro_f1, segment_accuracy, segment_macro_f1,
      confusion (track level, rows true), n_tracks, n_segments, and per-track
      predictions.
    """
    x, y, owner = cache.examples(items)
    k = len(judge.classes)
    seg_prob = judge.segment_probabilities(x)
    seg_pred = seg_prob.argmax(-1)
    track_prob = np.stack([seg_prob[owner == i].mean(axis=0) for i in range(len(items))])
    track_true = np.array([label for _, label in items])
    track_pred = track_prob.argmax(-1)
    return dict(
        track_accuracy=float(np.mean(track_pred == track_true)),
        track_macro_f1=macro_f1(track_true, track_pred, k),
        segment_accuracy=float(np.mean(seg_pred == y)),
        segment_macro_f1=macro_f1(y, seg_pred, k),
        confusion=confusion_matrix(track_true, track_pred, k).tolist(),
        n_tracks=len(items), n_segments=int(len(y)),
        predictions=[dict(track=str(p), true=judge.classes[t], predicted=judge.classes[q],
                          probability=float(track_prob[i, q]))
                     for i, ((p, t), q) in enumerate(zip(items, track_pred))])


METRICS = ("track_accuracy", "track_macro_f1", "segment_accuracy", "segment_macro_f1")


def cross_validate(splits, cfg, cache_dir=None, log: Callable[[str], None] = print):
    """Trains and tests one judge per split.

    Returns:
      (judge trained on splits[0], summary dict: per-split metrics, mean and 95 % CI
      half-width of each metric, summed confusion matrix, timings).
    """
    cache = features.FeatureCache(cfg.segment_config(), cache_dir)
    per_split, first = [], None
    confusion = None
    start = time.perf_counter()
    for i, split in enumerate(splits):
        log(f"split {i + 1}/{len(splits)} (seed {split['seed']}, {split.get('kind')})")
        judge, record = train_judge(split, dataclasses.replace(cfg, seed=cfg.seed + i),
                                    cache, log)
        result = evaluate_judge(judge, cache, data.split_items(split, "test"))
        result["training"] = record
        result["seed"] = split["seed"]
        per_split.append(result)
        confusion = np.asarray(result["confusion"]) + (0 if confusion is None else confusion)
        log(f"  test: track accuracy {result['track_accuracy']:.3f}, macro-F1 "
            f"{result['track_macro_f1']:.3f}; segment accuracy "
            f"{result['segment_accuracy']:.3f} ({result['n_tracks']} tracks)")
        if first is None:
            first = judge
            first.record = dict(record, test=result, split=split)
    summary = dict(judge=cfg.judge, settings=dataclasses.asdict(cfg),
                   n_splits=len(splits), genres=splits[0]["genres"],
                   splits=per_split, confusion_summed=confusion.tolist(),
                   cache=dict(hits=cache.hits, misses=cache.misses),
                   total_s=round(time.perf_counter() - start, 1))
    for name in METRICS:
        summary[name] = dict(zip(("mean", "ci95"), mean_ci([r[name] for r in per_split])))
    return first, summary


def confusion_figure(matrix, classes, path, title):
    """Saves a confusion matrix (rows true, columns predicted) as a PNG (Figure API)."""
    from matplotlib.figure import Figure
    matrix = np.asarray(matrix, float)
    rates = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    fig = Figure(figsize=(1.6 + 0.9 * len(classes), 1.2 + 0.8 * len(classes)),
                 layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(classes)), classes, rotation=45, ha="right")
    ax.set_yticks(range(len(classes)), classes)
    for i in range(len(classes)):
        for j in range(len(classes)):
            ax.text(j, i, int(matrix[i, j]), ha="center", va="center",
                    color="white" if rates[i, j] > 0.5 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=9)
    fig.colorbar(image, ax=ax, shrink=0.7, label="share of the true genre")
    fig.savefig(path, dpi=90, format="png")
    return path
