"""Genre-transfer table: does a style-transfer method move a clip to the style genre,
according to a genre judge, and how much of the content's harmony does it keep?

    J="--judge_dir=outputs/genre_judges/feature_cnn \\
       --extra_judges=outputs/genre_judges/mfcc_logreg --n_pairs=3"
    python experiments/genre_transfer_table.py $J --methods=cnn_baseline \\
        --steps=cnn_baseline=300 \\
        --converter=cyclegan_published=cyclegan_genres:published_converter \\
        --converter=cyclegan_strong=cyclegan_genres:strong_converter
    python experiments/genre_transfer_table.py $J --methods=gupta_rnn_time,gupta_rnn \\
        --steps=gupta_rnn=100,gupta_rnn_time=100
    python experiments/genre_transfer_table.py $J --methods=gupta_bilstm_time,gupta_bilstm \\
        --steps=gupta_bilstm=60,gupta_bilstm_time=60
    python experiments/genre_transfer_table.py $J --table_only \\
        --methods=cnn_baseline,gupta_rnn,gupta_rnn_time,gupta_bilstm,gupta_bilstm_time \\
        --converter=cyclegan_published=cyclegan_genres:published_converter \\
        --converter=cyclegan_strong=cyclegan_genres:strong_converter   # the whole table

(each a separate job on a shared CPU: on the 2-core VM the four took ~30 min in all).

Pairs: the i-th test track of --content_genre with the i-th test track of
--style_genre, from split 1 of the judge (scripts/train_genre_classifier.py writes it
into <judge_dir>/judge.json), 9.97-s clips (430 STFT frames, the published RNN input
size) from 10 s into each track: the judge never heard them. Columns, per method,
means over the pairs: the judge's probability of the style genre for the content clip
(before) and for the output (after), the share of outputs classified as the style
genre, the probability left on the content genre, and the chroma similarity of the
output to the content (evaluation/metrics.py).

The optimisation methods run at REDUCED steps on CPU (--steps; the presets' published
10000 / 2500 steps take hours per clip on 2 cores): the table states the steps used.

Other methods (e.g. a CycleGAN trained on the genre pair) join the table with
--converter NAME=module:factory, where factory() returns convert(y, sr) -> y (numpy at
sr), or from Python: `run(..., converters={"cyclegan": convert})`. A converter may carry
a `settings` dict (e.g. its checkpoint step): it joins the record's settings, so a
retrained model is re-evaluated. The genre CycleGANs of experiments/cyclegan_genres.py:
--converter cyclegan_published=cyclegan_genres:published_converter (and
strong_converter).

Second opinions: --extra_judges DIR,... judges the same outputs with more judges (the
outputs are kept as <pair>.npy beside each record, so adding a judge later costs no
transfer); each gets its own table.

Resumes: each (method, pair) result is kept in <work_dir>/<method>/<pair>.json with
its settings; a result made with other settings is redone. Writes
docs/results/genre_transfer.md (and .json with the per-pair rows).
"""
import argparse
import importlib
import json
import os
import platform
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from neural_style_audio import audio, genres  # noqa: E402
from neural_style_audio.genres import evaluation, judges  # noqa: E402

# name -> (preset, overrides). The time-axis variants use their own calibrated alphas
# (docs/results/genre_rnn_calibration.md).
METHODS = {
    "cnn_baseline": ("cnn_baseline", {}),
    "gupta_rnn": ("gupta_rnn", {}),
    "gupta_bilstm": ("gupta_bilstm", {}),
    "gupta_rnn_time": ("gupta_rnn", {"rnn_axis": "time", "content_weight": 0.036}),
    "gupta_bilstm_time": ("gupta_bilstm", {"rnn_axis": "time", "content_weight": 0.014}),
}
# Reference rows, before the methods: the content unchanged; the content at the
# transfer outputs' level (the optimisation methods peak-normalise their output to
# audio.OUTPUT_PEAK; the judges are not level-invariant, so this row separates the
# level's effect from the method's); the style clip.
REFERENCES = ("content", "content_peak", "style")
DEFAULT_STEPS = "cnn_baseline=300,gupta_rnn=300,gupta_bilstm=300,gupta_rnn_time=300," \
                "gupta_bilstm_time=300"


def parse_pairs(text, name):
    try:
        return {k: v for k, v in (item.split("=", 1) for item in text.split(",") if item)}
    except ValueError:
        raise SystemExit(f"error: {name} takes NAME=VALUE items, got {text!r}") from None


