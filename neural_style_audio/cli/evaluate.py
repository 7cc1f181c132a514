"""Objective evaluation of style-transfer outputs against the copy-content/copy-style baselines.

    python scripts/evaluate.py --manifest outputs/runs/manifest.json
    python scripts/evaluate.py --content a.wav --style b.wav --output out.wav [--target t.wav]

Scores the output, the content clip itself and the style clip itself (looped/cut to the
content length) with every metric of metrics.evaluate_all; prints the means per system
and writes evaluation.csv, evaluation.md (per-item rows and means per system) and
evaluation.png (the distribution of every metric per system) into --output_dir.
"""
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # Keep TF's start-up chatter quiet.

from absl import flags  # noqa: E402

from neural_style_audio import cli, evaluation
from neural_style_audio.evaluation import metrics  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_string("manifest", None, "Manifest JSON whose items have content, style, output "
                    "(and optionally target) paths, e.g. written by scripts/run_pairs.py.")
flags.DEFINE_string("content", None, "Content clip (instead of --manifest).")
flags.DEFINE_string("style", None, "Style clip (instead of --manifest).")
flags.DEFINE_string("output", None, "The transfer's output clip (instead of --manifest).")
flags.DEFINE_string("target", None, "Optional ground truth: the content played in the style.")
flags.DEFINE_string("output_dir", None, "Directory for evaluation.csv/.md/.png (default: "
                    "evaluation/ beside the manifest, or beside --output).")
flags.DEFINE_integer("sr", metrics.F0_SR, "Sample rate the clips are scored at, Hz.")
flags.DEFINE_bool("monophonic", True, "Compute the pitch metrics, pitch_accuracy and octave_forgiving_pitch_accuracy "
                  "(pYIN; monophonic content only).")
flags.DEFINE_bool("plot", True, "Write the PNG of the metric distributions.")
flags.DEFINE_bool("progress", True, "Show a progress bar over items.")


def plan_items():
    """The items to score and the default output directory, from the flags."""
    single = [FLAGS.content, FLAGS.style, FLAGS.output, FLAGS.target]
    if FLAGS.manifest:
        if any(single):
            raise evaluation.ManifestError("give either --manifest or --content/--style/--output")
        items = evaluation.load_manifest(FLAGS.manifest, ("content", "style", "output"))
        return items, Path(FLAGS.manifest).parent / evaluation.EVALUATION_STEM
    if not (FLAGS.content and FLAGS.style and FLAGS.output):
        raise evaluation.ManifestError(
            "give --manifest, or all of --content, --style and --output (and --target)")
    output = Path(FLAGS.output)
    item = evaluation.Item(name=evaluation.safe_name(output.stem), label=output.stem,
                           content=Path(FLAGS.content), style=Path(FLAGS.style), output=output,
                           target=Path(FLAGS.target) if FLAGS.target else None)
    return [item], output.parent / evaluation.EVALUATION_STEM


def run():
    items, default_dir = plan_items()
    rows = evaluation.evaluate_items(items, FLAGS.sr, FLAGS.monophonic, FLAGS.progress)
    paths = evaluation.write_evaluation(rows, FLAGS.output_dir or default_dir, plot=FLAGS.plot)
    print(evaluation.summary_table(evaluation.summarize(rows)))
    print("wrote " + ", ".join(str(p) for p in paths.values()), file=sys.stderr)
    return 0


def console_main():
    """Entry point of `nsa-evaluate` and scripts/evaluate.py."""
    cli.run_command(cli.script_main(run, tensorflow=False), __doc__, __name__)


if __name__ == "__main__":
    console_main()
