"""Objective metrics for audio style transfer (pure numpy/librosa, no TensorFlow).

Three questions, three groups of metrics:

* Is the content kept?  `chroma_similarity`, `pitch_accuracy` (output vs content).
* Is the timbre taken?  Where a ground truth exists (the content's melody rendered on
  the style's instrument, the *target*): `mfcc_stats_distance` to the target and
  `timbre_closer_to_target` (is the output's timbre nearer the target's than the
  content's?). Measured against the style clip instead, a timbre statistic also
  rewards copying the style's *melody*, so the style clip is the reference only
  when there is no target (`mfcc_stats_distance`, `spectral_stats_distance`).
* How close to the target?  `floored_log_spectral_distance` (and the plain
  `log_spectral_distance`), `octave_forgiving_pitch_accuracy`, and the gain-invariant
  `spectral_convergence_to_target`.

Every function takes mono float waveforms ``[n_samples]`` and the sample rate ``sr``
in Hz (librosa's ``y, sr``); two signals of different lengths are compared over the
shorter one. Each docstring states the units and which direction is better.
"""
import warnings

import librosa
import numpy as np

from neural_style_audio import pitch

N_FFT = 2048  # Samples per STFT frame (93 ms at 22050 Hz), as spectral.stft.
HOP_LENGTH = 512  # Samples between frames (23 ms at 22050 Hz).
N_MELS = 128  # Mel bands for the log-spectral distance.
N_MFCC = 13  # MFCCs computed; coefficient 0 (loudness) is dropped -> 1..12.
POWER_DB_FLOOR = 1e-8  # Power floor (-80 dB re unit mean power) inside the LSD's log.
# The floored LSD ignores what lies this far below the reference's loudest mel bin:
# about the dynamic range that shapes a note's timbre, well above resynthesis noise.
LSD_FLOOR_DB = 40.0
OCTAVE_CENTS = 1200.0  # An octave; pitch differences are folded modulo this.
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


def _mel_db(y, sr, n_fft, hop_length, n_mels, amin):
    """Mel power spectrogram in dB re unit mean power, [n_mels, n_frames].

    The signal is scaled to unit mean power first, so its gain does not count.
    """
    y = y / np.sqrt(np.mean(y ** 2) + EPS)
    mel = librosa.feature.melspectrogram(y=y, sr=sr, n_fft=n_fft, hop_length=hop_length,
                                         n_mels=n_mels)
    return librosa.power_to_db(mel, ref=1.0, amin=amin, top_db=None)


def log_spectral_distance(y_est, y_ref, sr, n_fft=N_FFT, hop_length=HOP_LENGTH,
                          n_mels=N_MELS):
    """Log-spectral distance between two signals on a mel scale.

    Each signal is scaled to unit mean power (so overall gain does not count), its
    mel power spectrogram is taken in dB (floored at -80 dB re unit power), and the
    distance is the mean over frames of the RMS over mel bands of the dB difference.
    Between the partials of a clean synthetic tone the spectrum sits at that -80 dB
    floor, so inaudible noise there dominates this distance; see
    `floored_log_spectral_distance`.

    Args:
      y_est: estimated signal, [n_samples].
      y_ref: reference signal, [n_samples] (both are trimmed to the shorter).
      sr: sample rate, Hz.
      n_fft, hop_length: STFT frame and hop, samples.
      n_mels: number of mel bands.

    Returns:
      LSD in dB, >= 0. Lower is better; 0 for identical signals. Symmetric.
    """
    y_est, y_ref = _check_pair(y_est, y_ref, "y_est", "y_ref")
    diff = (_mel_db(y_est, sr, n_fft, hop_length, n_mels, POWER_DB_FLOOR)
            - _mel_db(y_ref, sr, n_fft, hop_length, n_mels, POWER_DB_FLOOR))
    return float(np.mean(np.sqrt(np.mean(diff ** 2, axis=0))))


