"""Run sets: manifests of items, running the transfer on them, and their objective evaluation.

A manifest is a JSON list of items, each a dict naming clips by path relative to the
manifest's directory (absolute paths also work)::

    [{"id": 0, "content": "clips/a.flac", "style": "clips/b.flac",
      "target": "clips/c.flac", "output": "outputs/000_a__b.wav", ...}, ...]

`scripts/make_pairs.py` writes content/style/target; `run_manifest` adds `output`.
The evaluation scores three systems on every item with `metrics` (the same metrics as
`metrics.evaluate_all`):

* ``output``: the transfer's output;
* ``copy_content``: the content clip itself (keeps the content perfectly, no style);
* ``copy_style``: the style clip, looped or cut to the content's length (the style
  perfectly, no content).

A transfer is worth something where it beats both baselines' trade-off. Where an item
has a target (the content's melody on the style's instrument), timbre is measured
against the target, not the style clip: against the style, copying the style's melody
would also score as timbre. `METRIC_REFERENCES` says what every metric compares with.
"""
import csv
import dataclasses
import hashlib
import io
import json
import math
import os
import re
from pathlib import Path

import numpy as np

from neural_style_audio import audio
from neural_style_audio.evaluation import metrics

MANIFEST_NAME = "manifest.json"
OUTPUTS_DIR = "outputs"  # run_manifest writes <output_dir>/outputs/<item>.wav|json|png.
EVALUATION_STEM = "evaluation"  # evaluate writes evaluation.csv, .md and .png.
SYSTEMS = ("output", "copy_content", "copy_style")
BASELINES = ("copy_content", "copy_style")  # Systems that need no transfer output.
METRIC_NAMES = ("chroma_similarity", "pitch_accuracy", "octave_forgiving_pitch_accuracy",
                "mfcc_stats_distance", "spectral_stats_distance", "mfcc_distance_to_target",
                "timbre_accuracy", "log_spectral_distance", "floored_log_spectral_distance",
                "spectral_convergence")
HIGHER_IS_BETTER = {"chroma_similarity": True, "pitch_accuracy": True,
                    "octave_forgiving_pitch_accuracy": True,
                    "mfcc_stats_distance": False, "spectral_stats_distance": False,
                    "mfcc_distance_to_target": False, "timbre_accuracy": True,
                    "log_spectral_distance": False, "floored_log_spectral_distance": False,
                    "spectral_convergence": False,
                    # Run quantities shown beside the metrics (sweeps).
                    "final_loss": False, "time_s": False}
# What each metric compares the scored signal with (the tables print this).
METRIC_REFERENCES = {
    "chroma_similarity": "CQT-chroma cosine similarity to the content",
    "pitch_accuracy": "pYIN f0 within 50 cents of the content's",
    "octave_forgiving_pitch_accuracy": "pYIN f0 within 50 cents of the target's, "
                                       "octave errors forgiven",
    "mfcc_stats_distance": "MFCC-statistics (Fréchet) distance to the style clip",
    "spectral_stats_distance": "spectral-shape statistics distance to the style clip",
    "mfcc_distance_to_target": "MFCC-statistics (Fréchet) distance to the target",
    "timbre_accuracy": "1 if the MFCC statistics are closer to the target's than to the "
                       "content's, else 0 (the mean is the rate)",
    "log_spectral_distance": "mel log-spectral distance to the target, dB",
    "floored_log_spectral_distance": "mel log-spectral distance to the target with a floor "
                                     "40 dB below the target's peak, dB",
    "spectral_convergence": "STFT-magnitude spectral convergence to the target, "
                            "gain-invariant",
}
# Need a target; the default metrics of items that have one.
TARGET_METRICS = ("octave_forgiving_pitch_accuracy", "mfcc_distance_to_target",
                  "timbre_accuracy", "log_spectral_distance", "floored_log_spectral_distance",
                  "spectral_convergence")
