"""Phase reconstruction: fast Griffin-Lim in TensorFlow, or reuse of a known phase."""
import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from neural_style_audio import spectral
from neural_style_audio.quiet import progress_disabled

# Iterations compiled into one XLA call; the progress bar moves once per block.
_BLOCK = 25
_EPS = 1e-16


def _gl_block(n_fft, hop_length, length, n_iter, momentum):
    """Compiles `n_iter` fast Griffin-Lim iterations (Perraudin et al., 2013)."""
    beta = momentum / (1.0 + momentum)

    @tf.function(jit_compile=True)
    def block(mag, angles, rebuilt):
        for _ in tf.range(n_iter):
            prev = rebuilt
            y = spectral.istft(mag * angles, n_fft, hop_length, length)
            rebuilt = spectral.stft(y, n_fft, hop_length)
            angles = rebuilt - tf.cast(beta, tf.complex64) * prev
            angles = angles / tf.cast(tf.abs(angles) + _EPS, tf.complex64)
        return angles, rebuilt

    return block


def griffin_lim(mag, n_fft=2048, hop_length=512, n_iter=500, momentum=0.99, seed=0,
                length=None, progress=True, compiled_blocks=None):
    """Estimates a waveform whose STFT magnitude approximates `mag`.

    Args:
      mag: [T, n_fft // 2 + 1] linear magnitude.
      n_fft, hop_length: STFT settings of `mag`.
      n_iter: iterations; 0 returns the random-phase inverse.
      momentum: fast Griffin-Lim momentum (0 = classic Griffin-Lim; 0.99 as librosa).
      seed: seed of the random initial phase.
      length: output samples; default (T - 1) * hop_length.
      progress: show a tqdm bar.
      compiled_blocks: a dict in which compiled iteration blocks are kept, so that
        later calls with the same settings and shape do not compile again.

    Returns:
      [length] float32 numpy waveform.
    """
    mag_t = tf.convert_to_tensor(np.asarray(mag, np.float32))
    if length is None:
        length = (mag_t.shape[0] - 1) * hop_length
    rng = np.random.default_rng(seed)
    phase = rng.uniform(0, 2 * np.pi, size=mag_t.shape).astype(np.float32)
    angles = tf.complex(tf.cos(phase), tf.sin(phase))
    mag_c = tf.cast(mag_t, tf.complex64)
    rebuilt = tf.zeros_like(angles)
    blocks = {} if compiled_blocks is None else compiled_blocks
    with tqdm(total=n_iter, desc="griffin-lim", disable=progress_disabled(progress), unit="it",
              dynamic_ncols=True, leave=False) as bar:
        done = 0
        while done < n_iter:
            n = min(_BLOCK, n_iter - done)
            key = (n_fft, hop_length, length, n, momentum)
            if key not in blocks:
                blocks[key] = _gl_block(n_fft, hop_length, length, n, momentum)
            angles, rebuilt = blocks[key](mag_c, angles, rebuilt)
            done += n
            bar.update(n)
    return spectral.istft(mag_c * angles, n_fft, hop_length, length).numpy()


def with_phase_of(mag, y_phase_source, n_fft=2048, hop_length=512, length=None):
    """Combines magnitude `mag` [T, F] with the phase of another signal's STFT.

    The source's frames are truncated or zero-padded (zero phase) to T.
    """
    spec = spectral.stft(y_phase_source, n_fft, hop_length).numpy()
    t = mag.shape[0]
    phase = np.ones(mag.shape, np.complex64)
    n = min(t, spec.shape[0])
    phase[:n] = np.exp(1j * np.angle(spec[:n]))
    if length is None:
        length = (t - 1) * hop_length
    return spectral.istft(tf.constant(mag * phase, tf.complex64), n_fft, hop_length, length).numpy()

