"""CycleGAN between two instruments, where the true target exists: piano -> violin.

Stages (each short enough to run as one locked job on a small CPU machine):

    python experiments/cyclegan_instruments.py --stage render
    python experiments/cyclegan_instruments.py --stage train --variant published --minutes 14
    python experiments/cyclegan_instruments.py --stage train --variant strong --minutes 14
    python experiments/cyclegan_instruments.py --stage evaluate

render: random melodies (seeded; never the named test melodies) on instrument A and,
unpaired (other melodies), on instrument B with FluidR3 GM; and the test triplets: each
named melody of synth.MELODIES on A (content) and on B (target), with the next named
melody on B as the style clip (for the copy-style baseline).
train: scripts/train_cyclegan.py --dir_a --dir_b on those folders, time-boxed
(--max_minutes; running the stage again resumes).
evaluate: converts every test content A->B with each trained variant and scores it with
the triplet metrics (evaluation.runner.compute_metrics: floored LSD to the target, timbre
accuracy, octave-forgiving pitch accuracy) beside copy-content, copy-style and the
content passed through the same spectrogram/phase pipeline unchanged (what the
representation alone costs); writes docs/results/cyclegan_instruments.md and .json.
"""
import json
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402
from absl import app, flags  # noqa: E402

from neural_style_audio import synth  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
FLAGS = flags.FLAGS
flags.DEFINE_enum("stage", "render", ["render", "train", "evaluate"], "What to do.")
flags.DEFINE_string("work_dir", "outputs/cyclegan/instruments", "Renders and runs.")
flags.DEFINE_string("instrument_a", "piano", "Domain A (synth.INSTRUMENTS).")
flags.DEFINE_string("instrument_b", "violin", "Domain B.")
flags.DEFINE_integer("n_train", 40, "Random training melodies per instrument.")
flags.DEFINE_integer("notes", 12, "Notes per random melody.")
flags.DEFINE_enum("variant", "published", ["published", "strong"], "train: the variant.")
flags.DEFINE_float("minutes", 14.0, "train: minutes of training in this call.")
flags.DEFINE_list("extra", [], "train: more train_cyclegan.py flags (name=value).")
flags.DEFINE_enum("phase", "griffin_lim", ["griffin_lim", "content"], "evaluate: phase.")
flags.DEFINE_integer("griffin_lim_iters", 100, "evaluate: Griffin-Lim iterations.")
flags.DEFINE_string("results", "docs/results/cyclegan_instruments", "evaluate: output stem.")
flags.DEFINE_string("figure", "docs/images/cyclegan_instruments.png", "evaluate: figure "
                    "('' = none).")

SR = synth.DEFAULT_SR
PITCH_RANGE = (57, 81)  # A3..A5: comfortable for piano and violin (and most of INSTRUMENTS).
DURATIONS_BEATS = (0.5, 1.0, 1.0, 1.5, 2.0)

from cyclegan_common import (machine, quiet_tensorflow, results_lines,  # noqa: E402
                             run_training)  # (sibling module)


def random_melody(seed, n_notes):
    """A seeded random melody: a random walk on the C-major scale within PITCH_RANGE."""
    rng = np.random.default_rng(seed)
    scale = [p for p in range(PITCH_RANGE[0], PITCH_RANGE[1] + 1) if p % 12 in
             (0, 2, 4, 5, 7, 9, 11)]
    i = int(rng.integers(len(scale)))
    notes, onset = [], 0.0
    for _ in range(n_notes):
        i = int(np.clip(i + rng.choice([-3, -2, -1, -1, 1, 1, 2, 3, 4]), 0, len(scale) - 1))
        duration = float(rng.choice(DURATIONS_BEATS))
        notes.append((scale[i], onset, duration))
        onset += duration
    return tuple(notes)