def floored_log_spectral_distance(y_est, y_ref, sr, floor_db=LSD_FLOOR_DB, n_fft=N_FFT,
                                  hop_length=HOP_LENGTH, n_mels=N_MELS):
    """Log-spectral distance to a reference, blind to what lies ``floor_db`` below its peak.

    Both signals are scaled to unit mean power, their mel power spectrograms are taken
    in dB, and both are clipped from below at ONE common floor: the reference's
    loudest mel bin (over the whole clip) minus ``floor_db``. The distance is the RMS
    over mel bands of the dB difference, averaged over the frames where at least one
    of the two signals rises above the floor.

    Why a floor: between the partials of a clean synthetic target the spectrum sits
    at the -80 dB numerical floor of `log_spectral_distance`, so resynthesis noise
    (e.g. Griffin-Lim's, far below the notes and inaudible beside them) differs from
    it by tens of dB in most bins and dominates the plain LSD. A floor 40 dB below the
    peak keeps the part of the spectrum that shapes the timbre.

    Why one floor, the reference's: bins silent in both signals then agree exactly; a
    floor at each signal's own peak would add the difference of the two peaks to every
    such bin. The price is asymmetry: energy the estimate adds counts once it comes
    within ``floor_db`` of the reference's peak, so swapping the arguments changes
    the value. Frames at the floor in both signals are left out, so padding a clip
    with silence does not dilute the value.

    Gain: invariant. Scaling either signal by any c > 0 leaves the value unchanged
    (both are normalised to unit mean power before the floor is placed).

    Args:
      y_est: estimated signal (the output), [n_samples].
      y_ref: reference signal (the target), [n_samples]; both trimmed to the shorter.
      sr: sample rate, Hz.
      floor_db: depth of the floor below the reference's loudest mel bin, dB (> 0).
      n_fft, hop_length: STFT frame and hop, samples.
      n_mels: number of mel bands.

    Returns:
      Distance in dB, in [0, about ``floor_db``]. Lower is better; 0 for identical
      signals, for signals equal up to gain, and when both are silent.
    """
    if not floor_db > 0:
        raise ValueError(f"floor_db must be > 0, got {floor_db}")
    y_est, y_ref = _check_pair(y_est, y_ref, "y_est", "y_ref")
    # amin far below any floor: the clipping below is the only floor.
    est = _mel_db(y_est, sr, n_fft, hop_length, n_mels, amin=EPS ** 2)
    ref = _mel_db(y_ref, sr, n_fft, hop_length, n_mels, amin=EPS ** 2)
    floor = ref.max() - floor_db
    est, ref = np.maximum(est, floor), np.maximum(ref, floor)
    compared = (est > floor).any(axis=0) | (ref > floor).any(axis=0)
    if not compared.any():
        return 0.0
    return float(np.mean(np.sqrt(np.mean((est - ref)[:, compared] ** 2, axis=0))))


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
    f0, voiced, _ = pitch.track_f0(y, F0_SR, fmin=fmin, fmax=fmax,
                                   frame_length=F0_FRAME_LENGTH, hop_length=F0_HOP_LENGTH,
                                   resolution=F0_RESOLUTION)
    return f0, voiced


def f0_accuracy(f0, f0_ref, voiced_ref, tolerance_cents=PITCH_TOLERANCE_CENTS,
                octave_forgiving=False):
    """Fraction of the reference's voiced frames where ``f0`` is within tolerance.

    Args:
      f0: [n_frames] f0 to score in Hz, NaN where unvoiced (counts as a miss).
      f0_ref: [n_frames] reference f0 in Hz.
      voiced_ref: [n_frames] bool, frames of the reference that are voiced.
      tolerance_cents: largest |pitch difference| counted as correct, cents.
      octave_forgiving: compare pitch classes: the difference is taken modulo an
        octave (folded into [-600, 600) cents) before the tolerance, so f0 one or more
        octaves off counts as correct (mir_eval's "raw chroma accuracy").

    Returns:
      Accuracy in [0, 1] (higher is better), NaN if the reference has no voiced frame.
    """
    n = min(len(f0), len(f0_ref), len(voiced_ref))
    f0, f0_ref = np.asarray(f0[:n], dtype=np.float64), np.asarray(f0_ref[:n], dtype=np.float64)
    voiced = np.asarray(voiced_ref[:n], dtype=bool) & np.isfinite(f0_ref)
    if not voiced.any():
        return float("nan")
    with np.errstate(invalid="ignore", divide="ignore"):
        cents = 1200.0 * np.log2(f0[voiced] / f0_ref[voiced])
    if octave_forgiving:
        cents = np.mod(cents + OCTAVE_CENTS / 2, OCTAVE_CENTS) - OCTAVE_CENTS / 2
    return float(np.mean(np.nan_to_num(np.abs(cents), nan=np.inf) <= tolerance_cents))


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


