"""Importing TensorFlow without its C++ start-up chatter on the terminal."""
import sys


def import_tensorflow_quietly():
    """Imports TensorFlow and probes the GPUs with the C++ start-up chatter hidden.

    TF/XLA print CUDA-probe lines ("Could not find cuda drivers", "failed call to
    cuInit") straight to file descriptor 2 before their log level applies; on a CPU
    machine they are noise. Python exceptions still surface normally.
    """
    import os
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
