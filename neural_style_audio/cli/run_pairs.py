"""Runs the style transfer on every triplet of a manifest (scripts/make_pairs.py), resuming.

    python scripts/run_pairs.py --manifest outputs/pairs/manifest.json \
        --output_dir outputs/runs/ulyanov --preset ulyanov --iterations 100

Writes <output_dir>/outputs/<item>.wav|json|png and <output_dir>/manifest.json (the
input entries plus an `output` path each), ready for scripts/evaluate.py and
scripts/report.py. Items whose outputs exist (made with the same settings) are skipped.
"""
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # Keep TF's start-up chatter quiet.

from absl import flags  # noqa: E402

from neural_style_audio import cli, evaluation  # noqa: E402
from neural_style_audio.cli.config_flags import config_from_flags, define_transfer_flags  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_string("manifest", None, "Manifest JSON of content/style(/target) triplets.")
flags.DEFINE_string("output_dir", None, "Run directory (default: runs/<preset> beside the "
                    "manifest).")
flags.DEFINE_bool("plot", True, "Write each transfer's PNG figure.")
flags.DEFINE_bool("overwrite", False, "Redo items already done, even with other settings.")
define_transfer_flags(FLAGS)


def run():
    if not FLAGS.manifest:
        raise cli.UsageError("give --manifest (e.g. from scripts/make_pairs.py)")
    # The bar over items is the progress shown unless --progress asks for the
    # transfer's own bars too.
    config = config_from_flags(FLAGS, progress=bool(FLAGS.progress))
    items = evaluation.load_manifest(FLAGS.manifest)
    output_dir = Path(FLAGS.output_dir or Path(FLAGS.manifest).parent / "runs" / FLAGS.preset)
    entries, failures = evaluation.run_manifest(
        items, config, output_dir, plot=FLAGS.plot,
        progress=FLAGS.progress is not False, overwrite=FLAGS.overwrite)
    print(f"{len(entries)}/{len(items)} items done; wrote "
          f"{output_dir / evaluation.MANIFEST_NAME}", file=sys.stderr)
    return cli.EXIT_USER_ERROR if failures else 0


def console_main():
    """Entry point of `nsa-run-pairs` and scripts/run_pairs.py."""
    cli.run_command(cli.script_main(run), __doc__, __name__)


if __name__ == "__main__":
    console_main()
