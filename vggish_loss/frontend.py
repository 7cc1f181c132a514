"""Differentiable VGGish front end in TensorFlow.

Three entry points, all tensors in, tensors out, differentiable w.r.t. their
main input:

- `waveform_to_log_mel`: 16 kHz waveform -> [time, 64] log-mel, the VGGish
  features exactly (periodic Hann, 400-sample window, 160 hop, 512-point FFT,
  magnitude, 64 HTK mel bands 125-7500 Hz, log(mel + 0.01)).
- `magnitude_to_log_mel`: a linear-magnitude spectrogram already at the VGGish
  STFT settings, [time, 257] -> [time, 64].
- `linear_magnitude_to_vggish_log_mel`: a linear-magnitude STFT at *other*
  settings (e.g. 22050 Hz, n_fft 2048, hop 512 as used by the style-transfer
  optimiser) -> approximate VGGish log-mel (frequency re-windowed or mel-mapped,
  frames linearly interpolated to 100/s), so a perceptual term can sit inside an
  optimisation whose variable is that spectrogram. Its docstring states the
  approximation and its measured error.

`log_mel_to_examples` frames the result into [n, 96, 64] model inputs.
Spectrograms are [..., time, frequency] throughout (frames as rows, as in the
reference; librosa's [freq, time] output must be transposed).
"""
import functools

import numpy as np
import tensorflow as tf

from vggish_loss import params

# Silence after the stabilised log: log(0 + LOG_OFFSET). Used to pad examples.
LOG_MEL_SILENCE = float(np.log(params.LOG_OFFSET))
# Centre of VGGish frame i is at (i * hop + window / 2) / sr seconds.
VGGISH_FIRST_FRAME_CENTER_S = (
    params.STFT_WINDOW_LENGTH_SAMPLES / 2.0 / params.SAMPLE_RATE)
# Dense FFT size for sampling a window's frequency response (0.24 Hz at 16 kHz).
FINE_FFT_LENGTH = 2 ** 16
# Keeps sqrt() differentiable at zero power in the re-windowing path.
POWER_EPSILON = 1e-12
# How linear_magnitude_to_vggish_log_mel maps other STFT settings (see there).
MAPPING_METHODS = ("rewindow", "mel")


def hertz_to_mel(frequencies_hertz):
    """HTK mel scale, 1127 ln(1 + f / 700).

    Args:
      frequencies_hertz: scalar or array, Hz.

    Returns:
      float64 array of the same shape, mel.
    """
    return params.MEL_HIGH_FREQUENCY_Q * np.log1p(
        np.asarray(frequencies_hertz, dtype=np.float64)
        / params.MEL_BREAK_FREQUENCY_HERTZ)