def optimisation_converters(names, steps):
    if not names:
        return {}, {}
    from neural_style_audio.methods.optimisation import TransferCache
    cache = TransferCache()
    converters, settings = {}, {}
    for name in names:
        preset, overrides = METHODS[name]
        overrides = dict(overrides, iterations=int(steps.get(name, 0)) or None)
        convert = evaluation.optimisation_converter(preset, cache, **overrides)
        converters[name] = convert
        c = convert.config
        # The overrides may set content_weight too (the time-axis variants): one key.
        settings[name] = {"preset": preset, **{k: v for k, v in overrides.items() if v},
                          "published_iterations": _published_iterations(preset),
                          "content_weight": c.loss.content_weight,
                          "style_weight": c.loss.style_weight,
                          "learning_rate": c.optimizer.learning_rate,
                          "config_sha": _config_sha(c)}
    return converters, settings


def _config_sha(config):
    import dataclasses
    import hashlib
    return hashlib.sha1(json.dumps(dataclasses.asdict(config), sort_keys=True).encode()
                        ).hexdigest()[:12]


def _published_iterations(preset):
    from neural_style_audio.config import resolve_config
    return resolve_config(preset).optimizer.iterations


def loaded_converters(specs):
    """name -> convert, and name -> settings (the target, plus the converter's own
    `settings` dict when it has one)."""
    converters, settings = {}, {}
    for name, target in specs.items():
        module, _, factory = target.partition(":")
        try:
            convert = getattr(importlib.import_module(module), factory or "converter")()
        except (ImportError, AttributeError) as err:
            raise genres.GenreDataError(f"--converter {name}={target}: {err}") from None
        converters[name] = convert
        settings[name] = dict(converter=target, **getattr(convert, "settings", {}))
    return converters, settings


def run(judge, split, content_genre, style_genre, converters, settings, work_dir, n_pairs=3,
        clip_s=9.97, sr=22050, keep_audio=True, extra_judges=()):
    """Evaluates each converter on the held-out pairs (resuming); returns all rows.

    extra_judges: more judges; each row gets row["also_judged"][judge.name] with the
    same verdict fields (from the kept <pair>.npy output when the row was resumed).
    """
    pairs = evaluation.held_out_pairs(split, content_genre, style_genre, n_pairs, clip_s,
                                      sr=sr)
    rows = []
    references = dict(content=evaluation.identity_converter,
                      content_peak=lambda y, sr: audio.normalize_peak(y),
                      style=lambda y, sr, style=None: style)
    # Pair-major: a run cut short (a time limit) leaves whole pairs for every method.
    for pair in pairs:
        for name, convert in {**references, **converters}.items():
            folder = Path(work_dir) / name
            folder.mkdir(parents=True, exist_ok=True)
            record_path = folder / f"{pair.name.replace('>', '')}.json"
            wanted = dict(settings.get(name, {}), clip_s=clip_s, sr=sr, judge=judge.name,
                          content=pair.content_path, style=pair.style_path)
            output_path = record_path.with_suffix(".npy")
            row, fresh = None, True
            if record_path.is_file():
                record = json.loads(record_path.read_text())
                if record.get("settings") == wanted:
                    row, fresh = record["row"], False
            if row is None:
                def keep(pair, y, folder=folder, name=name, output_path=output_path):
                    if name not in references:
                        np.save(output_path, np.asarray(y, np.float32))
                        if keep_audio:
                            audio.write_audio(folder / f"{pair.name.replace('>', '')}.wav",
                                              audio.normalize_peak(y), sr)

                row = evaluation.evaluate_converter(name, convert, [pair], judge, style_genre,
                                                    content_genre, sr, write_audio=keep)[0]
            missing = [j for j in extra_judges if j.name not in row.get("also_judged", {})]
            output = {"content": pair.y_content, "style": pair.y_style,
                      "content_peak": audio.normalize_peak(pair.y_content)}.get(name)
            if output is None and output_path.is_file():
                output = np.load(output_path)
            for extra in missing if output is not None else []:
                row.setdefault("also_judged", {})[extra.name] = _verdict(
                    extra, pair.y_content, output, sr, style_genre, content_genre)
            if missing and output is None:
                print(f"  {name} {pair.name}: no kept output ({output_path.name}); "
                      f"not judged by {', '.join(j.name for j in missing)}")
            if fresh or (missing and output is not None):
                record_path.write_text(json.dumps(dict(settings=wanted, row=row), indent=1))
            rows.append(row)
    return rows


def _verdict(judge, y_content, y_out, sr, style_genre, content_genre):
    """One judge's verdict fields (as evaluation.evaluate_converter's row) on one output."""
    before = evaluation.judge_clip(judge, y_content, sr, style_genre, content_genre)
    after = evaluation.judge_clip(judge, np.asarray(y_out, np.float32), sr, style_genre,
                                  content_genre)
    return dict(p_style_before=before["p_style"], p_style_after=after["p_style"],
                p_content_after=after["p_content"], predicted_before=before["predicted"],
                predicted_after=after["predicted"],
                classified_as_style=after["predicted"] == style_genre)


