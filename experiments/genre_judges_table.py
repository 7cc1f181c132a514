"""Tabulates the genre judges' cross-validated test metrics beside the published ones.

    python experiments/genre_judges_table.py [--judges_dir outputs/genre_judges]

Reads <judges_dir>/<judge>/cv.json (written by scripts/train_genre_classifier.py) and
writes docs/results/genre_judges.md.
"""
import argparse
import json
from pathlib import Path

ORDER = ("feature_cnn", "autocorrelogram_cnn", "mfcc_logreg", "vggish_logreg",
         "instrument_cnn_logreg")
PUBLISHED = {
    "feature_cnn": "F1 0.63 (Gupta et al., 10 genres)",
    "autocorrelogram_cnn": "F1 0.254 (Gupta et al., 10 genres)",
    "mfcc_logreg": "MFCC + linear SVM 53 % (GTZAN, 10 genres, fault-filtered split)",
    "vggish_logreg": "AudioSet VGGish + linear SVM 77 % (GTZAN, same split); ours is the "
                     "compact VGGish trained on GM instrument notes, not AudioSet's",
    "instrument_cnn_logreg": "-",
}


def cell(summary, metric):
    m = summary[metric]
    return f"{m['mean']:.3f} ± {m['ci95']:.3f}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--judges_dir", default="outputs/genre_judges")
    parser.add_argument("--output", default="docs/results/genre_judges.md")
    args = parser.parse_args(argv)
    summaries = {}
    for name in ORDER:
        path = Path(args.judges_dir) / name / "cv.json"
        if path.is_file():
            summaries[name] = json.loads(path.read_text())
    if not summaries:
        raise SystemExit(f"error: no <judge>/cv.json under {args.judges_dir}")
    first = next(iter(summaries.values()))
    k = len(first["genres"])
    lines = [
        "# Genre judges: test metrics over repeated splits by track",
        "",
        f"Corpus: `{first['data_dir']}`: {k} genres ({', '.join(first['genres'])}), 20 "
        f"tracks of 30 s each. Each split holds out 4 tracks per genre for testing (16 "
        f"tracks) and 3 for early stopping, so chance is {1 / k:.2f}. There are "
        f"{first['n_splits']} seeded splits; `outputs/genre_judges/splits.json` lists them. "
        "Metrics are computed per test track, from the mean of its 3-s segments' "
        "probabilities. Each value is the mean ± the half-width of a 95 % Student-t "
        "confidence interval over the splits.",
        "",
        "| judge | track accuracy | track macro-F1 | segment accuracy | segment macro-F1 | "
        "time, all splits (s; with feature extraction when not cached) | published context |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, s in summaries.items():
        lines.append(f"| `{name}` | {cell(s, 'track_accuracy')} | {cell(s, 'track_macro_f1')} | "
                     f"{cell(s, 'segment_accuracy')} | {cell(s, 'segment_macro_f1')} | "
                     f"{s['wall_s']:.0f} | {PUBLISHED[name]} |")
    lines += ["", "The logistic-regression judges are trained on the train and val tracks "
              "together (they do no early stopping); a judge whose cv.json shows val "
              "segments was run before that change. The CNN judges train on the train "
              "tracks and stop early on the val tracks.", ""]
    lines += ["", "Per split, track accuracy (in split order):", ""]
    for name, s in summaries.items():
        accs = ", ".join(f"{r['track_accuracy']:.3f}" for r in s["splits"])
        extra = ""
        if "epochs_run" in s["splits"][0]["training"]:
            extra = "; epochs run " + ", ".join(str(r["training"]["epochs_run"])
                                                for r in s["splits"])
        lines.append(f"- `{name}`: {accs}{extra}")
    lines += ["", "Confusion matrices, summed over the splits' test tracks (rows are the "
              "true genre, columns the predicted genre):", ""]
    for name in summaries:
        lines.append(f"![{name}](../images/genre_{name}_confusion.png)")
    lines += ["", "Commands and machines:", ""]
    for name, s in summaries.items():
        lines.append(f"- `{name}`: `{s['command']}` on {s['machine']}")
    lines += ["", "The published figures come from 10 genres, so they are context rather "
              "than a comparison. With 4 genres, chance is 0.25 here against 0.10 there. The "
              "dev corpus's genres are also far apart: orchestral game music against "
              "electronic, jazz and rock."]
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text("\n".join(lines) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
