"""An offline HTML page for a run set: spectrograms, audio players and metrics per item.

    build_report("outputs/runs/manifest.json", "outputs/runs/evaluation/evaluation.csv")

The page uses no network resource: spectrogram PNGs are written beside it in
<page>_files/, audio players and images use relative links (URL-quoted), and every
text from the manifest or the CSV is HTML-escaped.
"""
import html
import math
from pathlib import Path
from urllib.parse import quote

from neural_style_audio import audio
from neural_style_audio.evaluation import runner as evaluation

ROLES = ("content", "style", "output", "target")
REPORT_NAME = "report.html"
# Spectrograms are drawn at this rate (clips are resampled); the metrics' rate.
DISPLAY_SR = 22050
AUDIO_TYPES = {".wav": "audio/wav", ".flac": "audio/flac", ".ogg": "audio/ogg",
               ".mp3": "audio/mpeg"}
# Fields of make_pairs/run_pairs entries that are paths or shown elsewhere.
_HIDDEN_FIELDS = set(ROLES) | {"name", "record"}

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
td.best { font-weight: bold; }
.clips { display: flex; flex-wrap: wrap; gap: 1em; }
figure { margin: 0; width: 340px; }
figure img { width: 100%; border: 1px solid #ddd; }
figure audio { width: 100%; }
figcaption { font-weight: bold; margin-bottom: 0.2em; }
.fields { color: #555; font-size: 0.9em; }
.missing { color: #a00; }
"""


def _e(text):
    return html.escape(str(text), quote=True)


def href(path, page_dir):
    """A relative, URL-quoted, HTML-escaped link from `page_dir` to `path`."""
    return _e(quote(evaluation.relative_path(path, page_dir)))


def _table(rows, columns, best=None):
    """An HTML table of row dicts; `best` is a set of (row index, column) cells in bold."""
    head = "".join(f"<th>{_e(evaluation.metric_heading(c))}</th>" for c in columns)
    body = []
    for i, row in enumerate(rows):
        cells = []
        for column in columns:
            attribute = ' class="best"' if best and (i, column) in best else ""
            cells.append(f"<td{attribute}>{_e(evaluation.format_value(row.get(column)))}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _fields_text(item):
    shown = [(k, v) for k, v in item.fields.items()
             if k not in _HIDDEN_FIELDS and isinstance(v, (str, int, float, bool))]
    return ", ".join(f"{k}: {v}" for k, v in shown)


def _clip_figure(item, role, assets_dir, page_dir, cache, sr):
    """One clip: its spectrogram (written to assets_dir) and an audio player."""
    from neural_style_audio.evaluation import plots  # Imported lazily: it imports TensorFlow.
    path = getattr(item, role)
    png = assets_dir / f"{item.name}_{role}.png"
    y = cache.load(path, sr)
    with audio.atomic_output(png) as tmp:
        plots.spectrogram_image(y, sr, tmp, title=role)
    kind = AUDIO_TYPES.get(path.suffix.lower(), "")
    type_attr = f' type="{kind}"' if kind else ""
    return (f"<figure><figcaption>{_e(role)}</figcaption>"
            f'<img src="{href(png, page_dir)}" alt="{_e(role)} spectrogram of '
            f'{_e(item.label)}">'
            f'<audio controls preload="none"><source src="{href(path, page_dir)}"{type_attr}>'
            f"</audio><div class=\"fields\">{_e(path.name)}</div></figure>")


def build_report(manifest_path, evaluation_csv=None, output_path=None, title=None,
                 sr=DISPLAY_SR, progress=False):
    """Writes the HTML report of a run set and its spectrogram images.

    Args:
      manifest_path: a manifest whose items have content, style, output (and
        optionally target), e.g. written by scripts/run_pairs.py.
      evaluation_csv: the evaluation CSV of that manifest (scripts/evaluate.py), or
        None for a page without metrics.
      output_path: the HTML file (default: report.html beside the manifest).
      title: page title (default: from the manifest path).
      sr: rate at which spectrograms are drawn, Hz.
      progress: show a bar over items.

    Returns:
      Path of the HTML file.

    Raises:
      ManifestError: malformed manifest or CSV.
      AudioInputError: a clip is missing or unreadable.
    """
    from tqdm import tqdm
    manifest_path = Path(manifest_path)
    items = evaluation.load_manifest(manifest_path, required=("content", "style", "output"))
    output_path = Path(output_path) if output_path else manifest_path.parent / REPORT_NAME
    page_dir = output_path.parent
    assets_dir = page_dir / f"{output_path.stem}_files"
    rows = []
    if evaluation_csv is not None:
        evaluation_csv = Path(evaluation_csv)
        if not evaluation_csv.is_file():
            raise evaluation.ManifestError(f"{evaluation_csv}: evaluation CSV not found")
        rows = evaluation.read_csv(evaluation_csv)
        if rows and not {"item", "system"} <= set(rows[0]):
            raise evaluation.ManifestError(
                f"{evaluation_csv}: not an evaluation CSV (needs item and system columns)")
    metric_names = evaluation.metric_columns(rows)
    title = title or f"Style transfer: {manifest_path}"

    cache = evaluation.AudioCache()
    for item in items:  # Fail on a bad clip before writing anything.
        for role in ROLES:
            if getattr(item, role) is not None:
                cache.load(getattr(item, role), sr)

    parts = [f"<h1>{_e(title)}</h1>",
             f"<p class=\"fields\">{len(items)} items; manifest "
             f"<a href=\"{href(manifest_path, page_dir)}\">{_e(manifest_path.name)}</a>"]
    if evaluation_csv is not None:
        parts[-1] += (f"; metrics <a href=\"{href(evaluation_csv, page_dir)}\">"
                      f"{_e(evaluation_csv.name)}</a>")
    parts[-1] += ".</p>"
    if rows:
        summary = evaluation.summarize(rows)
        parts += ["<h2>Means per system</h2>",
                  "<p class=\"fields\">output = the style transfer; copy_content / "
                  "copy_style = the content / style clip itself as the output. "
                  "↑ higher is better, ↓ lower is better; best in bold.</p>",
                  _table(summary, ["system", "n_items"] + metric_names,
                         evaluation.best_cells(summary, metric_names))]
        figure = evaluation_csv.with_suffix(".png")
        if figure.is_file():
            parts.append(f'<p><img src="{href(figure, page_dir)}" alt="metric distributions" '
                         'style="max-width: 100%"></p>')
    known = {item.name for item in items}
    orphans = sorted({str(r["item"]) for r in rows} - known)
    if orphans:
        parts.append(f"<p class=\"missing\">{len(orphans)} CSV item(s) not in the manifest: "
                     f"{_e(', '.join(orphans[:5]))}</p>")

    for item in tqdm(items, desc="report", unit="item", disable=not progress):
        parts.append(f'<h2 id="{_e(item.name)}">{_e(item.name)}</h2>')
        fields = _fields_text(item)
        if fields:
            parts.append(f'<p class="fields">{_e(fields)}</p>')
        figures = [_clip_figure(item, role, assets_dir, page_dir, cache, sr)
                   for role in ROLES if getattr(item, role) is not None]
        parts.append(f'<div class="clips">{"".join(figures)}</div>')
        item_rows = [r for r in rows if str(r["item"]) == item.name]
        if item_rows:
            finite = [m for m in metric_names
                      if any(r.get(m) is not None and not math.isnan(r[m]) for r in item_rows)]
            parts.append(_table(item_rows, ["system"] + finite,
                                evaluation.best_cells(item_rows, finite)))
        elif rows:
            parts.append('<p class="missing">No metrics for this item in the CSV.</p>')

    page = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>\n"
            + "\n".join(parts) + "\n</body></html>\n")
    with audio.atomic_output(output_path) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return output_path
