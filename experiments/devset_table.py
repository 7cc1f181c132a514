"""Development-set tables (issue 11): methods against both copy baselines on generated
10-s triplets, on the development split and on the held-aside split.

    flock /tmp/coord/heavy.lock .venv/bin/python experiments/devset_table.py
    python experiments/devset_table.py --systems source_filter --splits dev   # one part

1. Renders the set with scripts/make_pairs.py unless it exists: per SoundFont
   (FluidR3_GM.sf2, MuseScore_General_Lite.sf3) 24 development + 12 held-aside
   triplets, 8 melodies, 12 instruments, transpositions -7..+5 semitones, 10 s.
2. Runs every system on every triplet of the splits, resuming: each output is kept
   with a JSON of its settings, seconds and metrics under <devset_dir>/runs/<system>/;
   an output made with other settings is redone.
3. Scores outputs, "copy the content" and "copy the style" against the target
   (evaluation.runner.compute_metrics) and writes docs/results/devset_<split>.md (the
   means, the issue's goal per metric, per-SoundFont means) and .csv (per triplet).

The published presets run at REDUCED iterations (PRESET_OVERRIDES): at their full
settings they take 70-110 s per 10-s triplet on 2 CPU cores, over 3 hours for the
72 triplets each. Seconds are wall-clock per transfer inside one process (networks and
compiled functions reused); the end-to-end time of scripts/transfer.py (a new process:
imports, one pair, writing) is measured separately on the first --e2e_triplets.
"""
import json
import os
import pickle
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from absl import app, flags  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SOUNDFONTS = {"fluidr3": ("/usr/share/sounds/sf2/FluidR3_GM.sf2", 11),
              "musescore": ("/usr/share/sounds/sf3/MuseScore_General_Lite.sf3", 12)}
INSTRUMENTS = ("piano,nylon_guitar,violin,cello,trumpet,alto_sax,oboe,clarinet,flute,organ,"
               "french_horn,marimba")
MAKE_PAIRS_ARGS = ("--n_triplets=24", "--n_heldout=12", "--duration_s=10",
                   "--transpositions=-7,-4,-2,0,3,5", f"--instruments={INSTRUMENTS}")
DEFAULT_SYSTEM = "source_filter"
# Published presets at reduced cost (see the module docstring): a tenth of their
# iterations and 100 Griffin-Lim iterations instead of 500.
PRESET_OVERRIDES = {
    "ulyanov": dict(iterations=30, griffin_lim_iters=100),
    "deepmix": dict(iterations=30, griffin_lim_iters=100),
    "iitb": dict(iterations=30, griffin_lim_iters=100),
    "cnn_baseline": dict(iterations=250),
}
SYSTEMS = (DEFAULT_SYSTEM,) + tuple(PRESET_OVERRIDES)
BASELINES = ("copy_content", "copy_style")
METRICS = ("floored_log_spectral_distance", "log_spectral_distance", "mfcc_distance_to_target",
           "timbre_accuracy", "octave_forgiving_pitch_accuracy", "pitch_accuracy",
           "chroma_similarity")
# The goal for the default, on the development split.
GOAL_LSD_REDUCTION = 0.35  # Floored LSD at least 35 % below "copy the content".
GOAL_TIMBRE = 0.95
GOAL_SECONDS = 30.0  # End to end per 10-s triplet, 2-core CPU.

FLAGS = flags.FLAGS
flags.DEFINE_string("devset_dir", str(REPO / "outputs" / "devset"),
                    "Rendered set (<name>/manifest.json per SoundFont) and runs/.")
flags.DEFINE_string("results_dir", str(REPO / "docs" / "results"), "Where the tables go.")
flags.DEFINE_list("systems", list(SYSTEMS), f"Systems to run and tabulate ({', '.join(SYSTEMS)}).")
flags.DEFINE_list("splits", ["dev", "heldout"], "Splits to run and tabulate.")
flags.DEFINE_integer("e2e_triplets", 3, "Triplets per split timed end to end through "
                     "scripts/transfer.py for the default system (0: none).")
flags.DEFINE_bool("tables", True, "Write the tables (with all systems run so far).")
flags.DEFINE_string("runs_dir", None, "Outputs and their records (default <devset_dir>/runs).")
flags.DEFINE_integer("max_items", 0, "Only the first N triplets per split (a quick look; "
                     "0: all).")


