"""Pure-numpy VGGish front end, written from the published definition.

This module is the *test oracle* for `frontend.py`: it is deliberately simple
(float64, explicit loops where the definition is a loop) and is not used on any
differentiable path. It follows the reference `mel_features.py` /
`vggish_input.py` of tensorflow/models research/audioset/vggish:

- frames are cut without padding (an incomplete last frame is dropped);
- each frame is multiplied by a periodic Hann window and zero-padded to the
  FFT length; the spectrogram is |rfft|;
- the mel matrix is HTK style: band edges equally spaced in mel, triangles
  linear in the mel domain, peak weight 1 (no area normalisation), and the DC
  bin's weights set to zero;
- features are log(mel + LOG_OFFSET), framed into non-overlapping 96 x 64
  examples (the tail that does not fill an example is dropped).
"""
import numpy as np

from vggish_loss import params


def frame(data, window_length, hop_length):
    """Cuts `data` into successive frames along axis 0, without padding.

    Args:
      data: [n, ...] array.
      window_length: samples (rows) per frame.
      hop_length: rows between the starts of successive frames.

    Returns:
      [num_frames, window_length, ...] array with
      num_frames = 1 + (n - window_length) // hop_length (0 if n < window_length).
    """
    data = np.asarray(data)
    num_frames = max(0, 1 + (data.shape[0] - window_length) // hop_length)
    frames = [data[i * hop_length:i * hop_length + window_length]
              for i in range(num_frames)]
    return np.array(frames).reshape((num_frames, window_length) + data.shape[1:])


def periodic_hann(window_length):
    """Periodic Hann window: 0.5 - 0.5 cos(2 pi n / N), n = 0..N-1.

    Args:
      window_length: N.

    Returns:
      [N] float64 window.
    """
    n = np.arange(window_length)
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * n / window_length)


def stft_magnitude(signal, fft_length, hop_length, window_length):
    """Magnitude STFT with a periodic Hann window and no padding.

    Args:
      signal: [n] waveform.
      fft_length: FFT size (window zero-padded to it).
      hop_length: samples between frames.
      window_length: samples per frame.

    Returns:
      [num_frames, fft_length // 2 + 1] float64 magnitudes.
    """
    frames = frame(np.asarray(signal, dtype=np.float64), window_length, hop_length)
    return np.abs(np.fft.rfft(frames * periodic_hann(window_length), n=fft_length))


def hertz_to_mel(frequencies_hertz):
    """HTK mel scale: 1127 ln(1 + f / 700).

    Args:
      frequencies_hertz: scalar or array in Hz.

    Returns:
      Same shape, in mel.
    """
    return params.MEL_HIGH_FREQUENCY_Q * np.log(
        1.0 + np.asarray(frequencies_hertz, dtype=np.float64)
        / params.MEL_BREAK_FREQUENCY_HERTZ)


def spectrogram_to_mel_matrix(num_mel_bins=params.NUM_MEL_BINS,
                              num_spectrogram_bins=params.NUM_SPECTROGRAM_BINS,
                              audio_sample_rate=params.SAMPLE_RATE,
                              lower_edge_hertz=params.MEL_MIN_HZ,
                              upper_edge_hertz=params.MEL_MAX_HZ):
    """HTK-style mel weight matrix, built one band at a time.

    Args:
      num_mel_bins: number of mel bands (columns).
      num_spectrogram_bins: rfft bins (rows), fft_length // 2 + 1.
      audio_sample_rate: sample rate of the analysed audio, Hz.
      lower_edge_hertz: lower edge of the lowest band.
      upper_edge_hertz: upper edge of the highest band.

    Returns:
      [num_spectrogram_bins, num_mel_bins] float64 matrix W; mel = spec @ W.

    Raises:
      ValueError: if the edges are negative, misordered or above Nyquist.
    """
    nyquist = audio_sample_rate / 2.0
    if lower_edge_hertz < 0.0:
        raise ValueError(f"lower_edge_hertz {lower_edge_hertz} must be >= 0")
    if lower_edge_hertz >= upper_edge_hertz:
        raise ValueError(f"lower_edge_hertz {lower_edge_hertz} >= "
                         f"upper_edge_hertz {upper_edge_hertz}")
    if upper_edge_hertz > nyquist:
        raise ValueError(f"upper_edge_hertz {upper_edge_hertz} > Nyquist {nyquist}")
    bin_mel = hertz_to_mel(np.linspace(0.0, nyquist, num_spectrogram_bins))
    edges_mel = np.linspace(hertz_to_mel(lower_edge_hertz),
                            hertz_to_mel(upper_edge_hertz), num_mel_bins + 2)
    weights = np.zeros((num_spectrogram_bins, num_mel_bins))
    for band in range(num_mel_bins):
        low, center, high = edges_mel[band:band + 3]
        rising = (bin_mel - low) / (center - low)
        falling = (high - bin_mel) / (high - center)
        weights[:, band] = np.maximum(0.0, np.minimum(rising, falling))
    weights[0, :] = 0.0  # HTK ignores the DC bin.
    return weights


def log_mel_spectrogram(data, audio_sample_rate=params.SAMPLE_RATE,
                        log_offset=params.LOG_OFFSET,
                        window_length_secs=params.STFT_WINDOW_LENGTH_SECONDS,
                        hop_length_secs=params.STFT_HOP_LENGTH_SECONDS,
                        **mel_kwargs):
    """Waveform -> log(mel + offset), as the reference front end.

    Args:
      data: [n] waveform.
      audio_sample_rate: Hz.
      log_offset: added before the log.
      window_length_secs: STFT window, seconds.
      hop_length_secs: STFT hop, seconds.
      **mel_kwargs: num_mel_bins, lower_edge_hertz, upper_edge_hertz.

    Returns:
      [num_frames, num_mel_bins] float64 log-mel spectrogram.
    """
    window_length = int(round(audio_sample_rate * window_length_secs))
    hop_length = int(round(audio_sample_rate * hop_length_secs))
    fft_length = 2 ** int(np.ceil(np.log2(window_length)))
    spectrogram = stft_magnitude(data, fft_length, hop_length, window_length)
    mel = spectrogram @ spectrogram_to_mel_matrix(
        num_spectrogram_bins=spectrogram.shape[1],
        audio_sample_rate=audio_sample_rate, **mel_kwargs)
    return np.log(mel + log_offset)


def waveform_to_examples(data):
    """16 kHz waveform -> [n, 96, 64] VGGish examples (tail dropped).

    Args:
      data: [n] mono waveform at params.SAMPLE_RATE.

    Returns:
      [num_examples, NUM_FRAMES, NUM_BANDS] float64 log-mel examples.
    """
    log_mel = log_mel_spectrogram(
        data, num_mel_bins=params.NUM_MEL_BINS,
        lower_edge_hertz=params.MEL_MIN_HZ, upper_edge_hertz=params.MEL_MAX_HZ)
    return frame(log_mel, params.NUM_FRAMES, params.EXAMPLE_HOP_FRAMES)
