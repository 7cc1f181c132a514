"""Tiny CycleGAN data and settings shared by the tests/cyclegan files."""
import numpy as np
import soundfile as sf

from conftest import harmonic_tone
from neural_style_audio.cyclegan import config as cg_config

SR = 8000
# 64 frequency rows, 48-frame crops (the published discriminator's minimum is 44).
TINY = dict(sr=SR, n_fft=128, hop_length=32, crop_frames=48, n_residual_blocks=1,
            batch_size=2, epochs=1)


def tiny_config(variant="published", **kw):
    extra = dict(gen_filters=4, disc_filters=4) if variant == "strong" else {}
    return cg_config.preset(variant, **{**TINY, **extra, **kw})


def write_domains(root, n_files=2, seconds=1.0):
    """Two folders of 1-s synthetic tones: bright low tones (A), dark high tones (B)."""
    dirs = {}
    for name, f0s, decay, n_harm in (("a", (150, 200, 250), 0.3, 8),
                                     ("b", (400, 500, 600), 1.5, 2)):
        folder = root / name
        folder.mkdir(parents=True)
        for i in range(n_files):
            y = harmonic_tone(f0s[i % 3], seconds, sr=SR, n_harmonics=n_harm, decay=decay,
                              seed=i)
            sf.write(folder / f"tone_{i}.wav", y, SR)
        dirs[name] = folder
    return dirs["a"], dirs["b"]


def weights(model):
    return [np.array(v) for v in model.weights]
