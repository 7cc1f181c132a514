"""Trains the compact VGGish shipped in vggish_loss/weights/.

    python scripts/train_vggish_compact.py                      # the shipped model
    python scripts/train_vggish_compact.py --epochs=2 --output_dir=outputs/vggish_try

Renders single notes of General-MIDI instruments with FluidR3_GM (cached in
--cache_dir), trains a reduced-width VGGish with an instrument-classifier head,
prints train / held-out (unseen pitches) accuracy and the held-out confusion
matrix, and writes compact.weights.h5 + compact.json (+ compact.classifier.npz)
so that vggish_loss.load_compact() loads it. See docs/vggish_compact.md.
Needs: apt-get install fluidsynth fluid-soundfont-gm (and pip install pretty_midi).
"""
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # Keep TF's start-up chatter quiet.

from absl import flags  # noqa: E402

from neural_style_audio import cli, synth  # noqa: E402
from neural_style_audio.training import vggish_compact as train  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_list("instruments", list(train.DEFAULT_INSTRUMENTS),
                  f"Classes; names from: {', '.join(train.INSTRUMENT_RANGES)}.")
flags.DEFINE_integer("pitches", train.DEFAULT_NUM_PITCHES,
                     "Pitches per instrument, evenly spaced over its range.")
flags.DEFINE_list("velocities", [str(v) for v in train.DEFAULT_VELOCITIES],
                  "MIDI velocities rendered for every pitch.")
flags.DEFINE_integer("held_out_every", train.DEFAULT_HELD_OUT_EVERY,
                     "Every n-th pitch of each instrument is held out.")
flags.DEFINE_float("width_multiplier", train.TrainConfig.width_multiplier,
                   "Scales the official conv widths (64..512).")
flags.DEFINE_integer("fc_units", train.TrainConfig.fc_units,
                     "Units of fc1_1 / fc1_2 (0: width_multiplier x 4096).")
flags.DEFINE_integer("epochs", train.TrainConfig.epochs, "Passes over the training notes.")
flags.DEFINE_integer("batch_size", train.TrainConfig.batch_size, "Examples per step.")
flags.DEFINE_float("learning_rate", train.TrainConfig.learning_rate, "Adam peak rate.")
flags.DEFINE_integer("seed", train.TrainConfig.seed, "Random seed.")
flags.DEFINE_string("output_dir", "vggish_loss/weights", "Where the model files go.")
flags.DEFINE_string("cache_dir", "outputs/vggish_compact_cache",
                    "Render cache ('' to disable).")
flags.DEFINE_string("soundfont", None, "FluidR3_GM.sf2 path (default: search).")


def print_confusion(matrix, classes):
    """Prints a confusion matrix with abbreviated class names."""
    short = [name[:5] for name in classes]
    print("held-out confusion (rows true, columns predicted):")
    print(" " * 16 + " ".join(f"{s:>5}" for s in short))
    for name, row in zip(classes, matrix):
        print(f"{name:<16}" + " ".join(f"{int(v):>5}" for v in row))


def main(argv):
    if len(argv) > 1:
        print(f"error: unexpected arguments {argv[1:]}", file=sys.stderr)
        return cli.EXIT_USER_ERROR
    try:
        data_config = train.NoteDataConfig(
            instruments=tuple(FLAGS.instruments), num_pitches=FLAGS.pitches,
            velocities=tuple(int(v) for v in FLAGS.velocities),
            held_out_every=FLAGS.held_out_every)
        soundfont = synth.find_soundfont(FLAGS.soundfont)
    except (train.TrainingDataError, synth.SynthUnavailableError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    train_config = train.TrainConfig(
        width_multiplier=FLAGS.width_multiplier, fc_units=FLAGS.fc_units or None,
        epochs=FLAGS.epochs, batch_size=FLAGS.batch_size,
        learning_rate=FLAGS.learning_rate, seed=FLAGS.seed)
    import keras
    keras.utils.set_random_seed(train_config.seed)  # Initialisers and dropout.
    command = "python scripts/train_vggish_compact.py " + " ".join(sys.argv[1:])
    result = train.train_compact(data_config, train_config, soundfont=soundfont,
                                 cache_dir=FLAGS.cache_dir or None,
                                 extra_metadata={"command": command.strip()})
    paths = train.save_trained(result, FLAGS.output_dir)
    results = result.metadata["results"]
    print_confusion(results["held_out_confusion_matrix"], result.metadata["classes"])
    for true, predicted, count in results["held_out_top_confusions"]:
        print(f"  {true} -> {predicted}: {count}")
    held = results["held_out_accuracy"]
    print(f"train accuracy {results['train_accuracy']:.3f}, held-out accuracy "
          f"{'n/a' if held is None else f'{held:.3f}'} (chance "
          f"{results['chance_accuracy']:.3f}); {result.metadata['time']}")
    print(f"wrote {train.file_sizes_mb(paths)} (MB)")
    return 0


def console_main():
    """Entry point of `nsa-train-vggish-compact` and scripts/train_vggish_compact.py."""
    cli.run_command(lambda argv: sys.exit(main(argv)), __doc__, __name__)


if __name__ == "__main__":
    console_main()
