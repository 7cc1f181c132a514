"""What the source-filter method (and the old default) do with polyphonic music and speech.

    flock /tmp/coord/heavy.lock .venv/bin/python experiments/poly_voice_check.py
    python experiments/poly_voice_check.py --contents poly/boogie_piano_boogi_marabi.flac \
        --styles mono/melody_ode_to_joy_violin.flac --old_default_contents= --noas_style

Runs `--preset source_filter` on the polyphonic and voice clips of ../shared/audio/dev
(see its manifest.json): each as the content, with a monophonic violin and a clarinet
melody as the style; and each as the style, with the piano melody as the content.
For comparison the default before issue 11 (`--preset ulyanov` at its full settings)
runs on a stated subset (--old_default_contents, violin style); it took 594 s for one
10-s pair on the 2-core AMD EPYC, so it is usually left out (--old_default_contents=).
--contents, --styles and --noas_style run a stated subset. There is no target here, so
it reports what can be measured without one,
beside the copy baselines: chroma similarity to the content (how much of the
content's pitch content survives), the MFCC-statistics distance to the style clip (how
close the timbre statistics come; this also rewards copying the style's notes), pYIN
pitch accuracy against the content (voice only), the notes found, the share of the
content's sounding frames that the output plays, and listen-free spectral statistics
(spectral centroid and flatness over the sounding frames) of content, style and output.
Writes docs/results/poly_voice.md.
"""
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from absl import app, flags  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "audio" / "dev"
STYLES = ("mono/melody_ode_to_joy_violin.flac", "mono/melody_ode_to_joy_clarinet.flac")
CONTENT_FOR_STYLES = "mono/melody_ode_to_joy_piano.flac"
# The old default is slow: two polyphonic and two voice contents, violin style only.
OLD_DEFAULT = "ulyanov"
OLD_DEFAULT_CONTENTS = ("poly/boogie_piano_boogi_marabi.flac", "poly/rock_ballad_feelings.flac",
                        "voice/speech_librivox_0870.flac", "voice/speech_espeak_fox.flac")
SR = 22050

FLAGS = flags.FLAGS
flags.DEFINE_list("contents", None, "Content clips (paths under ../shared/audio/dev); "
                  "default: every poly and voice clip of its manifest.")
flags.DEFINE_list("styles", list(STYLES), "Monophonic style clips for those contents.")
flags.DEFINE_list("old_default_contents", list(OLD_DEFAULT_CONTENTS),
                  f"Contents also run with `{OLD_DEFAULT}` at full settings (violin style).")
flags.DEFINE_bool("as_style", True, "Also use every poly and voice clip as the style of "
                  "the piano melody.")


def sounding_frames(y, hop=512, top_db=40.0):
    import librosa
    rms = librosa.feature.rms(y=y, hop_length=hop)[0]
    return 20 * np.log10(np.maximum(rms, 1e-10)) > 20 * np.log10(rms.max()) - top_db


def spectral_shape(y):
    """Mean spectral centroid (Hz) and flatness over the frames within 40 dB of the
    loudest: where the energy sits, and how noise-like (1) or tonal (0) the sound is."""
    import librosa
    sounding = sounding_frames(y)
    centroid = librosa.feature.spectral_centroid(y=y, sr=SR, hop_length=512)[0]
    flatness = librosa.feature.spectral_flatness(y=y, hop_length=512)[0]
    n = min(len(sounding), len(centroid))
    keep = sounding[:n]
    return float(np.mean(centroid[:n][keep])), float(np.mean(flatness[:n][keep]))