# Timbre against the style clip: the default only for items without a target (against the
# style, a copied style melody scores as timbre too). Computed on request either way.
STYLE_METRICS = ("mfcc_stats_distance", "spectral_stats_distance")
PITCH_METRICS = ("pitch_accuracy", "octave_forgiving_pitch_accuracy")  # pYIN: monophonic.
# Clips shorter than one metrics STFT frame (93 ms at 22050 Hz) cannot be scored.
MIN_EVAL_SAMPLES = metrics.N_FFT
# Run settings that do not change the result, left out when comparing a finished run.
NON_RESULT_SETTINGS = ("run.progress",)


class ManifestError(ValueError):
    """A manifest or run directory cannot be used; the message is one line for the CLI."""


@dataclasses.dataclass(frozen=True)
class Item:
    """One manifest entry with its paths resolved."""
    name: str  # Unique, filesystem-safe: used for output files and to join tables.
    label: str  # The entry's id (or index) as written, for display.
    content: Path
    style: Path
    output: Path = None
    target: Path = None
    fields: dict = dataclasses.field(default_factory=dict)  # The entry as written.


def safe_name(text):
    """`text` with every character outside [A-Za-z0-9._=+-] replaced by '_'."""
    name = re.sub(r"[^A-Za-z0-9._=+-]+", "_", str(text)).strip("._")
    return name or "item"


def _item_name(entry, index):
    prefix = entry.get("id", index)
    prefix = f"{prefix:03d}" if isinstance(prefix, int) else str(prefix)
    stems = f"{Path(entry['content']).stem}__{Path(entry['style']).stem}"
    return safe_name(f"{prefix}_{stems}")


def load_manifest(path, required=("content", "style")):
    """Reads and validates a manifest.

    Args:
      path: the manifest JSON file.
      required: keys every entry must have (besides the optional output and target).

    Returns:
      List of Item, paths resolved against the manifest's directory.

    Raises:
      ManifestError: missing/unreadable file, invalid JSON, not a non-empty list of
        dicts, a required path missing or not a non-empty string, duplicate names.
        (Whether the audio files exist is checked when they are loaded.)
    """
    path = Path(path)
    if not path.is_file():
        raise ManifestError(f"{path}: manifest not found")
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ManifestError(f"{path}: not valid JSON ({err})") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ManifestError(f"{path}: cannot read ({err})") from None
    if not isinstance(entries, list) or not entries:
        raise ManifestError(f"{path}: must be a non-empty JSON list of items")
    root = path.parent
    items, names = [], set()
    for index, entry in enumerate(entries):
        where = f"{path}: item {index}"
        if not isinstance(entry, dict):
            raise ManifestError(f"{where}: must be a JSON object, got {type(entry).__name__}")
        for key in dict.fromkeys(tuple(required) + ("output", "target")):
            value = entry.get(key)
            if value is None and key not in required:
                continue
            if value is None:
                hint = " (run scripts/run_pairs.py on it first)" if key == "output" else ""
                raise ManifestError(f"{where}: missing '{key}'{hint}")
            if not isinstance(value, str) or not value.strip():
                raise ManifestError(f"{where}: '{key}' must be a non-empty path string")
        name = entry.get("name")
        name = safe_name(name) if isinstance(name, str) and name else _item_name(entry, index)
        if name in names:
            raise ManifestError(f"{where}: duplicate item name '{name}'")
        names.add(name)

        def resolve(key):
            return root / entry[key] if entry.get(key) else None
        items.append(Item(name=name, label=str(entry.get("id", index)),
                          content=resolve("content"), style=resolve("style"),
                          output=resolve("output"), target=resolve("target"), fields=entry))
    return items


def write_json(path, data):
    """Writes JSON atomically (a crash leaves the old file, never a partial one)."""
    with audio.atomic_output(path) as tmp:
        tmp.write_text(json.dumps(data, indent=1, default=float) + "\n", encoding="utf-8")
    return Path(path)


