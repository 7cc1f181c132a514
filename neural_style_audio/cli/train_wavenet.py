"""Trains the WaveNet autoencoder (neural_style_audio/wavenet/) on rendered General-MIDI notes.

    python scripts/train_wavenet.py                                   # small, resumable
    python scripts/train_wavenet.py --steps=4000                      # continue further
    python scripts/train_wavenet.py --model=tiny --steps=20 --output_dir=/tmp/wn --export=''

Renders the notes, chords and phrases of training/instrument_cnn.py (FluidR3 GM and
MuseScore General, 16 kHz, cached in --cache_dir; held-out pitches are the test set),
trains with magenta's objective (cross-entropy of every 8-bit mu-law sample,
teacher-forced) on random crops, and keeps in --output_dir a checkpoint (resumed by a
rerun with the same settings), TensorBoard scalars and history.json. At the end it
measures the held-out reconstruction (encode, fast-generate, log-spectral distance)
and, with --export, writes the model as .weights.h5 + .json (the shipped model lives in
neural_style_audio/wavenet/weights/). See docs/wavenet.md.
Needs: apt-get install fluidsynth fluid-soundfont-gm musescore-general-soundfont-lite
(and pip install pretty_midi).
"""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # Keep TF's start-up chatter quiet.

from absl import flags  # noqa: E402

from neural_style_audio import cli, synth  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_enum("model", "small", ["h512_bo16", "small", "tiny"], "WaveNet sizes "
                  "(neural_style_audio/wavenet/config.py).")
flags.DEFINE_integer("steps", 2000, "Total Adam steps (a resumed run continues up to this).")
flags.DEFINE_integer("max_steps_this_run", 0, "Stop after this many steps in this run "
                     "(0 = run to --steps); rerun to continue.")
flags.DEFINE_float("max_minutes_this_run", 0, "Stop (after evaluating and saving) once "
                   "this many minutes of training have passed (0 = no limit); rerun to "
                   "continue.")
flags.DEFINE_integer("batch_size", 8, "Crops per step.")
flags.DEFINE_integer("crop_samples", 4096, "Samples per crop (a multiple of the hop).")
flags.DEFINE_float("learning_rate", 1e-3, "Adam learning rate.")
flags.DEFINE_integer("eval_every", 200, "Steps between held-out evaluations and checkpoints.")
flags.DEFINE_integer("eval_crops", 32, "Held-out crops per evaluation.")
flags.DEFINE_integer("seed", 0, "Initialisation, crops and gains.")
flags.DEFINE_list("instruments", list(synth.TRAINING_INSTRUMENTS), "Instruments rendered "
                  "(training/instrument_cnn.py INSTRUMENT_RANGES names).")
flags.DEFINE_list("soundfonts", ["fluidr3", "musescore"], "SoundFonts rendered.")
flags.DEFINE_integer("train_events", 64, "Training events per instrument and SoundFont.")
flags.DEFINE_integer("test_events", 16, "Held-out-pitch events per instrument and SoundFont.")
flags.DEFINE_string("cache_dir", "outputs/instrument_cnn_cache", "Render cache ('' = none).")
flags.DEFINE_string("output_dir", "outputs/wavenet_small_run", "Checkpoints, TensorBoard "
                    "logs, run.json and history.json.")
flags.DEFINE_string("export", "", "Write the trained model here as .weights.h5 + .json "
                    "('' = do not), e.g. neural_style_audio/wavenet/weights/"
                    "wavenet_small.weights.h5.")
flags.DEFINE_integer("lsd_clips", 4, "Held-out clips encoded and decoded at the end for the "
                     "log-spectral distance (0 = skip).")
flags.DEFINE_float("lsd_seconds", 1.0, "Length of those clips (s).")


