"""Objective metrics for audio style transfer (pure numpy/librosa, no TensorFlow).

Three questions, three groups of metrics:

* Is the content kept?  `chroma_similarity`, `pitch_accuracy` (output vs content).
* Is the style taken?   `mfcc_stats_distance`, `spectral_stats_distance`
                        (output vs style: timbre statistics, not alignment).
* How close to a ground truth (when one exists, e.g. the same melody rendered on
  the style instrument)?  `log_spectral_distance`, `spectral_convergence`.

Every function takes mono float waveforms ``[n_samples]`` and the sample rate ``sr``
in Hz (librosa's ``y, sr``); two signals of different lengths are compared over the
shorter one. Each docstring states the units and which direction is better.
"""
import warnings

import librosa
import numpy as np

N_FFT = 2048  # Samples per STFT frame (93 ms at 22050 Hz), as features.stft.
HOP_LENGTH = 512  # Samples between frames (23 ms at 22050 Hz).
N_MELS = 128  # Mel bands for the log-spectral distance.
N_MFCC = 13  # MFCCs computed; coefficient 0 (loudness) is dropped -> 1..12.
POWER_DB_FLOOR = 1e-8  # Power floor (-80 dB re unit mean power) inside the LSD's log.
ACTIVE_TOP_DB = 60.0  # Frames quieter than the loudest frame - this (dB) are silence.
EPS = 1e-12  # Guards divisions by zero.

# pYIN settings. f0 is estimated at a fixed F0_SR (signals at other rates are
# resampled) so frames mean the same at every rate. Decimating further (11025 Hz)
# was tried: it is no faster and makes pYIN pick the subharmonic of clarinet and
# trumpet tones. pYIN's cost is its Viterbi decoding over pitch bins, so the bins
# are 0.2 semitone (20 cents, fine against a 50-cent tolerance; ~5x faster than the
# default 0.1) over C2..C6.
F0_SR = 22050  # Hz.
F0_FRAME_LENGTH = 2048  # Samples at F0_SR (93 ms; periods down to fmin fit >4 times).
F0_HOP_LENGTH = 512  # Samples at F0_SR (23 ms), as HOP_LENGTH.
F0_RESOLUTION = 0.2  # Semitones per pYIN pitch bin.
F0_FMIN = 65.41  # Hz (C2): cello/bass range.
F0_FMAX = 1046.5  # Hz (C6): above every melody in synth.MELODIES.
PITCH_TOLERANCE_CENTS = 50.0  # Half a semitone: the nearest note is right.


