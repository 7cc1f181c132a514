"""An offline HTML report of a run set: spectrograms, audio players and metrics per item.

    python scripts/report.py --manifest outputs/runs/manifest.json \
        --evaluation outputs/runs/evaluation/evaluation.csv

Writes --output (default: report.html beside the manifest) and its spectrogram PNGs in
<report>_files/; links are relative, so the folder can be moved or archived whole.
"""
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # Keep TF's start-up chatter quiet.

from absl import flags  # noqa: E402

from neural_style_audio import cli, evaluation
from neural_style_audio.evaluation import report  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_string("manifest", None, "Manifest JSON with content, style, output (and "
                    "target) paths, e.g. from scripts/run_pairs.py.")
flags.DEFINE_string("evaluation", None, "Evaluation CSV from scripts/evaluate.py (default: "
                    "evaluation/evaluation.csv beside the manifest, if present).")
flags.DEFINE_string("output", None, "HTML file (default: report.html beside the manifest).")
flags.DEFINE_string("title", None, "Page title.")
flags.DEFINE_bool("progress", True, "Show a progress bar over items.")


def run():
    if not FLAGS.manifest:
        raise cli.UsageError("give --manifest")
    csv_path = FLAGS.evaluation
    if csv_path is None:
        default = (Path(FLAGS.manifest).parent / evaluation.EVALUATION_STEM
                   / f"{evaluation.EVALUATION_STEM}.csv")
        csv_path = default if default.is_file() else None
    path = report.build_report(FLAGS.manifest, csv_path, FLAGS.output, FLAGS.title,
                               progress=FLAGS.progress)
    print(f"wrote {path}", file=sys.stderr)
    return 0


def console_main():
    """Entry point of `nsa-report` and scripts/report.py."""
    cli.run_command(cli.script_main(run), __doc__, __name__)


if __name__ == "__main__":
    console_main()
