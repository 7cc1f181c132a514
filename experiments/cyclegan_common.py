"""Helpers shared by the CycleGAN experiment scripts (cyclegan_instruments.py,
cyclegan_genres.py): the variants' training settings and launcher, run summaries, the
results table and the machine line."""
import os
import platform
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Settings of the two variants on a 2-core CPU (beside the variant's own): 64-frame crops
# (0.37 s) of a 512-point STFT (256 rows); the strong variant narrowed (keras-io: 64
# filters, 9 blocks, batch 1) so that a step takes seconds, not minutes.
VARIANT_FLAGS = {
    "published": ["--crop_frames=64", "--n_fft=512", "--hop_length=128"],
    "strong": ["--crop_frames=64", "--n_fft=512", "--hop_length=128", "--gen_filters=16",
               "--n_residual_blocks=6", "--disc_filters=32", "--batch_size=4"],
}


def run_training(data_args, variant, run_dir, minutes, extra=()):
    """Runs scripts/train_cyclegan.py on `data_args` (its data flags) with the variant's
    settings, checkpoints every 100 steps; prints the command, returns its exit code."""
    cmd = [sys.executable, str(REPO / "scripts" / "train_cyclegan.py"), *data_args,
           f"--variant={variant}", f"--output_dir={run_dir}", f"--max_minutes={minutes}",
           "--checkpoint_every=100", "--noprogress", *VARIANT_FLAGS[variant],
           *[f"--{x}" for x in extra]]
    print(" ".join(cmd[1:]))
    return subprocess.call(cmd)


def quiet_tensorflow():
    """Imports TensorFlow without its start-up chatter, and silences absl's notes
    (Griffin-Lim's per-length retracing) for an evaluation."""
    from neural_style_audio.quiet import import_tensorflow_quietly
    import_tensorflow_quietly()
    from absl import logging as absl_logging
    absl_logging.set_verbosity(absl_logging.ERROR)


def loss_summary(rec):
    """'cycle A+B x -> y, discriminators A+B x -> y' over the run's sessions (means of
    their first and last 20 steps)."""
    sessions = [s for s in rec.get("sessions", []) if s.get("final_losses")]
    if not sessions:
        return "no steps"
    first, last = sessions[0].get("first_losses") or {}, sessions[-1]["final_losses"]

    def pair(d, a, b):
        return f"{d[a] + d[b]:.3f}" if a in d and b in d else "?"
    return (f"cycle loss A+B {pair(first, 'cycle_a', 'cycle_b')} -> "
            f"{pair(last, 'cycle_a', 'cycle_b')}, discriminator loss A+B "
            f"{pair(first, 'disc_a', 'disc_b')} -> {pair(last, 'disc_a', 'disc_b')}, "
            f"generator adversarial A->B {first.get('gen_ab_adv', float('nan')):.3f} -> "
            f"{last['gen_ab_adv']:.3f} (means of the first and last 20 steps)")


def machine():
    return (f"{platform.node()}: {platform.processor() or platform.machine()}, "
            f"{os.cpu_count()} CPU cores, {platform.system()}")


def _nothing(rec):
    return ""


def results_lines(title, intro, systems, columns, heads, summary, runs, data_note=_nothing,
                  settings_note=_nothing):
    """The markdown of an evaluation: a title, an intro paragraph, one table row per
    system (columns' means from `summary[system][column]`, headed by `heads`), then one
    line per training run: steps and epochs (then `data_note(rec)`), minutes, then
    `settings_note(rec)` and the losses."""
    lines = [title, "", intro, "",
             "| system | " + " | ".join(heads[c] for c in columns) + " |",
             "|---|" + "---|" * len(columns)]
    for s in systems:
        lines.append(f"| {s} | " + " | ".join(f"{summary[s][c]:.3f}" for c in columns) + " |")
    lines += ["", "Training runs (scripts/train_cyclegan.py; settings in the run's "
              "cyclegan.json):", ""]
    for variant, rec in runs.items():
        steps = rec.get("total_steps", 0)
        secs = sum(s["seconds"] for s in rec.get("sessions", []))
        lines.append(
            f"- {variant}: {steps} steps of batch {rec['config']['train']['batch_size']} "
            f"({steps / max(1, rec['steps_per_epoch']):.2f} epochs of "
            f"{rec['steps_per_epoch']} steps{data_note(rec)}), {secs / 60:.1f} min; "
            f"{settings_note(rec)}{loss_summary(rec)}")
    return lines
