"""Trains a CycleGAN between two domains of audio (two genres, two instruments, any two
folders) on log-magnitude STFT crops; see docs/cyclegan.md.

    python scripts/train_cyclegan.py --data_dir ../shared/audio/genres \\
        --genre_a orchestral --genre_b jazz --variant published --output_dir runs/o2j
    python scripts/train_cyclegan.py --dir_a renders/piano --dir_b renders/violin \\
        --variant strong --output_dir runs/piano2violin --sample_every 200
    python scripts/train_cyclegan.py ... --output_dir runs/o2j --epochs 200   # resume

--variant picks the published settings (Gupta et al.) or the keras-io recipe
(strong); every setting flag overrides one value of the variant (its help shows both
defaults). Running again into the same --output_dir resumes from the latest
checkpoint (same settings; only --epochs may change). With --data_dir, tracks are
split by track (seeded; --test_fraction held out, or the split JSON given with
--split, e.g. a genre judge's) and only the training tracks are used; the split is
written to split.json in the run folder. Bad folders are one line
'error: ...' and exit code 2.

Writes <output_dir>/cyclegan.json, checkpoints/, logs/ (TensorBoard: tensorboard
--logdir <output_dir>/logs), samples/ and generator_{a2b,b2a}.weights.h5.
"""
import dataclasses
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402

from neural_style_audio import audio, cli  # noqa: E402
from neural_style_audio.cyclegan import config as cg_config  # noqa: E402

FLAGS = flags.FLAGS
SETTINGS_MODULE = "neural_style_audio.cli.train_cyclegan.settings"

flags.DEFINE_string("data_dir", None, "GTZAN-layout root (<root>/<genre>/*.wav|au|ogg|"
                    "flac|mp3); with --genre_a and --genre_b.")
flags.DEFINE_string("genre_a", None, "Domain A: a genre folder under --data_dir.")
flags.DEFINE_string("genre_b", None, "Domain B: a genre folder under --data_dir.")
flags.DEFINE_string("dir_a", None, "Domain A: any folder of audio files (instead of "
                    "--data_dir/--genre_a).")
flags.DEFINE_string("dir_b", None, "Domain B: any folder of audio files.")
flags.DEFINE_float("test_fraction", 0.2, "--data_dir only: tracks per genre held out "
                   "(split by track, seeded by --seed); 0 = train on all.")
flags.DEFINE_string("split", None, "--data_dir only: a split JSON (genres.save_split, "
                    "e.g. the one a genre judge was trained on); its train and val "
                    "tracks are used, its test tracks held out. Overrides --test_fraction.")
flags.DEFINE_float("max_seconds_per_file", 0.0, "Read at most this many seconds of each "
                   "file (0 = all).")
flags.DEFINE_enum("variant", "published", list(cg_config.VARIANTS),
                  "published: Gupta et al.'s networks and settings; strong: the keras-io "
                  "CycleGAN recipe.")
flags.DEFINE_string("output_dir", None, "Run folder (required); an existing run there "
                    "is resumed.")
flags.DEFINE_integer("max_steps", 0, "Stop at this step even before --epochs are done "
                     "(0 = no limit).")
flags.DEFINE_float("max_minutes", 0.0, "Stop (with a checkpoint) after this many minutes "
                   "of training in this session (0 = no limit); run again to resume.")
flags.DEFINE_integer("checkpoint_every", 500, "Steps between checkpoints (one is always "
                     "written at the end).")
flags.DEFINE_integer("sample_every", 0, "Steps between audio samples (the first A clip "
                     "converted A->B, written to samples/ and TensorBoard); 0 = none.")
flags.DEFINE_enum("strategy", "auto", list(cg_config.STRATEGIES),
                  "tf.distribute strategy: auto (MirroredStrategy when several GPUs), "
                  "default, mirrored, multi_worker (MultiWorkerMirroredStrategy from "
                  "TF_CONFIG).")
flags.DEFINE_bool("progress", True, "Show a progress bar.")


def _define_settings():
    """One flag per setting; default None = the variant's value (both shown in help)."""
    for _, cls in cg_config.group_fields():
        for f in dataclasses.fields(cls):
            published = getattr(getattr(cg_config.PUBLISHED, _group_of(cls)), f.name)
            strong = getattr(getattr(cg_config.STRONG, _group_of(cls)), f.name)
            text = f"{f.metadata['help']} (published: {published}; strong: {strong})"
            kwargs = dict(module_name=SETTINGS_MODULE)
            if f.type in (bool, "bool"):
                flags.DEFINE_bool(f.name, None, text, **kwargs)
            elif f.type in (int, "int"):
                flags.DEFINE_integer(f.name, None, text, **kwargs)
            elif f.type in (float, "float"):
                flags.DEFINE_float(f.name, None, text, **kwargs)
            elif f.metadata.get("choices"):
                flags.DEFINE_enum(f.name, None, list(f.metadata["choices"]), text, **kwargs)
            else:
                flags.DEFINE_string(f.name, None, text, **kwargs)


def _group_of(cls):
    return next(name for name, c in cg_config.group_fields() if c is cls)


_define_settings()


def config_from_flags():
    """The CycleGANConfig of --variant with the setting flags given applied."""
    overrides = {f.name: FLAGS[f.name].value for _, cls in cg_config.group_fields()
                 for f in dataclasses.fields(cls) if FLAGS[f.name].value is not None}
    return cg_config.preset(FLAGS.variant, **overrides)


