"""tf.distribute: training under MirroredStrategy with two replicas (two logical CPUs,
set up in a fresh process because TensorFlow fixes its devices on first use)."""
import subprocess
import sys

from conftest import REPO

SCRIPT = """
import sys, tempfile
sys.path[:0] = ["tests", "tests/cyclegan"]
import numpy as np, tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from cyclegan_fixtures import tiny_config
from neural_style_audio.cyclegan import train
devices = [d.name for d in tf.config.list_logical_devices("CPU")][:2]
strategy = tf.distribute.MirroredStrategy(devices)
rng = np.random.default_rng(0)
a = [rng.uniform(-1, 1, (200, 64)).astype("float32")]
b = [rng.uniform(-1, 0, (200, 64)).astype("float32")]
config = tiny_config("published", batch_size=4, epochs=5)
# Eager steps (compiled=False): the same strategy.run and cross-replica reduction
# without the 20-30 s trace of the compiled step.
result = train.train(config, a, b, tempfile.mkdtemp(), max_steps=2, strategy=strategy,
                     progress=False, compiled=False)
session = result.record["sessions"][-1]
assert session["replicas"] == 2 and session["last_step"] == 2, session
assert all(np.isfinite(v) for v in session["final_losses"].values()), session
# Each replica saw half the global batch; the reported losses are global means.
x = tf.random.uniform((4, 48, 64, 1), -1, 1, seed=1)
per_example = result.gan.per_example_losses(x, x, training=False)
assert per_example["cycle_a"].shape == (4,)
print("OK", train.is_chief(strategy))
"""


def test_mirrored_strategy_trains_on_two_replicas():
    proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=REPO, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "OK True" in proc.stdout
