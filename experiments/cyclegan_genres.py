"""CycleGAN between two genres (orchestral -> jazz by default, as the paper's classical ->
jazz), judged by the genre classifiers of neural_style_audio.genres.

    python experiments/cyclegan_genres.py --stage train --variant published --minutes 12
    python experiments/cyclegan_genres.py --stage train --variant strong --minutes 12
    python experiments/cyclegan_genres.py --stage evaluate

train: scripts/train_cyclegan.py --data_dir ../shared/audio/genres --genre_a --genre_b
--split <the judge's split>, so the CycleGAN trains only on tracks the judge was trained
on, and the test tracks are unseen by both; time-boxed (--max_minutes; resumable).
evaluate: a --excerpt_s excerpt of every test track of genre A, converted A->B by each
trained variant; for each judge, the mean probability of genre B and the fraction
classified as B, before (copy-content) and after; beside them copy-style (the genre-B
test tracks) and the content through the spectrogram/phase pipeline unchanged; and the
content kept (chroma similarity to the input). Writes docs/results/cyclegan_genres.md
and .json.
"""
import json
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from absl import app, flags  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
FLAGS = flags.FLAGS
flags.DEFINE_enum("stage", "train", ["train", "evaluate"], "What to do.")
flags.DEFINE_string("data_dir", "../shared/audio/genres", "GTZAN-layout root.")
flags.DEFINE_string("genre_a", "orchestral", "Content genre (domain A).")
flags.DEFINE_string("genre_b", "jazz", "Style genre (domain B).")
flags.DEFINE_string("judges_dir", "outputs/genre_judges", "Trained judges (one folder each).")
flags.DEFINE_list("judges", ["mfcc_logreg", "feature_cnn"], "Judges to report.")
flags.DEFINE_string("work_dir", "outputs/cyclegan/genres", "Runs and converted clips.")
flags.DEFINE_enum("variant", "published", ["published", "strong"], "train: the variant.")
flags.DEFINE_float("minutes", 12.0, "train: minutes of training in this call.")
flags.DEFINE_list("extra", [], "train: more train_cyclegan.py flags (name=value).")
flags.DEFINE_float("excerpt_s", 10.0, "evaluate: seconds converted per test track.")
flags.DEFINE_float("offset_s", 10.0, "evaluate: where the excerpt starts.")
flags.DEFINE_integer("griffin_lim_iters", 100, "evaluate: Griffin-Lim iterations.")
flags.DEFINE_string("results", "docs/results/cyclegan_genres", "evaluate: output stem.")

SR = 22050

from cyclegan_common import (machine, quiet_tensorflow, results_lines,  # noqa: E402
                             run_training)  # (sibling module)


def judge_split(work):
    """The first judge's split, written where train_cyclegan.py --split reads it."""
    from neural_style_audio.genres import data as genre_data, judges
    judge = judges.load_judge(Path(FLAGS.judges_dir) / FLAGS.judges[0])
    path = work / "split.json"
    if not path.exists():
        genre_data.save_split(judge.record["split"], path, root=FLAGS.data_dir)
    return path, genre_data.load_split(path, root=FLAGS.data_dir)


def genre_converter(variant, work_dir=REPO / "outputs/cyclegan/genres", n_iter=100):
    """convert(y, sr) -> y: the trained A->B generator of run_<variant> (its latest
    checkpoint), Griffin-Lim phase; for experiments/genre_transfer_table.py --converter.
    convert.settings names the run and its training steps (a retrained model is then
    re-evaluated there)."""
    from neural_style_audio.cyclegan import convert as cyclegan_convert
    run_dir = Path(work_dir) / f"run_{variant}"
    generator, config = cyclegan_convert.load_generator(run_dir, "a2b")
    run = json.loads((run_dir / "cyclegan.json").read_text())

    def convert(y, sr):
        return cyclegan_convert.convert_at_rate(generator, np.asarray(y, np.float32), sr,
                                                config.spectrogram, n_iter=n_iter)

    convert.settings = dict(run=str(run_dir.relative_to(REPO) if run_dir.is_relative_to(REPO)
                                    else run_dir),
                            trained_steps=run["total_steps"],
                            steps_per_epoch=run["steps_per_epoch"], griffin_lim_iters=n_iter)
    return convert


def published_converter():
    return genre_converter("published")


def strong_converter():
    return genre_converter("strong")


def train(work):
    split_path, _ = judge_split(work)
    return run_training([f"--data_dir={FLAGS.data_dir}", f"--genre_a={FLAGS.genre_a}",
                         f"--genre_b={FLAGS.genre_b}", f"--split={split_path}"],
                        FLAGS.variant, work / f"run_{FLAGS.variant}", FLAGS.minutes, FLAGS.extra)


