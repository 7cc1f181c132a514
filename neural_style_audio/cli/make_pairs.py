"""Renders content/style/target triplets with a General-MIDI SoundFont.

  python scripts/make_pairs.py --n_triplets=20 --output_dir=outputs/pairs

Each triplet: content = melody M1 on instrument A, style = a different melody M2 on
instrument B, target = M1 on B (the ground truth of an ideal transfer). Each distinct
(melody, instrument, transposition) clip is rendered once into <output_dir>/clips/ as
mono 16-bit FLAC; <output_dir>/manifest.json lists the triplets with paths relative to
itself. With --transpositions, M1 (content and target alike) and M2 are each shifted by
a semitone count drawn from the list; with --n_heldout, that many further distinct
triplets are drawn and every entry carries "split": "dev" or "heldout":

  python scripts/make_pairs.py --n_triplets=24 --n_heldout=12 --duration_s=10 \
      --transpositions=-5,-3,0,2,4 --soundfont=/usr/share/sounds/sf2/FluidR3_GM.sf2 \
      --output_dir=outputs/devset/fluidr3
Needs: apt-get install fluidsynth fluid-soundfont-gm (and pip install pretty_midi).
"""
import itertools
import json
import sys
from pathlib import Path

import numpy as np
from absl import flags

from neural_style_audio import audio, cli, synth

MANIFEST_NAME = "manifest.json"
CLIPS_DIR = "clips"

FLAGS = flags.FLAGS
flags.DEFINE_list("melodies", list(synth.MELODIES), "Melody names (synth.MELODIES).")
flags.DEFINE_list("instruments", ["piano", "nylon_guitar", "violin", "cello", "trumpet",
                                  "alto_sax", "oboe", "clarinet", "flute", "organ"],
                  "Instrument names (synth.INSTRUMENTS).")
flags.DEFINE_float("tempo_bpm", synth.DEFAULT_TEMPO_BPM, "Tempo, quarter-note beats per minute.")
flags.DEFINE_integer("seed", 0, "Seed of the triplet sampling.")
flags.DEFINE_string("soundfont", None, "FluidR3_GM.sf2 path (default: search).")
flags.DEFINE_integer("n_triplets", 10, "Number of distinct triplets.")
flags.DEFINE_string("output_dir", "outputs/pairs", "Directory for clips/ and manifest.json.")
flags.DEFINE_integer("sr", synth.DEFAULT_SR, "Sample rate, Hz.")
flags.DEFINE_float("max_beats", 0.0, "If > 0, only the first max_beats of each melody.")
flags.DEFINE_float("duration_s", 0.0, "If > 0, pad/cut every clip to this many seconds.")
flags.DEFINE_list("transpositions", ["0"], "Semitone shifts; each triplet draws one for "
                  "its content melody (content and target) and one for its style melody.")
flags.DEFINE_integer("n_heldout", 0, "Further distinct triplets labelled split=heldout "
                     "(the others: split=dev); 0 writes no split label.")


def sample_triplets(melodies, instruments, n_triplets, seed):
    """Draws distinct (content_melody, style_melody, content_instrument, style_instrument).

    Melodies differ within a triplet, and so do instruments.
    """
    combos = [(m1, m2, a, b)
              for m1, m2 in itertools.permutations(melodies, 2)
              for a, b in itertools.permutations(instruments, 2)]
    if n_triplets > len(combos):
        raise ValueError(f"only {len(combos)} distinct triplets from {len(melodies)} "
                         f"melodies and {len(instruments)} instruments; "
                         f"asked for {n_triplets}")
    rng = np.random.default_rng(seed)
    return [combos[i] for i in rng.choice(len(combos), size=n_triplets, replace=False)]


def check_names(kind, names, known):
    """Returns an error line for unknown/too few names, or None."""
    unknown = [name for name in names if name not in known]
    if unknown:
        return f"unknown {kind} {', '.join(unknown)}; choose from {', '.join(known)}"
    if len(set(names)) < 2:
        return f"need at least 2 distinct {kind}, got {names}"
    return None


def draw_transpositions(n_triplets, transpositions, seed):
    """Draws (content_shift, style_shift) semitones per triplet from `transpositions`.

    A generator of its own (seeded by `seed`) so that the triplets drawn by
    `sample_triplets` do not depend on the transposition list.
    """
    rng = np.random.default_rng([seed, 1])
    shifts = rng.choice(np.asarray(transpositions, dtype=int), size=(n_triplets, 2))
    return [(int(a), int(b)) for a, b in shifts]