def render_sets(devset_dir):
    """Runs scripts/make_pairs.py for every SoundFont whose manifest is missing."""
    for name, (soundfont, seed) in SOUNDFONTS.items():
        manifest = devset_dir / name / "manifest.json"
        if manifest.is_file():
            continue
        command = [sys.executable, str(REPO / "scripts" / "make_pairs.py"), *MAKE_PAIRS_ARGS,
                   f"--seed={seed}", f"--soundfont={soundfont}", f"--output_dir={manifest.parent}"]
        print(" ".join(command), file=sys.stderr)
        subprocess.run(command, check=True, cwd=REPO)


def load_items(devset_dir, split):
    """The split's triplets of every SoundFont, as dicts with absolute paths and a name."""
    items = []
    for name in SOUNDFONTS:
        manifest = devset_dir / name / "manifest.json"
        for entry in json.loads(manifest.read_text()):
            if entry.get("split") != split:
                continue
            item = dict(entry, set=name, name=f"{name}_{entry['id']:03d}")
            for role in ("content", "style", "target"):
                item[role] = str(manifest.parent / entry[role])
            items.append(item)
    return items


def system_config(system):
    from neural_style_audio.config import resolve_config
    return resolve_config(system, progress=False, **PRESET_OVERRIDES.get(system, {}))


class Scorer:
    """compute_metrics with the references' pYIN tracks cached on disk."""

    def __init__(self, cache_path):
        self.cache_path = cache_path
        self.f0_cache = pickle.loads(cache_path.read_bytes()) if cache_path.is_file() else {}

    def __call__(self, output, clips):
        from neural_style_audio.evaluation import runner
        return runner.compute_metrics(output, clips["content"], clips["style"], clips["sr"],
                                      clips["target"], names=METRICS, f0_cache=self.f0_cache)

    def save(self):
        self.cache_path.write_bytes(pickle.dumps(self.f0_cache))


def load_clips(item, sr):
    from neural_style_audio import audio
    clips = {role: audio.load_audio(item[role], sr) for role in ("content", "style", "target")}
    clips["sr"] = sr
    return clips


def run_system(system, items, runs_dir, scorer):
    """Runs (or reloads) `system` on `items`; returns one row per item."""
    import dataclasses
    from neural_style_audio import audio, methods
    from neural_style_audio.evaluation import runner
    from neural_style_audio.methods.optimisation import TransferCache
    config = system_config(system)
    config_dict = json.loads(json.dumps(dataclasses.asdict(config)))
    transfer = methods.get(config.run.method).transfer
    cache, rows = TransferCache(), []
    for i, item in enumerate(items):
        record_path = runs_dir / system / f"{item['name']}.json"
        wav_path = record_path.with_suffix(".wav")
        if record_path.is_file() and wav_path.is_file():
            saved = json.loads(record_path.read_text())
            if not runner.settings_difference(saved["config"], config_dict):
                rows.append(saved["row"])
                continue
        clips = load_clips(item, config.features.sr)
        started = time.perf_counter()
        result = transfer(clips["content"], clips["style"], config, cache=cache)
        seconds = time.perf_counter() - started
        scoring = clips if config.features.sr == 22050 else load_clips(item, 22050)
        output = result.audio if result.sr == 22050 else audio.resample(result.audio, result.sr,
                                                                        22050)
        row = dict(item=item["name"], system=system, set=item["set"], seconds=seconds,
                   **scorer(output, scoring))
        record_path.parent.mkdir(parents=True, exist_ok=True)
        audio.write_audio(wav_path, result.audio, result.sr)
        record_path.write_text(json.dumps(dict(config=config_dict, row=row), indent=1,
                                          default=float))
        rows.append(row)
        print(f"[{system} {i + 1}/{len(items)}] {item['name']}: {seconds:.1f} s, floored LSD "
              f"{row['floored_log_spectral_distance']:.2f}", file=sys.stderr, flush=True)
    scorer.save()
    return rows


def baseline_rows(items, scorer):
    from neural_style_audio.evaluation import runner
    rows = []
    for item in items:
        clips = load_clips(item, 22050)
        copies = {"copy_content": clips["content"],
                  "copy_style": runner.fit_length(clips["style"], len(clips["content"]))}
        for system, output in copies.items():
            rows.append(dict(item=item["name"], system=system, set=item["set"],
                             **scorer(output, clips)))
    scorer.save()
    return rows


