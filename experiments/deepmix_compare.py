"""Sets the DeepMix report's published tables beside the ones this package reproduced.

    python experiments/deepmix_compare.py          # writes docs/results/deepmix_compare.md

Reads the published values (experiments/deepmix_published.json) and the reproduced
sweep tables: the sweep CSVs of experiments/reproduce_results.sh step 4 when they exist
under --sweeps_dir, otherwise experiments/deepmix_reproduced.json (transcribed from
docs/RESULTS.md section 6). The two final losses are on different, partly unknown
scales (the report does not state its normalisation), so only scale-free shapes are
compared: how the loss changes with the number of filters (ratio and log-log slope),
how flat it is across filter widths (coefficient of variation per row), how much
L-BFGS-B depends on the learning rate, and how the optimisers rank.
"""
import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
PUBLISHED_JSON = REPO / "experiments" / "deepmix_published.json"
REPRODUCED_JSON = REPO / "experiments" / "deepmix_reproduced.json"
SWEEPS_DIR = REPO / "outputs" / "results" / "sweeps"
# Sweep directories of experiments/reproduce_results.sh step 4, per table.
SWEEP_NAMES = {"one_layer": "filters_width", "two_layer": "two_layer_optimizers"}
OUTPUT_MD = REPO / "docs" / "results" / "deepmix_compare.md"

# Verdict thresholds (scale-free).
FLAT_CV = 0.3  # A row whose coefficient of variation is below this is "flat".
INSENSITIVE_RATIO = 1.5  # max/min across learning rates below this is "insensitive".
STUCK_RATIO = 1.5  # Losses at the two smallest rates this close: the optimiser barely moved.
STUCK_OVER_LBFGS = 100.0  # ... and this many times L-BFGS-B's loss.
OPTIMIZER_NAMES = {"rmsprop": "RMSprop", "adam": "Adam", "lbfgs": "L-BFGS-B"}


