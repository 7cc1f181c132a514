"""Trains genre classifiers ("judges") on a GTZAN-layout corpus and tests them over
repeated splits by track.

    python scripts/train_genre_classifier.py --data_dir=../shared/audio/genres \\
        --judges=feature_cnn,autocorrelogram_cnn,vggish_logreg --n_splits=5

The corpus is <data_dir>/<genre>/*.{wav,au,ogg,flac,mp3}. Each split assigns whole
tracks to train / val / test (stratified, seeded; written to <output_dir>/splits.json,
or read from --splits_json so runs are comparable). Tracks are cut into --segment_s
segments; features are cached in --cache_dir keyed by their settings. For each judge:
test accuracy and macro-F1 (track level: the mean of the segment probabilities) with a
95 % confidence interval over the splits, the summed test confusion matrix as a PNG,
and the judge trained on split 1 saved in <output_dir>/<judge>/ (judge.json + weights)
for the evaluation (experiments/genre_transfer_table.py) to load; its held-out tracks
are the test tracks of split 1. See docs/genre_classifiers.md.
"""
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # Keep TF's start-up chatter quiet.

from absl import flags  # noqa: E402

from neural_style_audio import cli  # noqa: E402

FLAGS = flags.FLAGS
# Literals, so that defining the flags imports no TensorFlow; tests check them against
# neural_style_audio.genres.judges.JUDGES.
JUDGE_CHOICES = ("feature_cnn", "autocorrelogram_cnn", "vggish_logreg",
                 "instrument_cnn_logreg", "mfcc_logreg")
flags.DEFINE_string("data_dir", "../shared/audio/genres", "Corpus: <data_dir>/<genre>/*.wav|"
                    "au|ogg|flac|mp3.")
flags.DEFINE_list("genres", [], "Genres to use, in this order (default: every genre folder).")
flags.DEFINE_list("judges", ["vggish_logreg"], f"Judges to train: {', '.join(JUDGE_CHOICES)}.")
flags.DEFINE_enum("split_kind", "repeated", ["repeated", "kfold"], "Repeated stratified "
                  "hold-out (--n_splits seeds) or k-fold cross-validation by track.")
flags.DEFINE_integer("n_splits", 5, "Repeats (repeated) or folds (kfold).")
flags.DEFINE_float("test_fraction", 0.2, "Share of each genre's tracks held out for testing "
                   "(repeated).")
flags.DEFINE_float("val_fraction", 0.15, "Share of each genre's tracks for early stopping "
                   "(CNN judges; 0 = none, run --max_epochs).")
flags.DEFINE_string("splits_json", "", "Read the splits from this file instead of drawing "
                    "them ('' = draw, and write <output_dir>/splits.json).")
flags.DEFINE_float("segment_s", 3.0, "Segment length (s).")
flags.DEFINE_float("hop_s", 3.0, "Segment hop (s).")
flags.DEFINE_integer("max_epochs", 0, "CNN judges: most epochs (0 = published: 500).")
flags.DEFINE_integer("patience", 20, "CNN judges: early-stopping patience (epochs).")
flags.DEFINE_float("learning_rate", 0.0, "CNN judges: Adam rate (0 = published).")
flags.DEFINE_float("l2", 1.0, "Logistic-regression judges: inverse L2 strength C.")
flags.DEFINE_integer("seed", 0, "Split and initialisation seed.")
flags.DEFINE_string("cache_dir", "outputs/genre_cache", "Feature cache ('' = none).")
flags.DEFINE_string("output_dir", "outputs/genre_judges", "Where <judge>/judge.json, "
                    "<judge>/cv.json and splits.json go.")
flags.DEFINE_string("figures_dir", "", "Also write genre_<judge>_confusion.png here "
                    "(e.g. docs/images; '' = only <output_dir>/<judge>/confusion.png).")


def _machine():
    import platform
    return (f"{platform.node()}: {platform.processor() or platform.machine()}, "
            f"{os.cpu_count()} CPUs, {platform.system()} {platform.release()}")


def _check_flags():
    unknown = [j for j in FLAGS.judges if j not in JUDGE_CHOICES]
    if unknown or not FLAGS.judges:
        raise cli.UsageError(f"--judges: unknown {', '.join(unknown) or '(none given)'} "
                             f"(choose from {', '.join(JUDGE_CHOICES)})")
    if FLAGS.n_splits < 1 or (FLAGS.split_kind == "kfold" and FLAGS.n_splits < 2):
        raise cli.UsageError("--n_splits must be >= 1 (>= 2 for --split_kind kfold)")
    if FLAGS.segment_s <= 0 or FLAGS.hop_s <= 0:
        raise cli.UsageError("--segment_s and --hop_s must be > 0")
    if FLAGS.max_epochs < 0 or FLAGS.patience < 1:
        raise cli.UsageError("--max_epochs must be >= 0 and --patience >= 1")