def body():
    import numpy as np

    from neural_style_audio.training import instrument_cnn as events
    from neural_style_audio.training import wavenet as train
    if FLAGS.export and not FLAGS.export.endswith(".weights.h5"):
        raise cli.UsageError(f"--export {FLAGS.export}: the file name must end in .weights.h5")
    try:
        config = train.TrainConfig(
            model=FLAGS.model, steps=FLAGS.steps, batch_size=FLAGS.batch_size,
            crop_samples=FLAGS.crop_samples, learning_rate=FLAGS.learning_rate,
            eval_every=FLAGS.eval_every, eval_crops=FLAGS.eval_crops, seed=FLAGS.seed)
        data_config = events.EventDataConfig(
            instruments=tuple(FLAGS.instruments), soundfonts=tuple(FLAGS.soundfonts),
            train_events=FLAGS.train_events, test_events=max(FLAGS.test_events, 1),
            seed=FLAGS.seed)
        soundfonts = events.find_soundfonts(data_config.soundfonts)
    except (train.TrainingSettingsError, events.TrainingDataError) as err:
        raise cli.UsageError(str(err)) from None
    data = events.build_dataset(data_config, soundfonts, FLAGS.cache_dir or None,
                                log=lambda line: print(line, flush=True))
    train_segments, test_segments = data.segments[~data.test], data.segments[data.test]
    print(f"{len(train_segments)} training and {len(test_segments)} held-out segments of "
          f"{data.segments.shape[1] / 16000:.2f} s", flush=True)
    try:
        result = train.train_wavenet(
            config, train_segments, test_segments, FLAGS.output_dir,
            data_record=data_config.to_dict(),
            log=lambda line: print(line, flush=True),
            max_steps_this_run=FLAGS.max_steps_this_run or None,
            max_seconds_this_run=60 * FLAGS.max_minutes_this_run or None)
    except train.TrainingSettingsError as err:
        raise cli.UsageError(str(err)) from None
    meta = result.metadata
    if FLAGS.lsd_clips > 0:
        n = int(FLAGS.lsd_seconds * config.wavenet.sample_rate)
        n = max(n // config.wavenet.ae_hop_length, 1) * config.wavenet.ae_hop_length
        rng = np.random.default_rng(0)
        picks = rng.choice(len(test_segments), min(FLAGS.lsd_clips, len(test_segments)),
                           replace=False)
        clips = test_segments[picks, :n].astype(np.float32)
        lsd, _ = train.reconstruction_lsd(result.model, clips, config.wavenet.sample_rate)
        meta["held_out_lsd_db"] = lsd
        meta["held_out_lsd_mulaw_only_db"] = train.mulaw_lsd(clips, config.wavenet.sample_rate)
        meta["lsd_clips"] = dict(n=len(clips), seconds=n / config.wavenet.sample_rate)
        print(f"held-out reconstruction LSD {lsd:.2f} dB ({len(clips)} clips of "
              f"{n / config.wavenet.sample_rate:.2f} s, encoded and fast-decoded; 8-bit "
              f"mu-law alone: {meta['held_out_lsd_mulaw_only_db']:.2f} dB)", flush=True)
    last = meta["history"][-1] if meta["history"] else {}
    print(f"step {meta['steps_done']}/{config.steps}: held-out NLL "
          f"{last.get('test_nll', float('nan')):.3f} nats, accuracy "
          f"{last.get('test_accuracy', float('nan')):.3f}"
          + ("" if meta["complete"] else " (not finished: rerun to continue)"))
    if FLAGS.export:
        command = "python scripts/train_wavenet.py " + " ".join(sys.argv[1:])
        paths = train.export(result, FLAGS.export, dict(command=command.strip()))
        print(f"wrote {', '.join(str(p) for p in paths)}")
    return 0


def console_main():
    """Entry point of `nsa-train-wavenet` and scripts/train_wavenet.py."""
    cli.run_command(cli.script_main(body, errors=(synth.SynthUnavailableError,)), __doc__,
                    __name__)


if __name__ == "__main__":
    console_main()
