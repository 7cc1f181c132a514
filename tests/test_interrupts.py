"""interrupts.held_interrupts: Ctrl-C held back from numba-compiled calls."""
import os
import signal
import threading

import numpy as np
import pytest

from neural_style_audio import interrupts, pitch
from neural_style_audio.evaluation import metrics


@pytest.fixture
def default_sigint():
    """SIGINT handled as Python does by default (raises KeyboardInterrupt)."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


def _ctrl_c():
    """Sends SIGINT to this process and gives Python the chance to run its handler."""
    os.kill(os.getpid(), signal.SIGINT)
    for _ in range(1000):  # Handlers run between bytecodes of the main thread.
        pass


def test_ctrl_c_inside_is_delivered_after_the_block(default_sigint):
    finished = []
    with pytest.raises(KeyboardInterrupt):
        with interrupts.held_interrupts():
            _ctrl_c()
            finished.append(True)  # Not interrupted halfway.
    assert finished == [True]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_without_ctrl_c_nothing_happens_and_the_handler_is_restored(default_sigint):
    with interrupts.held_interrupts():
        assert signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with pytest.raises(ValueError):  # An error in the block: restored all the same.
        with interrupts.held_interrupts():
            raise ValueError
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_nested_blocks_deliver_once_at_the_outer_end(default_sigint):
    steps = []
    with pytest.raises(KeyboardInterrupt):
        with interrupts.held_interrupts():
            with interrupts.held_interrupts():
                _ctrl_c()
            steps.append("after inner")
    assert steps == ["after inner"]


def test_the_previous_handler_gets_the_signal():
    calls = []
    before = signal.signal(signal.SIGINT, lambda signum, frame: calls.append(signum))
    try:
        with interrupts.held_interrupts():
            _ctrl_c()
            assert calls == []
        assert calls == [signal.SIGINT]
    finally:
        signal.signal(signal.SIGINT, before)


def test_outside_the_main_thread_it_changes_nothing(default_sigint):
    seen = []

    def body():
        with interrupts.held_interrupts():
            seen.append(signal.getsignal(signal.SIGINT))

    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    assert seen == [signal.default_int_handler]


@pytest.mark.parametrize("call", ["track_f0", "estimate_f0"])
def test_pitch_tracking_finishes_its_numba_call_before_ctrl_c(default_sigint, monkeypatch,
                                                               call):
    finished = []

    def fake_pyin(y, **kwargs):  # Ctrl-C arrives while librosa's pYIN runs.
        _ctrl_c()
        finished.append(True)
        n = 1 + len(y) // kwargs["hop_length"]
        return np.full(n, 220.0), np.ones(n, bool), np.ones(n)

    monkeypatch.setattr("librosa.pyin", fake_pyin)
    y = np.zeros(4096, np.float32)
    y[::100] = 0.5
    with pytest.raises(KeyboardInterrupt):
        if call == "track_f0":
            pitch.track_f0(y, 22050)
        else:
            metrics.estimate_f0(y, 22050)
    assert finished == [True]