def parse_transpositions(values):
    """The --transpositions list as ints; raises ValueError naming a bad entry."""
    try:
        shifts = [int(v) for v in values]
    except ValueError:
        raise ValueError(f"--transpositions must be integers (semitones), got {values}") from None
    if not shifts or any(abs(s) > 24 for s in shifts):
        raise ValueError(f"--transpositions must be a non-empty list within +-24, got {shifts}")
    return shifts


def clip_name(melody, instrument, transpose):
    """Relative path of a clip; untransposed clips keep the historical name."""
    suffix = f"__t{transpose:+d}" if transpose else ""
    return f"{CLIPS_DIR}/{melody}__{instrument}{suffix}.flac"


def render_clip(melody, instrument, soundfont, transpose=0):
    """Renders one (melody, instrument) clip, shifted by `transpose` semitones."""
    notes = synth.MELODIES[melody]
    if FLAGS.max_beats > 0:
        notes = synth.truncate_melody(notes, FLAGS.max_beats)
    y = synth.render_melody(notes, synth.INSTRUMENTS[instrument], sr=FLAGS.sr,
                            tempo_bpm=FLAGS.tempo_bpm, soundfont=soundfont,
                            transpose=transpose)
    if FLAGS.duration_s > 0:
        y = synth.fit_duration(y, FLAGS.sr, FLAGS.duration_s)
    return y


def main(argv):
    del argv
    for kind, names, known in (("melodies", FLAGS.melodies, synth.MELODIES),
                               ("instruments", FLAGS.instruments, synth.INSTRUMENTS)):
        error = check_names(kind, names, known)
        if error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    try:
        transpositions = parse_transpositions(FLAGS.transpositions)
        soundfont = synth.find_soundfont(FLAGS.soundfont)
        synth.find_fluidsynth()
        synth.melody_to_midi([(60, 0, 1)], 0)  # Fails early if pretty_midi is missing.
        if FLAGS.n_heldout < 0:
            raise ValueError(f"--n_heldout must be >= 0, got {FLAGS.n_heldout}")
        n_total = FLAGS.n_triplets + FLAGS.n_heldout
        triplets = sample_triplets(sorted(set(FLAGS.melodies)), sorted(set(FLAGS.instruments)),
                                   n_total, FLAGS.seed)
        shifts = draw_transpositions(n_total, transpositions, FLAGS.seed)
    except (synth.SynthUnavailableError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1

    output_dir = Path(FLAGS.output_dir)
    rendered = {}

    def clip(melody, instrument, transpose):
        key = (melody, instrument, transpose)
        if key not in rendered:
            relative = clip_name(melody, instrument, transpose)
            path = audio.write_audio(output_dir / relative,
                                     render_clip(melody, instrument, soundfont, transpose),
                                     FLAGS.sr)
            path.chmod(0o644)
            rendered[key] = relative
        return rendered[key]

    manifest = []
    for index, ((m1, m2, a, b), (t1, t2)) in enumerate(zip(triplets, shifts)):
        entry = {
            "id": index,
            "content": clip(m1, a, t1), "style": clip(m2, b, t2), "target": clip(m1, b, t1),
            "content_melody": m1, "style_melody": m2,
            "content_instrument": a, "style_instrument": b,
            "content_program": synth.INSTRUMENTS[a], "style_program": synth.INSTRUMENTS[b],
            "sr": FLAGS.sr, "tempo_bpm": FLAGS.tempo_bpm, "seed": FLAGS.seed,
            "soundfont": Path(soundfont).name,
        }
        if t1 or t2 or FLAGS.transpositions != ["0"]:
            entry.update(content_transpose=t1, style_transpose=t2)
        if FLAGS.n_heldout:
            entry["split"] = "dev" if index < FLAGS.n_triplets else "heldout"
        manifest.append(entry)
        print(f"[{index + 1}/{len(triplets)}] {m1}/{a} + {m2}/{b} -> {m1}/{b}")
    with audio.atomic_output(output_dir / MANIFEST_NAME) as tmp:
        tmp.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    (output_dir / MANIFEST_NAME).chmod(0o644)
    print(f"wrote {len(manifest)} triplets ({len(rendered)} clips) to "
          f"{output_dir / MANIFEST_NAME}")
    return 0


def console_main():
    """Entry point of `nsa-make-pairs` and scripts/make_pairs.py."""
    cli.run_command(main, __doc__, __name__)


if __name__ == "__main__":
    console_main()