def relative_path(path, start):
    """`path` relative to directory `start` (POSIX separators), for manifests and links."""
    return Path(os.path.relpath(Path(path).resolve(), Path(start).resolve())).as_posix()


class AudioCache:
    """Loads each (file, sample rate) once; sweeps and run sets reuse the arrays."""

    def __init__(self):
        self._clips = {}

    def load(self, path, sr, min_samples=1):
        """audio.load_audio with memoisation; the length check runs on every call."""
        key = (str(Path(path).resolve()), int(sr))
        if key not in self._clips:
            self._clips[key] = audio.load_audio(path, sr)
        y = self._clips[key]
        audio.check_waveform(y, path, sr, min_samples)
        return y


def fit_length(y, n_samples):
    """Loops (np.resize repeats cyclically) or cuts `y` to exactly `n_samples`."""
    return np.resize(np.asarray(y), n_samples)


def _cached_f0(y, sr, f0_cache):
    """pYIN f0 of a reference clip, memoised by its samples (pYIN dominates the cost)."""
    if f0_cache is None:
        return metrics.estimate_f0(y, sr)
    key = (hashlib.sha1(np.ascontiguousarray(y).tobytes()).hexdigest(), len(y), sr)
    if key not in f0_cache:
        f0_cache[key] = metrics.estimate_f0(y, sr)
    return f0_cache[key]


def available_metrics(has_target, monophonic=True):
    """The metric names `compute_metrics` gives by default, in METRIC_NAMES order.

    With a target: the TARGET_METRICS and no STYLE_METRICS (timbre is measured against
    the target); without: the STYLE_METRICS. PITCH_METRICS only if `monophonic`.
    """
    excluded = STYLE_METRICS if has_target else TARGET_METRICS
    return [m for m in METRIC_NAMES
            if m not in excluded and (monophonic or m not in PITCH_METRICS)]


def compute_metrics(output, content, style, sr, target=None, monophonic=True, names=None,
                    f0_cache=None):
    """`metrics.evaluate_all`, computing only `names` and caching the references' f0.

    Args:
      output, content, style: [n_samples] waveforms at `sr`.
      sr: sample rate, Hz.
      target: optional ground truth [n_samples].
      monophonic: include the pitch metrics (when `names` is None).
      names: metrics to compute (default: `available_metrics`); TARGET_METRICS need
        `target`.
      f0_cache: optional dict reused across calls: the pYIN f0 of the content and of
        the target is computed once however many outputs are scored against them.

    Returns:
      Dict name -> float with the same values as `metrics.evaluate_all`.
    """
    names = available_metrics(target is not None, monophonic) if names is None else names
    unknown = [n for n in names if n not in METRIC_NAMES]
    if unknown:
        raise ValueError(f"unknown metric(s) {', '.join(unknown)}; "
                         f"choose from {', '.join(METRIC_NAMES)}")
    needing = [n for n in names if n in TARGET_METRICS]
    if target is None and needing:
        raise ValueError(f"{', '.join(needing)} need a target")
    output_f0 = {}

    def pitch_score(reference, octave_forgiving):
        # As metrics.pitch_accuracy: both signals trimmed to the shorter first.
        n = min(len(output), len(reference))
        f0_ref, voiced = _cached_f0(np.asarray(reference[:n], np.float64), sr, f0_cache)
        if output is content or output is target:  # A copy baseline: f0 cached too.
            f0 = _cached_f0(np.asarray(output[:n], np.float64), sr, f0_cache)[0]
        else:
            if n not in output_f0:
                output_f0[n] = metrics.estimate_f0(np.asarray(output[:n], np.float64), sr)[0]
            f0 = output_f0[n]
        return metrics.f0_accuracy(f0, f0_ref, voiced, octave_forgiving=octave_forgiving)

    compute = {
        "chroma_similarity": lambda: metrics.chroma_similarity(output, content, sr),
        "pitch_accuracy": lambda: pitch_score(content, False),
        "octave_forgiving_pitch_accuracy": lambda: pitch_score(target, True),
        "mfcc_stats_distance": lambda: metrics.mfcc_stats_distance(output, style, sr),
        "spectral_stats_distance": lambda: metrics.spectral_stats_distance(output, style, sr),
        "mfcc_distance_to_target": lambda: metrics.mfcc_stats_distance(output, target, sr),
        "timbre_accuracy": lambda: float(metrics.timbre_closer_to_target(output, target,
                                                                         content, sr)),
        "log_spectral_distance": lambda: metrics.log_spectral_distance(output, target, sr),
        "floored_log_spectral_distance":
            lambda: metrics.floored_log_spectral_distance(output, target, sr),
        "spectral_convergence":
            lambda: metrics.spectral_convergence_to_target(output, target),
    }
    return {n: compute[n]() for n in METRIC_NAMES if n in names}


