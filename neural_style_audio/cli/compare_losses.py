"""Compares content losses / feature networks on the same pairs, with the project's metrics.

    python scripts/compare_losses.py --manifest pairs/manifest.json --max_items 10 \
        --output_dir outputs/compare

Methods (each on the same items, same seed):
  l2          the shallow random network, L2 content loss on its activations (Ulyanov);
  perceptual  the same network's Gram style loss + VGGish perceptual content loss;
  vgg19       VGG-19 on the spectrogram as an image (DeepMix): Gram of conv1_1..conv5_1,
              content conv4_2.
Writes runs/<method>/ (audio, records), comparison.csv/.md/.png with every metric for
each method and the copy-content / copy-style baselines.
"""
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402

from neural_style_audio import cli, evaluation  # noqa: E402
from neural_style_audio.config import ConfigError, resolve_config  # noqa: E402

flags.DEFINE_string("manifest", None, "Manifest of content/style(/target) triplets.")
flags.DEFINE_integer("max_items", 10, "Use the first N items.")
flags.DEFINE_string("output_dir", "outputs/compare_losses", "Output directory.")
flags.DEFINE_list("methods", ["l2", "perceptual", "vgg19"], "Methods to run.")
flags.DEFINE_integer("iterations", 100, "Optimisation iterations of every method.")
flags.DEFINE_integer("n_filters", 4096, "Filters of the shallow network (l2, perceptual).")
flags.DEFINE_float("perceptual_weight", 100.0, "Content weight of the perceptual method.")
flags.DEFINE_string("perceptual_model", "compact", "compact | official:PATH | hub:HANDLE.")
flags.DEFINE_string("vgg_weights", "imagenet", "imagenet | PATH | random.")
flags.DEFINE_string("vgg_feature", "mel", "Features VGG-19 sees (stft is ~8x slower).")
flags.DEFINE_float("vgg_content_weight", 100.0, "Content weight of the vgg19 method.")
flags.DEFINE_integer("griffin_lim_iters", 200, "Griffin-Lim iterations.")
FLAGS = flags.FLAGS


def method_configs():
    """The TransferConfig of each method (shared settings, then the method's own)."""
    shared = dict(iterations=FLAGS.iterations, griffin_lim_iters=FLAGS.griffin_lim_iters,
                  progress=False)
    shallow = dict(shared, n_filters=FLAGS.n_filters)
    configs = dict(
        l2=resolve_config("ulyanov", **shallow),
        perceptual=resolve_config("ulyanov", content_loss="perceptual",
                                  perceptual_model=FLAGS.perceptual_model,
                                  content_weight=FLAGS.perceptual_weight, **shallow),
        vgg19=resolve_config("ulyanov", network="vgg19", vgg_weights=FLAGS.vgg_weights,
                             feature=FLAGS.vgg_feature, content_weight=FLAGS.vgg_content_weight,
                             **shared))
    unknown = set(FLAGS.methods) - set(configs)
    if unknown:
        raise ConfigError(f"--methods: unknown {sorted(unknown)} (choose from {list(configs)})")
    return {m: configs[m] for m in FLAGS.methods}


def run():
    if not FLAGS.manifest:
        raise cli.UsageError("give --manifest (e.g. from scripts/make_pairs.py)")
    out = Path(FLAGS.output_dir)
    configs = method_configs()
    items = evaluation.load_manifest(FLAGS.manifest)[:FLAGS.max_items]
    rows = []
    for k, (method, config) in enumerate(configs.items()):
        print(f"[{method}] {len(items)} items", file=sys.stderr)
        run_dir = out / "runs" / method
        evaluation.run_manifest(items, config, run_dir, plot=False)
        done = evaluation.load_manifest(run_dir / evaluation.MANIFEST_NAME,
                                        ("content", "style", "output"))
        for row in evaluation.evaluate_items(done, progress=True):
            if row["system"] == "output":
                rows.append(dict(row, system=method))
            elif k == 0:
                rows.append(row)  # The copy baselines once.
    systems = list(configs) + ["copy_content", "copy_style"]
    paths = evaluation.write_evaluation(rows, out, stem="comparison", systems=systems,
                                        title="Content-loss comparison")
    print(paths["md"].read_text())
    return 0


def console_main():
    """Entry point of `nsa-compare-losses` and scripts/compare_losses.py."""
    cli.run_command(cli.script_main(run), __doc__, __name__)


if __name__ == "__main__":
    console_main()