def load_json(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def table_from_sweep_csv(path, spec):
    """A [rows, columns] final-loss array from a sweep.csv laid out like `spec`."""
    with open(path, newline="", encoding="utf-8") as f:
        cells = list(csv.DictReader(f))
    lookup = {(c[spec["row_axis"]], c[spec["column_axis"]]): float(c["final_loss"])
              for c in cells}

    def key(value):  # The sweep writes grid values as sweep.format_value does.
        return repr(value) if isinstance(value, float) else str(value)
    return np.array([[lookup[(key(r), key(c))] for c in spec["columns"]]
                     for r in spec["rows"]])


def reproduced_tables(sweeps_dir):
    """(tables, where they came from): sweep CSVs when present, else the JSON transcription."""
    transcribed = load_json(REPRODUCED_JSON)
    tables, sources = {}, []
    for name, sweep in SWEEP_NAMES.items():
        path = Path(sweeps_dir) / sweep / "sweep.csv"
        if path.is_file():
            tables[name] = table_from_sweep_csv(path, transcribed[name])
            sources.append(f"`{path}`")
        else:
            tables[name] = np.array(transcribed[name]["final_loss"], dtype=float)
            sources.append(f"`{REPRODUCED_JSON.relative_to(REPO)}` ({name}: "
                           f"{sweep}/sweep.csv not found, transcribed from docs/RESULTS.md §6)")
    return tables, sources


def loglog_slope(x, y):
    """Least-squares slope of log(y) on log(x): the exponent k of y ~ x^k."""
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def coefficient_of_variation(values):
    """Population standard deviation / mean."""
    values = np.asarray(values, dtype=float)
    return float(np.std(values) / np.mean(values))


def ranks(values):
    """Ranks 1..n (1 = smallest); ties get the mean rank."""
    values = np.asarray(values, dtype=float)
    order = values.argsort()
    result = np.empty(len(values))
    result[order] = np.arange(1, len(values) + 1)
    for v in np.unique(values):
        tied = values == v
        result[tied] = result[tied].mean()
    return result


def spearman(a, b):
    """Spearman rank correlation (NaN if either side is constant)."""
    ra, rb = ranks(a), ranks(b)
    if np.std(ra) == 0 or np.std(rb) == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def fmt(value, digits=3):
    if isinstance(value, str):
        return value
    if value is None or np.isnan(value):
        return "–"
    return f"{value:.{digits}g}"


def md_table(headings, rows):
    lines = ["| " + " | ".join(headings) + " |", "|" + "|".join("---" for _ in headings) + "|"]
    lines += ["| " + " | ".join(fmt(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def one_layer_shapes(loss, n_filters, widths):
    """Scale-free shape numbers of a [n_filters, widths] final-loss table."""
    loss = np.asarray(loss, dtype=float)
    return dict(
        ratio_first_last=loss[0] / loss[-1],  # Per width: loss(128) / loss(4096).
        ratio_row_means=float(loss[0].mean() / loss[-1].mean()),
        slope=[loglog_slope(n_filters, loss[:, j]) for j in range(len(widths))],
        slope_row_means=loglog_slope(n_filters, loss.mean(axis=1)),
        cv_per_row=[coefficient_of_variation(row) for row in loss],
    )


def two_layer_shapes(loss, optimizers, rates):
    """Scale-free shape numbers of an [optimiser, learning rate] final-loss table."""
    loss = np.asarray(loss, dtype=float)
    lbfgs = loss[optimizers.index("lbfgs")]
    best = loss.min(axis=1)
    return dict(
        lbfgs_spread=float(lbfgs.max() / lbfgs.min()),
        lbfgs_cv=coefficient_of_variation(lbfgs),
        best_lr={o: rates[int(np.argmin(loss[i]))] for i, o in enumerate(optimizers)},
        lr_range={o: float(loss[i].max() / loss[i].min()) for i, o in enumerate(optimizers)},
        best_over_lbfgs={o: float(best[i] / lbfgs.min()) for i, o in enumerate(optimizers)},
        rank_best=[optimizers[i] for i in np.argsort(best)],
        rank_median=[optimizers[i] for i in np.argsort(np.median(loss, axis=1))],
        stuck_over_lbfgs={o: float(loss[i, -1] / np.median(lbfgs))
                          for i, o in enumerate(optimizers) if o != "lbfgs"},
        stuck=all(max(loss[i, -2:]) / min(loss[i, -2:]) < STUCK_RATIO
                  and min(loss[i, -2:]) >= STUCK_OVER_LBFGS * np.median(lbfgs)
                  for i, o in enumerate(optimizers) if o != "lbfgs"),
    )


def yes_no(flag):
    return "**yes**" if flag else "**no**"


def compare(published, reproduced, sources):
    """The Markdown comparison."""
    p1, r1 = published["one_layer"], reproduced["one_layer"]
    n_filters, widths = np.array(p1["rows"], float), p1["columns"]
    pub1 = one_layer_shapes(p1["final_loss"], n_filters, widths)
    rep1 = one_layer_shapes(r1, n_filters, widths)
    # Hypothesis: a loss averaged over the N^2 Gram entries instead of summed.
    p2 = published["two_layer"]
    optimizers, rates = p2["rows"], p2["columns"]
    pub2 = two_layer_shapes(p2["final_loss"], optimizers, rates)
    rep2 = two_layer_shapes(reproduced["two_layer"], optimizers, rates)
    width_agreement = [spearman(a, b) for a, b in zip(np.array(p1["final_loss"]), r1)]
    filters_agreement = [spearman(np.array(p1["final_loss"])[:, j], r1[:, j])
                         for j in range(len(widths))]
    names = [OPTIMIZER_NAMES.get(o, o) for o in optimizers]

    parts = [
        "# DeepMix tables: published vs reproduced",
        "Written by `python experiments/deepmix_compare.py`; do not edit by hand.",
        f"Published: `{PUBLISHED_JSON.relative_to(REPO)}` ({published['source']}). "
        f"Reproduced: {'; '.join(sources)}.",
        "The two final losses are on different scales: the report does not say how its loss "
        "is normalised, and ours (since the core v2 loss normalisation) is a mean over "
        "T x N activations (content) and N x N Gram entries (style), each divided by a "
        "constant of its own target, so neither term grows with N by construction. Only "
        "scale-free shapes are compared: ratios within a table, the "
        "exponent k of loss ∝ N^k (least-squares slope in log-log), the coefficient of "
        "variation (CV = std / mean) across a row, and rankings.",
        "## Table 1: 1-layer network, number of filters × filter width",
        "Final loss at 128 filters divided by the final loss at 4096 filters, per width "
        "(> 1: the loss falls with more filters), and the exponent k:",
        md_table(["width", "published 128/4096", "ours 128/4096", "published k", "ours k",
                  "Spearman(published, ours) over N"],
                 [[str(w), pub1["ratio_first_last"][j], rep1["ratio_first_last"][j],
                   pub1["slope"][j], rep1["slope"][j], filters_agreement[j]]
                  for j, w in enumerate(widths)]
                 + [["row means", pub1["ratio_row_means"], rep1["ratio_row_means"],
                     pub1["slope_row_means"], rep1["slope_row_means"], "–"]]),
        "Flatness across filter widths: CV of each row (0 = the same loss at every width), "
        "and whether the two tables order the widths alike (Spearman, −1…1):",
        md_table(["n_filters", "published CV", "ours CV", "Spearman(published, ours) over widths"],
                 [[str(int(n)), pub1["cv_per_row"][i], rep1["cv_per_row"][i],
                   width_agreement[i]] for i, n in enumerate(n_filters)]),
        "## Table 2: 2-layer network, optimiser × learning rate",
        md_table(["", "published", "ours"], [
            ["L-BFGS-B max/min over the learning rates", pub2["lbfgs_spread"],
             rep2["lbfgs_spread"]],
            ["L-BFGS-B CV over the learning rates", pub2["lbfgs_cv"], rep2["lbfgs_cv"]],
            *[[f"{n}: best learning rate", str(pub2["best_lr"][o]), str(rep2["best_lr"][o])]
              for o, n in zip(optimizers, names) if o != "lbfgs"],
            *[[f"{n}: max/min over the learning rates", pub2["lr_range"][o],
               rep2["lr_range"][o]] for o, n in zip(optimizers, names) if o != "lbfgs"],
            *[[f"{n}: best cell / best L-BFGS-B cell", pub2["best_over_lbfgs"][o],
               rep2["best_over_lbfgs"][o]] for o, n in zip(optimizers, names) if o != "lbfgs"],
            *[[f"{n} at lr {rates[-1]} / median L-BFGS-B", pub2["stuck_over_lbfgs"][o],
               rep2["stuck_over_lbfgs"][o]] for o, n in zip(optimizers, names) if o != "lbfgs"],
            ["rank by best cell (lowest loss first)",
             " < ".join(OPTIMIZER_NAMES[o] for o in pub2["rank_best"]),
             " < ".join(OPTIMIZER_NAMES[o] for o in rep2["rank_best"])],
            ["rank by median over the learning rates",
             " < ".join(OPTIMIZER_NAMES[o] for o in pub2["rank_median"]),
             " < ".join(OPTIMIZER_NAMES[o] for o in rep2["rank_median"])],
        ]),
        "## Agreement",
        md_table(["shape", "published", "ours", "agree?"], [
            ["loss falls as the number of filters grows",
             f"{pub1['ratio_row_means']:.0f}× lower at 4096 (k = {pub1['slope_row_means']:.2f})",
             (f"{rep1['ratio_row_means']:.2f}× lower at 4096 " if rep1["ratio_row_means"] >= 1
              else f"{1 / rep1['ratio_row_means']:.2f}× higher at 4096 ")
             + f"(k = {rep1['slope_row_means']:.2f})",
             yes_no(np.sign(pub1["slope_row_means"]) == np.sign(rep1["slope_row_means"]))],
            ["flat across filter widths (every row CV < "
             f"{FLAT_CV})", f"CV {min(pub1['cv_per_row']):.2f}–{max(pub1['cv_per_row']):.2f}",
             f"CV {min(rep1['cv_per_row']):.2f}–{max(rep1['cv_per_row']):.2f}",
             yes_no(max(pub1["cv_per_row"]) < FLAT_CV and max(rep1["cv_per_row"]) < FLAT_CV)],
            ["L-BFGS-B insensitive to the learning rate (max/min < "
             f"{INSENSITIVE_RATIO})", f"{pub2['lbfgs_spread']:.2f}",
             f"{rep2['lbfgs_spread']:.2f} (one run: it has no learning rate)",
             yes_no(pub2["lbfgs_spread"] < INSENSITIVE_RATIO
                    and rep2["lbfgs_spread"] < INSENSITIVE_RATIO)],
            ["L-BFGS-B has the lowest median loss over the learning rates",
             " < ".join(OPTIMIZER_NAMES[o] for o in pub2["rank_median"]),
             " < ".join(OPTIMIZER_NAMES[o] for o in rep2["rank_median"]),
             yes_no(pub2["rank_median"][0] == rep2["rank_median"][0] == "lbfgs")],
            ["L-BFGS-B has the lowest single cell",
             " < ".join(OPTIMIZER_NAMES[o] for o in pub2["rank_best"]),
             " < ".join(OPTIMIZER_NAMES[o] for o in rep2["rank_best"]),
             yes_no(pub2["rank_best"][0] == rep2["rank_best"][0] == "lbfgs")],
            ["first-order optimisers plateau far above L-BFGS-B at lr ≤ 1e-3 (the two smallest "
             f"rates within {STUCK_RATIO}× of each other and ≥ {STUCK_OVER_LBFGS:.0f}× "
             "L-BFGS-B)",
             ", ".join(f"{OPTIMIZER_NAMES[o]} {pub2['stuck_over_lbfgs'][o]:.0f}×"
                       for o in pub2["stuck_over_lbfgs"]),
             ", ".join(f"{OPTIMIZER_NAMES[o]} {rep2['stuck_over_lbfgs'][o]:.0f}×"
                       for o in rep2["stuck_over_lbfgs"]),
             yes_no(pub2["stuck"] and rep2["stuck"])],
        ]),
        f"A loss normalised by N^m would change k by −m: the two exponents differ by "
        f"{rep1['slope_row_means'] - pub1['slope_row_means']:.2f}. Our terms are means "
        "normalised by their targets, so what is left of the trend is how much better more "
        "random filters let the optimisation match both targets in 50 iterations. The "
        "report's steeper fall would match a loss equal to ours divided by about "
        f"N^{rep1['slope_row_means'] - pub1['slope_row_means']:.1f} (a guess: the report "
        "does not state its normalisation).",
    ]
    return "\n\n".join(parts) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweeps_dir", default=str(SWEEPS_DIR),
                        help="directory of the reproduce_results.sh sweeps "
                             "(filters_width/, two_layer_optimizers/)")
    parser.add_argument("--output", default=str(OUTPUT_MD), help="Markdown file to write")
    args = parser.parse_args(argv)
    published = load_json(PUBLISHED_JSON)
    tables, sources = reproduced_tables(args.sweeps_dir)
    text = compare(published, tables, sources)
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    print(text)
    print(f"wrote {output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