def vggish_mel_matrix(sample_rate=params.SAMPLE_RATE, n_fft=params.FFT_LENGTH,
                      num_mel_bins=params.NUM_MEL_BINS, fmin=params.MEL_MIN_HZ,
                      fmax=params.MEL_MAX_HZ):
    """HTK mel weights defined as VGGish does, for any sample rate / FFT size.

    Band edges are equally spaced in mel between fmin and fmax; each band is a
    triangle, linear in the mel domain, with peak 1 (no area normalisation);
    the DC bin gets zero weight. Bin k is at k * (sr / 2) / (n_fft / 2) Hz.

    Args:
      sample_rate: Hz of the analysed audio.
      n_fft: FFT length; the matrix has n_fft // 2 + 1 rows.
      num_mel_bins: bands (columns).
      fmin: lower edge of the first band, Hz.
      fmax: upper edge of the last band, Hz (must not exceed Nyquist).

    Returns:
      [n_fft // 2 + 1, num_mel_bins] float64 numpy array; mel = magnitude @ W.

    Raises:
      ValueError: edges negative, misordered or above Nyquist.
    """
    nyquist = sample_rate / 2.0
    if not 0.0 <= fmin < fmax <= nyquist:
        raise ValueError(
            f"mel edges must satisfy 0 <= fmin < fmax <= Nyquist; got fmin={fmin}, "
            f"fmax={fmax}, Nyquist={nyquist} (sample_rate={sample_rate})")
    bins_mel = hertz_to_mel(np.linspace(0.0, nyquist, n_fft // 2 + 1))[:, None]
    edges = np.linspace(hertz_to_mel(fmin), hertz_to_mel(fmax), num_mel_bins + 2)
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    rising = (bins_mel - lower) / (center - lower)
    falling = (upper - bins_mel) / (upper - center)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights[0, :] = 0.0
    return weights


def resample_to_vggish_rate(waveform, sample_rate):
    """Resamples a numpy waveform to 16 kHz (not differentiable).

    Args:
      waveform: [n] mono numpy waveform.
      sample_rate: its rate, Hz.

    Returns:
      [m] float32 waveform at params.SAMPLE_RATE (the input if already there).
    """
    waveform = np.asarray(waveform, dtype=np.float32)
    if waveform.ndim != 1:
        raise ValueError(f"expected a mono [n] waveform, got shape {waveform.shape}")
    if sample_rate == params.SAMPLE_RATE:
        return waveform
    import librosa  # Imported lazily: it is slow to import.
    return librosa.resample(waveform, orig_sr=sample_rate,
                            target_sr=params.SAMPLE_RATE,
                            res_type="soxr_hq").astype(np.float32)


def waveform_to_magnitude(waveform):
    """16 kHz waveform -> VGGish magnitude STFT.

    Args:
      waveform: [..., n] float tensor at params.SAMPLE_RATE.

    Returns:
      [..., frames, 257] magnitude; frames = 1 + (n - 400) // 160.
    """
    stft = tf.signal.stft(
        waveform, frame_length=params.STFT_WINDOW_LENGTH_SAMPLES,
        frame_step=params.STFT_HOP_LENGTH_SAMPLES, fft_length=params.FFT_LENGTH,
        window_fn=lambda n, dtype: tf.signal.hann_window(n, periodic=True,
                                                         dtype=dtype),
        pad_end=params.STFT_PAD_END)
    return tf.abs(stft)


def mel_to_log_mel(mel):
    """Stabilised log: log(mel + LOG_OFFSET).

    Args:
      mel: [..., time, bands] non-negative mel magnitudes.

    Returns:
      Same shape, log-mel.
    """
    return tf.math.log(mel + tf.cast(params.LOG_OFFSET, mel.dtype))


def magnitude_to_log_mel(magnitude):
    """VGGish-settings magnitude spectrogram -> VGGish log-mel.

    Args:
      magnitude: [..., time, 257] linear STFT magnitude at 16 kHz, 400-sample
        periodic Hann window, 512-point FFT.

    Returns:
      [..., time, 64] log-mel features.

    Raises:
      ValueError: last axis is not 257 bins.
    """
    magnitude = tf.convert_to_tensor(magnitude)
    if magnitude.shape[-1] != params.NUM_SPECTROGRAM_BINS:
        raise ValueError(
            f"magnitude_to_log_mel expects [..., time, {params.NUM_SPECTROGRAM_BINS}] "
            f"(VGGish STFT settings); got shape {magnitude.shape}. For other STFT "
            "settings use linear_magnitude_to_vggish_log_mel.")
    weights = tf.constant(vggish_mel_matrix(), dtype=magnitude.dtype)
    return mel_to_log_mel(tf.matmul(magnitude, weights))


def waveform_to_log_mel(waveform, sample_rate=params.SAMPLE_RATE):
    """Waveform -> VGGish log-mel spectrogram.

    Differentiable for 16 kHz tensors. A numpy waveform at another rate is
    resampled first with `resample_to_vggish_rate` (not differentiable); a
    tensor at another rate is refused, since resampling would break the
    gradient path silently.

    Args:
      waveform: [n] (or [..., n] tensor) mono waveform, roughly in [-1, 1].
      sample_rate: its rate, Hz.

    Returns:
      [..., frames, 64] log-mel, frames = 1 + (n16k - 400) // 160.

    Raises:
      ValueError: a tensor not at 16 kHz.
    """
    if sample_rate != params.SAMPLE_RATE:
        if tf.is_tensor(waveform) or isinstance(waveform, tf.Variable):
            raise ValueError(
                f"waveform_to_log_mel: the differentiable path takes 16 kHz tensors "
                f"only, got sample_rate={sample_rate}; resample first with "
                "resample_to_vggish_rate (numpy) or pass a numpy array")
        waveform = resample_to_vggish_rate(waveform, sample_rate)
    if not tf.is_tensor(waveform):
        waveform = tf.convert_to_tensor(np.asarray(waveform, dtype=np.float32))
    return magnitude_to_log_mel(waveform_to_magnitude(waveform))


def default_magnitude_gain(n_fft):
    """Level calibration of the plain-mel method: 512 / n_fft.

    For a stationary sinusoid of amplitude A, the sum over FFT bins of a
    Hann-windowed magnitude spectrum is on average A * c * n_fft (c depends on
    the window shape only, not its length or the sample rate), and a VGGish mel
    band sums bins under its triangle. Scaling magnitudes by 512 / n_fft makes
    tones land on the VGGish mel level. Broadband noise is not matched (its band
    sum scales as sqrt(win_length) * n_fft / sample_rate): at 22050 Hz / 2048
    it comes out about 2x (+0.7 log) above VGGish.

    Args:
      n_fft: FFT length of the input spectrogram.

    Returns:
      float gain.
    """
    return params.FFT_LENGTH / float(n_fft)


def _window_power_response(window_length, sample_rate, num_points=FINE_FFT_LENGTH):
    """|DTFT|^2 of a periodic Hann window on a dense frequency grid.

    Args:
      window_length: window samples.
      sample_rate: Hz, sets the frequency axis.
      num_points: dense FFT size.

    Returns:
      (frequencies [num_points] Hz ascending, power [num_points]).
    """
    n = np.arange(window_length)
    window = 0.5 - 0.5 * np.cos(2.0 * np.pi * n / window_length)
    power = np.abs(np.fft.fft(window, num_points)) ** 2
    frequencies = np.fft.fftfreq(num_points, 1.0 / sample_rate)
    order = np.argsort(frequencies)
    return frequencies[order], power[order]


@functools.lru_cache(maxsize=16)
def vggish_rewindow_matrix(sample_rate, n_fft, win_length=None):
    """Power-domain map from an STFT's bins onto VGGish's 257 STFT bins.

    Entry [k, j] = |H_vggish(f_j - f_k)|^2 / (n_fft * sum(w_src^2)), where
    H_vggish is the DTFT of VGGish's 400-sample periodic Hann window at 16 kHz,
    f_k the source bin frequencies and f_j VGGish's. Then
    sqrt(|X_src|^2 @ R) is, for isolated partials exactly and for white noise
    in expectation, the magnitude VGGish would see: each partial is re-spread
    with VGGish's (wider) main lobe and leakage, and the denominator undoes the
    source window's own gain (Parseval). Source bins above 8 kHz are dropped, as
    resampling to 16 kHz would remove them.

    Args:
      sample_rate: Hz of the source STFT.
      n_fft: its FFT length.
      win_length: its periodic Hann window length (default n_fft).

    Returns:
      [n_fft // 2 + 1, 257] float64 numpy array (read-only, cached).
    """
    win_length = n_fft if win_length is None else win_length
    freqs, power = _window_power_response(
        params.STFT_WINDOW_LENGTH_SAMPLES, params.SAMPLE_RATE)
    source_hz = np.linspace(0.0, sample_rate / 2.0, n_fft // 2 + 1)
    vggish_hz = np.linspace(0.0, params.SAMPLE_RATE / 2.0,
                            params.NUM_SPECTROGRAM_BINS)
    matrix = np.interp(vggish_hz[None, :] - source_hz[:, None], freqs, power,
                       left=0.0, right=0.0)
    matrix[source_hz > params.SAMPLE_RATE / 2.0] = 0.0
    n = np.arange(win_length)
    source_window_energy = np.sum((0.5 - 0.5 * np.cos(2.0 * np.pi * n / win_length)) ** 2)
    matrix /= n_fft * source_window_energy
    matrix.setflags(write=False)
    return matrix


def interpolate_frames(values, source_hop_s, source_offset_s,
                       target_hop_s=params.STFT_HOP_LENGTH_SECONDS,
                       target_offset_s=VGGISH_FIRST_FRAME_CENTER_S):
    """Resamples frames in time by linear interpolation (differentiable).

    Source frame k sits at source_offset_s + k * source_hop_s seconds; target
    frame i at target_offset_s + i * target_hop_s. Targets run up to the last
    source frame; target times before the first source frame take its value.

    Args:
      values: [..., frames, channels] tensor.
      source_hop_s: seconds between source frames.
      source_offset_s: time of source frame 0, seconds.
      target_hop_s: seconds between target frames.
      target_offset_s: time of target frame 0, seconds.

    Returns:
      [..., target_frames, channels] tensor.
    """
    values = tf.convert_to_tensor(values)
    num_source = tf.shape(values)[-2]
    last_s = source_offset_s + tf.cast(num_source - 1, tf.float64) * source_hop_s
    # The epsilon keeps a target exactly on the last source frame.
    num_target = tf.maximum(1, tf.cast(
        tf.floor((last_s - target_offset_s) / target_hop_s + 1e-9), tf.int32) + 1)
    target_s = target_offset_s + tf.range(num_target, dtype=tf.float64) * target_hop_s
    position = tf.clip_by_value((target_s - source_offset_s) / source_hop_s, 0.0,
                                tf.cast(num_source - 1, tf.float64))
    lower = tf.cast(tf.floor(position), tf.int32)
    upper = tf.minimum(lower + 1, num_source - 1)
    frac = tf.cast(position - tf.cast(lower, tf.float64), values.dtype)[:, None]
    return (tf.gather(values, lower, axis=-2) * (1.0 - frac)
            + tf.gather(values, upper, axis=-2) * frac)


def linear_magnitude_to_vggish_log_mel(magnitude, sample_rate, n_fft,
                                       hop_length=None, win_length=None,
                                       center=True, method="rewindow",
                                       magnitude_gain=None):
    """Linear-magnitude STFT at other settings -> approximate VGGish log-mel.

    Lets a VGGish perceptual term sit inside an optimisation whose variable is,
    say, a 22050 Hz / n_fft 2048 / hop 512 magnitude spectrogram. The input is
    assumed to come from a periodic Hann window (librosa's default 'hann').

    Frequency, method="rewindow" (default): re-spread each source bin's power
    with VGGish's 400-sample window response onto VGGish's 257 bins
    (`vggish_rewindow_matrix`), take the square root, then apply the exact
    VGGish mel matrix. This reproduces the leakage of VGGish's short window
    between partials and calibrates the level. method="mel": the VGGish band
    definition applied directly to this STFT's bins (`vggish_mel_matrix(sr,
    n_fft)`) scaled by `magnitude_gain` (default 512 / n_fft, right for tones);
    cheaper, but the sharper bands leave gaps between partials that VGGish
    fills, so tonal frames read lower. Re-windowing assumes the source window
    is clearly longer than VGGish's 25 ms (it adds VGGish's spread on top of
    the source's own); at exactly VGGish's window (16 kHz, 512, 400) the plain
    VGGish mel matrix is used, which is exact.

    Time (both methods): the hop differs (512 / 22050 Hz = 23.2 ms vs 10 ms), so
    the linear mel frames are resampled to VGGish's 100 frames/s by linear
    interpolation (`interpolate_frames`, differentiable), before the log.
    Source frame k is at k * hop / sr (center=True, librosa's default), or that
    plus win_length / 2 / sr; VGGish frame i at 12.5 ms + 10 ms * i. The longer
    window (93 ms vs 25 ms) still blurs onsets, which interpolation cannot undo.

    Measured against the exact VGGish features of the same audio resampled to
    16 kHz (22050 Hz, 2048, 512; tests/test_vggish_frontend.py), mean absolute
    log-mel differences: "rewindow" 0.04-0.06 (tone, harmonic tone, chirp) and
    0.26 (white noise, +0.15 bias); "mel" about 0.8 (harmonic tone) and 0.7
    (white noise).

    Args:
      magnitude: [..., time, n_fft // 2 + 1] linear STFT magnitude.
      sample_rate: Hz of the analysed audio.
      n_fft: FFT length of `magnitude`.
      hop_length: samples between frames (default n_fft // 4, librosa's).
      win_length: Hann window length in samples (default n_fft).
      center: frames centred on k * hop (librosa center=True).
      method: "rewindow" or "mel", see above.
      magnitude_gain: level factor for method="mel" (default 512 / n_fft).

    Returns:
      [..., vggish_frames, 64] log-mel, 100 frames per second.

    Raises:
      ValueError: wrong number of bins, unknown method, or (method="mel") a
        sample rate below 2 * MEL_MAX_HZ.
    """
    magnitude = tf.convert_to_tensor(magnitude)
    num_bins = n_fft // 2 + 1
    if magnitude.shape[-1] != num_bins:
        raise ValueError(f"magnitude has {magnitude.shape[-1]} bins on its last axis; "
                         f"n_fft={n_fft} needs {num_bins} ([..., time, freq] layout)")
    if method not in MAPPING_METHODS:
        raise ValueError(f"method must be one of {MAPPING_METHODS}, got {method!r}")
    hop_length = n_fft // 4 if hop_length is None else hop_length
    win_length = n_fft if win_length is None else win_length
    if (sample_rate, n_fft, win_length) == (
            params.SAMPLE_RATE, params.FFT_LENGTH, params.STFT_WINDOW_LENGTH_SAMPLES):
        # Already VGGish's window: its own mel matrix is exact (re-windowing
        # would spread partials a second time).
        mel = tf.matmul(magnitude, tf.constant(vggish_mel_matrix(), dtype=magnitude.dtype))
    elif method == "rewindow":
        rewindow = tf.constant(vggish_rewindow_matrix(sample_rate, n_fft, win_length),
                               dtype=magnitude.dtype)
        vggish_magnitude = tf.sqrt(
            tf.matmul(tf.square(magnitude), rewindow) + POWER_EPSILON)
        mel = tf.matmul(vggish_magnitude,
                        tf.constant(vggish_mel_matrix(), dtype=magnitude.dtype))
    else:
        gain = default_magnitude_gain(n_fft) if magnitude_gain is None else magnitude_gain
        mel = tf.matmul(magnitude, tf.constant(
            vggish_mel_matrix(sample_rate, n_fft) * gain, dtype=magnitude.dtype))
    offset_s = 0.0 if center else win_length / 2.0 / sample_rate
    mel = interpolate_frames(mel, hop_length / sample_rate, offset_s)
    return mel_to_log_mel(mel)


def log_mel_to_examples(log_mel, pad_end=False):
    """Frames a log-mel spectrogram into non-overlapping 96 x 64 examples.

    The reference drops the tail that does not fill a whole 0.96 s example
    (pad_end=False). With pad_end=True the tail is kept and padded with
    LOG_MEL_SILENCE = log(LOG_OFFSET), the value silence has after the
    stabilised log, so clips shorter than 0.96 s still give one example.

    Args:
      log_mel: [..., time, 64] log-mel features.
      pad_end: pad the last partial example instead of dropping it.

    Returns:
      [..., num_examples, 96, 64] tensor.
    """
    log_mel = tf.convert_to_tensor(log_mel)
    return tf.signal.frame(log_mel, params.NUM_FRAMES, params.EXAMPLE_HOP_FRAMES,
                           pad_end=pad_end, pad_value=LOG_MEL_SILENCE, axis=-2)