def run(content_path, style_path, config, monophonic_content, system):
    from neural_style_audio import AudioInputError, audio, methods
    from neural_style_audio.evaluation import runner
    content, style = audio.load_audio(content_path, SR), audio.load_audio(style_path, SR)
    names = ["chroma_similarity", "mfcc_stats_distance"]
    if monophonic_content:
        names.append("pitch_accuracy")
    row = dict(system=system, content=str(content_path.relative_to(SHARED)),
               style=str(style_path.relative_to(SHARED)))
    started = time.perf_counter()
    try:
        result = methods.get(config.run.method).transfer(content, style, config)
    except AudioInputError as err:
        row.update(error=str(err).split(": ", 1)[-1], seconds=time.perf_counter() - started)
        return row
    row["seconds"] = time.perf_counter() - started
    out = result.audio if result.sr == SR else audio.resample(result.audio, result.sr, SR)
    out = runner.fit_length(out, len(content))
    row["notes"] = len(result.record.get("content_notes", [])) if "content_notes" in \
        result.record else None
    row["style_notes"] = len(result.record["style_notes"]) if "style_notes" in \
        result.record else None
    played, sounding = sounding_frames(out), sounding_frames(content)
    n = min(len(played), len(sounding))
    row["played_share"] = float(np.mean(played[:n][sounding[:n]]))
    for label, y in (("content", content), ("style", style), ("out", out)):
        row[f"{label}_centroid"], row[f"{label}_flatness"] = spectral_shape(y)
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
    head = ["system", "content", "style", "notes found (style)", "sounding frames played",
            "chroma vs content: output / copy style",
            "MFCC dist. to style: output / copy content",
            "centroid Hz: content / style / output", "flatness: content / style / output",
            "s"]
    if with_pitch:
        head.insert(6, "pitch acc. vs content: output / copy style")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        if "error" in r:
            cells = [r["system"], r["content"], r["style"], f"refused: {r['error']}"] \
                + ["–"] * (len(head) - 5) + [fmt(r["seconds"], 1)]
        else:
            notes = "–" if r["notes"] is None else f"{r['notes']} ({r['style_notes']})"
            cells = [r["system"], r["content"], r["style"], notes, fmt(r["played_share"]),
                     f"{fmt(r['out_chroma_similarity'])} / "
                     f"{fmt(r['copy_style_chroma_similarity'])}",
                     f"{fmt(r['out_mfcc_stats_distance'], 0)} / "
                     f"{fmt(r['copy_content_mfcc_stats_distance'], 0)}",
                     " / ".join(fmt(r[f"{k}_centroid"], 0) for k in ("content", "style", "out")),
                     " / ".join(fmt(r[f"{k}_flatness"], 3) for k in ("content", "style", "out")),
                     fmt(r["seconds"], 1)]
            if with_pitch:
                cells.insert(6, f"{fmt(r.get('out_pitch_accuracy'))} / "
                                f"{fmt(r.get('copy_style_pitch_accuracy'))}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv):
    del argv
    from neural_style_audio.config import resolve_config
    from neural_style_audio.quiet import import_tensorflow_quietly
    import_tensorflow_quietly()
    manifest = json.loads((SHARED / "manifest.json").read_text())
    kinds = {e["file"]: e["kind"] for e in manifest}
    chosen = FLAGS.contents or [f for f, k in kinds.items() if k in ("poly", "voice")]
    unknown = [c for c in chosen + FLAGS.styles if c not in kinds]
    if unknown:
        print(f"error: --contents/--styles: not in {SHARED / 'manifest.json'}: "
              f"{', '.join(unknown)}", file=sys.stderr)
        return 2
    config = resolve_config("source_filter", progress=False)
    old_config = resolve_config(OLD_DEFAULT, progress=False)
    subset = "" if FLAGS.contents is None and FLAGS.as_style else (
        f" Stated subset: contents {', '.join(chosen)}; styles {', '.join(FLAGS.styles)}"
        + ("" if FLAGS.as_style else "; the clips were not used as styles") + ".")
    sections = ["# The source-filter method on polyphonic music and speech",
                "Command: `python experiments/poly_voice_check.py "
                + " ".join(a for a in sys.argv[1:]) + "`; clips from "
                "`../shared/audio/dev` (not shippable, not in the repository). No target "
                "exists for these pairs; see the script's docstring for what each column "
                f"measures. `{OLD_DEFAULT}` (full settings, the default before issue 11) "
                f"runs on: {', '.join(FLAGS.old_default_contents) or 'none'} (violin style)."
                + subset]
    for kind, with_pitch in (("poly", False), ("voice", True)):
        rows = []
        for c in [c for c in chosen if kinds[c] == kind]:
            rows += [run(SHARED / c, SHARED / s, config, with_pitch, "source_filter")
                     for s in FLAGS.styles]
            if c in FLAGS.old_default_contents:
                rows.append(run(SHARED / c, SHARED / STYLES[0], old_config, with_pitch,
                                OLD_DEFAULT))
        if rows:
            sections += [f"## {kind} clips as the content", table(rows, with_pitch)]
            print(json.dumps(rows, default=float), file=sys.stderr)
    if FLAGS.as_style:
        rows = [run(SHARED / CONTENT_FOR_STYLES, SHARED / c, config, True, "source_filter")
                for c in chosen]
        sections += ["## poly and voice clips as the style (content: the piano melody)",
                     table(rows, True)]
        print(json.dumps(rows, default=float), file=sys.stderr)
    path = REPO / "docs" / "results" / "poly_voice.md"
    path.write_text("\n\n".join(sections) + "\n", encoding="utf-8")
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    app.run(main)
