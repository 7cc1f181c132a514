"""Converts audio files with a trained CycleGAN generator (any length: chunks with
overlap and crossfades; Griffin-Lim or the input's own phase); see docs/cyclegan.md.

    python scripts/convert.py --model runs/piano2violin --input 'melodies/*.wav' \\
        --output_dir outputs/converted
    python scripts/convert.py --model runs/o2j/generator_b2a.weights.h5 --input a.flac \\
        --phase content

--model is a run folder of train_cyclegan.py (its latest checkpoint, or its exported
weights) or an exported generator_<direction>.weights.h5 (with the run's cyclegan.json
beside it). Each input gives <output_dir>/<input name>__<direction>.wav at the model's
sample rate, exactly as long as the input. Inputs are never overwritten; existing
outputs are refused unless --overwrite. Bad input is one line 'error: ...' and exit
code 2.
"""
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402

from neural_style_audio import audio, cli  # noqa: E402
from neural_style_audio.cyclegan.config import PHASES  # noqa: E402

FLAGS = flags.FLAGS
DIRECTIONS = ("a2b", "b2a")

flags.DEFINE_string("model", None, "Run folder of train_cyclegan.py, or an exported "
                    "generator_<direction>.weights.h5.")
flags.DEFINE_multi_string("input", None, "Audio file(s) to convert: a file, a glob "
                          "('clips/*.wav', quoted) or several, comma-separated or by "
                          "repeating the flag.")
flags.DEFINE_string("output_dir", "outputs/converted", "Folder for the converted files.")
flags.DEFINE_enum("direction", "a2b", list(DIRECTIONS), "a2b (domain A -> B) or b2a; "
                  "ignored for a .weights.h5 --model (one direction).")
flags.DEFINE_enum("phase", "griffin_lim", list(PHASES), "griffin_lim: estimate a phase "
                  "for the new magnitude; content: reuse the input's phase (faster, "
                  "keeps onsets, but the phase belongs to the old spectrum).")
flags.DEFINE_integer("griffin_lim_iters", 100, "Griffin-Lim iterations.")
flags.DEFINE_integer("chunk_frames", 0, "STFT frames per chunk (a multiple of 4); 0 = the "
                     "training crop length.")
flags.DEFINE_integer("overlap_frames", -1, "Frames shared by neighbouring chunks, "
                     "crossfaded; -1 = half a chunk.")
flags.DEFINE_bool("overwrite", False, "Replace existing outputs (inputs never).")


def plan_outputs(inputs, output_dir, tag):
    """{input: output path}: <output_dir>/<unique input label>__<tag>.wav."""
    labels = cli.input_labels(inputs)
    return {path: Path(output_dir) / f"{labels[path]}__{tag}.wav" for path in inputs}


def body():
    if not FLAGS.model or not FLAGS.model.strip():
        raise cli.UsageError("--model is required (a run folder or a .weights.h5)")
    inputs = cli.expand_inputs(FLAGS.input, "input")
    if not inputs:
        raise cli.UsageError("--input is required (files or a glob)")
    output_dir = Path(FLAGS.output_dir)
    if output_dir.exists() and not output_dir.is_dir():
        raise cli.UsageError(f"--output_dir {output_dir}: is a file, not a folder")
    if FLAGS.chunk_frames and (FLAGS.chunk_frames % 4 or FLAGS.chunk_frames < 8):
        raise cli.UsageError(f"--chunk_frames {FLAGS.chunk_frames}: a multiple of 4, at "
                             "least 8")
    model = Path(FLAGS.model)
    if not model.exists():
        raise cli.UsageError(f"--model {model}: not found")
    direction = (model.name.split("generator_")[-1].split(".")[0] if model.is_file()
                 else FLAGS.direction)
    outputs = plan_outputs(inputs, output_dir, direction)
    # Outputs are checked before TensorFlow loads: a refusal takes a second.
    audio.check_output_paths(outputs.values(), FLAGS.overwrite, inputs)
    from neural_style_audio.quiet import import_tensorflow_quietly
    import_tensorflow_quietly()
    from neural_style_audio.cyclegan import convert
    try:
        generator, config = convert.load_generator(model, FLAGS.direction)
    except convert.ModelLoadError as err:
        raise cli.UsageError(f"--model {err}") from None
    spec = config.spectrogram
    chunk = FLAGS.chunk_frames or spec.crop_frames
    overlap = chunk // 2 if FLAGS.overlap_frames < 0 else FLAGS.overlap_frames
    if overlap >= chunk:
        raise cli.UsageError(f"--overlap_frames {overlap}: must be below the chunk "
                             f"({chunk} frames)")
    cli.validate_inputs(inputs, spec.sr, 1)
    for i, (path, out) in enumerate(outputs.items(), 1):
        started = time.perf_counter()
        y = audio.load_audio(path, spec.sr)
        converted = convert.convert_waveform(
            generator, y, spec, phase=FLAGS.phase, n_iter=FLAGS.griffin_lim_iters,
            chunk_frames=chunk, overlap_frames=overlap)
        audio.write_audio(out, converted, spec.sr)
        print(f"[{i}/{len(outputs)}] wrote {out} ({len(converted) / spec.sr:.2f} s, "
              f"{time.perf_counter() - started:.1f} s)", file=sys.stderr)
    return 0


def console_main():
    """Entry point of `nsa-convert` and scripts/convert.py."""
    from neural_style_audio.cyclegan.data import DataError
    cli.run_command(cli.script_main(body, errors=(DataError,), tensorflow=False), __doc__,
                    __name__,
                    sections=[("options", __name__)])


if __name__ == "__main__":
    console_main()
