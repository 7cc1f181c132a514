"""Genre-transfer table: does a style-transfer method move a clip to the style genre,
according to a genre judge, and how much of the content's harmony does it keep?

    flock /tmp/coord/heavy.lock .venv/bin/python experiments/genre_transfer_table.py \\
        --methods cnn_baseline,gupta_rnn,gupta_bilstm
    python experiments/genre_transfer_table.py --table_only      # rewrite the table

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
sr), or from Python: `run(..., converters={"cyclegan": convert})`.

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
        settings[name] = dict(preset=preset, **{k: v for k, v in overrides.items() if v},
                              published_iterations=_published_iterations(preset),
                              content_weight=c.loss.content_weight,
                              style_weight=c.loss.style_weight,
                              learning_rate=c.optimizer.learning_rate,
                              config_sha=_config_sha(c))
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
    converters = {}
    for name, target in specs.items():
        module, _, factory = target.partition(":")
        converters[name] = getattr(importlib.import_module(module), factory or "converter")()
    return converters


def run(judge, split, content_genre, style_genre, converters, settings, work_dir, n_pairs=3,
        clip_s=9.97, sr=22050, keep_audio=True):
    """Evaluates each converter on the held-out pairs (resuming); returns all rows."""
    pairs = evaluation.held_out_pairs(split, content_genre, style_genre, n_pairs, clip_s,
                                      sr=sr)
    rows = []
    references = dict(content=evaluation.identity_converter,
                      style=lambda y, sr, style=None: style)
    # Pair-major: a run cut short (a time limit) leaves whole pairs for every method.
    for pair in pairs:
        for name, convert in {**references, **converters}.items():
            folder = Path(work_dir) / name
            folder.mkdir(parents=True, exist_ok=True)
            record_path = folder / f"{pair.name.replace('>', '')}.json"
            wanted = dict(settings.get(name, {}), clip_s=clip_s, sr=sr, judge=judge.name,
                          content=pair.content_path, style=pair.style_path)
            if record_path.is_file():
                record = json.loads(record_path.read_text())
                if record.get("settings") == wanted:
                    rows.append(record["row"])
                    continue

            def keep(pair, y, folder=folder, name=name):
                if keep_audio and name not in references:
                    audio.write_audio(folder / f"{pair.name.replace('>', '')}.wav",
                                      audio.normalize_peak(y), sr)

            row = evaluation.evaluate_converter(name, convert, [pair], judge, style_genre,
                                                content_genre, sr, write_audio=keep)[0]
            record_path.write_text(json.dumps(dict(settings=wanted, row=row), indent=1))
            rows.append(row)
    return rows


def write_table(rows, settings, judge, content_genre, style_genre, out_md, command, clip_s):
    table = evaluation.summarise(rows)
    cv = judge.record.get("cross_validation", {}).get("track_accuracy", {})
    lines = [
        "# Genre transfer judged by a genre classifier",
        "",
        f"Generated by `{command}` on {platform.node()} ({os.cpu_count()} CPUs, "
        f"{platform.processor() or platform.machine()}).",
        "",
        f"Judge: `{judge.name}` ({judges.JUDGES[judge.name].description}), trained on split 1 "
        f"of `scripts/train_genre_classifier.py`; test-track accuracy over its repeated "
        f"splits {cv.get('mean', float('nan')):.2f} ± {cv.get('ci95', float('nan')):.2f} "
        f"(95 % CI). Classes: {', '.join(judge.classes)} (chance "
        f"{1 / len(judge.classes):.2f}).",
        "",
        f"Pairs: {content_genre} → {style_genre}, {table[0]['n_pairs'] if table else 0} "
        f"pairs of {clip_s:g}-s clips from test tracks of that split (the judge never heard "
        "them), 22050 Hz.",
        "",
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
                 "style": "style clip (reference)"}.get(t["method"], f"`{t['method']}`")
        lines.append(f"| {label} | {steps} | {t['p_style_before']:.3f} | "
                     f"{t['p_style_after']:.3f} | {t['fraction_style']:.2f} | "
                     f"{t['p_content_after']:.3f} | {t['chroma_similarity']:.3f} | "
                     f"{t['seconds_per_clip']:.0f} |")
    lines += ["", "Per pair (P(style) before → after, predicted genre after):", ""]
    for r in rows:
        lines.append(f"- `{r['method']}` {r['pair']}: {r['p_style_before']:.3f} → "
                     f"{r['p_style_after']:.3f}, {r['predicted_after']}, chroma "
                     f"{r['chroma_similarity']:.3f}")
    Path(out_md).parent.mkdir(parents=True, exist_ok=True)
    Path(out_md).write_text("\n".join(lines) + "\n")
    Path(out_md).with_suffix(".json").write_text(json.dumps(
        dict(command=command, settings=settings, table=table, rows=rows), indent=1) + "\n")
    return table


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--judge_dir", default="outputs/genre_judges/vggish_logreg")
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
        converters.update(loaded_converters(extra))
        settings.update({n: dict(converter=t) for n, t in extra.items()})
        if args.table_only:
            rows = _stored_rows(Path(args.work_dir) / judge.name,
                                ["content", "style", *names, *extra])
        else:
            rows = run(judge, split, args.content_genre, args.style_genre, converters, settings,
                       Path(args.work_dir) / judge.name, args.n_pairs, args.clip_s)
    except genres.GenreDataError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    table = write_table(rows, settings, judge, args.content_genre, args.style_genre,
                        args.output, command.strip(), args.clip_s)
    for t in table:
        print(f"{t['method']:20s} P(style) {t['p_style_before']:.3f} -> {t['p_style_after']:.3f}, "
              f"classified style {t['fraction_style']:.2f}, chroma {t['chroma_similarity']:.3f}, "
              f"{t['seconds_per_clip']:.0f} s/clip")
    print(f"wrote {args.output}")
    return 0


def _stored_rows(folder, names):
    """The rows kept in <work_dir>/<judge>/<method>/*.json, pair-major."""
    rows = [json.loads(p.read_text())["row"] for name in names
            for p in sorted((folder / name).glob("*.json"))]
    pairs = list(dict.fromkeys(r["pair"] for r in rows))
    return sorted(rows, key=lambda r: pairs.index(r["pair"]))


if __name__ == "__main__":
    sys.exit(main())