def load_item_audio(item, sr, cache=None, with_output=True):
    """Loads an item's clips at `sr`: dict role -> [n_samples] (target may be None).

    with_output: load the output too (False for the copy baselines alone).

    Raises:
      AudioInputError: a clip is missing, unreadable, silent, ... or too short to score.
    """
    cache = cache or AudioCache()
    roles = ("content", "style", "output") if with_output else ("content", "style")
    clips = {role: cache.load(getattr(item, role), sr, MIN_EVAL_SAMPLES) for role in roles}
    clips["target"] = (cache.load(item.target, sr, MIN_EVAL_SAMPLES)
                       if item.target is not None else None)
    return clips


def evaluate_item(item, clips, sr, monophonic=True, f0_cache=None, systems=SYSTEMS,
                  names=None):
    """Scores the output and the two copy baselines of one item.

    Args:
      item: an Item (its name labels the rows).
      clips: `load_item_audio`'s dict.
      sr: sample rate of the clips, Hz.
      monophonic: include the pitch metrics.
      f0_cache: optional dict shared across items (see compute_metrics).
      systems: the systems to score, of SYSTEMS (only BASELINES need no output).
      names: metrics to compute (default: compute_metrics' default for the item).

    Returns:
      One row per system: dict(item=..., system=..., <metric>=float, ...).
    """
    f0_cache = {} if f0_cache is None else f0_cache
    content = clips["content"]
    candidates = {"output": lambda: clips["output"], "copy_content": lambda: content,
                  "copy_style": lambda: fit_length(clips["style"], len(content))}
    rows = []
    for system in systems:
        scores = compute_metrics(candidates[system](), content, clips["style"], sr,
                                 target=clips["target"], monophonic=monophonic,
                                 names=names, f0_cache=f0_cache)
        rows.append(dict(item=item.name, system=system, **scores))
    return rows


def evaluate_baselines(items, sr=metrics.F0_SR, names=None, monophonic=True, cache=None,
                       f0_cache=None):
    """The copy-content and copy-style rows of items that have no output (e.g. sweep pairs).

    Every table of outputs should carry these rows: `summarize(evaluate_baselines(...))`
    gives the two rows of means to print beside a sweep's cells.

    Args:
      items: Items with content, style and optionally target.
      sr: sample rate the clips are scored at, Hz.
      names: metrics to compute (default: compute_metrics' default per item).
      monophonic: include the pitch metrics (when `names` is None).
      cache: optional AudioCache; f0_cache: optional dict (see compute_metrics).

    Returns:
      Rows of `evaluate_item` for the BASELINES of every item, in order.
    """
    cache = cache or AudioCache()
    loaded = [(item, load_item_audio(item, sr, cache, with_output=False)) for item in items]
    f0_cache = {} if f0_cache is None else f0_cache
    return [row for item, clips in loaded
            for row in evaluate_item(item, clips, sr, monophonic, f0_cache, BASELINES, names)]


