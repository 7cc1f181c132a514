"""Parameter sweeps: the transfer on a grid of settings over a set of content/style pairs.

    grid = parse_grid(["n_filters=128,256,512", "filter_width=5,11"])
    result = run_sweep(grid, pairs, "outputs/sweep", preset="ulyanov",
                       overrides=dict(iterations=50))

Every cell (one combination of grid values) writes its audio, run records and a
`cell.json` with its final loss, time and metrics under <output_dir>/cells/<cell>/;
a cell whose `cell.json` exists (same settings, pairs and metrics) is not recomputed,
so an interrupted sweep resumes. The table of all cells is written as sweep.csv and
sweep.md, with a heat-map (2+ axes) or line plot (1 axis) per plotted quantity.
"""
import dataclasses
import itertools
import json
import sys
from pathlib import Path

import numpy as np

from neural_style_audio import audio, config as config_lib
from neural_style_audio.evaluation import runner as evaluation

CELLS_DIR = "cells"
CELL_RESULT_NAME = "cell.json"
BASELINES_NAME = "baselines.json"  # The copy baselines' rows, reused by a resumed sweep.
TABLE_STEM = "sweep"
PRESET_AXIS = "preset"  # A grid axis over presets as well as over config fields.
RUN_COLUMNS = ("final_loss", "time_s")  # Per cell: mean over pairs of each.
_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


class SweepError(ValueError):
    """An invalid grid, cell or sweep directory; the message is one line for the CLI."""


@dataclasses.dataclass
class SweepResult:
    """What `run_sweep` did."""
    rows: list  # One dict per cell: cell, <axis>=value, n_pairs, final_loss, time_s, metrics.
    paths: dict  # Written files: csv, md, and one PNG per plotted quantity.
    n_computed: int  # Cells run now.
    n_resumed: int  # Cells read back from an earlier run.
    metric_names: list  # Metrics computed per cell.
    compilations: int = 0  # Value-and-gradient compilations, shared by cells of equal shapes.


def _field_types():
    types = {PRESET_AXIS: str}
    for name, group in config_lib.field_names().items():
        group_cls = config_lib.TransferConfig.__dataclass_fields__[group].default_factory
        types[name] = {f.name: f.type for f in dataclasses.fields(group_cls)}[name]
    return types


def _parse_value(name, text, kind):
    text = text.strip()
    try:
        if kind is bool:
            if text.lower() not in _TRUE + _FALSE:
                raise ValueError
            return text.lower() in _TRUE
        return kind(text)
    except ValueError:
        raise SweepError(f"--grid {name}: '{text}' is not a valid {kind.__name__}") from None


def parse_grid(specs):
    """Parses grid specifications 'name=v1,v2,...' into {name: [typed values]}.

    Args:
      specs: strings such as 'n_filters=128,256' (a TransferConfig field name, or
        'preset'); values are parsed with the field's type (int, float, bool, str).

    Returns:
      Dict axis name -> list of values, in the order given.

    Raises:
      SweepError: malformed spec, unknown name, bad or repeated value, repeated axis.
    """
    types = _field_types()
    grid = {}
    for spec in specs or []:
        name, sep, values = str(spec).partition("=")
        name = name.strip()
        if not sep or not name:
            raise SweepError(f"--grid '{spec}': expected name=value1,value2,...")
        if name not in types:
            raise SweepError(f"--grid '{spec}': unknown setting '{name}'")
        if name in grid:
            raise SweepError(f"--grid {name} is given twice")
        texts = [v for v in values.split(",") if v.strip()]
        if not texts:
            raise SweepError(f"--grid '{spec}': no values")
        parsed = [_parse_value(name, v, types[name]) for v in texts]
        if len(set(parsed)) != len(parsed):
            raise SweepError(f"--grid '{spec}': a value is repeated")
        grid[name] = parsed
    if not grid:
        raise SweepError("give at least one --grid name=value1,value2,...")
    return grid


def grid_cells(grid):
    """Every combination of the grid's values (the last axis varies fastest)."""
    names = list(grid)
    return [dict(zip(names, values)) for values in itertools.product(*grid.values())]


