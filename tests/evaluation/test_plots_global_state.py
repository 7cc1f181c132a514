import subprocess
import sys


def test_importing_plots_leaves_the_matplotlib_backend_alone():
    code = ("import matplotlib; matplotlib.use('svg'); "
            "import neural_style_audio.evaluation.plots; print(matplotlib.get_backend())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "svg"
