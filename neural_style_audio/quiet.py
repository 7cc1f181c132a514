"""Quiet console output: TensorFlow imported without its C++ start-up chatter, and
progress bars only where they can redraw in place."""
import os
import sys


def import_tensorflow_quietly():
    """Imports TensorFlow and probes the GPUs with the C++ start-up chatter hidden.

    TF/XLA print CUDA-probe and CPU-feature lines ("Could not find cuda drivers",
    "This TensorFlow binary is optimized ...") straight to file descriptor 2, before
    any log level applies; for a library import (and on a CPU machine) they are noise.
    Python exceptions still surface normally (they are printed after fd 2 is back).
    Does nothing visible when TensorFlow is already imported.

    Returns:
      The tensorflow module.
    """
    if "tensorflow" in sys.modules and getattr(import_tensorflow_quietly, "done", False):
        return sys.modules["tensorflow"]
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import tensorflow as tf
            tf.config.list_physical_devices("GPU")
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    import_tensorflow_quietly.done = True
    return tf


def progress_disabled(progress):
    """tqdm's `disable` for a progress flag: off when not asked for, and also when
    stderr is not a terminal (tqdm's None), so that a log file does not fill up with
    carriage-return redraws."""
    return None if progress else True