def format_value(value):
    """A grid value as text: 'true'/'false', repr of floats, str otherwise."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def cell_name(cell):
    """The directory name of a cell, e.g. 'n_filters=128__filter_width=5'."""
    return evaluation.safe_name("__".join(f"{k}={format_value(v)}" for k, v in cell.items()))


def cell_configs(grid, preset="ulyanov", overrides=None):
    """Validated (cell, name, TransferConfig) for every cell, before anything runs.

    Args:
      grid: from parse_grid.
      preset: the preset of cells that do not sweep 'preset'.
      overrides: flat settings common to every cell (None values ignored).

    Raises:
      SweepError: a setting is both fixed and swept, or a cell's settings are invalid.
    """
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    both = [name for name in grid if name in overrides]
    if both:
        raise SweepError(f"--{both[0]} is also swept by --grid; give it only once")
    planned = []
    for cell in grid_cells(grid):
        name = cell_name(cell)
        settings = dict(overrides, **{k: v for k, v in cell.items() if k != PRESET_AXIS})
        try:
            config = config_lib.resolve_config(cell.get(PRESET_AXIS, preset), **settings)
        except config_lib.ConfigError as err:
            raise SweepError(f"cell {name}: {err}") from None
        planned.append((cell, name, config))
    return planned


def pairs_from_paths(contents, styles, target=None):
    """Items for every content x style pair (a target only with a single pair)."""
    pairs = list(itertools.product(contents, styles))
    if target is not None and len(pairs) != 1:
        raise SweepError("--target needs exactly one --content and one --style")
    items, names = [], set()
    for index, (content, style) in enumerate(pairs):
        name = evaluation.safe_name(f"{Path(content).stem}__{Path(style).stem}")
        if name in names:
            name = f"{index:03d}_{name}"
        names.add(name)
        items.append(evaluation.Item(name=name, label=name, content=Path(content),
                                     style=Path(style),
                                     target=Path(target) if target is not None else None))
    return items


def _cell_summary(cell, name, pair_results, metric_names):
    row = dict(cell=name, **cell, n_pairs=len(pair_results))
    for column in list(RUN_COLUMNS) + list(metric_names):
        row[column] = evaluation.finite_mean(r.get(column) for r in pair_results)
    return row


def _reusable_cell(path, config_dict, pair_names, metric_names, overwrite):
    """The stored result of a cell if it can be reused; raises SweepError on other settings."""
    stored = evaluation.finished_record(path, config_dict, overwrite, error=SweepError)
    if stored is None:
        return None
    pairs = stored.get("pairs", [])
    if [p.get("pair") for p in pairs] != list(pair_names):
        return None  # Other pairs: the cell is redone.
    if any(m not in p for p in pairs for m in metric_names):
        return None
    return stored


def _min_samples(config):
    from neural_style_audio import networks  # TensorFlow: imported when a sweep runs.
    return max(networks.required_samples(config), evaluation.MIN_EVAL_SAMPLES)


def run_sweep(grid, pairs, output_dir, preset="ulyanov", overrides=None, metric_names=None,
              plot_metric="chroma_similarity", monophonic=True, plot=True, progress=True,
              overwrite=False, log=None):
    """Runs the transfer for every grid cell on every pair, with resume.

    Args:
      grid: {axis: [values]} from parse_grid.
      pairs: evaluation.Item list (content, style, optional target).
      output_dir: sweep directory.
      preset: preset of the cells (unless 'preset' is swept).
      overrides: flat settings shared by all cells.
      metric_names: metrics per cell (default: every metric the pairs allow; target
        metrics need a target for every pair).
      plot_metric: the metric (or final_loss/time_s) plotted besides final_loss.
      monophonic: include pitch_accuracy in the default metrics.
      plot: write each transfer's PNG figure too (the sweep plots are always written).
      progress: a bar over cells (the transfer's own bars follow config.run.progress).
      overwrite: recompute cells already done, even with other settings.
      log: callable for one-line messages (default: stderr).

    Returns:
      SweepResult.

    Raises:
      SweepError: invalid grid/cell/metric, or finished cells made with other settings.
      AudioInputError: a clip is bad or too short for some cell (before any run).
    """
    from tqdm import tqdm
    from neural_style_audio import methods
    from neural_style_audio.methods.optimisation import TransferCache
    from neural_style_audio.outputs import write_outputs
    log = log or (lambda message: print(message, file=sys.stderr))
    output_dir = Path(output_dir)
    has_target = all(p.target is not None for p in pairs)
    if metric_names is None:
        metric_names = evaluation.available_metrics(has_target, monophonic)
    unknown = [m for m in metric_names if m not in evaluation.METRIC_NAMES]
    if unknown:
        raise SweepError(f"unknown metric(s) {', '.join(unknown)}; "
                         f"choose from {', '.join(evaluation.METRIC_NAMES)}")
    needing = [m for m in metric_names if m in evaluation.TARGET_METRICS]
    if not has_target and needing:
        raise SweepError(f"{', '.join(needing)} need a target (--target) for every pair")
    if plot_metric not in list(metric_names) + list(RUN_COLUMNS):
        raise SweepError(f"--metric {plot_metric} is not computed; choose from "
                         f"{', '.join(list(metric_names) + list(RUN_COLUMNS))}")
    if not pairs:
        raise SweepError("no content/style pairs to run")
    planned = cell_configs(grid, preset, overrides)
    pair_names = [p.name for p in pairs]

    # Everything that can fail is checked before the first (long) transfer.
    stored = {}
    for cell, name, config in planned:
        path = output_dir / CELLS_DIR / name / CELL_RESULT_NAME
        stored[name] = _reusable_cell(path, dataclasses.asdict(config), pair_names,
                                      metric_names, overwrite)
    cache = evaluation.AudioCache()
    for cell, name, config in planned:
        if stored[name] is None:
            for pair in pairs:
                for path in (pair.content, pair.style, pair.target):
                    if path is not None:
                        cache.load(path, config.features.sr, _min_samples(config))

    # Loaded audio, networks, compiled functions and f0 tracks are shared by the cells.
    rows, n_computed, f0_cache, shared = [], 0, {}, TransferCache()
    bar = tqdm(planned, desc="sweep", unit="cell", disable=not progress)
    for cell, name, config in bar:
        bar.set_postfix_str(name[:40])
        if stored[name] is not None:
            rows.append(_cell_summary(cell, name, stored[name]["pairs"], metric_names))
            continue
        cell_dir = output_dir / CELLS_DIR / name
        sr, min_samples = config.features.sr, _min_samples(config)
        pair_results = []
        for pair in pairs:
            content = cache.load(pair.content, sr, min_samples)
            style = cache.load(pair.style, sr, min_samples)
            target = cache.load(pair.target, sr, min_samples) if pair.target else None
            result = methods.get(config.run.method).transfer(content, style, config,
                                                             cache=shared)
            result.record.update(content=str(pair.content), style=str(pair.style))
            wav = cell_dir / f"{pair.name}.wav"
            write_outputs(result, wav, plot=plot, overwrite=True)
            scores = evaluation.compute_metrics(result.audio, content, style, sr, target,
                                                names=metric_names, f0_cache=f0_cache)
            pair_results.append(dict(pair=pair.name, output=wav.name,
                                     final_loss=result.record.get("final_loss", float("nan")),
                                     time_s=result.record["timings"]["total_s"], **scores))
        summary = _cell_summary(cell, name, pair_results, metric_names)
        evaluation.write_json(cell_dir / CELL_RESULT_NAME, dict(
            cell=cell, name=name, preset=config.preset, config=dataclasses.asdict(config),
            pairs=pair_results, **{k: summary[k] for k in list(RUN_COLUMNS) + metric_names}))
        rows.append(summary)
        n_computed += 1
    # Every table carries "copy the content" and "copy the style", scored like the cells.
    baseline_sr = planned[0][2].features.sr
    baselines = evaluation.summarize(_baseline_rows(pairs, baseline_sr, metric_names, cache,
                                                    output_dir / BASELINES_NAME),
                                     evaluation.BASELINES)
    paths = write_sweep_table(rows, grid, metric_names, output_dir, plot_metric,
                              baselines=baselines, baseline_sr=baseline_sr)
    return SweepResult(rows=rows, paths=paths, n_computed=n_computed,
                       n_resumed=len(planned) - n_computed, metric_names=list(metric_names),
                       compilations=shared.n_traces)


def _file_stamp(path):
    """(path, size, mtime_ns) of a clip, or None: what makes stored baseline rows stale."""
    if path is None:
        return None
    stat = Path(path).stat()
    return [str(path), stat.st_size, stat.st_mtime_ns]


def _baseline_rows(pairs, sr, metric_names, cache, path):
    """The copy baselines' rows of `pairs`, reused from `path` when it was written for
    the same clips (paths, sizes, modification times), metrics and sample rate."""
    key = dict(sr=sr, metrics=list(metric_names),
               clips=[[_file_stamp(p) for p in (pair.content, pair.style, pair.target)]
                      for pair in pairs])
    if path.is_file():
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            stored = None
        if isinstance(stored, dict) and stored.get("key") == key:
            return stored["rows"]
    rows = evaluation.evaluate_baselines(pairs, sr=sr, names=metric_names, cache=cache)
    evaluation.write_json(path, dict(key=key, rows=rows))
    return rows


def table_columns(grid, metric_names):
    """Columns of the sweep table: cell, axes, n_pairs, final_loss, time_s, metrics."""
    return ["cell"] + list(grid) + ["n_pairs"] + list(RUN_COLUMNS) + list(metric_names)


def grid_values(rows, grid, column):
    """The `column` of the cell rows as an array shaped [len(axis) for axis in grid]."""
    shape = [len(values) for values in grid.values()]
    return np.array([row[column] for row in rows], dtype=float).reshape(shape)


def write_sweep_table(rows, grid, metric_names, output_dir, plot_metric=None,
                      baselines=(), baseline_sr=None):
    """Writes sweep.csv, sweep.md and the plots of final_loss and `plot_metric`.

    `baselines` (rows of `evaluation.summarize` for the copy baselines, scored at
    `baseline_sr` Hz) become a second table in sweep.md, beside the cells.

    Returns:
      dict kind -> path (csv, md, and 'png_<quantity>').
    """
    from neural_style_audio.evaluation import plots
    output_dir = Path(output_dir)
    columns = table_columns(grid, metric_names)
    headings = [evaluation.metric_heading(c) for c in columns]
    display = [dict(r, **{k: format_value(r[k]) for k in grid}) for r in rows]
    paths = dict(csv=evaluation.write_csv(display, output_dir / f"{TABLE_STEM}.csv", columns))
    axes_text = "; ".join(f"{k} = {', '.join(format_value(v) for v in vals)}"
                          for k, vals in grid.items())
    text = "\n\n".join([
        "# Sweep", f"Grid: {axes_text}. Values are means over the pairs of each cell; "
        "time_s is seconds per transfer. ↑ higher is better, ↓ lower is better.",
        evaluation.markdown_table(display, columns, headings)]
        + _baseline_section(baselines, metric_names, baseline_sr)) + "\n"
    with audio.atomic_output(output_dir / f"{TABLE_STEM}.md") as tmp:
        tmp.write_text(text, encoding="utf-8")
    paths["md"] = output_dir / f"{TABLE_STEM}.md"
    axes_values = [(k, [format_value(v) for v in vals]) for k, vals in grid.items()]
    for quantity in dict.fromkeys(["final_loss"] + ([plot_metric] if plot_metric else [])):
        png = output_dir / f"{TABLE_STEM}_{quantity}.png"
        with audio.atomic_output(png) as tmp:
            plots.grid_figure(axes_values, grid_values(rows, grid, quantity),
                              evaluation.metric_heading(quantity), tmp)
        paths[f"png_{quantity}"] = png
    return paths


def _baseline_section(baselines, metric_names, sr):
    """Markdown paragraphs with the copy baselines' means (empty without baselines)."""
    if not baselines:
        return []
    columns = ["system", "n_items"] + list(metric_names)
    headings = ["baseline", "n_pairs"] + [evaluation.metric_heading(m) for m in metric_names]
    return [f"Copy baselines (no transfer; the same pairs and metrics, scored at {sr} Hz):",
            evaluation.markdown_table(baselines, columns, headings)]
