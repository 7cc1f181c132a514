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

The published presets run at REDUCED iterations (PRESET_OVERRIDES): even so they take
15-130 s per 10-s triplet on 2 CPU cores (`ulyanov` at 30 iterations: 65-90 s); at
their full settings about 10 minutes (`ulyanov_full`: 594 s), 12 hours per preset for
the 72 triplets. `ulyanov_full` is the `ulyanov` preset at its full settings, the
package's default before issue 11. Seconds are wall-clock per transfer inside one
process (networks and compiled functions reused); the end-to-end time of
scripts/transfer.py (a new process: imports, one pair, writing) is measured separately
on the first --e2e_triplets.

Triplets are taken alternately from the two SoundFonts, so `--max_items N` is a
balanced subset. A system run on fewer triplets than the split has (a stated subset)
is tabulated in a second table on the triplets every such system has, beside the
complete systems and the copy baselines on the same triplets.
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
# The package's default before issue 11: the `ulyanov` preset at its full settings.
FULL_SYSTEMS = {"ulyanov_full": "ulyanov"}
# Published presets at reduced cost (see the module docstring): a tenth of their
# iterations and 100 Griffin-Lim iterations instead of 500.
PRESET_OVERRIDES = {
    "cnn_baseline": dict(iterations=100),  # Adam from the content: 4 % of its 2500 steps.
    "ulyanov": dict(iterations=30, griffin_lim_iters=100),
    "deepmix": dict(iterations=30, griffin_lim_iters=100),
    "iitb": dict(iterations=30, griffin_lim_iters=100),
    "verma_smith": dict(iterations=30, griffin_lim_iters=100),
    "deepmix_wavenet": dict(iterations=30),  # Decoded by the WaveNet (no Griffin-Lim).
}
SYSTEMS = (DEFAULT_SYSTEM,) + tuple(FULL_SYSTEMS) + tuple(PRESET_OVERRIDES)
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
    """The split's triplets, as dicts with absolute paths and a name, taken alternately
    from the SoundFonts (so that the first N are a balanced subset)."""
    per_set = []
    for name in SOUNDFONTS:
        manifest = devset_dir / name / "manifest.json"
        items = []
        for entry in json.loads(manifest.read_text()):
            if entry.get("split") != split:
                continue
            item = dict(entry, set=name, name=f"{name}_{entry['id']:03d}")
            for role in ("content", "style", "target"):
                item[role] = str(manifest.parent / entry[role])
            items.append(item)
        per_set.append(items)
    interleaved = []
    for i in range(max(map(len, per_set))):
        interleaved += [items[i] for items in per_set if i < len(items)]
    return interleaved


def system_config(system):
    from neural_style_audio.config import resolve_config
    return resolve_config(FULL_SYSTEMS.get(system, system), progress=False,
                          **PRESET_OVERRIDES.get(system, {}))


def config_dict(config):
    import dataclasses
    return json.loads(json.dumps(dataclasses.asdict(config)))


def saved_rows(system, items, runs_dir):
    """The rows of `system`'s outputs made with its current settings, item by item (None
    where an item has none)."""
    from neural_style_audio.evaluation import runner
    wanted, rows = config_dict(system_config(system)), []
    for item in items:
        record_path = runs_dir / system / f"{item['name']}.json"
        row = None
        if record_path.is_file() and record_path.with_suffix(".wav").is_file():
            saved = json.loads(record_path.read_text())
            if not runner.settings_difference(saved["config"], wanted):
                row = saved["row"]
        rows.append(row)
    return rows


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
    from neural_style_audio import audio, methods
    from neural_style_audio.methods.optimisation import TransferCache
    config = system_config(system)
    settings = config_dict(config)
    transfer = methods.get(config.run.method).transfer
    cache, rows = TransferCache(), []
    for i, (item, saved) in enumerate(zip(items, saved_rows(system, items, runs_dir))):
        if saved is not None:
            rows.append(saved)
            continue
        record_path = runs_dir / system / f"{item['name']}.json"
        wav_path = record_path.with_suffix(".wav")
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
        record_path.write_text(json.dumps(dict(config=settings, row=row), indent=1,
                                          default=float))
        rows.append(row)
        print(f"[{system} {i + 1}/{len(items)}] {item['name']}: {seconds:.1f} s, floored LSD "
              f"{row['floored_log_spectral_distance']:.2f}", file=sys.stderr, flush=True)
    scorer.save()
    return rows