def octave_forgiving_pitch_accuracy(y, y_ref, sr, fmin=F0_FMIN, fmax=F0_FMAX):
    """Pitch-class accuracy of the output against a reference melody (octave errors forgiven).

    pYIN f0 of both signals; among the frames the reference's pYIN marks voiced, the
    fraction where the output's f0 is within 50 cents of the reference's f0 after the
    difference is folded into one octave ([-600, 600) cents): 440 Hz against 220 Hz
    is right, 466 Hz (a semitone) against 440 Hz is wrong. pYIN's octave errors
    depend on the timbre (a weak fundamental, a strong subharmonic), so comparing an
    output with a target on another instrument should not count them. Unvoiced output
    frames count as misses.

    Args:
      y: output signal, [n_samples].
      y_ref: reference signal (the target; else the content), [n_samples]; both are
        trimmed to the shorter.
      sr: sample rate, Hz.
      fmin, fmax: f0 search range, Hz.

    Returns:
      Accuracy in [0, 1]; higher is better, 1 for identical signals and for the same
      melody an octave away. NaN if the reference has no voiced frame.
    """
    y, y_ref = _check_pair(y, y_ref, "y", "y_ref")
    f0, _ = estimate_f0(y, sr, fmin=fmin, fmax=fmax)
    f0_ref, voiced_ref = estimate_f0(y_ref, sr, fmin=fmin, fmax=fmax)
    return f0_accuracy(f0, f0_ref, voiced_ref, octave_forgiving=True)


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


def mfcc_stats_distance(y, y_ref, sr, n_fft=N_FFT, hop_length=HOP_LENGTH):
    """Timbre distance: Fréchet distance of Gaussians fitted to MFCCs 1-12.

    Each signal's non-silent frames of MFCCs 1-12 (coefficient 0, overall loudness,
    is left out) are summarised by their mean and covariance; the distance is the
    Fréchet distance between the two Gaussians (the FAD/FID formula), which counts
    both the mean timbre and its variation. Signals need not be aligned.

    The reference should be the target where one exists: against the style clip the
    distance also falls when the output copies the style's melody (the MFCC
    covariance follows the notes played), which is not timbre transfer.

    Args:
      y: output signal, [n_samples].
      y_ref: reference signal (the target, or the style when there is none),
        [n_samples] (any length).
      sr: sample rate, Hz.
      n_fft, hop_length: STFT frame and hop, samples.

    Returns:
      Distance >= 0 in squared MFCC units. Lower is better (closer to the
      reference's timbre); 0 for identical signals. Symmetric.
    """
    mean, cov = mfcc_stats(y, sr, n_fft, hop_length)
    mean_ref, cov_ref = mfcc_stats(y_ref, sr, n_fft, hop_length)
    return frechet_distance(mean, cov, mean_ref, cov_ref)


def timbre_closer_to_target(y, y_target, y_content, sr, n_fft=N_FFT, hop_length=HOP_LENGTH):
    """Whether the output's MFCC statistics are closer to the target's than to the content's.

    ``mfcc_stats_distance(y, y_target) < mfcc_stats_distance(y, y_content)``: of the
    two renditions of the content's melody, on the style's instrument (the target)
    and on the content's (the content itself), which one does the output's timbre
    resemble? Both references play the same melody, so the melody cancels out of the
    comparison and only the instrument decides. The mean of this over a set of
    triplets is the "timbre accuracy" rate. The content itself scores False (its
    distance to itself is 0); an output whose timbre has moved past the midpoint
    towards the target's scores True. A tie counts as False.

    Args:
      y: output signal, [n_samples].
      y_target: the content's melody on the style's instrument, [n_samples].
      y_content: the content signal, [n_samples] (any lengths: statistics only).
      sr: sample rate, Hz.
      n_fft, hop_length: STFT frame and hop, samples.

    Returns:
      bool; True is better.
    """
    mean, cov = mfcc_stats(y, sr, n_fft, hop_length)
    to_target = frechet_distance(mean, cov, *mfcc_stats(y_target, sr, n_fft, hop_length))
    to_content = frechet_distance(mean, cov, *mfcc_stats(y_content, sr, n_fft, hop_length))
    return bool(to_target < to_content)


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


