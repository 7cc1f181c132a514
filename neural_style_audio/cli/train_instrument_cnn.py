"""Trains the instrument CNN shipped in neural_style_audio/networks/weights/ (Verma & Smith's
feature network, `--network instrument_cnn`).

    python scripts/train_instrument_cnn.py                      # the shipped model
    python scripts/train_instrument_cnn.py --held_out_soundfont=musescore \\
        --output_dir=outputs/instrument_cnn_unseen_font --confusion_png=''

Renders notes, chords and short phrases of General-MIDI instruments with FluidR3 GM and
MuseScore General (cached in --cache_dir), splits them by pitch (and optionally by
SoundFont), trains the 6-layer CNN with cross-entropy and Adam (training/loop.py),
prints the test accuracy and confusion matrix, classifies the labelled clips of
--dev_dir, and writes instrument_cnn.weights.h5 + instrument_cnn.json. See
docs/instrument_cnn.md.
Needs: apt-get install fluidsynth fluid-soundfont-gm musescore-general-soundfont-lite
(and pip install pretty_midi).
"""
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # Keep TF's start-up chatter quiet.

from absl import flags  # noqa: E402

from neural_style_audio import cli, synth  # noqa: E402

FLAGS = flags.FLAGS
# Defaults are literals or TF-free constants here so that defining the flags does not
# import TensorFlow; tests/training/test_instrument_cnn_training.py checks them against
# the library's.
flags.DEFINE_list("instruments", list(synth.TRAINING_INSTRUMENTS), "Classes "
                  "(training/instrument_cnn.py INSTRUMENT_RANGES names).")
flags.DEFINE_list("soundfonts", ["fluidr3", "musescore"], "SoundFonts rendered.")
flags.DEFINE_list("soundfont_files", [], "Explicit SoundFont paths as name=path "
                  "(default: searched where synth.find_soundfont searches).")
flags.DEFINE_integer("train_events", 64, "Training events per instrument and SoundFont.")
flags.DEFINE_integer("test_events", 16, "Held-out-pitch events per instrument and SoundFont.")
flags.DEFINE_integer("held_out_every", 4, "Every n-th semitone of each range is held out.")
flags.DEFINE_string("held_out_soundfont", "", "A SoundFont left out of training ('' = none).")
flags.DEFINE_list("widths", ["16", "32", "64", "64", "128", "128"], "Channels of conv1..conv6.")
flags.DEFINE_integer("epochs", 12, "Passes over the training events.")
flags.DEFINE_integer("batch_size", 32, "Examples per Adam step.")
flags.DEFINE_float("learning_rate", 2e-3, "Adam peak rate (cosine decay to 5 %).")
flags.DEFINE_integer("crop_frames", 96, "STFT frames of a training crop.")
flags.DEFINE_integer("seed", 0, "Events, initialisation and batch order.")
flags.DEFINE_string("output_dir", "neural_style_audio/networks/weights",
                    "Where instrument_cnn.weights.h5 and instrument_cnn.json go.")
flags.DEFINE_string("cache_dir", "outputs/instrument_cnn_cache", "Render cache ('' = none).")
flags.DEFINE_string("confusion_png", "docs/images/instrument_cnn_confusion.png",
                    "Test confusion matrix figure ('' = none).")
flags.DEFINE_string("dev_dir", "../shared/audio/dev", "Folder with labelled real clips "
                    "(mono/note_*.flac, mono/melody_ode_to_joy_*.flac) for a sanity check; "
                    "skipped when missing.")


def print_confusion(matrix, classes):
    """Prints a confusion matrix (rows true, columns predicted) with short class names."""
    print("test confusion (rows true, columns predicted):")
    print(" " * 15 + " ".join(f"{name[:4]:>4}" for name in classes))
    for name, row in zip(classes, matrix):
        print(f"{name:<15}" + " ".join(f"{int(v):>4}" for v in row))