def evaluate(work):
    quiet_tensorflow()
    from neural_style_audio import audio
    from neural_style_audio.cyclegan import convert
    from neural_style_audio.evaluation import runner
    from neural_style_audio.genres import data as genre_data, judges
    _, split = judge_split(work)
    tests_a = split["test"][FLAGS.genre_a]
    tests_b = split["test"][FLAGS.genre_b]
    loaded = {name: judges.load_judge(Path(FLAGS.judges_dir) / name) for name in FLAGS.judges}
    systems = {"copy_content": None, "copy_style": None, "content_through_pipeline": None}
    runs = {}
    for variant in ("published", "strong"):
        run_dir = work / f"run_{variant}"
        if (run_dir / "cyclegan.json").is_file():
            systems[f"cyclegan_{variant}"] = convert.load_generator(run_dir, "a2b")
            runs[variant] = json.loads((run_dir / "cyclegan.json").read_text())
    spec = next((v[1].spectrogram for v in systems.values() if v), None)

    def excerpt(path):
        return genre_data.load_track(path, SR, duration_s=FLAGS.excerpt_s,
                                     offset_s=FLAGS.offset_s)

    rows = []
    for k, path in enumerate(tests_a):
        y = excerpt(path)
        style = excerpt(tests_b[k % len(tests_b)])
        for system, model in systems.items():
            if system == "copy_content":
                out = y
            elif system == "copy_style":
                out = style
            elif system == "content_through_pipeline":
                if spec is None:
                    continue
                out = convert.convert_at_rate(lambda x, training=False: np.asarray(x), y, SR,
                                              spec, n_iter=FLAGS.griffin_lim_iters)
            else:
                out = convert.convert_at_rate(model[0], y, SR, model[1].spectrogram,
                                              n_iter=FLAGS.griffin_lim_iters)
                audio.write_audio(work / "converted" / system / f"{Path(path).stem}.wav",
                                  out, SR)
            row = dict(item=Path(path).stem, system=system)
            row["chroma_similarity"] = runner.compute_metrics(
                np.asarray(out, np.float32), y, style, SR,
                names=["chroma_similarity"])["chroma_similarity"]
            for name, judge in loaded.items():
                probs = judge.predict_proba(np.asarray(out, np.float32), SR)
                b = judge.classes.index(FLAGS.genre_b)
                row[f"{name}_p_b"] = float(probs[b])
                row[f"{name}_is_b"] = float(int(np.argmax(probs)) == b)
            rows.append(row)
            print(f"{row['item']:<22} {system:<26} " + " ".join(
                f"{key}={v:.3f}" for key, v in row.items() if isinstance(v, float)), flush=True)
    write_results(rows, runs, list(loaded), len(tests_a))


def write_results(rows, runs, judge_names, n_tracks):
    systems = list(dict.fromkeys(r["system"] for r in rows))
    columns = ["chroma_similarity"] + [f"{j}_{m}" for j in judge_names for m in ("p_b", "is_b")]
    summary = {s: {c: float(np.mean([r[c] for r in rows if r["system"] == s]))
                   for c in columns} for s in systems}
    stem = Path(FLAGS.results)
    stem.parent.mkdir(parents=True, exist_ok=True)
    payload = dict(rows=rows, summary=summary, runs=runs, genres=[FLAGS.genre_a, FLAGS.genre_b],
                   excerpt_s=FLAGS.excerpt_s, offset_s=FLAGS.offset_s, machine=machine())
    stem.with_suffix(".json").write_text(json.dumps(payload, indent=1, default=float) + "\n")
    b = FLAGS.genre_b
    heads = {"chroma_similarity": "chroma similarity to the input"}
    for j in judge_names:
        heads[f"{j}_p_b"] = f"{j}: P({b})"
        heads[f"{j}_is_b"] = f"{j}: fraction judged {b}"
    lines = results_lines(
        f"# CycleGAN {FLAGS.genre_a} -> {b}: genre judges",
        f"Written by `python experiments/cyclegan_genres.py --stage evaluate`: "
        f"{n_tracks} held-out {FLAGS.genre_a} tracks (the judges' test split; "
        f"{FLAGS.excerpt_s:.0f}-s excerpts from {FLAGS.offset_s:.0f} s), converted "
        f"{FLAGS.genre_a} -> {b} with Griffin-Lim ({FLAGS.griffin_lim_iters} "
        f"iterations). copy_style = {b} test tracks. Machine: {machine()}.",
        systems, columns, heads, summary, runs,
        data_note=lambda rec: f"; {rec['n_images']['a']} + {rec['n_images']['b']} "
                              "training tracks")
    Path(str(stem) + ".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main(argv):
    del argv
    work = Path(FLAGS.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    return train(work) if FLAGS.stage == "train" else evaluate(work) or 0


if __name__ == "__main__":
    app.run(main)
