"""A/B/C of the WaveNet fast decoder: the code before the per-layer change (commit
cf06a74's generation.py, read from git, verbatim) against the current per_layer and
batched formulations, interleaved in one run (docs/RESULTS.md section 12).

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/ab_wavenet_generation.py \
        h512_bo16,small docs/results/ab_wavenet_generation.json

Needs the git history (a clone, not an sdist). Prints best / median samples/s per clip.
"""
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from neural_style_audio.wavenet import config as wn_config, generation, model  # noqa: E402

OLD_COMMIT = "cf06a74"
REPO = Path(__file__).resolve().parents[1]
old_source = subprocess.run(["git", "show", f"{OLD_COMMIT}:neural_style_audio/wavenet/generation.py"],
                            cwd=REPO, check=True, capture_output=True, text=True).stdout
old_path = Path(tempfile.mkdtemp()) / "generation_old.py"
old_path.write_text(old_source)
spec = importlib.util.spec_from_file_location("generation_old", old_path)
head = importlib.util.module_from_spec(spec)
spec.loader.exec_module(head)

PLAN = {"h512_bo16": ((1, 24, 4), (64, 8, 3)), "small": ((1, 4000, 4), (128, 500, 4))}
names = sys.argv[1].split(",")
out = sys.argv[2]
load_before = os.getloadavg()
rows = []
for name in names:
    c = wn_config.get(name)
    net = model.build_model(c, seed=0)
    for batch, n, repeats in PLAN[name]:
        enc = tf.random.stateless_normal([batch, -(-n // c.ae_hop_length), c.ae_bottleneck_width], seed=[0, batch])
        gens = {"head (old code)": head.FastGenerator(net, chunk=n),
                "per_layer": generation.FastGenerator(net, chunk=n, formulation="per_layer"),
                "batched": generation.FastGenerator(net, chunk=n, formulation="batched")}
        bins = {f: g.generate_bins(enc, n_samples=n, seed=1) for f, g in gens.items()}
        same = all(np.array_equal(b, bins["head (old code)"]) for b in bins.values())
        times = {f: [] for f in gens}
        for _ in range(repeats):
            for f, g in gens.items():
                t = time.perf_counter(); g.generate_bins(enc, n_samples=n, seed=1)
                times[f].append(time.perf_counter() - t)
        row = dict(config=name, batch=batch, samples=n, repeats=repeats, same_samples=same,
                   seconds=times)
        rows.append(row)
        msg = f"{name} batch {batch} ({n} x {repeats}, same={same}): " + "; ".join(
            f"{f} best {n / min(ts):.1f} median {n / np.median(ts):.1f}" for f, ts in times.items())
        print(msg, file=sys.stderr, flush=True)
json.dump(dict(load_before=load_before, load_after=os.getloadavg(), rows=rows,
               openblas_coretype=os.environ.get("OPENBLAS_CORETYPE")), open(out, "w"), indent=1)
print("load", load_before, os.getloadavg(), file=sys.stderr)