def spectral_convergence(target_magnitude, y, n_fft=N_FFT, hop_length=HOP_LENGTH,
                         fit_gain=False):
    """Spectral convergence of a waveform against a target STFT magnitude.

    ``||S_target - g |STFT(y)|||_F / ||S_target||_F`` with librosa's STFT framing
    (centred, zero padding, periodic Hann window; the same as spectral.stft). With
    ``fit_gain=False``, g = 1: how consistent a reconstructed waveform (e.g.
    Griffin-Lim's) is with the magnitude it was made from, where a wrong gain is an
    error. With ``fit_gain=True``, g is the least-squares optimal gain
    ``<S_target, M> / <M, M>`` (M = |STFT(y)|), so the value is invariant to the
    gain of ``y`` (scaling ``y`` by any c > 0 leaves it unchanged) and equals
    ``sqrt(1 - cos^2)``, cos being the cosine between the two magnitudes: use this to
    compare an output with a target whose level is arbitrary. Frames beyond the
    shorter of the two are ignored.

    Args:
      target_magnitude: linear STFT magnitude, either time-major
        [n_frames, n_fft // 2 + 1] (as spectral.magnitude) or librosa's
        [n_fft // 2 + 1, n_frames].
      y: waveform, [n_samples].
      n_fft, hop_length: STFT frame and hop, samples.
      fit_gain: scale |STFT(y)| by the least-squares optimal gain first.

    Returns:
      Ratio >= 0, unitless (in [0, 1] with ``fit_gain``; 1 for a silent ``y``).
      Lower is better; ~0 when ``y`` has this magnitude (up to gain with
      ``fit_gain``).
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
    if fit_gain:
        magnitude = magnitude * (np.sum(target * magnitude) / max(np.sum(magnitude ** 2), EPS))
    return float(np.linalg.norm(target - magnitude) / max(np.linalg.norm(target), EPS))


def spectral_convergence_to_target(y, y_target, n_fft=N_FFT, hop_length=HOP_LENGTH):
    """Gain-invariant spectral convergence of an output against a target waveform.

    `spectral_convergence` of ``y`` against ``|STFT(y_target)|`` with the
    least-squares optimal gain: how well the output's magnitude matches the target's,
    frame by frame and bin by bin, whatever the two signals' levels.

    Args:
      y: output signal, [n_samples].
      y_target: target signal, [n_samples] (frames beyond the shorter are ignored).
      n_fft, hop_length: STFT frame and hop, samples.

    Returns:
      Ratio in [0, 1], unitless. Lower is better; 0 for ``y`` equal to the target up
      to gain.
    """
    y_target = _check_audio(y_target, "y_target")
    target_magnitude = np.abs(librosa.stft(y_target, n_fft=n_fft, hop_length=hop_length))
    return spectral_convergence(target_magnitude, y, n_fft, hop_length, fit_gain=True)


def evaluate_all(output, content, style, sr, target=None, monophonic=True,
                 fmin=F0_FMIN, fmax=F0_FMAX):
    """All metrics of one style-transfer result.

    Timbre is measured against the target where one is given, else against the style.

    Args:
      output: the transferred signal, [n_samples].
      content: the content input, [n_samples].
      style: the style input, [n_samples].
      sr: sample rate of all signals, Hz.
      target: optional ground truth (the content's melody on the style's
        instrument), [n_samples].
      monophonic: compute the pitch accuracies (pYIN assumes one voice).
      fmin, fmax: f0 search range for the pitch accuracies, Hz.

    Returns:
      Dict of floats. Always: chroma_similarity (vs content, higher better, [0, 1]);
      pitch_accuracy (vs content, higher better, [0, 1]; only if monophonic).
      Without ``target``: mfcc_stats_distance and spectral_stats_distance (vs style,
      lower better). With ``target``:
        octave_forgiving_pitch_accuracy (vs target, higher better, [0, 1]; only if
          monophonic),
        mfcc_distance_to_target (`mfcc_stats_distance` to the target, lower better),
        timbre_accuracy (`timbre_closer_to_target` as 1.0 or 0.0, higher better),
        log_spectral_distance (dB, lower better),
        floored_log_spectral_distance (dB, lower better),
        spectral_convergence (gain-invariant, vs |STFT(target)|, lower better, [0, 1]).
    """
    results = {"chroma_similarity": chroma_similarity(output, content, sr)}
    if monophonic:
        results["pitch_accuracy"] = pitch_accuracy(output, content, sr, fmin=fmin, fmax=fmax)
    if target is None:
        results["mfcc_stats_distance"] = mfcc_stats_distance(output, style, sr)
        results["spectral_stats_distance"] = spectral_stats_distance(output, style, sr)
        return results
    target = _check_audio(target, "target")
    if monophonic:
        results["octave_forgiving_pitch_accuracy"] = octave_forgiving_pitch_accuracy(
            output, target, sr, fmin=fmin, fmax=fmax)
    results["mfcc_distance_to_target"] = mfcc_stats_distance(output, target, sr)
    results["timbre_accuracy"] = float(timbre_closer_to_target(output, target, content, sr))
    results["log_spectral_distance"] = log_spectral_distance(output, target, sr)
    results["floored_log_spectral_distance"] = floored_log_spectral_distance(output, target, sr)
    results["spectral_convergence"] = spectral_convergence_to_target(output, target)
    return results