def baseline_rows(items, scorer, runs_dir):
    """The copy baselines' rows of `items`, kept under <runs_dir>/baselines/."""
    from neural_style_audio.evaluation import runner
    rows = []
    for item in items:
        path = runs_dir / "baselines" / f"{item['name']}.json"
        if path.is_file():
            rows += json.loads(path.read_text())
            continue
        clips = load_clips(item, 22050)
        copies = {"copy_content": clips["content"],
                  "copy_style": runner.fit_length(clips["style"], len(clips["content"]))}
        item_rows = [dict(item=item["name"], system=system, set=item["set"],
                          **scorer(output, clips)) for system, output in copies.items()]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(item_rows, indent=1, default=float))
        rows += item_rows
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
    cpu, vector = "unknown CPU", ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and cpu == "unknown CPU":
                cpu = line.split(":", 1)[1].strip()
            elif line.startswith("flags") and not vector:
                names = line.split(":", 1)[1].split()
                vector = ", AVX-512" if "avx512f" in names else ", AVX2" if "avx2" in names \
                    else ""
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores{vector}, {platform.platform()}"


def system_label(system):
    if system in PRESET_OVERRIDES:
        changes = ", ".join(f"{k} {v}" for k, v in PRESET_OVERRIDES[system].items())
        return f"`{system}` (reduced: {changes})"
    if system in FULL_SYSTEMS:
        from neural_style_audio import config
        preset = FULL_SYSTEMS[system]
        default = getattr(config, "DEFAULT_PRESET", config.TransferConfig().preset)
        when = "the current default" if default == preset else "the default before issue 11"
        return f"`{preset}` at its full settings ({when})"
    if system == DEFAULT_SYSTEM:
        return f"`{system}` (its preset's settings)"
    return system.replace("_", " ")


def summary_lines(rows):
    """The markdown table of the means of every system in `rows`."""
    systems = [s for s in SYSTEMS + BASELINES if any(r["system"] == s for r in rows)]
    copy_lsd = mean(rows, "copy_content", "floored_log_spectral_distance")
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
    return "\n".join(lines)


def goal_lines(rows, system, e2e):
    """The issue's goal, metric by metric, for `system` (with the gap where not met)."""
    copy_lsd = mean(rows, "copy_content", "floored_log_spectral_distance")
    copy_pitch = mean(rows, "copy_content", "octave_forgiving_pitch_accuracy")
    lsd = mean(rows, system, "floored_log_spectral_distance")
    timbre = mean(rows, system, "timbre_accuracy")
    pitch_acc = mean(rows, system, "octave_forgiving_pitch_accuracy")
    reduction = 1 - lsd / copy_lsd
    worst = max(e2e) if e2e else float("nan")
    return "\n".join([
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
           + ("met" if worst <= GOAL_SECONDS else "not met") if e2e else
           f"not measured end to end ({mean(rows, system, 'seconds'):.1f} s per transfer "
           "inside one process)"),
    ])


def write_table(split, rows, e2e, path, subsets=()):
    """Writes the split's table (`rows`: the complete systems and the baselines on every
    item) and, for each (items, rows) of `subsets`, a table on those items only."""
    from neural_style_audio.evaluation import runner
    n_items = len({r["item"] for r in rows})
    script = f"flock /tmp/coord/heavy.lock python experiments/devset_table.py --splits {split}"
    complete = [s for s in SYSTEMS if any(r["system"] == s for r in rows)]
    commands = [f"`{script} --systems {','.join(complete)}`"] if complete else []
    for subset_items, subset_rows in subsets:
        partial = sorted({r["system"] for r in subset_rows} - set(complete) - set(BASELINES))
        commands.append(f"`{script} --systems {','.join(partial)} "
                        f"--max_items {len(subset_items)}`")
    sections = [
        f"# Development-set table: {split} split",
        f"Commands (each resumes; the copy baselines are always scored): "
        f"{'; '.join(commands)}  \nMachine: {machine()}; run {time.strftime('%Y-%m-%d')}.  \n"
        f"{n_items} generated triplets of 10 s (content = melody M1 on instrument A, style "
        "= melody M2 on instrument B, target = M1 on B), two SoundFonts "
        "(FluidR3_GM, MuseScore_General_Lite); "
        + ("settings were chosen on this split." if split == "dev" else
           "this split was never used to choose anything."),
        "Means over the triplets. Timbre accuracy: share of triplets whose output's MFCC "
        "statistics are closer to the target's than to the content's. Pitch metrics use "
        "pYIN; octave errors forgiven against the target. s / triplet: the transfer's "
        "wall-clock seconds inside one process (2 CPU cores shared with other jobs).",
        summary_lines(rows)]
    for system in (DEFAULT_SYSTEM, *FULL_SYSTEMS):
        if any(r["system"] == system for r in rows):
            sections += [f"## The issue's goal, {system_label(system)}",
                         goal_lines(rows, system, e2e if system == DEFAULT_SYSTEM else [])]
    shown = [s for s in (DEFAULT_SYSTEM, *FULL_SYSTEMS, "copy_content")
             if any(r["system"] == s for r in rows)]
    if len(shown) > 1:
        per_set = ["| SoundFont | system | floored LSD | timbre acc. | pitch acc. vs target |",
                   "|---|---|---|---|---|"]
        for name in SOUNDFONTS:
            for system in shown:
                per_set.append(
                    f"| {name} | {system.replace('_', ' ')} | "
                    f"{mean(rows, system, 'floored_log_spectral_distance', name):.2f} | "
                    f"{mean(rows, system, 'timbre_accuracy', name):.2f} | "
                    f"{mean(rows, system, 'octave_forgiving_pitch_accuracy', name):.3f} |")
        sections += ["## Per SoundFont", "\n".join(per_set)]
    all_rows = list(rows)
    for subset_items, subset_rows in subsets:
        partial = sorted({r["system"] for r in subset_rows} - {r["system"] for r in rows})
        sets = ", ".join(f"{sum(i['set'] == name for i in subset_items)} {name}"
                         for name in SOUNDFONTS)
        sections += [
            f"## Subset of {len(subset_items)} triplet{'s' * (len(subset_items) != 1)} "
            f"({sets}): "
            + ", ".join(f"`{s}`" for s in partial),
            f"Run on the first {len(subset_items)} triplets of the split only (to keep the "
            "CPU time in budget); every system and baseline below is scored on those same "
            "triplets: " + ", ".join(i["name"] for i in subset_items) + ".",
            summary_lines(subset_rows)]
        for system in (DEFAULT_SYSTEM, *FULL_SYSTEMS):
            if system in partial:
                sections += [f"### The issue's goal on these triplets, {system_label(system)}",
                             goal_lines(subset_rows, system, [])]
        all_rows += [r for r in subset_rows if r["system"] in partial]
    sections.append(f"Per triplet: [{path.with_suffix('.csv').name}]"
                    f"({path.with_suffix('.csv').name}).")
    path.write_text("\n\n".join(sections) + "\n", encoding="utf-8")
    columns = ["item", "set", "system", "seconds", *METRICS]
    runner.write_csv(all_rows, path.with_suffix(".csv"), columns)