def render(work):
    a, b = FLAGS.instrument_a, FLAGS.instrument_b
    started = time.perf_counter()
    for name, instrument, offset in (("train_a", a, 0), ("train_b", b, 100000)):
        folder = work / name
        folder.mkdir(parents=True, exist_ok=True)
        for k in range(FLAGS.n_train):  # Disjoint seeds: A and B never share a melody.
            path = folder / f"random_{offset + k:06d}__{instrument}.flac"
            if not path.exists():
                y = synth.render_melody(random_melody(offset + k, FLAGS.notes),
                                        synth.INSTRUMENTS[instrument], sr=SR)
                sf.write(path, y, SR)
    test = work / "test"
    test.mkdir(parents=True, exist_ok=True)
    names = list(synth.MELODIES)
    items = []
    for k, melody in enumerate(names):
        style_melody = names[(k + 1) % len(names)]
        item = {}
        for role, mel, inst in (("content", melody, a), ("target", melody, b),
                                ("style", style_melody, b)):
            path = test / f"{mel}__{inst}.flac"
            if not path.exists():
                sf.write(path, synth.render_melody(synth.MELODIES[mel],
                                                   synth.INSTRUMENTS[inst], sr=SR), SR)
            item[role] = path.name
        items.append(dict(id=k, melody=melody, **item))
    (test / "manifest.json").write_text(json.dumps(items, indent=1) + "\n")
    print(f"rendered {FLAGS.n_train} + {FLAGS.n_train} training melodies and "
          f"{len(items)} test triplets in {time.perf_counter() - started:.0f} s")


def train(work):
    return run_training([f"--dir_a={work / 'train_a'}", f"--dir_b={work / 'train_b'}"],
                        FLAGS.variant, work / f"run_{FLAGS.variant}", FLAGS.minutes, FLAGS.extra)


def evaluate(work):
    quiet_tensorflow()
    from neural_style_audio import audio
    from neural_style_audio.cyclegan import convert
    from neural_style_audio.evaluation import runner
    test = work / "test"
    items = json.loads((test / "manifest.json").read_text())
    names = ["floored_log_spectral_distance", "timbre_accuracy",
             "octave_forgiving_pitch_accuracy", "mfcc_distance_to_target"]
    systems = {"copy_content": None, "copy_style": None, "content_through_pipeline": None}
    runs = {}
    for variant in ("published", "strong"):
        run_dir = work / f"run_{variant}"
        if (run_dir / "cyclegan.json").is_file():
            generator, config = convert.load_generator(run_dir, "a2b")
            systems[f"cyclegan_{variant}"] = (generator, config)
            runs[variant] = json.loads((run_dir / "cyclegan.json").read_text())
    spec = next((c.spectrogram for v in systems.values() if v for c in [v[1]]), None)
    rows, f0_cache, first_item = [], {}, {}
    out_dir = work / "converted"
    for item in items:
        clips = {r: audio.load_audio(test / item[r], SR) for r in ("content", "target",
                                                                 "style")}
        n = len(clips["content"])
        target = runner.fit_length(clips["target"], n)  # Same melody, same length (+-tail).
        for system, model in systems.items():
            started = time.perf_counter()
            if system == "copy_content":
                y = clips["content"]
            elif system == "copy_style":
                y = runner.fit_length(clips["style"], n)
            elif system == "content_through_pipeline":
                if spec is None:
                    continue
                y = convert.convert_at_rate(lambda x, training=False: np.asarray(x),
                                            clips["content"], SR, spec, phase=FLAGS.phase,
                                            n_iter=FLAGS.griffin_lim_iters)
            else:
                y = convert.convert_at_rate(model[0], clips["content"], SR,
                                            model[1].spectrogram, phase=FLAGS.phase,
                                            n_iter=FLAGS.griffin_lim_iters)
                audio.write_audio(out_dir / system / f"{item['melody']}.wav", y, SR)
            seconds = time.perf_counter() - started
            if item is items[0] and system not in ("copy_style", "content_through_pipeline"):
                first_item[system.replace("copy_content", "content")] = y
            scores = runner.compute_metrics(np.asarray(y, np.float32), clips["content"],
                                            clips["style"], SR, target=target, names=names,
                                            f0_cache=f0_cache)
            rows.append(dict(item=item["melody"], system=system, convert_s=seconds, **scores))
            print(f"{item['melody']:<24} {system:<26} " + " ".join(
                f"{k[:12]}={v:.3f}" for k, v in scores.items()), flush=True)
    if FLAGS.figure and runs:
        first_item["target"] = runner.fit_length(
            audio.load_audio(test / items[0]["target"], SR), len(first_item["content"]))
        write_figure(work, items, first_item, runs, FLAGS.figure)
    write_results(rows, runs, names)


