"""README figure: the source-filter default on one development-set triplet.

    python experiments/default_result_figure.py                 # after devset_table.py
    python experiments/default_result_figure.py --item fluidr3_003

Draws the log spectrograms of the content (melody M1 on instrument A), the style
(melody M2 on instrument B), the output of `--preset source_filter` and the target
(M1 on B) of one triplet of the development split, from the outputs that
experiments/devset_table.py kept under outputs/devset/runs/source_filter/, and prints
the triplet's metrics (for the caption). Without --item it takes the triplet whose
floored LSD, relative to that of copying the content, is the median of the split (a
typical result, not the best one).
Writes docs/images/default_result.png.
"""
import json
import sys
from pathlib import Path

import librosa
import numpy as np
from absl import app, flags
from matplotlib.figure import Figure

REPO = Path(__file__).resolve().parents[1]
SR, N_FFT, HOP = 22050, 2048, 512
MAX_KHZ = 8.0  # Upper edge of the plotted band (the partials that carry the timbre).

FLAGS = flags.FLAGS
flags.DEFINE_string("devset_dir", str(REPO / "outputs" / "devset"), "Rendered set and runs/.")
flags.DEFINE_string("system", "source_filter", "System whose output is drawn.")
flags.DEFINE_string("item", None, "Triplet name (e.g. fluidr3_003); default: the median "
                    "floored LSD relative to copy content, development split.")
flags.DEFINE_string("output", str(REPO / "docs" / "images" / "default_result.png"), "PNG.")


def dev_items(devset_dir):
    """name -> manifest entry (absolute paths) of the development split."""
    items = {}
    for manifest in sorted(devset_dir.glob("*/manifest.json")):
        for entry in json.loads(manifest.read_text()):
            if entry.get("split") == "dev":
                name = f"{manifest.parent.name}_{entry['id']:03d}"
                items[name] = dict(entry, **{r: str(manifest.parent / entry[r])
                                             for r in ("content", "style", "target")})
    return items


def median_item(records, devset_dir):
    """The name of the record whose floored LSD relative to the copy-content baseline's
    is the (lower) median of the split."""
    ranked = sorted(records, key=lambda n: records[n]["floored_log_spectral_distance"]
                    / copy_content_lsd(devset_dir, n))
    return ranked[(len(ranked) - 1) // 2]


def spectrogram_db(y):
    mag = np.abs(librosa.stft(np.asarray(y, np.float32), n_fft=N_FFT, hop_length=HOP))
    return librosa.amplitude_to_db(mag, ref=np.max, top_db=80.0)


def main(argv):
    del argv
    devset_dir = Path(FLAGS.devset_dir)
    runs = devset_dir / "runs" / FLAGS.system
    items = dev_items(devset_dir)
    records = {p.stem: json.loads(p.read_text())["row"] for p in sorted(runs.glob("*.json"))
               if p.stem in items and p.with_suffix(".wav").is_file()}
    if not records:
        print(f"error: no dev-split outputs under {runs} (run experiments/devset_table.py "
              "first)", file=sys.stderr)
        return 2
    name = FLAGS.item or median_item(records, devset_dir)
    if name not in records:
        print(f"error: --item {name}: no output of {FLAGS.system} for it", file=sys.stderr)
        return 2
    item, row = items[name], records[name]
    clips = {role: librosa.load(item[role], sr=SR)[0] for role in ("content", "style", "target")}
    clips["output"] = librosa.load(runs / f"{name}.wav", sr=SR)[0]
    m1, m2 = (item["content_melody"].replace("_", " "), item["style_melody"].replace("_", " "))
    a, b = item["content_instrument"].replace("_", " "), item["style_instrument"].replace("_", " ")
    titles = {"content": f"content: {m1} on {a}", "style": f"style: {m2} on {b}",
              "output": f"output of --preset {FLAGS.system}",
              "target": f"target: {m1} on {b} (not seen by the method)"}
    fig = Figure(figsize=(12, 6.5), layout="constrained")
    axes = fig.subplots(2, 2, sharex=True, sharey=True)
    for ax, role in zip(axes.flat, ("content", "style", "output", "target")):
        db = spectrogram_db(clips[role])
        seconds = db.shape[1] * HOP / SR
        image = ax.imshow(db, origin="lower", aspect="auto", cmap="magma", vmin=-80, vmax=0,
                          extent=[0, seconds, 0, SR / 2000])
        ax.set_ylim(0, MAX_KHZ)
        ax.set_title(titles[role])
        ax.set_xlabel("time (s)")
        ax.set_ylabel("frequency (kHz)")
    fig.colorbar(image, ax=axes, label="dB re the clip's maximum", shrink=0.8)
    fig.suptitle(f"{name}: floored LSD {row['floored_log_spectral_distance']:.2f} dB "
                 f"(copy content {copy_content_lsd(devset_dir, name):.2f}), "
                 f"octave-forgiving pitch accuracy {row['octave_forgiving_pitch_accuracy']:.2f}, "
                 f"timbre closer to target: {'yes' if row['timbre_accuracy'] else 'no'}")
    Path(FLAGS.output).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(FLAGS.output, dpi=80, format="png")
    keys = ("content_melody", "style_melody", "content_instrument", "style_instrument",
            "content_transpose", "style_transpose", "soundfont")
    summary = dict(row, **{k: item.get(k) for k in keys},
                   copy_content_floored_lsd=copy_content_lsd(devset_dir, name))
    print(json.dumps(summary, indent=1, default=str))
    print(f"wrote {FLAGS.output}", file=sys.stderr)
    return 0


def copy_content_lsd(devset_dir, name):
    """The copy-content baseline's floored LSD on the triplet (devset_table.py's record)."""
    path = devset_dir / "runs" / "baselines" / f"{name}.json"
    if not path.is_file():
        return float("nan")
    rows = {r["system"]: r for r in json.loads(path.read_text())}
    return rows["copy_content"]["floored_log_spectral_distance"]


if __name__ == "__main__":
    app.run(main)