def evaluate_items(items, sr=metrics.F0_SR, monophonic=True, progress=False):
    """Loads every item (failing early on a bad file), then scores each.

    Returns:
      Rows of `evaluate_item` for all items, in order.

    Raises:
      AudioInputError: the first bad audio file, before any metric is computed.
    """
    from tqdm import tqdm
    cache = AudioCache()
    loaded = [(item, load_item_audio(item, sr, cache)) for item in items]
    rows, f0_cache = [], {}
    for item, clips in tqdm(loaded, desc="evaluate", unit="item", disable=not progress):
        rows.extend(evaluate_item(item, clips, sr, monophonic, f0_cache))
    return rows


def metric_columns(rows):
    """Metric names present in `rows`, in METRIC_NAMES order."""
    present = {key for row in rows for key in row}
    return [m for m in METRIC_NAMES if m in present]


def finite_mean(values):
    """Mean of the values that are neither None nor NaN; NaN if there are none."""
    values = [v for v in values if v is not None and not math.isnan(v)]
    return float(np.mean(values)) if values else float("nan")


def summarize(rows, systems=SYSTEMS):
    """Mean of every metric per system (NaN and missing values are left out).

    The mean of the per-item 0/1 `timbre_accuracy` is the rate of items whose timbre is
    closer to the target's than to the content's.

    Returns:
      One dict per system present: system, n_items, <metric>=mean (NaN if no value).
    """
    summary = []
    for system in systems:
        selected = [row for row in rows if row["system"] == system]
        if not selected:
            continue
        entry = dict(system=system, n_items=len(selected))
        for metric in metric_columns(rows):
            entry[metric] = finite_mean(row.get(metric) for row in selected)
        summary.append(entry)
    return summary


def _csv_text(rows, columns):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in columns})
    return buffer.getvalue()


def write_csv(rows, path, columns=None):
    """Writes `rows` (dicts) as CSV atomically; columns default to the keys of the first row."""
    columns = columns or list(rows[0])
    with audio.atomic_output(path) as tmp:
        tmp.write_text(_csv_text(rows, columns), encoding="utf-8")
    return Path(path)


def read_csv(path, text_columns=("item", "system", "cell")):
    """Reads a CSV written by `write_csv`.

    Cells of `text_columns` stay strings (an item named '001' is not the number 1);
    other numeric cells become floats, empty cells None.
    """
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        for key, value in row.items():
            if value == "":
                row[key] = None
            elif key not in text_columns:
                try:
                    row[key] = float(value)
                except ValueError:
                    pass
    return rows


