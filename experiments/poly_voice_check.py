"""What the default (source-filter) method does with polyphonic music and speech.

    flock /tmp/coord/heavy.lock .venv/bin/python experiments/poly_voice_check.py

Runs `--preset source_filter` on the polyphonic and voice clips of ../shared/audio/dev
(see its manifest.json): each as the content, with a monophonic violin and a clarinet
melody as the style; and each as the style, with the piano melody as the content.
There is no target here, so it reports what can be measured without one, beside the
copy baselines: chroma similarity to the content (how much of the content's pitch
content survives), the MFCC-statistics distance to the style clip (how close the
timbre statistics come; this also rewards copying the style's notes), pYIN pitch
accuracy against the content (voice only), the notes found and the share of the
content's sounding frames that the output plays. Writes docs/results/poly_voice.md.
"""
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "audio" / "dev"
STYLES = ("mono/melody_ode_to_joy_violin.flac", "mono/melody_ode_to_joy_clarinet.flac")
CONTENT_FOR_STYLES = "mono/melody_ode_to_joy_piano.flac"
SR = 22050


def sounding_frames(y, hop=512, top_db=40.0):
    import librosa
    rms = librosa.feature.rms(y=y, hop_length=hop)[0]
    return 20 * np.log10(np.maximum(rms, 1e-10)) > 20 * np.log10(rms.max()) - top_db


def run(content_path, style_path, config, monophonic_content):
    from neural_style_audio import AudioInputError, audio, transfer
    from neural_style_audio.evaluation import runner
    content, style = audio.load_audio(content_path, SR), audio.load_audio(style_path, SR)
    names = ["chroma_similarity", "mfcc_stats_distance"]
    if monophonic_content:
        names.append("pitch_accuracy")
    row = dict(content=str(content_path.relative_to(SHARED)),
               style=str(style_path.relative_to(SHARED)))
    started = time.perf_counter()
    try:
        result = transfer(content, style, config)
    except AudioInputError as err:
        row.update(error=str(err).split(": ", 1)[-1], seconds=time.perf_counter() - started)
        return row
    row["seconds"] = time.perf_counter() - started
    out = result.audio
    row["notes"] = len(result.record["content_notes"])
    row["style_notes"] = len(result.record["style_notes"])
    played, sounding = sounding_frames(out), sounding_frames(content)
    n = min(len(played), len(sounding))
    row["played_share"] = float(np.mean(played[:n][sounding[:n]]))
    row.update({f"out_{k}": v for k, v in runner.compute_metrics(
        out, content, style, SR, names=names).items()})
    copy_style = runner.fit_length(style, len(content))
    for label, y in (("copy_content", content), ("copy_style", copy_style)):
        row.update({f"{label}_{k}": v for k, v in runner.compute_metrics(
            y, content, style, SR, names=names).items()})
    return row


def fmt(value, digits=2):
    return "–" if value is None or (isinstance(value, float) and np.isnan(value)) \
        else f"{value:.{digits}f}"


def table(rows, with_pitch):
    head = ["content", "style", "notes found", "sounding frames played",
            "chroma vs content: output / copy style", "MFCC dist. to style: output / "
            "copy content", "s"]
    if with_pitch:
        head.insert(5, "pitch acc. vs content: output / copy style")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        if "error" in r:
            cells = [r["content"], r["style"], f"refused: {r['error']}"] + ["–"] * (len(head) - 4) \
                + [fmt(r["seconds"], 1)]
        else:
            cells = [r["content"], r["style"], f"{r['notes']} (style {r['style_notes']})",
                     fmt(r["played_share"]),
                     f"{fmt(r['out_chroma_similarity'])} / {fmt(r['copy_style_chroma_similarity'])}",
                     f"{fmt(r['out_mfcc_stats_distance'], 0)} / "
                     f"{fmt(r['copy_content_mfcc_stats_distance'], 0)}", fmt(r["seconds"], 1)]
            if with_pitch:
                cells.insert(5, f"{fmt(r.get('out_pitch_accuracy'))} / "
                                f"{fmt(r.get('copy_style_pitch_accuracy'))}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main():
    from neural_style_audio.config import resolve_config
    from neural_style_audio.quiet import import_tensorflow_quietly
    import_tensorflow_quietly()
    manifest = json.loads((SHARED / "manifest.json").read_text())
    clips = {kind: [SHARED / e["file"] for e in manifest if e["kind"] == kind]
             for kind in ("poly", "voice")}
    config = resolve_config("source_filter", progress=False)
    sections = ["# The default (source-filter) method on polyphonic music and speech",
                "Command: `python experiments/poly_voice_check.py`; clips from "
                "`../shared/audio/dev` (not shippable, not in the repository). No target "
                "exists for these pairs; see the script's docstring for what each column "
                "measures."]
    for kind, with_pitch in (("poly", False), ("voice", True)):
        rows = [run(c, SHARED / s, config, with_pitch) for c in clips[kind] for s in STYLES]
        sections += [f"## {kind} clips as the content", table(rows, with_pitch)]
        print(json.dumps(rows, default=float), file=sys.stderr)
    rows = [run(SHARED / CONTENT_FOR_STYLES, s, config, True)
            for kind in ("poly", "voice") for s in clips[kind]]
    sections += ["## poly and voice clips as the style (content: the piano melody)",
                 table(rows, True)]
    print(json.dumps(rows, default=float), file=sys.stderr)
    path = REPO / "docs" / "results" / "poly_voice.md"
    path.write_text("\n\n".join(sections) + "\n", encoding="utf-8")
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