def table_rows(items, baselines, runs_dir):
    """The complete systems' rows on `items` and, per prefix length of the partial
    systems, (subset items, rows of every system done on them and of the baselines)."""
    done = {}
    for system in SYSTEMS:
        if (runs_dir / system).is_dir():
            saved = saved_rows(system, items, runs_dir)
            prefix = next((i for i, row in enumerate(saved) if row is None), len(saved))
            if prefix:
                done[system] = saved[:prefix]
    complete = [s for s, r in done.items() if len(r) == len(items)]
    rows = list(baselines) + [row for s in complete for row in done[s]]
    subsets = []
    for n in sorted({len(r) for s, r in done.items() if s not in complete}, reverse=True):
        names = {i["name"] for i in items[:n]}
        subset_rows = [r for r in baselines if r["item"] in names]
        subset_rows += [row for s, r in done.items() if len(r) >= n for row in r[:n]]
        subsets.append((items[:n], subset_rows))
    return rows, subsets


def main(argv):
    del argv
    from neural_style_audio.quiet import import_tensorflow_quietly
    import_tensorflow_quietly()
    devset_dir, results_dir = Path(FLAGS.devset_dir), Path(FLAGS.results_dir)
    unknown = [s for s in FLAGS.systems if s not in SYSTEMS]
    if unknown:
        print(f"error: --systems: unknown {', '.join(unknown)} (choose from "
              f"{', '.join(SYSTEMS)})", file=sys.stderr)
        return 2
    render_sets(devset_dir)
    runs_dir = Path(FLAGS.runs_dir or devset_dir / "runs")
    runs_dir.mkdir(parents=True, exist_ok=True)
    scorer = Scorer(runs_dir / "f0_cache.pkl")
    for split in FLAGS.splits:
        items = load_items(devset_dir, split)
        if FLAGS.max_items > 0:
            items = items[:FLAGS.max_items]
        for system in FLAGS.systems:
            run_system(system, items, runs_dir, scorer)
        e2e_path = runs_dir / f"e2e_{split}.json"
        if DEFAULT_SYSTEM in FLAGS.systems and FLAGS.e2e_triplets > 0:
            e2e_path.write_text(json.dumps(end_to_end_seconds(items, FLAGS.e2e_triplets)))
        if FLAGS.tables:
            # Every system run so far (this or another invocation) with its current
            # settings; the whole split's baselines even after a --max_items run.
            all_items = load_items(devset_dir, split)
            rows, subsets = table_rows(all_items, baseline_rows(all_items, scorer, runs_dir),
                                       runs_dir)
            e2e = json.loads(e2e_path.read_text()) if e2e_path.is_file() else []
            results_dir.mkdir(parents=True, exist_ok=True)
            path = results_dir / f"devset_{split}.md"
            write_table(split, rows, e2e, path, subsets)
            print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    app.run(main)