def rows_as_judged_by(rows, judge_name):
    """The rows with the verdict fields of another judge (rows it did not judge dropped)."""
    return [dict(r, **r["also_judged"][judge_name]) for r in rows
            if judge_name in r.get("also_judged", {})]


def _judge_lines(judge, rows, content_genre, style_genre):
    """The judge's description and how it labels the unchanged clips."""
    cv = judge.record.get("cross_validation", {}).get("track_accuracy", {})
    content = [r for r in rows if r["method"] == "content"]
    style = [r for r in rows if r["method"] == "style"]
    return [
        f"Judge: `{judge.name}` ({judges.JUDGES[judge.name].description}), trained on split 1 "
        f"of `scripts/train_genre_classifier.py`; test-track accuracy over its repeated "
        f"splits {cv.get('mean', float('nan')):.2f} ± {cv.get('ci95', float('nan')):.2f} "
        f"(95 % CI). Classes: {', '.join(judge.classes)} (chance "
        f"{1 / len(judge.classes):.2f}).",
        "",
        f"Before any transfer, this judge labels "
        f"{sum(r['predicted_before'] == content_genre for r in content)}/{len(content)} "
        f"content clips {content_genre} "
        f"({', '.join(r['predicted_before'] for r in content)}) and "
        f"{sum(r['predicted_after'] == style_genre for r in style)}/{len(style)} style clips "
        f"{style_genre} ({', '.join(r['predicted_after'] for r in style)}).",
    ]


