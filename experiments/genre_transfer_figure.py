"""Figure of the genre-transfer table (docs/RESULTS.md section 9): the judge's P(style
genre) of every pair before and after each method, and the chroma kept.

    python experiments/genre_transfer_figure.py     # reads docs/results/genre_transfer.json

Writes docs/images/genre_transfer.png. Reads only the JSON that
experiments/genre_transfer_table.py writes (no audio, no TensorFlow).
"""
import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default=str(REPO / "docs/results/genre_transfer.json"))
    parser.add_argument("--output", default=str(REPO / "docs/images/genre_transfer.png"))
    args = parser.parse_args(argv)
    try:
        data = json.loads(Path(args.results).read_text())
        rows = data["rows"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        print(f"error: --results {args.results}: not a genre_transfer_table JSON ({err})",
              file=sys.stderr)
        return 2
    import matplotlib
    matplotlib.use("Agg")  # In this script only: the library never sets a backend.
    import matplotlib.pyplot as plt
    methods = list(dict.fromkeys(r["method"] for r in rows))
    pairs = list(dict.fromkeys(r["pair"] for r in rows))
    fig, (ax_p, ax_c) = plt.subplots(1, 2, figsize=(12, 0.45 * len(methods) + 1.5),
                                     sharey=True, gridspec_kw=dict(width_ratios=[2, 1]))
    markers = "osD^v<>"
    for j, pair in enumerate(pairs):
        for i, method in enumerate(methods):
            row = next((r for r in rows if r["method"] == method and r["pair"] == pair), None)
            if row is None:
                continue
            y = i + (j - (len(pairs) - 1) / 2) * 0.2
            ax_p.plot([row["p_style_before"], row["p_style_after"]], [y, y], color="0.7", lw=1)
            ax_p.plot(row["p_style_after"], y, markers[j % len(markers)], color=f"C{j}",
                      label=pair if i == 0 else None)
            ax_c.plot(row["chroma_similarity"], y, markers[j % len(markers)], color=f"C{j}")
    ax_p.axvline(0.5, color="0.5", ls=":", lw=1)
    ax_p.set_yticks(range(len(methods)), methods)
    ax_p.invert_yaxis()
    ax_p.set_xlim(0, 1)
    ax_p.set_xlabel("judge's P(style genre): grey line from the content clip's, marker after")
    ax_c.set_xlabel("chroma similarity to the content")
    ax_p.legend(loc="lower right", fontsize=8)
    command = str(data.get("command", ""))
    judge = (command.split("--judge_dir=", 1)[1].split()[0].rstrip("/").rsplit("/", 1)[-1]
             if "--judge_dir=" in command else "the judge")
    fig.suptitle(f"Genre transfer, judged by {judge}")
    fig.tight_layout()
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.output, dpi=110)
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
