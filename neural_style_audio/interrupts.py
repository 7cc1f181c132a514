"""Ctrl-C held back from code that cannot take it.

numba-compiled code (librosa's pYIN Viterbi decoding, its peak picking) can crash the
interpreter with a segmentation fault when a KeyboardInterrupt is raised while it runs
(numba/numba#2324; seen here: Ctrl-C during `librosa.sequence.viterbi` in the
source-filter method's pitch tracking ended the process with SIGSEGV instead of the
command's "interrupted" line and exit code 130). `held_interrupts` records a Ctrl-C
that arrives inside such a call and delivers it once the call has returned: the user
waits at most the length of that call (pYIN: 0.5 s per 10 s of audio on 2 cores, plus
about 3 s on its first call in a process, when numba loads its compiled code).
"""
import contextlib
import signal
import threading


@contextlib.contextmanager
def held_interrupts():
    """Holds SIGINT for the duration of the block, then delivers it to the previous
    handler (by default: raises KeyboardInterrupt at the end of the block).

    Does nothing outside the main thread (signal handlers cannot be set there) or when
    SIGINT is ignored or not handled in Python. Nests: an inner block hands a held
    Ctrl-C to the outer one. The previous handler is restored in every case.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    if not callable(previous):
        yield
        return
    held = []
    signal.signal(signal.SIGINT, lambda signum, frame: held.append(frame))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if held:
            previous(signal.SIGINT, held[0])