def body():
    from neural_style_audio.networks import instrument_cnn as network
    from neural_style_audio.training import instrument_cnn as train
    try:
        explicit = dict(item.split("=", 1) for item in FLAGS.soundfont_files)
    except ValueError:
        raise cli.UsageError("--soundfont_files takes name=path items") from None
    try:
        data_config = train.EventDataConfig(
            instruments=tuple(FLAGS.instruments), soundfonts=tuple(FLAGS.soundfonts),
            train_events=FLAGS.train_events, test_events=FLAGS.test_events,
            held_out_every=FLAGS.held_out_every,
            held_out_soundfont=FLAGS.held_out_soundfont, seed=FLAGS.seed)
        widths = network.parse_widths(",".join(FLAGS.widths))
        soundfonts = train.find_soundfonts(data_config.soundfonts, explicit)
    except (train.TrainingDataError, ValueError) as err:
        raise cli.UsageError(str(err)) from None
    train_config = train.TrainConfig(
        widths=widths, epochs=FLAGS.epochs, batch_size=FLAGS.batch_size,
        learning_rate=FLAGS.learning_rate, crop_frames=FLAGS.crop_frames, seed=FLAGS.seed)
    command = "python scripts/train_instrument_cnn.py " + " ".join(sys.argv[1:])
    result = train.train_instrument_cnn(
        data_config, train_config, soundfonts, cache_dir=FLAGS.cache_dir or None,
        extra_metadata={"command": command.strip(), "machine": _machine()})
    metadata, classes = result.metadata, result.metadata["classes"]
    if FLAGS.dev_dir and Path(FLAGS.dev_dir).is_dir():
        rows = train.dev_clip_check(train.CompiledClassifier(result.model), classes,
                                    FLAGS.dev_dir)
        metadata["results"]["dev_clips"] = rows
        for row in rows:
            print(f"  {row['file']:<45} {row['true']:<14} -> {row['predicted']:<14} "
                  f"(top 3: {', '.join(row['top3'])})")
    results = metadata["results"]
    print_confusion(results["test_confusion_matrix"], classes)
    for true, predicted, count in results["test_top_confusions"]:
        print(f"  {true} -> {predicted}: {count}")
    table = ", ".join(f"{k} {v:.3f}" for k, v in results["test_accuracy"].items()
                      if k not in ("all", "n") and v is not None)
    print(f"train accuracy {results['train_accuracy']:.3f}, test accuracy "
          f"{results['test_accuracy']['all']:.3f} on {results['test_accuracy']['n']} events "
          f"({table}; chance {results['chance_accuracy']:.3f}); {metadata['time']}")
    paths = network.save_classifier(result.model,
                                    Path(FLAGS.output_dir) / network.WEIGHTS_FILENAME, metadata)
    if FLAGS.confusion_png:
        Path(FLAGS.confusion_png).parent.mkdir(parents=True, exist_ok=True)
        acc = results["test_accuracy"]["all"]
        unseen = ("unseen pitches" if not FLAGS.held_out_soundfont else
                  f"unseen pitches, and all of {FLAGS.held_out_soundfont}")
        train.confusion_figure(results["test_confusion_matrix"], classes, FLAGS.confusion_png,
                               f"instrument_cnn: test events ({unseen}), accuracy {acc:.3f}")
        paths += (Path(FLAGS.confusion_png),)
    from neural_style_audio.training.vggish_compact import file_sizes_mb
    print(f"wrote {file_sizes_mb(paths)} (MB)")
    return 0


def _machine():
    import platform
    return f"{platform.node()}: {platform.processor() or platform.machine()}, " \
           f"{os.cpu_count()} CPUs, {platform.system()} {platform.release()}"


def console_main():
    """Entry point of `nsa-train-instrument-cnn` and scripts/train_instrument_cnn.py."""
    cli.run_command(cli.script_main(body, errors=(synth.SynthUnavailableError,)), __doc__,
                    __name__)


if __name__ == "__main__":
    console_main()
