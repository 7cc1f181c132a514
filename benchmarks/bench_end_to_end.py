"""End-to-end time of one transfer per objective backend, each in a fresh process.

    python benchmarks/bench_end_to_end.py [--content C --style S] [--preset ulyanov]
        [--iterations 40] [--rounds 2] [--backends xla,auto] [--json]

Runs `scripts/transfer.py` once per backend per round, in interleaved rounds (the order
of the backends alternates), each a new Python process as a user would start it, and
reads the time breakdown from the record the command writes beside the WAV (imports are
the process's wall time minus the transfer's). Prints one line per run and, per backend,
the min and median of the total and of the optimisation's ms per evaluation.
Default clips: the development set's 10-s Ode to Joy (piano) with the style of a violin
G4 note (../shared/audio/dev), as in docs/RESULTS.md section 2.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from absl import app, flags

REPO = Path(__file__).resolve().parents[1]
DEV = REPO.parent / "shared" / "audio" / "dev" / "mono"
FLAGS = flags.FLAGS


def define_flags():
    flags.DEFINE_string("content", str(DEV / "melody_ode_to_joy_piano.flac"), "Content clip.")
    flags.DEFINE_string("style", str(DEV / "note_violin_G4.flac"), "Style clip.")
    flags.DEFINE_string("preset", "ulyanov", "Preset of the transfer.")
    flags.DEFINE_integer("iterations", 40, "L-BFGS-B iterations (fixed, so that runs compare).")
    flags.DEFINE_integer("rounds", 2, "Interleaved rounds.")
    flags.DEFINE_list("backends", "xla,auto", "Values of --backend to compare.")
    flags.DEFINE_bool("json", False, "Print one JSON object on stdout.")


def run_once(backend, out_dir, tag):
    """One transfer in a new process: its record's timings plus wall-clock seconds."""
    out = Path(out_dir) / f"{tag}.wav"
    cmd = [sys.executable, str(REPO / "scripts" / "transfer.py"), "--content", FLAGS.content,
           "--style", FLAGS.style, "--preset", FLAGS.preset, "--iterations",
           str(FLAGS.iterations), "--backend", backend, "--output", str(out), "--noprogress"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    record = json.loads(out.with_suffix(".json").read_text())
    t = record["timings"]
    return dict(backend=backend, chosen=t.get("backend"), probe_ms=t.get("backend_ms", {}),
                wall_s=wall, transfer_s=t["total_s"], optimise_s=t["optimise_s"],
                compile_s=t["compile_s"], evaluations=t["evaluations"],
                ms_per_evaluation=t["ms_per_evaluation"], phase_s=t["phase_s"],
                final_loss=record["final_loss"],
                timings=t,
                breakdown=[line for line in proc.stderr.splitlines() if line.startswith("time:")])


def main(argv):
    del argv
    for path in (FLAGS.content, FLAGS.style):
        if not Path(path).is_file():
            print(f"error: {path}: no such file (pass --content / --style)", file=sys.stderr)
            return 2
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(FLAGS.rounds):
            order = FLAGS.backends if r % 2 == 0 else FLAGS.backends[::-1]
            for backend in order:
                run = run_once(backend, tmp, f"{backend}_{r}")
                run["round"] = r
                runs.append(run)
                print(f"round {r + 1} {backend:>5} (ran on {run['chosen']}): wall {run['wall_s']:.1f} s, "
                      f"transfer {run['transfer_s']:.1f} s, {run['evaluations']} evaluations at "
                      f"{run['ms_per_evaluation']:.0f} ms, loss {run['final_loss']:.4g}; "
                      + " ".join(run["breakdown"]), file=sys.stderr, flush=True)
    summary = {}
    for backend in FLAGS.backends:
        mine = [r for r in runs if r["backend"] == backend]
        summary[backend] = {k: dict(min=min(r[k] for r in mine),
                                    median=statistics.median(r[k] for r in mine))
                            for k in ("wall_s", "transfer_s", "ms_per_evaluation")}
        print(f"{backend:>5}: wall {summary[backend]['wall_s']['min']:.1f} / "
              f"{summary[backend]['wall_s']['median']:.1f} s, ms per evaluation "
              f"{summary[backend]['ms_per_evaluation']['min']:.0f} / "
              f"{summary[backend]['ms_per_evaluation']['median']:.0f} (min / median)",
              file=sys.stderr)
    if FLAGS.json:
        print(json.dumps(dict(runs=runs, summary=summary, loadavg=os.getloadavg(),
                              env={k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE",
                                                                  "OPENBLAS_L2_SIZE")},
                              flags=dict(content=FLAGS.content, style=FLAGS.style,
                                         preset=FLAGS.preset, iterations=FLAGS.iterations,
                                         rounds=FLAGS.rounds))))
    return 0


if __name__ == "__main__":
    define_flags()
    app.run(main)
