"""Shared fixtures: short synthetic clips and the optional ../shared corpus."""
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import soundfile as sf  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SR = 22050


def harmonic_tone(f0, seconds, sr=SR, n_harmonics=6, decay=0.6, seed=0):
    """A harmonic tone with 1/k^decay partial amplitudes and a little noise."""
    t = np.arange(int(seconds * sr)) / sr
    y = sum((k ** -decay) * np.sin(2 * np.pi * k * f0 * t) for k in range(1, n_harmonics + 1)
            if k * f0 < sr / 2)
    y = y + 0.01 * np.random.default_rng(seed).standard_normal(len(t))
    return (0.5 * y / np.max(np.abs(y))).astype(np.float32)


@pytest.fixture
def tone_files(tmp_path):
    """A 1-s content tone (220 Hz, bright) and a 1.5-s style tone (330 Hz, dark)."""
    content = tmp_path / "content.wav"
    style = tmp_path / "style.wav"
    sf.write(content, harmonic_tone(220, 1.0, decay=0.3), SR)
    sf.write(style, harmonic_tone(330, 1.5, n_harmonics=3, decay=1.5, seed=1), SR)
    return content, style


@pytest.fixture
def shared_dir():
    """The ../shared material, or skip when it is not beside the checkout."""
    if not (SHARED / "audio" / "dev").is_dir():
        pytest.skip("../shared/audio/dev not present")
    return SHARED