def _table_lines(table, settings, content_genre, style_genre):
    lines = [
        f"| method | steps (published) | P({style_genre}) before | P({style_genre}) after | "
        f"classified {style_genre} | P({content_genre}) after | chroma sim. to content | "
        "s / clip |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for t in table:
        s = settings.get(t["method"], {})
        steps = (f"{s.get('iterations', s.get('published_iterations'))} "
                 f"({s.get('published_iterations')})" if s.get("preset") else "-")
        label = {"content": "content clip, unchanged",
                 "content_peak": f"content clip, peak-normalised to {audio.OUTPUT_PEAK:g}",
                 "style": "style clip (reference)"}.get(t["method"], f"`{t['method']}`")
        lines.append(f"| {label} | {steps} | {t['p_style_before']:.3f} | "
                     f"{t['p_style_after']:.3f} | "
                     f"{round(t['fraction_style'] * t['n_pairs'])}/{t['n_pairs']} | "
                     f"{t['p_content_after']:.3f} | {t['chroma_similarity']:.3f} | "
                     f"{t['seconds_per_clip']:.0f} |")
    return lines


def write_table(rows, settings, judge, content_genre, style_genre, out_md, command, clip_s,
                extra_judges=()):
    table = evaluation.summarise(rows)
    lines = [
        "# Genre transfer judged by a genre classifier",
        "",
        f"Generated by `{command}` on {platform.node()} ({os.cpu_count()} CPUs, "
        f"{platform.processor() or platform.machine()}).",
        "",
        *_judge_lines(judge, rows, content_genre, style_genre),
        "",
        f"Pairs: {content_genre} → {style_genre}, {table[0]['n_pairs'] if table else 0} "
        f"pairs of {clip_s:g}-s clips from test tracks of that split (the judge never heard "
        "them), 22050 Hz. Values are means over the pairs; s / clip includes the first "
        "pair's tracing and compilation. Compare each method's P(style) after with the "
        "peak-normalised content row: the optimisation methods' outputs are "
        "peak-normalised, and the judges are not level-invariant.",
        "",
        *_table_lines(table, settings, content_genre, style_genre),
    ]
    extra_tables = {}
    for extra in extra_judges:
        judged = rows_as_judged_by(rows, extra.name)
        if not judged:
            continue
        extra_tables[extra.name] = evaluation.summarise(judged)
        lines += ["", f"## The same outputs judged by `{extra.name}`", "",
                  *_judge_lines(extra, judged, content_genre, style_genre), "",
                  *_table_lines(extra_tables[extra.name], settings, content_genre,
                                style_genre)]
    converted = {n: s for n, s in settings.items() if s.get("converter")}
    if converted:
        lines += ["", "Converters:", ""]
        lines += [f"- `{n}`: " + ", ".join(f"{k} {v}" for k, v in s.items())
                  for n, s in converted.items()]
    lines += ["", f"Per pair, judged by `{judge.name}` (P(style) before → after, predicted "
              "genre after):", ""]
    for r in rows:
        lines.append(f"- `{r['method']}` {r['pair']}: {r['p_style_before']:.3f} → "
                     f"{r['p_style_after']:.3f}, {r['predicted_after']}, chroma "
                     f"{r['chroma_similarity']:.3f}")
    Path(out_md).parent.mkdir(parents=True, exist_ok=True)
    Path(out_md).write_text("\n".join(lines) + "\n")
    Path(out_md).with_suffix(".json").write_text(json.dumps(
        dict(command=command, settings=settings, table=table, extra_tables=extra_tables,
             rows=rows), indent=1) + "\n")
    return table


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--judge_dir", default="outputs/genre_judges/vggish_logreg")
    parser.add_argument("--extra_judges", default="",
                        help="Comma-separated judge folders that also judge the outputs.")
    parser.add_argument("--content_genre", default="orchestral")
    parser.add_argument("--style_genre", default="jazz")
    parser.add_argument("--methods", default="cnn_baseline,gupta_rnn,gupta_bilstm",
                        help=f"Comma-separated, from {', '.join(METHODS)}.")
    parser.add_argument("--steps", default=DEFAULT_STEPS, help="NAME=steps, reduced for CPU.")
    parser.add_argument("--converter", action="append", default=[],
                        help="NAME=module:factory; factory() -> convert(y, sr) -> y.")
    parser.add_argument("--n_pairs", type=int, default=3)
    parser.add_argument("--clip_s", type=float, default=9.97,
                        help="Clip length (s); 9.97 s = 430 STFT frames at 22050 Hz, hop 512: "
                        "the published RNN input size, one window on the frequency axis.")
    parser.add_argument("--work_dir", default="outputs/genre_transfer")
    parser.add_argument("--output", default="docs/results/genre_transfer.md")
    parser.add_argument("--table_only", action="store_true",
                        help="Only tabulate the results already in --work_dir.")
    args = parser.parse_args(argv)
    command = "python experiments/genre_transfer_table.py " + " ".join(
        argv if argv is not None else sys.argv[1:])
    try:
        judge = judges.load_judge(args.judge_dir)
        extra_judges = [judges.load_judge(d) for d in args.extra_judges.split(",") if d]
        split = judge.record["split"]
        names = [m for m in args.methods.split(",") if m]
        unknown = [m for m in names if m not in METHODS]
        if unknown:
            raise genres.GenreDataError(f"--methods: unknown {', '.join(unknown)} "
                                        f"(choose from {', '.join(METHODS)})")
        steps = {k: int(v) for k, v in parse_pairs(args.steps, "--steps").items()}
        extra = parse_pairs(",".join(args.converter), "--converter")
        converters, settings = ({}, {}) if args.table_only else optimisation_converters(
            names, steps)
        if args.table_only:
            settings = {n: dict(preset=METHODS[n][0], iterations=steps.get(n),
                                published_iterations=_published_iterations(METHODS[n][0]),
                                **METHODS[n][1]) for n in names}
        if args.table_only:
            settings.update({n: dict(converter=t) for n, t in extra.items()})
        else:
            loaded, loaded_settings = loaded_converters(extra)
            converters.update(loaded)
            settings.update(loaded_settings)
        if args.table_only:
            rows, stored = _stored_rows(Path(args.work_dir) / judge.name,
                                        [*REFERENCES, *names, *extra])
            settings.update({n: s for n, s in stored.items() if n in settings})
        else:
            rows = run(judge, split, args.content_genre, args.style_genre, converters, settings,
                       Path(args.work_dir) / judge.name, args.n_pairs, args.clip_s,
                       extra_judges=extra_judges)
    except genres.GenreDataError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    table = write_table(rows, settings, judge, args.content_genre, args.style_genre,
                        args.output, command.strip(), args.clip_s, extra_judges)
    for t in table:
        print(f"{t['method']:20s} P(style) {t['p_style_before']:.3f} -> {t['p_style_after']:.3f}, "
              f"classified style {t['fraction_style']:.2f}, chroma {t['chroma_similarity']:.3f}, "
              f"{t['seconds_per_clip']:.0f} s/clip")
    print(f"wrote {args.output}")
    return 0


def _stored_rows(folder, names):
    """The rows kept in <work_dir>/<judge>/<method>/*.json, pair-major, and each
    method's settings as stored with its records (the per-pair keys dropped)."""
    records = [json.loads(p.read_text()) for name in names
               for p in sorted((folder / name).glob("*.json"))]
    rows = [r["row"] for r in records]
    per_pair = ("clip_s", "sr", "judge", "content", "style")
    settings = {r["row"]["method"]: {k: v for k, v in r["settings"].items()
                                     if k not in per_pair} for r in records}
    pairs = list(dict.fromkeys(r["pair"] for r in rows))
    return sorted(rows, key=lambda r: pairs.index(r["pair"])), settings


if __name__ == "__main__":
    sys.exit(main())