def _splits(genres_mod):
    tracks = genres_mod.list_tracks(FLAGS.data_dir, FLAGS.genres or None)
    if FLAGS.splits_json:
        splits = genres_mod.load_splits(FLAGS.splits_json)
        if list(splits[0]["genres"]) != list(tracks):
            raise cli.UsageError(f"--splits_json {FLAGS.splits_json} has genres "
                                 f"{splits[0]['genres']}, the corpus {list(tracks)}")
        return tracks, splits
    if FLAGS.split_kind == "kfold":
        splits = genres_mod.kfold_splits(tracks, FLAGS.n_splits, FLAGS.val_fraction, FLAGS.seed)
    else:
        splits = genres_mod.repeated_splits(tracks, FLAGS.n_splits, FLAGS.test_fraction,
                                            FLAGS.val_fraction, FLAGS.seed)
    return tracks, splits


def body():
    _check_flags()
    from neural_style_audio import genres as genres_mod
    try:
        tracks, splits = _splits(genres_mod)
        # The corpus is checked before TensorFlow loads, so data errors come at once.
        from neural_style_audio.quiet import import_tensorflow_quietly
        import_tensorflow_quietly()
        out = Path(FLAGS.output_dir)
        out.mkdir(parents=True, exist_ok=True)
        if not FLAGS.splits_json:
            genres_mod.save_splits(splits, out / "splits.json", FLAGS.data_dir)
        command = "python scripts/train_genre_classifier.py " + " ".join(sys.argv[1:])
        print(f"{sum(map(len, tracks.values()))} tracks in {len(tracks)} genres "
              f"({', '.join(f'{g} {len(t)}' for g, t in tracks.items())}); "
              f"{len(splits)} {FLAGS.split_kind} splits by track")
        from neural_style_audio.training import genre_classifier as train
        rows = []
        for name in FLAGS.judges:
            cfg = train.GenreTrainConfig(
                judge=name, segment_s=FLAGS.segment_s, hop_s=FLAGS.hop_s,
                max_epochs=FLAGS.max_epochs, patience=FLAGS.patience,
                learning_rate=FLAGS.learning_rate, l2=FLAGS.l2, seed=FLAGS.seed)
            print(f"== {name}")
            start = time.perf_counter()
            judge, summary = train.cross_validate(splits, cfg, FLAGS.cache_dir or None)
            summary.update(command=command.strip(), machine=_machine(),
                           data_dir=str(Path(FLAGS.data_dir).resolve()),
                           wall_s=round(time.perf_counter() - start, 1))
            folder = out / name
            judge.record.update(command=command.strip(), machine=_machine(),
                                cross_validation={m: summary[m] for m in train.METRICS})
            paths = list(judge.save(folder))
            (folder / "cv.json").write_text(json.dumps(summary, indent=1) + "\n")
            acc, f1 = summary["track_accuracy"], summary["track_macro_f1"]
            title = (f"{name}: test tracks of {len(splits)} splits (summed); accuracy "
                     f"{acc['mean']:.2f} ± {acc['ci95']:.2f}")
            figures = [folder / "confusion.png"]
            if FLAGS.figures_dir:
                Path(FLAGS.figures_dir).mkdir(parents=True, exist_ok=True)
                figures.append(Path(FLAGS.figures_dir) / f"genre_{name}_confusion.png")
            for fig in figures:
                train.confusion_figure(summary["confusion_summed"], summary["genres"], fig, title)
            rows.append((name, summary))
            print(f"  {name}: track accuracy {acc['mean']:.3f} ± {acc['ci95']:.3f}, macro-F1 "
                  f"{f1['mean']:.3f} ± {f1['ci95']:.3f} (95 % CI over {len(splits)} splits); "
                  f"{summary['wall_s']:.0f} s; wrote {', '.join(map(str, paths + figures))}")
    except genres_mod.GenreDataError as err:
        raise cli.UsageError(str(err)) from None
    print("\njudge | track accuracy | track macro-F1 | segment accuracy | time (s)")
    for name, s in rows:
        cell = lambda m: f"{s[m]['mean']:.3f} ± {s[m]['ci95']:.3f}"  # noqa: E731
        print(f"{name} | {cell('track_accuracy')} | {cell('track_macro_f1')} | "
              f"{cell('segment_accuracy')} | {s['wall_s']:.0f}")
    return 0


def console_main():
    """Entry point of `nsa-train-genre-classifier` and scripts/train_genre_classifier.py."""
    cli.run_command(cli.script_main(body, tensorflow=False), __doc__, __name__)


if __name__ == "__main__":
    console_main()