def domain_files(seed):
    """([files A], [files B], domains record, split or None) from the data flags."""
    from neural_style_audio.cyclegan import data
    by_dir = FLAGS.dir_a is not None or FLAGS.dir_b is not None
    by_genre = any(v is not None for v in (FLAGS.data_dir, FLAGS.genre_a, FLAGS.genre_b))
    if by_dir == by_genre:
        raise cli.UsageError("give either --data_dir with --genre_a and --genre_b, or "
                             "--dir_a and --dir_b")
    if by_dir:
        if FLAGS.dir_a is None or FLAGS.dir_b is None:
            raise cli.UsageError("give both --dir_a and --dir_b")
        files_a = data.list_audio_files(FLAGS.dir_a, "--dir_a")
        files_b = data.list_audio_files(FLAGS.dir_b, "--dir_b")
        domains = dict(a=os.path.abspath(FLAGS.dir_a), b=os.path.abspath(FLAGS.dir_b))
        return files_a, files_b, domains, None
    for name in ("data_dir", "genre_a", "genre_b"):
        if not FLAGS[name].value:
            raise cli.UsageError(f"--{name} is needed with --data_dir/--genre_a/--genre_b")
    if FLAGS.genre_a == FLAGS.genre_b:
        raise cli.UsageError("--genre_a and --genre_b must differ")
    from neural_style_audio.genres import data as genre_data
    tracks = genre_data.list_tracks(FLAGS.data_dir, [FLAGS.genre_a, FLAGS.genre_b])
    domains = dict(data_dir=os.path.abspath(FLAGS.data_dir), a=FLAGS.genre_a, b=FLAGS.genre_b)
    if FLAGS.split:
        split = genre_data.load_split(FLAGS.split, root=FLAGS.data_dir)
        for genre in (FLAGS.genre_a, FLAGS.genre_b):
            if genre not in split["genres"]:
                raise cli.UsageError(f"--split {FLAGS.split}: has no genre '{genre}'")
        train = {g: list(split["train"].get(g, [])) + list(split.get("val", {}).get(g, []))
                 for g in (FLAGS.genre_a, FLAGS.genre_b)}
        domains["split"] = os.path.abspath(FLAGS.split)
    elif FLAGS.test_fraction > 0:
        split = genre_data.make_split(tracks, test_fraction=FLAGS.test_fraction, seed=seed)
        train = split["train"]
        domains["test_fraction"], domains["split_seed"] = FLAGS.test_fraction, seed
    else:
        split, train = None, tracks
    return list(train[FLAGS.genre_a]), list(train[FLAGS.genre_b]), domains, split


def body():
    from pathlib import Path
    if not FLAGS.output_dir or not FLAGS.output_dir.strip():
        raise cli.UsageError("--output_dir is required (the run folder)")
    output_dir = Path(FLAGS.output_dir)
    if output_dir.exists() and not output_dir.is_dir():
        raise cli.UsageError(f"--output_dir {output_dir}: is a file, not a folder")
    config = config_from_flags()
    files_a, files_b, domains, split = domain_files(config.train.seed)
    # The folders are checked first: a typo fails in a second, not after TF's import.
    from neural_style_audio.quiet import import_tensorflow_quietly
    import_tensorflow_quietly()
    import keras
    from absl import logging as absl_logging
    absl_logging.set_verbosity(absl_logging.WARNING)  # TF's per-save "Sharding callback" lines.
    from neural_style_audio.cyclegan import data, train
    spec = config.spectrogram
    print(f"domain A: {len(files_a)} files, domain B: {len(files_b)} files; variant "
          f"{config.variant}", file=sys.stderr)
    max_s = FLAGS.max_seconds_per_file or None
    images_a = data.load_folder_images(files_a, spec, max_s, progress=FLAGS.progress)
    images_b = data.load_folder_images(files_b, spec, max_s, progress=FLAGS.progress)
    audio.check_folder_writable(output_dir)
    if split is not None:
        from neural_style_audio.genres import data as genre_data
        output_dir.mkdir(parents=True, exist_ok=True)
        genre_data.save_split(split, output_dir / "split.json", root=FLAGS.data_dir)
    keras.utils.set_random_seed(config.train.seed)  # Initial weights of a new run.
    sample_clip = data.load_clip(files_a[0], spec) if FLAGS.sample_every else None
    result = train.train(
        config, images_a, images_b, output_dir, domains=domains,
        checkpoint_every=FLAGS.checkpoint_every, sample_every=FLAGS.sample_every,
        sample_clip=sample_clip, max_steps=FLAGS.max_steps or None,
        max_seconds=FLAGS.max_minutes * 60 or None, strategy=train.make_strategy(FLAGS.strategy),
        progress=FLAGS.progress, log=lambda line: print(line, file=sys.stderr))
    session = result.record["sessions"][-1]
    losses = ", ".join(f"{k} {v:.4f}" for k, v in session["final_losses"].items())
    print(f"trained steps {session['first_step']}..{session['last_step']} of "
          f"{result.record['steps_per_epoch'] * config.train.epochs} "
          f"({session['seconds']:.0f} s, {session['seconds_per_step']:.2f} s/step); "
          f"last losses: {losses or 'none'}", file=sys.stderr)
    print(f"wrote {output_dir}", file=sys.stderr)
    return 0


def _errors():
    from neural_style_audio.cyclegan.data import DataError
    errors = (DataError,)
    try:
        from neural_style_audio.genres.data import GenreDataError
        errors += (GenreDataError,)
    except ImportError:
        pass
    return errors


def console_main():
    """Entry point of `nsa-train-cyclegan` and scripts/train_cyclegan.py."""
    cli.run_command(cli.script_main(body, errors=_errors(), tensorflow=False), __doc__,
                    __name__,
                    sections=[("options", __name__), ("settings", SETTINGS_MODULE)])


if __name__ == "__main__":
    console_main()