def _check_audio(y, name="y"):
    """Returns ``y`` as a 1-D float64 array, raising ValueError if it is not audio."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"{name} must be mono audio of shape [n_samples], got {y.shape}")
    if y.size == 0:
        raise ValueError(f"{name} is empty")
    if not np.issubdtype(y.dtype, np.floating):
        raise ValueError(f"{name} must be floating point, got {y.dtype}")
    if not np.all(np.isfinite(y)):
        raise ValueError(f"{name} contains NaN or infinite samples")
    return y.astype(np.float64, copy=False)


def _check_pair(y_a, y_b, name_a, name_b):
    """Validates two signals and trims both to the shorter length."""
    y_a, y_b = _check_audio(y_a, name_a), _check_audio(y_b, name_b)
    n = min(len(y_a), len(y_b))
    return y_a[:n], y_b[:n]


def _active_frames(y, n_fft=N_FFT, hop_length=HOP_LENGTH, top_db=ACTIVE_TOP_DB):
    """Boolean mask [n_frames] of frames within ``top_db`` of the loudest frame.

    Uses the same centred framing as librosa's STFT-based features.
    """
    rms = librosa.feature.rms(y=y, frame_length=n_fft, hop_length=hop_length)[0]
    if rms.max() <= 0:
        return np.zeros_like(rms, dtype=bool)
    return librosa.amplitude_to_db(rms, ref=np.max, top_db=None) > -top_db


def _mask_frames(features, mask):
    """Keeps the active frames (columns) of [n_features, n_frames]; all if none active."""
    n = min(features.shape[1], len(mask))
    features, mask = features[:, :n], mask[:n]
    return features[:, mask] if mask.any() else features


def log_spectral_distance(y_est, y_ref, sr, n_fft=N_FFT, hop_length=HOP_LENGTH,
                          n_mels=N_MELS):
    """Log-spectral distance between two signals on a mel scale.

    Each signal is scaled to unit mean power (so overall gain does not count), its
    mel power spectrogram is taken in dB (floored at -80 dB re unit power), and the
    distance is the mean over frames of the RMS over mel bands of the dB difference.

    Args:
      y_est: estimated signal, [n_samples].
      y_ref: reference signal, [n_samples] (both are trimmed to the shorter).
      sr: sample rate, Hz.
      n_fft, hop_length: STFT frame and hop, samples.
      n_mels: number of mel bands.

    Returns:
      LSD in dB, >= 0. Lower is better; 0 for identical signals.
    """
    y_est, y_ref = _check_pair(y_est, y_ref, "y_est", "y_ref")

    def mel_db(y):
        y = y / np.sqrt(np.mean(y ** 2) + EPS)
        mel = librosa.feature.melspectrogram(y=y, sr=sr, n_fft=n_fft,
                                             hop_length=hop_length, n_mels=n_mels)
        return librosa.power_to_db(mel, ref=1.0, amin=POWER_DB_FLOOR, top_db=None)

    diff = mel_db(y_est) - mel_db(y_ref)
    return float(np.mean(np.sqrt(np.mean(diff ** 2, axis=0))))


def chroma_similarity(y, y_content, sr, hop_length=HOP_LENGTH):
    """Frame-wise cosine similarity of CQT chromagrams (is the harmony/melody kept?).

    Averaged over the frames where the content is not silent (within
    ``ACTIVE_TOP_DB`` of its loudest frame), so shared silence does not count.

    Args:
      y: output signal, [n_samples].
      y_content: content signal, [n_samples] (both are trimmed to the shorter).
      sr: sample rate, Hz.
      hop_length: hop between chroma frames, samples.

    Returns:
      Mean cosine similarity in [0, 1] (chroma is non-negative). Higher is better;
      1 for identical signals.
    """
    y, y_content = _check_pair(y, y_content, "y", "y_content")
    with warnings.catch_warnings():
        # The CQT's lowest octaves run on a heavily decimated copy; on short clips
        # librosa warns that its n_fft exceeds that copy. The result is still right.
        warnings.filterwarnings("ignore", message="n_fft=.* is too large")
        chroma = librosa.feature.chroma_cqt(y=y, sr=sr, hop_length=hop_length)
        chroma_content = librosa.feature.chroma_cqt(y=y_content, sr=sr,
                                                    hop_length=hop_length)
    dot = np.sum(chroma * chroma_content, axis=0)
    norms = np.linalg.norm(chroma, axis=0) * np.linalg.norm(chroma_content, axis=0)
    cosine = dot / np.maximum(norms, EPS)
    active = _active_frames(y_content, hop_length=hop_length)[:len(cosine)]
    return float(np.mean(cosine[active]) if active.any() else np.mean(cosine))


def estimate_f0(y, sr, fmin=F0_FMIN, fmax=F0_FMAX):
    """Fundamental frequency with pYIN at ``F0_SR`` on a 20-cent grid (for speed).

    Args:
      y: mono signal, [n_samples].
      sr: sample rate, Hz.
      fmin, fmax: f0 search range, Hz.

    Returns:
      f0: [n_frames] f0 in Hz, NaN where unvoiced; frames every
        ``F0_HOP_LENGTH / F0_SR`` s (23 ms), centred.
      voiced: [n_frames] bool, pYIN's voicing decision.
    """
    y = _check_audio(y)
    if sr != F0_SR:
        y = librosa.resample(y, orig_sr=sr, target_sr=F0_SR, res_type="soxr_hq")
    f0, voiced, _ = librosa.pyin(y, fmin=fmin, fmax=fmax, sr=F0_SR,
                                 frame_length=F0_FRAME_LENGTH, hop_length=F0_HOP_LENGTH,
                                 resolution=F0_RESOLUTION)
    return f0, voiced


def f0_accuracy(f0, f0_content, voiced_content, tolerance_cents=PITCH_TOLERANCE_CENTS):
    """Fraction of the content's voiced frames where ``f0`` is within tolerance.

    Args:
      f0: [n_frames] output f0 in Hz, NaN where unvoiced (counts as a miss).
      f0_content: [n_frames] content f0 in Hz.
      voiced_content: [n_frames] bool, frames of the content that are voiced.
      tolerance_cents: largest |pitch difference| counted as correct, cents.

    Returns:
      Accuracy in [0, 1] (higher is better), NaN if the content has no voiced frame.
    """
    n = min(len(f0), len(f0_content), len(voiced_content))
    f0, f0_content = f0[:n], f0_content[:n]
    voiced = np.asarray(voiced_content[:n], dtype=bool) & np.isfinite(f0_content)
    if not voiced.any():
        return float("nan")
    with np.errstate(invalid="ignore", divide="ignore"):
        cents = 1200.0 * np.abs(np.log2(f0[voiced] / f0_content[voiced]))
    return float(np.mean(np.nan_to_num(cents, nan=np.inf) <= tolerance_cents))


def pitch_accuracy(y, y_content, sr, fmin=F0_FMIN, fmax=F0_FMAX):
    """Raw pitch accuracy of the output against the content (monophonic content).

    pYIN f0 of both signals; among the frames the content's pYIN marks voiced, the
    fraction where the output's f0 is within 50 cents of the content's. Unvoiced
    output frames count as misses; octave errors count as misses.

    Args:
      y: output signal, [n_samples].
      y_content: content signal, [n_samples] (both are trimmed to the shorter).
      sr: sample rate, Hz.
      fmin, fmax: f0 search range, Hz.

    Returns:
      Accuracy in [0, 1]; higher is better, 1 for identical signals. NaN if the
      content has no voiced frame.
    """
    y, y_content = _check_pair(y, y_content, "y", "y_content")
    f0, _ = estimate_f0(y, sr, fmin=fmin, fmax=fmax)
    f0_content, voiced_content = estimate_f0(y_content, sr, fmin=fmin, fmax=fmax)
    return f0_accuracy(f0, f0_content, voiced_content)


def mfcc_stats(y, sr, n_fft=N_FFT, hop_length=HOP_LENGTH):
    """Mean and covariance of MFCCs 1-12 over the non-silent frames.

    Args:
      y: mono signal, [n_samples].
      sr: sample rate, Hz.
      n_fft, hop_length: STFT frame and hop, samples.

    Returns:
      mean: [12] MFCC means; cov: [12, 12] covariance (MFCC units: dB-scaled,
      orthonormal DCT of the log-mel spectrum).
    """
    y = _check_audio(y)
    mfcc = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=N_MFCC, n_fft=n_fft,
                                hop_length=hop_length)[1:]
    mfcc = _mask_frames(mfcc, _active_frames(y, n_fft, hop_length))
    cov = np.cov(mfcc) if mfcc.shape[1] > 1 else np.zeros((len(mfcc), len(mfcc)))
    return mfcc.mean(axis=1), np.atleast_2d(cov)


def frechet_distance(mean_a, cov_a, mean_b, cov_b):
    """Fréchet (2-Wasserstein squared) distance between two Gaussians.

    ``||mu_a - mu_b||^2 + Tr(C_a + C_b - 2 (C_a^1/2 C_b C_a^1/2)^1/2)``, as in FAD/FID.

    Returns:
      Distance >= 0, in squared units of the features; 0 for equal Gaussians.
    """
    eigval, eigvec = np.linalg.eigh(cov_a)
    sqrt_a = (eigvec * np.sqrt(np.clip(eigval, 0, None))) @ eigvec.T
    cross = np.linalg.eigvalsh(sqrt_a @ cov_b @ sqrt_a)
    trace = np.trace(cov_a) + np.trace(cov_b) - 2.0 * np.sum(np.sqrt(np.clip(cross, 0, None)))
    return float(max(np.sum((mean_a - mean_b) ** 2) + trace, 0.0))


def mfcc_stats_distance(y, y_style, sr, n_fft=N_FFT, hop_length=HOP_LENGTH):
    """Timbre distance: Fréchet distance of Gaussians fitted to MFCCs 1-12.

    Each signal's non-silent frames of MFCCs 1-12 (coefficient 0, overall loudness,
    is left out) are summarised by their mean and covariance; the distance is the
    Fréchet distance between the two Gaussians (the FAD/FID formula), which counts
    both the mean timbre and its variation. Signals need not be aligned.

    Args:
      y: output signal, [n_samples].
      y_style: style signal, [n_samples] (any length).
      sr: sample rate, Hz.
      n_fft, hop_length: STFT frame and hop, samples.

    Returns:
      Distance >= 0 in squared MFCC units. Lower is better (closer to the style);
      0 for identical signals.
    """
    mean, cov = mfcc_stats(y, sr, n_fft, hop_length)
    mean_style, cov_style = mfcc_stats(y_style, sr, n_fft, hop_length)
    return frechet_distance(mean, cov, mean_style, cov_style)


SPECTRAL_STATS = ("centroid_mean", "centroid_std", "bandwidth_mean", "bandwidth_std",
                  "flatness_mean", "flatness_std")


def spectral_stats(y, sr, n_fft=N_FFT, hop_length=HOP_LENGTH):
    """Mean and standard deviation over the non-silent frames of spectral shape features.

    Args:
      y: mono signal, [n_samples].
      sr: sample rate, Hz.
      n_fft, hop_length: STFT frame and hop, samples.

    Returns:
      Dict with keys ``SPECTRAL_STATS``: ``centroid_*`` and ``bandwidth_*`` in Hz,
      ``flatness_*`` unitless in [0, 1] (0 = pure tone, 1 = white noise).
    """
    y = _check_audio(y)
    magnitude = np.abs(librosa.stft(y, n_fft=n_fft, hop_length=hop_length))
    features = np.vstack([
        librosa.feature.spectral_centroid(S=magnitude, sr=sr, n_fft=n_fft),
        librosa.feature.spectral_bandwidth(S=magnitude, sr=sr, n_fft=n_fft),
        librosa.feature.spectral_flatness(S=magnitude),
    ])
    features = _mask_frames(features, _active_frames(y, n_fft, hop_length))
    stats = {}
    for name, row in zip(("centroid", "bandwidth", "flatness"), features):
        stats[f"{name}_mean"] = float(np.mean(row))
        stats[f"{name}_std"] = float(np.std(row))
    return stats


def spectral_stats_distance(y, y_style, sr, n_fft=N_FFT, hop_length=HOP_LENGTH):
    """Normalised distance between the spectral statistics of output and style.

    The mean over the six ``SPECTRAL_STATS`` of the relative difference
    ``|a - b| / (|a| + |b|)`` (Canberra distance / 6): scale-free, so Hz and the
    unitless flatness weigh alike. Signals need not be aligned.

    Args:
      y: output signal, [n_samples].
      y_style: style signal, [n_samples] (any length).
      sr: sample rate, Hz.
      n_fft, hop_length: STFT frame and hop, samples.

    Returns:
      Distance in [0, 1], unitless. Lower is better; 0 for identical signals.
    """
    stats = spectral_stats(y, sr, n_fft, hop_length)
    stats_style = spectral_stats(y_style, sr, n_fft, hop_length)
    a = np.array([stats[k] for k in SPECTRAL_STATS])
    b = np.array([stats_style[k] for k in SPECTRAL_STATS])
    return float(np.mean(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), EPS)))


def spectral_convergence(target_magnitude, y, n_fft=N_FFT, hop_length=HOP_LENGTH):
    """Spectral convergence of a waveform against a target STFT magnitude.

    ``||S_target - |STFT(y)|||_F / ||S_target||_F`` with librosa's STFT framing
    (centred, zero padding, periodic Hann window; the same as features.stft): how
    consistent a reconstructed waveform (e.g. Griffin-Lim's) is with the magnitude
    it was made from. Frames beyond the shorter of the two are ignored.

    Args:
      target_magnitude: linear STFT magnitude, either time-major
        [n_frames, n_fft // 2 + 1] (as features.magnitude) or librosa's
        [n_fft // 2 + 1, n_frames].
      y: waveform, [n_samples].
      n_fft, hop_length: STFT frame and hop, samples.

    Returns:
      Ratio >= 0, unitless. Lower is better; ~0 when ``y`` has this magnitude.
    """
    y = _check_audio(y)
    target = np.asarray(target_magnitude, dtype=np.float64)
    n_bins = n_fft // 2 + 1
    if target.ndim != 2 or n_bins not in target.shape:
        raise ValueError(f"target_magnitude must be [n_frames, {n_bins}] or "
                         f"[{n_bins}, n_frames] for n_fft={n_fft}, got {target.shape}")
    if target.shape[0] != n_bins:  # Time-major -> librosa's [bins, frames].
        target = target.T
    magnitude = np.abs(librosa.stft(y, n_fft=n_fft, hop_length=hop_length, center=True))
    n = min(target.shape[1], magnitude.shape[1])
    target, magnitude = target[:, :n], magnitude[:, :n]
    return float(np.linalg.norm(target - magnitude) / max(np.linalg.norm(target), EPS))


def evaluate_all(output, content, style, sr, target=None, monophonic=True,
                 fmin=F0_FMIN, fmax=F0_FMAX):
    """All metrics of one style-transfer result.

    Args:
      output: the transferred signal, [n_samples].
      content: the content input, [n_samples].
      style: the style input, [n_samples].
      sr: sample rate of all signals, Hz.
      target: optional ground truth (the content played in the style), [n_samples].
      monophonic: compute ``pitch_accuracy`` (pYIN assumes one voice).
      fmin, fmax: f0 search range for ``pitch_accuracy``, Hz.

    Returns:
      Dict of floats:
        chroma_similarity (vs content, higher better, [0, 1]),
        pitch_accuracy (vs content, higher better, [0, 1]; only if monophonic),
        mfcc_stats_distance (vs style, lower better, squared MFCC units),
        spectral_stats_distance (vs style, lower better, [0, 1]),
        and if ``target`` is given: log_spectral_distance (dB, lower better) and
        spectral_convergence (vs |STFT(target)|, lower better).
    """
    results = {
        "chroma_similarity": chroma_similarity(output, content, sr),
        "mfcc_stats_distance": mfcc_stats_distance(output, style, sr),
        "spectral_stats_distance": spectral_stats_distance(output, style, sr),
    }
    if monophonic:
        results["pitch_accuracy"] = pitch_accuracy(output, content, sr, fmin=fmin, fmax=fmax)
    if target is not None:
        target = _check_audio(target, "target")
        results["log_spectral_distance"] = log_spectral_distance(output, target, sr)
        target_magnitude = np.abs(librosa.stft(target, n_fft=N_FFT, hop_length=HOP_LENGTH))
        results["spectral_convergence"] = spectral_convergence(target_magnitude, output)
    return results