def format_value(value):
    """A table cell: floats with 4 significant digits, NaN/None as a dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def metric_heading(metric):
    """The column title of a metric with its better direction: 'chroma_similarity ↑'."""
    if metric not in HIGHER_IS_BETTER:
        return metric
    return f"{metric} {'↑' if HIGHER_IS_BETTER[metric] else '↓'}"


def best_systems(summary, metric):
    """Systems with the best (highest/lowest per HIGHER_IS_BETTER) mean of `metric`."""
    values = {s["system"]: s.get(metric) for s in summary}
    finite = {k: v for k, v in values.items() if v is not None and not math.isnan(v)}
    if not finite or metric not in HIGHER_IS_BETTER:
        return set()
    best = max(finite.values()) if HIGHER_IS_BETTER[metric] else min(finite.values())
    return {k for k, v in finite.items() if v == best}


def best_cells(summary, metric_names):
    """(row index, metric) of every cell holding the best value of its metric column."""
    cells = set()
    for metric in metric_names:
        best = best_systems(summary, metric)
        cells |= {(i, metric) for i, s in enumerate(summary) if s["system"] in best}
    return cells


def _md_escape(text):
    return str(text).replace("|", "\\|")


def markdown_table(rows, columns, headings=None, bold=None):
    """A GitHub Markdown table; `bold` is a set of (row index, column) cells to embolden."""
    headings = headings or columns
    lines = ["| " + " | ".join(_md_escape(h) for h in headings) + " |",
             "|" + "|".join("---" for _ in columns) + "|"]
    for i, row in enumerate(rows):
        cells = []
        for column in columns:
            cell = _md_escape(format_value(row.get(column)))
            cells.append(f"**{cell}**" if bold and (i, column) in bold else cell)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def text_table(rows, columns, headings=None):
    """A plain fixed-width table for the terminal."""
    headings = headings or columns
    cells = [[format_value(row.get(c)) for c in columns] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headings)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headings, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in cells]
    return "\n".join(lines)


def summary_table(summary, markdown=False):
    """The per-system means as Markdown (best system in bold) or plain text."""
    metric_names = [m for m in METRIC_NAMES if summary and m in summary[0]]
    columns = ["system", "n_items"] + metric_names
    headings = ["system", "n_items"] + [metric_heading(m) for m in metric_names]
    if not markdown:
        return text_table(summary, columns, headings)
    return markdown_table(summary, columns, headings, best_cells(summary, metric_names))


def write_markdown(rows, summary, path, title="Objective evaluation"):
    """Writes the summary (means per system) and the per-item table as Markdown."""
    metric_names = metric_columns(rows)
    columns = ["item", "system"] + metric_names
    headings = ["item", "system"] + [metric_heading(m) for m in metric_names]
    described = [f"- `{m}`: {METRIC_REFERENCES[m]}" for m in metric_names
                 if m in METRIC_REFERENCES]
    text = "\n\n".join([
        f"# {title}",
        "Systems: `output` = the style transfer; `copy_content` = the content clip as the "
        "output; `copy_style` = the style clip (looped/cut to the content length) as the "
        "output. ↑ higher is better, ↓ lower is better; best mean in bold.",
        *(["Metrics:\n" + "\n".join(described)] if described else []),
        "## Means per system", summary_table(summary, markdown=True),
        "## Per item", markdown_table(rows, columns, headings)]) + "\n"
    with audio.atomic_output(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_evaluation(rows, output_dir, stem=EVALUATION_STEM, plot=True, systems=None,
                     title="Objective evaluation"):
    """Writes <output_dir>/<stem>.csv, .md and (plot) .png; returns dict kind -> path.

    systems: the systems to summarise, in order (default: SYSTEMS).
    """
    output_dir = Path(output_dir)
    systems = tuple(systems or SYSTEMS)
    summary = summarize(rows, systems)
    columns = ["item", "system"] + metric_columns(rows)
    paths = dict(csv=write_csv(rows, output_dir / f"{stem}.csv", columns),
                 md=write_markdown(rows, summary, output_dir / f"{stem}.md", title))
    if plot:
        from neural_style_audio.evaluation import plots  # Imported lazily: it imports TensorFlow.
        png = output_dir / f"{stem}.png"
        with audio.atomic_output(png) as tmp:
            names = metric_columns(rows)
            plots.metric_distributions(rows, names, systems, tmp,
                                       titles={m: metric_heading(m) for m in names})
        paths["png"] = png
    return paths


# Running the transfer over a manifest.

def _flatten(config_dict, prefix=""):
    flat = {}
    for key, value in config_dict.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def settings_difference(old_config, new_config):
    """Describes how two config dicts (dataclasses.asdict form) differ in what they make.

    Returns:
      '' if they give the same result (NON_RESULT_SETTINGS ignored), else a short
      description such as 'optimizer.iterations 300 -> 20'.
    """
    old, new = _flatten(old_config), _flatten(new_config)
    changed = [k for k in sorted(set(old) | set(new))
               if k not in NON_RESULT_SETTINGS and old.get(k) != new.get(k)]
    text = ", ".join(f"{k} {old.get(k)!r} -> {new.get(k)!r}" for k in changed[:3])
    return text + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")


def finished_record(json_path, config_dict, overwrite=False, error=ManifestError):
    """The JSON record (with a 'config') of a finished run if it can be reused, else None.

    Raises:
      `error` (ManifestError): the record exists but was made with other settings (and
        not `overwrite`): reusing it would mix settings, replacing it would lose a result.
    """
    json_path = Path(json_path)
    if overwrite or not json_path.is_file():
        return None
    try:
        record = json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # A broken record is redone.
    difference = settings_difference(record.get("config", {}), config_dict)
    if difference:
        raise error(f"{json_path}: made with other settings ({difference}); "
                    "use another --output_dir, or --overwrite")
    return record


def run_manifest(items, config, output_dir, plot=True, progress=True, overwrite=False,
                 log=None):
    """Runs the transfer on every item, resuming: items already done are skipped.

    Writes <output_dir>/outputs/<item>.wav|json|png and <output_dir>/manifest.json:
    the input entries with paths made relative to <output_dir>, plus `output` and
    `record` for every finished item (rewritten after each item, so an interrupted
    run leaves a usable manifest).

    Args:
      items: Items (e.g. from load_manifest of a make_pairs manifest).
      config: TransferConfig for every item.
      output_dir: run directory.
      plot: write the PNG figure of each transfer.
      progress: a bar over items (the transfer's own bars follow config.run.progress).
      overwrite: redo items already done, even with other settings.
      log: callable for one-line messages (default: print to stderr).

    Returns:
      (manifest entries written, list of (item, error message) that failed).

    Raises:
      ManifestError: finished outputs in `output_dir` were made with other settings.
      AudioInputError: an input clip is bad (checked before the first transfer).
    """
    import sys
    from tqdm import tqdm
    from neural_style_audio import methods, networks
    from neural_style_audio.methods.optimisation import TransferCache
    from neural_style_audio.outputs import write_outputs
    transfer = methods.get(config.run.method).transfer  # The preset names its method.

    log = log or (lambda message: print(message, file=sys.stderr))
    output_dir = Path(output_dir)
    config_dict = dataclasses.asdict(config)
    wav_paths = {item.name: output_dir / OUTPUTS_DIR / f"{item.name}.wav" for item in items}
    inputs = {p.resolve() for item in items for p in (item.content, item.style)}
    done = {}
    for item in items:
        wav = wav_paths[item.name]
        if wav.resolve() in inputs:
            raise ManifestError(f"{wav}: output would overwrite an input file")
        record = finished_record(wav.with_suffix(".json"), config_dict, overwrite)
        if record is not None and wav.is_file():
            done[item.name] = record
    fc = config.features
    min_samples = networks.required_samples(config)
    cache = AudioCache()
    for item in items:
        if item.name not in done:
            cache.load(item.content, fc.sr, min_samples)
            cache.load(item.style, fc.sr, min_samples)

    def entry(item):
        fields = dict(item.fields, name=item.name)
        for role in ("content", "style", "target"):
            if getattr(item, role) is not None:
                fields[role] = relative_path(getattr(item, role), output_dir)
        wav = wav_paths[item.name]
        fields["output"] = relative_path(wav, output_dir)
        fields["record"] = relative_path(wav.with_suffix(".json"), output_dir)
        return fields

    failures, shared = [], TransferCache()  # Same network/shapes: compiled once.
    bar = tqdm(items, desc="items", unit="item", disable=not progress)
    for item in bar:
        if item.name in done:
            continue
        bar.set_postfix_str(item.name[:40])
        try:
            result = transfer(cache.load(item.content, fc.sr, min_samples),
                              cache.load(item.style, fc.sr, min_samples), config,
                              cache=shared)
        except audio.AudioInputError as err:
            failures.append((item, str(err)))
            log(f"error: {item.name}: {err}")
            continue
        result.record.update(content=str(item.content), style=str(item.style))
        write_outputs(result, wav_paths[item.name], plot=plot, overwrite=True)
        done[item.name] = result.record
        write_json(output_dir / MANIFEST_NAME, [entry(i) for i in items if i.name in done])
    entries = [entry(i) for i in items if i.name in done]
    if entries:
        write_json(output_dir / MANIFEST_NAME, entries)
    return entries, failures
