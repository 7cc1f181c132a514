"""A tiny synthetic genre corpus (GTZAN layout) for the genre tests (no ../shared)."""
import zlib

import numpy as np
import soundfile as sf

SR = 16000


def _track(genre, i, seconds=1.5, sr=SR):
    rng = np.random.default_rng([zlib.crc32(genre.encode()), i])
    t = np.arange(int(seconds * sr)) / sr
    if genre == "low":
        f0 = 110 * (1 + 0.1 * i)
        y = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 4))
    elif genre == "high":
        f0 = 1760 * (1 + 0.05 * i)
        y = np.sin(2 * np.pi * f0 * t) + 0.5 * np.sin(2 * np.pi * 1.5 * f0 * t)
    else:  # "noise": white noise bursts.
        y = rng.standard_normal(len(t)) * (np.sin(2 * np.pi * 4 * t) > 0)
    y = y + 0.01 * rng.standard_normal(len(t))
    return (0.5 * y / np.max(np.abs(y))).astype(np.float32)


def write_corpus(root, genres=("low", "high", "noise"), n_tracks=5, seconds=1.5):
    for genre in genres:
        (root / genre).mkdir(parents=True, exist_ok=True)
        for i in range(n_tracks):
            ext = ".wav" if i % 2 == 0 else ".flac"
            sf.write(root / genre / f"{genre}.{i:05d}{ext}", _track(genre, i, seconds), SR)
    return root