def write_results(rows, runs, names):
    systems = list(dict.fromkeys(r["system"] for r in rows))
    summary = {s: {m: float(np.mean([r[m] for r in rows if r["system"] == s
                                     and np.isfinite(r[m])])) for m in names}
               for s in systems}
    payload = dict(rows=rows, summary=summary, runs=runs, machine=machine(),
                   instruments=[FLAGS.instrument_a, FLAGS.instrument_b],
                   phase=FLAGS.phase, griffin_lim_iters=FLAGS.griffin_lim_iters)
    stem = Path(FLAGS.results)
    stem.parent.mkdir(parents=True, exist_ok=True)
    stem.with_suffix(".json").write_text(json.dumps(payload, indent=1, default=float) + "\n")
    heads = {"floored_log_spectral_distance": "floored LSD to target, dB (lower better)",
             "timbre_accuracy": "timbre accuracy (higher better)",
             "octave_forgiving_pitch_accuracy": "pitch accuracy, octave-forgiving (higher)",
             "mfcc_distance_to_target": "MFCC-stats distance to target (lower)"}
    lines = results_lines(
        f"# CycleGAN {FLAGS.instrument_a} -> {FLAGS.instrument_b}: triplet metrics",
        f"Written by `python experiments/cyclegan_instruments.py --stage evaluate` "
        f"({len({r['item'] for r in rows})} held-out named melodies; phase "
        f"{FLAGS.phase}, {FLAGS.griffin_lim_iters} Griffin-Lim iterations). Machine: "
        f"{machine()}.", systems, names, heads, summary, runs,
        settings_note=_network_settings)
    Path(str(stem) + ".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def _network_settings(rec):
    """'generator ..., crops ...; ' of one training run's settings (its cyclegan.json)."""
    c = rec["config"]
    return (f"generator {c['network']['gen_filters']} filters, "
            f"{c['network']['n_residual_blocks']} residual blocks, "
            f"{c['network']['discriminator']} discriminator, {c['loss']['gan_loss']}, "
            f"lambda_cycle {c['loss']['lambda_cycle']}, lambda_identity "
            f"{c['loss']['lambda_identity']}, Adam {c['train']['learning_rate']} (beta_1 "
            f"{c['train']['beta_1']}); crops {c['spectrogram']['crop_frames']} frames x "
            f"{c['spectrogram']['n_fft'] // 2} bins; ")


def write_figure(work, items, systems_audio, runs, path):
    """Spectrograms of one test item (content, each CycleGAN output, target) and the
    runs' loss curves, as one PNG (matplotlib's object API: no global state)."""
    from matplotlib.figure import Figure
    from neural_style_audio import spectral
    panels = list(systems_audio.items())
    fig = Figure(figsize=(10, 2.0 * (len(panels) + 1)))
    axes = fig.subplots(len(panels) + 1, 1)
    for ax, (name, y) in zip(axes, panels):
        db = spectral.spectrogram_db(spectral.magnitude(y, 2048, 512))
        db = db[::4, ::max(1, db.shape[1] // 300)]  # Coarser pixels: a small PNG.
        ax.imshow(db, origin="lower", aspect="auto", cmap="magma",
                  extent=[0, len(y) / SR, 0, SR / 2000])
        ax.set_ylabel("kHz")
        ax.set_title(f"{items[0]['melody']}: {name}", fontsize=9)
    ax = axes[-1]
    for variant in runs:
        losses = work / f"run_{variant}" / "losses.jsonl"
        if not losses.is_file():
            continue
        rows = [json.loads(line) for line in losses.read_text().splitlines()]
        steps = [r["step"] for r in rows]
        for key, style in (("cycle", "-"), ("disc", ":")):
            values = np.array([r[f"{key}_a"] + r[f"{key}_b"] for r in rows])
            k = min(10, len(values))
            smooth = np.convolve(values, np.ones(k) / k, mode="valid")
            ax.plot(steps[k - 1:], smooth, style, label=f"{variant}: {key} A+B")
    ax.set_xlabel("step")
    ax.set_title("training losses (10-step means)", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=60)


def main(argv):
    del argv
    work = Path(FLAGS.work_dir)
    if FLAGS.stage == "render":
        render(work)
    elif FLAGS.stage == "train":
        return train(work)
    else:
        evaluate(work)
    return 0


if __name__ == "__main__":
    app.run(main)
