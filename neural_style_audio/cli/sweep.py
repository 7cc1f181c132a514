"""A grid of transfer settings over a set of pairs: a table, heat-maps and audio per cell.

    python scripts/sweep.py --content a.wav --style b.wav \
        --grid n_filters=128,256,512 --grid filter_width=5,11 --iterations 50
    python scripts/sweep.py --manifest outputs/pairs/manifest.json \
        --grid content_weight=0.001,0.01,0.1 --metric log_spectral_distance

Any transfer flag can be a grid axis (and --grid preset=ulyanov,deepmix; the preset of
a sweep is ulyanov unless given); the other
transfer flags fix the settings shared by all cells. Writes <output_dir>/sweep.csv,
sweep.md, sweep_final_loss.png, sweep_<metric>.png and the audio of every cell under
<output_dir>/cells/<cell>/. Cells already done are read back, not recomputed.
"""
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # Keep TF's start-up chatter quiet.

from absl import flags  # noqa: E402

from neural_style_audio import evaluation  # noqa: E402
from neural_style_audio import cli, config as config_lib
from neural_style_audio.evaluation import sweep  # noqa: E402
from neural_style_audio.cli.config_flags import define_transfer_flags  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_string("manifest", None, "Manifest JSON of content/style(/target) pairs.")
flags.DEFINE_multi_string("content", None, "Content clip(s), files or globs (instead of "
                          "--manifest).")
flags.DEFINE_multi_string("style", None, "Style clip(s), files or globs.")
flags.DEFINE_string("target", None, "Ground truth of a single content/style pair.")
flags.DEFINE_multi_string("grid", None, "A grid axis: name=value1,value2,... (repeat the "
                          "flag for more axes).")
flags.DEFINE_string("output_dir", "outputs/sweep", "Sweep directory.")
flags.DEFINE_list("metrics", None, "Metrics per cell (default: all the pairs allow): "
                  + ", ".join(evaluation.METRIC_NAMES))
flags.DEFINE_string("metric", "chroma_similarity", "Metric plotted besides the final loss.")
flags.DEFINE_bool("monophonic", True, "Include pitch_accuracy in the default metrics.")
flags.DEFINE_bool("plot", True, "Write each transfer's PNG figure too.")
flags.DEFINE_bool("overwrite", False, "Recompute cells already done, even with other settings.")
# A sweep explores the optimisation's settings (filters, widths, weights, optimisers), so
# its preset is `ulyanov`, not the package's default (the source-filter method, which
# has no loss to tabulate); --preset or --grid preset=... choose others. The settings'
# help shows ulyanov's values as their defaults.
define_transfer_flags(FLAGS, default_preset="ulyanov")


def plan_pairs():
    if FLAGS.manifest:
        if FLAGS.content or FLAGS.style or FLAGS.target:
            raise cli.UsageError("give either --manifest or --content/--style")
        return evaluation.load_manifest(FLAGS.manifest)
    contents = cli.expand_inputs(FLAGS.content, "content")
    styles = cli.expand_inputs(FLAGS.style, "style")
    if not contents or not styles:
        raise cli.UsageError("give --manifest, or --content and --style")
    return sweep.pairs_from_paths(contents, styles, FLAGS.target)


def run():
    overrides = {name: FLAGS[name].value for name in config_lib.field_names()}
    # The bar over cells is the progress shown unless --progress asks for the
    # transfer's own bars too.
    overrides["progress"] = bool(FLAGS.progress)
    grid = sweep.parse_grid(FLAGS.grid)
    result = sweep.run_sweep(
        grid, plan_pairs(), FLAGS.output_dir, preset=FLAGS.preset, overrides=overrides,
        metric_names=FLAGS.metrics, plot_metric=FLAGS.metric, monophonic=FLAGS.monophonic,
        plot=FLAGS.plot, progress=FLAGS.progress is not False, overwrite=FLAGS.overwrite)
    columns = sweep.table_columns(grid, result.metric_names)
    print(evaluation.text_table(result.rows, columns[1:],
                                [evaluation.metric_heading(c) for c in columns[1:]]))
    plural = "" if result.compilations == 1 else "s"
    print(f"{result.n_computed} cells computed ({result.compilations} compilation{plural}), "
          f"{result.n_resumed} resumed; wrote "
          + ", ".join(str(p) for p in result.paths.values()), file=sys.stderr)
    return 0


def console_main():
    """Entry point of `nsa-sweep` and scripts/sweep.py."""
    cli.run_command(cli.script_main(run, errors=(sweep.SweepError,)), __doc__, __name__)


if __name__ == "__main__":
    console_main()
