"""The network tests under both of TensorFlow's CPU code paths.

TF picks oneDNN kernels by default on some CPUs (AVX-512) and its generic kernels on
others, and the two differ at the edges (oneDNN's MaxPool aborts on an input shorter
than its window; the generic kernel returns an empty tensor). Running the network,
pooling and convolution tests in a subprocess with TF_ENABLE_ONEDNN_OPTS=0 and =1
makes such a difference fail on any machine, not only on the CPU that takes that path.
The path this pytest process itself runs on is already covered by the suite's own run
of those tests, so only the other one gets a subprocess (each costs about 40 s here).
"""
import os
import subprocess
import sys

import pytest

from conftest import REPO

# Tests of everything that convolves, pools or recurs (networks, VGG-19, VGGish, the
# recurrent style networks, the WaveNet autoencoder, the CycleGAN's models).
NETWORK_TESTS = [
    "tests/networks/test_random_conv.py",
    "tests/networks/test_vgg19.py::test_vgg19_layers_and_shapes",
    "tests/networks/test_vgg19.py::test_vgg19_refuses_input_smaller_than_its_pools",
    "tests/networks/test_instrument_cnn.py",
    "tests/vggish_loss/test_vggish_model.py::test_activations_match_direct_computation",
    "tests/vggish_loss/test_vggish_model.py::test_width_multiplier_keeps_the_architecture",
    "tests/networks/test_recurrent.py::test_frequency_axis_shapes_and_windows",
    "tests/networks/test_recurrent.py::test_time_axis_shapes_any_length",
    "tests/wavenet/test_model.py::test_layer_names_and_shapes_are_magentas",
    "tests/wavenet/test_model.py::test_decoder_is_causal_and_encoder_sees_both_sides",
    "tests/cyclegan/test_cyclegan_models.py::test_generator_and_discriminator_shapes",
    "tests/cyclegan/test_cyclegan_models.py::test_gupta_discriminator_arithmetic_matches_the_paper",
]

_PROBE = ("from tensorflow.python.util import _pywrap_util_port as p; "
          "print('onednn', p.IsMklEnabled())")


def _this_process_uses_onednn():
    import tensorflow  # noqa: F401  (the probe needs TensorFlow loaded)
    from tensorflow.python.util import _pywrap_util_port as port
    return bool(port.IsMklEnabled())


@pytest.mark.slow
@pytest.mark.parametrize("onednn", ["0", "1"])
def test_network_tests_pass_on_both_cpu_code_paths(onednn):
    if (onednn == "1") == _this_process_uses_onednn():
        pytest.skip("this path is the one the suite itself runs on: its network tests "
                    "cover it")
    env = dict(os.environ, TF_ENABLE_ONEDNN_OPTS=onednn, TF_CPP_MIN_LOG_LEVEL="2")
    probe = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True,
                           text=True, timeout=300)
    # The setting really reaches TensorFlow in the subprocess.
    assert f"onednn {onednn == '1'}" in probe.stdout, probe.stdout + probe.stderr
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "0",
         *NETWORK_TESTS],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert " passed" in run.stdout and "failed" not in run.stdout
