import numpy as np

from neural_style_audio import phase, spectral
from neural_style_audio.evaluation import metrics
from conftest import harmonic_tone


def test_griffin_lim_converges_on_known_signal():
    y = harmonic_tone(220, 1.0)
    mag = spectral.magnitude(y, 1024, 256)
    sc = [metrics.spectral_convergence(
        mag, phase.griffin_lim(mag, 1024, 256, n_iter=n, length=len(y), progress=False),
        1024, 256) for n in (0, 10, 100)]
    assert sc[0] > 0.3  # Random phase is far off.
    assert sc[2] < sc[1] < sc[0]
    assert sc[2] < 0.1


def test_momentum_speeds_up_convergence():
    y = harmonic_tone(150, 1.0, n_harmonics=10)
    mag = spectral.magnitude(y, 1024, 256)
    def sc(momentum):
        out = phase.griffin_lim(mag, 1024, 256, 30, momentum=momentum, progress=False)
        return metrics.spectral_convergence(mag, out, 1024, 256)
    assert sc(0.99) < sc(0.0)


def test_griffin_lim_seeded():
    mag = spectral.magnitude(harmonic_tone(220, 0.5), 512, 128)
    a = phase.griffin_lim(mag, 512, 128, 5, seed=1, progress=False)
    b = phase.griffin_lim(mag, 512, 128, 5, seed=1, progress=False)
    c = phase.griffin_lim(mag, 512, 128, 5, seed=2, progress=False)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_content_phase_reconstructs_original():
    y = harmonic_tone(220, 1.0)
    mag = spectral.magnitude(y, 2048, 512)
    out = phase.with_phase_of(mag, y, 2048, 512, len(y))
    assert np.max(np.abs(out - y)) < 1e-4