def end_to_end_seconds(items, n):
    """Wall-clock seconds of `scripts/transfer.py` (default preset), one process per pair."""
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for item in items[:n]:
            out = Path(tmp) / f"{item['name']}.wav"
            started = time.perf_counter()
            subprocess.run([sys.executable, str(REPO / "scripts" / "transfer.py"),
                            "--preset", DEFAULT_SYSTEM, "--content", item["content"],
                            "--style", item["style"], "--output", str(out)],
                           check=True, cwd=REPO, capture_output=True)
            times.append(time.perf_counter() - started)
    return times


def mean(rows, system, metric, subset=None):
    values = [r[metric] for r in rows if r["system"] == system
              and (subset is None or r["set"] == subset) and r.get(metric) is not None
              and np.isfinite(r[metric])]
    return float(np.mean(values)) if values else float("nan")


def machine():
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, {platform.platform()}"


def system_label(system):
    if system in PRESET_OVERRIDES:
        changes = ", ".join(f"{k} {v}" for k, v in PRESET_OVERRIDES[system].items())
        return f"`{system}` (reduced: {changes})"
    if system == DEFAULT_SYSTEM:
        return f"`{system}` (default settings)"
    return system.replace("_", " ")


def write_table(split, rows, e2e, path, command):
    from neural_style_audio.evaluation import runner
    systems = [s for s in SYSTEMS + BASELINES if any(r["system"] == s for r in rows)]
    copy_lsd = mean(rows, "copy_content", "floored_log_spectral_distance")
    copy_pitch = mean(rows, "copy_content", "octave_forgiving_pitch_accuracy")
    n_items = len({r["item"] for r in rows})
    head = ["system", "floored LSD dB ↓", "vs copy content", "timbre accuracy ↑",
            "octave-forgiving pitch acc. vs target ↑", "MFCC-stats distance to target ↓",
            "LSD dB ↓", "pitch acc. vs content ↑", "chroma vs content ↑", "s / triplet"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for system in systems:
        lsd = mean(rows, system, "floored_log_spectral_distance")
        seconds = mean(rows, system, "seconds")
        cells = [system_label(system), f"{lsd:.2f}", f"{100 * (lsd / copy_lsd - 1):+.0f} %",
                 f"{mean(rows, system, 'timbre_accuracy'):.2f}",
                 f"{mean(rows, system, 'octave_forgiving_pitch_accuracy'):.3f}",
                 f"{mean(rows, system, 'mfcc_distance_to_target'):.0f}",
                 f"{mean(rows, system, 'log_spectral_distance'):.2f}",
                 f"{mean(rows, system, 'pitch_accuracy'):.3f}",
                 f"{mean(rows, system, 'chroma_similarity'):.3f}",
                 "–" if np.isnan(seconds) else f"{seconds:.1f}"]
        lines.append("| " + " | ".join(cells) + " |")
    sections = [
        f"# Development-set table: {split} split",
        f"Command: `{command}`  \nMachine: {machine()}; run {time.strftime('%Y-%m-%d')}.  \n"
        f"{n_items} generated triplets of 10 s (content = melody M1 on instrument A, style "
        "= melody M2 on instrument B, target = M1 on B), two SoundFonts "
        "(FluidR3_GM, MuseScore_General_Lite); "
        + ("settings were chosen on this split." if split == "dev" else
           "this split was never used to choose anything."),
        "Means over the triplets. Timbre accuracy: share of triplets whose output's MFCC "
        "statistics are closer to the target's than to the content's. Pitch metrics use "
        "pYIN; octave errors forgiven against the target. s / triplet: the transfer's "
        "wall-clock seconds inside one process (2 CPU cores shared with other jobs).",
        "\n".join(lines)]
    if DEFAULT_SYSTEM in systems:
        lsd = mean(rows, DEFAULT_SYSTEM, "floored_log_spectral_distance")
        timbre = mean(rows, DEFAULT_SYSTEM, "timbre_accuracy")
        pitch_acc = mean(rows, DEFAULT_SYSTEM, "octave_forgiving_pitch_accuracy")
        reduction = 1 - lsd / copy_lsd
        worst = max(e2e) if e2e else float("nan")
        goal = [
            f"- floored LSD at least {100 * GOAL_LSD_REDUCTION:.0f} % below copy content: "
            f"{100 * reduction:.1f} % below — "
            + ("met" if reduction >= GOAL_LSD_REDUCTION else
               f"not met (gap {100 * (GOAL_LSD_REDUCTION - reduction):.1f} points)"),
            f"- timbre accuracy at least {GOAL_TIMBRE}: {timbre:.3f} — "
            + ("met" if timbre >= GOAL_TIMBRE else f"not met (gap {GOAL_TIMBRE - timbre:.3f})"),
            f"- octave-forgiving pitch accuracy at least copy content's ({copy_pitch:.3f}): "
            f"{pitch_acc:.3f} — " + ("met" if pitch_acc >= copy_pitch else
                                     f"not met (gap {copy_pitch - pitch_acc:.3f})"),
            f"- at most {GOAL_SECONDS:.0f} s per 10-s triplet end to end: "
            + (f"scripts/transfer.py took {', '.join(f'{t:.1f}' for t in e2e)} s on "
               f"{len(e2e)} triplets (imports, analysis, synthesis, writing) — "
               + ("met" if worst <= GOAL_SECONDS else "not met") if e2e else "not measured"),
        ]
        sections += [f"## The issue's goal, `{DEFAULT_SYSTEM}`", "\n".join(goal)]
        per_set = ["| SoundFont | system | floored LSD | timbre acc. | pitch acc. vs target |",
                   "|---|---|---|---|---|"]
        for name in SOUNDFONTS:
            for system in (DEFAULT_SYSTEM, "copy_content"):
                per_set.append(
                    f"| {name} | {system.replace('_', ' ')} | "
                    f"{mean(rows, system, 'floored_log_spectral_distance', name):.2f} | "
                    f"{mean(rows, system, 'timbre_accuracy', name):.2f} | "
                    f"{mean(rows, system, 'octave_forgiving_pitch_accuracy', name):.3f} |")
        sections += ["## Per SoundFont", "\n".join(per_set)]
    sections.append(f"Per triplet: [{path.with_suffix('.csv').name}]({path.with_suffix('.csv').name}).")
    path.write_text("\n\n".join(sections) + "\n", encoding="utf-8")
    columns = ["item", "set", "system", "seconds", *METRICS]
    runner.write_csv(rows, path.with_suffix(".csv"), columns)


def main(argv):
    del argv
    from neural_style_audio.quiet import import_tensorflow_quietly
    import_tensorflow_quietly()
    devset_dir, results_dir = Path(FLAGS.devset_dir), Path(FLAGS.results_dir)
    unknown = [s for s in FLAGS.systems if s not in SYSTEMS]
    if unknown:
        print(f"error: unknown systems {unknown}; choose from {SYSTEMS}", file=sys.stderr)
        return 2
    render_sets(devset_dir)
    runs_dir = Path(FLAGS.runs_dir or devset_dir / "runs")
    runs_dir.mkdir(parents=True, exist_ok=True)
    scorer = Scorer(runs_dir / "f0_cache.pkl")
    command = "python experiments/devset_table.py " + " ".join(sys.argv[1:])
    for split in FLAGS.splits:
        items = load_items(devset_dir, split)
        if FLAGS.max_items > 0:
            items = items[:FLAGS.max_items]
        rows = baseline_rows(items, scorer)
        for system in FLAGS.systems:
            rows += run_system(system, items, runs_dir, scorer)
        e2e_path = runs_dir / f"e2e_{split}.json"
        if DEFAULT_SYSTEM in FLAGS.systems and FLAGS.e2e_triplets > 0:
            e2e_path.write_text(json.dumps(end_to_end_seconds(items, FLAGS.e2e_triplets)))
        if FLAGS.tables:
            # Systems run earlier (another invocation) are tabulated too.
            for system in SYSTEMS:
                if system not in FLAGS.systems and (runs_dir / system).is_dir():
                    done = [i for i in items
                            if (runs_dir / system / f"{i['name']}.json").is_file()]
                    if len(done) == len(items):
                        rows += run_system(system, items, runs_dir, scorer)
            e2e = json.loads(e2e_path.read_text()) if e2e_path.is_file() else []
            results_dir.mkdir(parents=True, exist_ok=True)
            path = results_dir / f"devset_{split}.md"
            write_table(split, rows, e2e, path, command)
            print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    app.run(main)
