"""Harmonic-plus-noise analysis and synthesis of monophonic instrument notes.

A source-filter view of one instrument (as DDSP's harmonic and filtered-noise
synthesisers, Engel et al. 2020, but fitted in seconds from one clip instead of
trained): each note of the style clip is measured as

* the amplitudes of its partials (the peaks near k * f0, k = 1..K) in every frame
  from its onset: the harmonic distribution and its attack and decay;
* the magnitude of what lies between the partials (breath, bow and hammer noise,
  reverberation) per frequency band in every frame.

`render_notes` plays a list of notes (pitch, onset, duration, level: from the content
clip) with these measurements: each note borrows the frames of the style note nearest
in pitch, continued by their decay where the content's note is longer, and is
synthesised by additive sinusoids plus spectrally shaped noise.

Arrays are time-major ([n_frames, ...]); frames are centred every ``hop_length``
samples (librosa's convention). Amplitudes are linear sinusoid amplitudes (a partial
``a * sin(...)`` measures ``a``). Pure numpy/librosa.
"""
import dataclasses

import librosa
import numpy as np

from neural_style_audio import pitch

MAX_HARMONICS = 60  # Partials measured and synthesised per note (fewer below Nyquist).
PEAK_SEARCH = 0.25  # A partial is searched within +-PEAK_SEARCH * f0 of k * f0.
LOBE_BINS = 3  # Bins either side of a partial's peak left out of the noise (Hann lobe).
N_NOISE_BANDS = 40  # Mel-spaced bands of the noise envelope.
# The noise level of a band is the median magnitude of its bins between the partials
# (robust to stray peaks: reverberating earlier notes, leakage), scaled to the RMS of
# Gaussian noise: for a Rayleigh magnitude, RMS / median = 1 / sqrt(ln 2).
RAYLEIGH_MEDIAN_TO_RMS = 1.0 / np.sqrt(np.log(2.0))
# Decay and release are measured on the style's notes and kept within these bounds.
MAX_DECAY_DB_PER_S = 150.0  # Steepest decay (a marimba's notes lose ~70 dB/s).
MIN_RELEASE_S, MAX_RELEASE_S = 0.02, 1.0  # Release time constants.
DEFAULT_RELEASE_S = 0.1  # When no note of the style shows its release.
RELEASE_FRAMES = 4  # Frames after a note-off over which its release is measured.
# A "fundamental" this far below the note's strongest partial is not heard as one: pYIN
# found the period of a mixture (an organ's 8' and 2 2/3' ranks repeat at half the
# written pitch), and the note sounds an octave higher than its f0.
MISSING_FUNDAMENTAL_DB = 30.0
# pYIN's other octave error: on a tone whose even partials dominate it reports twice the
# pitch. Partials at the odd multiples of f0/2 carrying this much energy (dB re the
# even ones) say the note is at f0/2.
SUBHARMONIC_DB = 20.0
EPS = 1e-10


def stft_magnitude(y, n_fft=2048, hop_length=512):
    """[n_frames, n_fft/2+1] magnitude of the centred Hann STFT (librosa)."""
    return np.abs(librosa.stft(np.asarray(y, np.float32), n_fft=n_fft,
                               hop_length=hop_length, window="hann", center=True)).T


def hann_peak_to_amplitude(n_fft):
    """Factor from a Hann-STFT peak magnitude to the amplitude of its sinusoid.

    A sinusoid of amplitude a gives a peak of a/2 * sum(window) = a * n_fft / 4.
    """
    return 4.0 / n_fft


def partial_peaks(mag, f0, sr, n_fft, max_harmonics=MAX_HARMONICS, search=PEAK_SEARCH):
    """Amplitude and frequency of the partials k * f0 in every frame.

    The largest STFT peak within +-search * f0 of k * f0 (at least +-1 bin) is taken as
    partial k, refined by parabolic interpolation of the log magnitude (so a slightly
    inharmonic or mistuned partial is still found).

    Args:
      mag: [n_frames, n_fft/2+1] STFT magnitude (Hann window, `stft_magnitude`).
      f0: [n_frames] fundamental frequency, Hz (NaN: no partials in that frame).
      sr: sample rate, Hz.
      n_fft: FFT size of `mag`.
      max_harmonics: K, the number of partials.
      search: half-width of the search window, as a fraction of f0.

    Returns:
      amplitudes: [n_frames, K] linear sinusoid amplitudes (0 where k * f0 is above
        Nyquist or f0 is NaN); frequencies: [n_frames, K] Hz (NaN likewise).
    """
    mag = np.asarray(mag, np.float64)
    f0 = np.asarray(f0, np.float64)
    n_frames, n_bins = mag.shape
    bin_hz = sr / n_fft
    k = np.arange(1, max_harmonics + 1)
    valid_f0 = np.isfinite(f0) & (f0 > 0)
    f0_safe = np.where(valid_f0, f0, 0.0)
    centres = k[None, :] * f0_safe[:, None] / bin_hz  # [T, K] in bins.
    half = np.maximum(search * f0_safe / bin_hz, 1.0)  # [T].
    width = int(np.ceil(half.max())) + 1 if n_frames else 1
    offsets = np.arange(-width, width + 1)
    idx = np.rint(centres)[:, :, None].astype(int) + offsets  # [T, K, W].
    inside = ((np.abs(idx - centres[:, :, None]) <= half[:, None, None])
              & (idx >= 1) & (idx <= n_bins - 2))
    idx = np.clip(idx, 1, n_bins - 2)
    rows = np.arange(n_frames)[:, None, None]
    values = np.where(inside, mag[rows, idx], -1.0)
    best = np.argmax(values, axis=2)  # [T, K].
    peak = np.take_along_axis(idx, best[:, :, None], axis=2)[:, :, 0]
    found = np.take_along_axis(inside, best[:, :, None], axis=2)[:, :, 0]
    rows2 = np.arange(n_frames)[:, None]
    log_mag = np.log(mag + EPS)
    alpha, beta, gamma = (log_mag[rows2, peak - 1], log_mag[rows2, peak],
                          log_mag[rows2, peak + 1])
    denominator = alpha - 2.0 * beta + gamma
    with np.errstate(invalid="ignore", divide="ignore"):
        delta = np.where(np.abs(denominator) > EPS, 0.5 * (alpha - gamma) / denominator, 0.0)
    delta = np.clip(delta, -0.5, 0.5)
    log_peak = beta - 0.25 * (alpha - gamma) * delta
    amplitudes = np.exp(log_peak) * hann_peak_to_amplitude(n_fft)
    frequencies = (peak + delta) * bin_hz
    usable = found & valid_f0[:, None] & (k[None, :] * f0_safe[:, None] < sr / 2)
    return (np.where(usable, amplitudes, 0.0).astype(np.float32),
            np.where(usable, frequencies, np.nan).astype(np.float32))


def noise_band_edges(sr, n_fft, n_bands=N_NOISE_BANDS):
    """Bin edges [n_bands + 1] of mel-spaced bands over 0..sr/2, each at least one bin wide."""
    n_bins = n_fft // 2 + 1
    hz = librosa.mel_frequencies(n_bands + 1, fmin=0.0, fmax=sr / 2.0)
    edges = np.rint(hz / (sr / n_fft)).astype(int)
    edges[-1] = n_bins
    for i in range(1, len(edges)):
        edges[i] = max(edges[i], edges[i - 1] + 1)
    return np.minimum(edges, n_bins)


def noise_envelope(mag, frequencies, sr, n_fft, edges, lobe_bins=LOBE_BINS):
    """Noise magnitude between the partials, per band and frame.

    Args:
      mag: [n_frames, n_fft/2+1] STFT magnitude.
      frequencies: [n_frames, K] partial frequencies, Hz (NaN: none), e.g. from
        `partial_peaks`; bins within `lobe_bins` of each are left out.
      sr, n_fft: of `mag`.
      edges: band edges in bins (`noise_band_edges`).

    Returns:
      [n_frames, n_bands] RMS magnitude of Gaussian noise with the median magnitude of
      the remaining bins of each band (bands with no remaining bin are interpolated
      from their neighbours).
    """
    mag = np.asarray(mag, np.float64)
    n_frames, n_bins = mag.shape
    masked = np.zeros((n_frames, n_bins), bool)
    centres = np.rint(np.nan_to_num(np.asarray(frequencies, np.float64), nan=-1e9)
                      / (sr / n_fft)).astype(int)
    rows = np.arange(n_frames)[:, None]
    for offset in range(-lobe_bins, lobe_bins + 1):
        bins = centres + offset
        ok = (bins >= 0) & (bins < n_bins)
        masked[np.broadcast_to(rows, bins.shape)[ok], bins[ok]] = True
    remaining = np.where(masked, np.nan, mag)
    n_bands = len(edges) - 1
    bands = np.full((n_frames, n_bands), np.nan)
    for b in range(n_bands):
        block = remaining[:, edges[b]:edges[b + 1]]
        has = np.isfinite(block).any(axis=1)
        if has.any():
            bands[has, b] = np.nanmedian(block[has], axis=1) * RAYLEIGH_MEDIAN_TO_RMS
    centres_b = np.arange(n_bands)
    for t in range(n_frames):
        ok = np.isfinite(bands[t])
        if not ok.any():
            bands[t] = 0.0
        elif not ok.all():
            bands[t, ~ok] = np.interp(centres_b[~ok], centres_b[ok], bands[t, ok])
    return bands.astype(np.float32)


def has_subharmonic_series(partials_at_half, subharmonic_db=SUBHARMONIC_DB):
    """Whether partials measured at f0/2 show the odd members a tone at f0/2 would have.

    Decided frame by frame, by majority: a note's first frames can hold the previous
    note's release, whose partials fall between this note's (a fifth or a third away)
    and, averaged over the note, would pass for the odd members of a subharmonic series
    (the note would then be measured an octave low and rendered with those partials).

    Args:
      partials_at_half: [n_frames, K] or [K] partial amplitudes at k * f0 / 2.
      subharmonic_db: in a frame, the odd partials' energy (1, 3, 5, ... of f0/2) must
        come within this many dB of the even ones' (the partials of f0).

    Returns:
      True if more than half the frames with even partials show the odd ones.
    """
    frames = np.asarray(partials_at_half, np.float64).reshape(
        -1, np.shape(partials_at_half)[-1])
    odd, even = np.sum(frames[:, 0::2] ** 2, axis=1), np.sum(frames[:, 1::2] ** 2, axis=1)
    sounding = even > 0
    if not sounding.any():
        return False
    votes = odd[sounding] > even[sounding] * 10.0 ** (-subharmonic_db / 10.0)
    return bool(np.mean(votes) > 0.5)


def refine_f0(mag, f0, sr, n_fft, fmin=pitch.F0_FMIN, max_harmonics=16):
    """A note's pitch from pYIN's f0, corrected for octave errors by its partials.

    f0 is halved when the odd partials of f0/2 are present (`has_subharmonic_series`,
    and f0/2 >= fmin), then doubled when its fundamental is missing (`sounding_f0`).

    Args:
      mag: [n_frames, n_fft/2+1] STFT magnitude of the note's frames.
      f0: pYIN's f0 of the note, Hz.
      sr, n_fft: of `mag`.
      fmin: lowest pitch allowed, Hz.
      max_harmonics: partials examined.

    Returns:
      (pitch_f0, measured_f0): the pitch the note is heard at, and the f0 whose partial
      series describes the spectrum (they differ by an octave for a missing fundamental).
    """
    frames = np.full(len(mag), f0 / 2.0)
    if f0 / 2.0 >= fmin:
        half, _ = partial_peaks(mag, frames, sr, n_fft, max_harmonics)
        if has_subharmonic_series(half):
            f0 = f0 / 2.0
    partials, _ = partial_peaks(mag, np.full(len(mag), f0), sr, n_fft, max_harmonics)
    return sounding_f0(partials, f0), float(f0)


def sounding_f0(partials, f0, missing_db=MISSING_FUNDAMENTAL_DB):
    """The pitch a note is heard at, from its partials measured at pYIN's f0.

    Args:
      partials: [n_frames, K] or [K] partial amplitudes at k * f0.
      f0: the f0 they were measured at, Hz.
      missing_db: partial 1 this far below the strongest partial is missing.

    Returns:
      f0, or 2 * f0 when partial 1 is missing but partial 2 is not (the period pYIN
      found is that of a mixture of ranks, not of the heard note).
    """
    mean = np.asarray(partials, np.float64).reshape(-1, np.shape(partials)[-1]).mean(axis=0)
    if mean.size < 2 or mean.max() <= 0:
        return float(f0)
    floor = mean.max() * 10.0 ** (-missing_db / 20.0)
    return float(2.0 * f0) if mean[0] < floor <= mean[1] else float(f0)


@dataclasses.dataclass
class StyleNote:
    """One note of the style instrument, frame by frame from its onset."""
    f0: float  # Hz: the period the partials were measured at (pYIN's f0).
    level_db: float  # Peak frame RMS, dB.
    partials: np.ndarray  # [n_frames, K] amplitudes of the partials k * f0.
    noise: np.ndarray  # [n_frames, n_bands] RMS STFT magnitude between the partials.
    pitch_f0: float = None  # Hz: the pitch the note is heard at (`sounding_f0`).

    def __post_init__(self):
        if self.pitch_f0 is None:
            self.pitch_f0 = self.f0

    @property
    def midi(self):
        """The heard pitch as fractional MIDI."""
        return float(pitch.hz_to_midi(self.pitch_f0))

    @property
    def n_frames(self):
        return len(self.partials)


@dataclasses.dataclass
class InstrumentModel:
    """What `render_notes` needs of the style instrument: its measured notes."""
    notes: list  # of StyleNote.
    edges: np.ndarray  # Noise band edges, bins.
    sr: int
    n_fft: int
    hop_length: int
    decay_db_per_s: float = 0.0  # Level change while a note is held (`measure_decay`).
    release_s: float = DEFAULT_RELEASE_S  # Release time constant (`measure_release`).
    noise_profile: np.ndarray = None  # [n_bands] noise / partial level (`noise_to_partials`).

    def harmonic_profile(self):
        """[K] mean partial amplitudes (dB re the strongest) over the notes' frames."""
        stacked = np.concatenate([n.partials for n in self.notes])
        mean = np.mean(stacked, axis=0)
        return 20.0 * np.log10(np.maximum(mean / max(mean.max(), EPS), EPS))


def measure_note(mag, note, sr, n_fft, edges, max_harmonics=MAX_HARMONICS):
    """The StyleNote of `note` (a pitch.Note) in the STFT magnitude `mag`."""
    frames = mag[note.start:note.stop]
    pitch_f0, f0 = refine_f0(frames, note.f0, sr, n_fft)
    partials, frequencies = partial_peaks(frames, np.full(len(frames), f0), sr, n_fft,
                                          max_harmonics)
    noise = noise_envelope(frames, frequencies, sr, n_fft, edges)
    return StyleNote(f0=f0, level_db=note.level_db, partials=partials, noise=noise,
                     pitch_f0=pitch_f0)


def fit_instrument(y, sr, n_fft=2048, hop_length=512, max_harmonics=MAX_HARMONICS,
                   n_bands=N_NOISE_BANDS, notes=None, **analysis_kwargs):
    """Measures every note of a monophonic clip of one instrument.

    Args:
      y: [n_samples] the style clip.
      sr: sample rate, Hz.
      n_fft, hop_length: STFT of the measurements.
      max_harmonics, n_bands: partials and noise bands per frame.
      notes: its pitch.Note list if already known (else `pitch.analyse_notes`).
      **analysis_kwargs: passed to `pitch.analyse_notes` (fmin, fmax, resolution, ...).

    Returns:
      InstrumentModel (possibly with no notes: the clip had no pitched note).
    """
    if notes is None:
        notes, _, _ = pitch.analyse_notes(y, sr, hop_length=hop_length, frame_length=n_fft,
                                          **analysis_kwargs)
    mag = stft_magnitude(y, n_fft, hop_length)
    edges = noise_band_edges(sr, n_fft, n_bands)
    measured = [measure_note(mag, note, sr, n_fft, edges, max_harmonics) for note in notes]
    frames_per_s = sr / hop_length
    return InstrumentModel(notes=measured, edges=edges, sr=sr, n_fft=n_fft,
                           hop_length=hop_length,
                           decay_db_per_s=measure_decay(measured, frames_per_s),
                           release_s=measure_release(mag, notes, sr, n_fft, frames_per_s),
                           noise_profile=noise_to_partials(measured))


def correct_octaves(notes, y, sr, n_fft=2048, hop_length=512, fmin=pitch.F0_FMIN):
    """`notes` with each f0 replaced by the pitch it is heard at (`refine_f0`)."""
    mag = stft_magnitude(y, n_fft, hop_length)
    return [dataclasses.replace(note, f0=refine_f0(mag[note.start:note.stop], note.f0, sr,
                                                   n_fft, fmin)[0]) for note in notes]


def nearest_notes(model, midi, count=1):
    """The `count` style notes nearest in pitch to `midi` (longer notes win ties)."""
    order = sorted(model.notes, key=lambda n: (abs(n.midi - midi), -n.n_frames))
    return order[:max(count, 1)]


def continue_frames(values, n_frames, decay_db_per_frame=0.0):
    """The first `n_frames` of `values` [L, C] (amplitudes), continued if L < n_frames.

    Beyond its end a note keeps the balance of its last frames and decays at
    `decay_db_per_frame` (<= 0; the instrument's, `InstrumentModel.decay_db_per_s`),
    one slope for every column: a sustained instrument holds, a plucked one keeps
    dying away, and the spectrum keeps its shape (per-partial slopes would let weak
    partials measured at the noise floor outlast the fundamental).
    """
    values = np.asarray(values, np.float64)
    length = len(values)
    if n_frames <= length:
        return values[:n_frames]
    last = values[-min(3, length):].mean(axis=0)
    steps = np.arange(1, n_frames - length + 1)[:, None]
    slope = min(float(decay_db_per_frame), 0.0)
    return np.concatenate([values, last[None, :] * 10.0 ** (slope * steps / 20.0)])


def noise_to_partials(notes, floor_db=30.0):
    """The instrument's noise per band relative to the level of its partials.

    The median, over the frames of every note within `floor_db` of the loudest, of
    noise[t, b] / sqrt(sum_k partials[t, k]^2): a spectral shape that follows the
    note's level. Measured frame by frame, a note's first frames also hold the
    previous note's release (pitched, where the new note has no partials), which
    would come back as pitched noise at the wrong pitches.

    Returns:
      [n_bands] ratios (linear), or None without notes.
    """
    ratios, levels = [], []
    for note in notes:
        level = np.sqrt(np.sum(np.asarray(note.partials, np.float64) ** 2, axis=1))
        ratios.append(np.asarray(note.noise, np.float64) / np.maximum(level, EPS)[:, None])
        levels.append(level)
    if not ratios:
        return None
    ratios, levels = np.concatenate(ratios), np.concatenate(levels)
    loud = levels >= levels.max() * 10.0 ** (-floor_db / 20.0)
    return np.exp(np.median(np.log(np.maximum(ratios[loud], EPS)), axis=0))


def level_slope_db(levels_db):
    """Least-squares slope of a level curve, dB per frame (0 for fewer than 3 frames)."""
    levels_db = np.asarray(levels_db, np.float64)
    if len(levels_db) < 3:
        return 0.0
    t = np.arange(len(levels_db)) - (len(levels_db) - 1) / 2.0
    return float(t @ (levels_db - levels_db.mean()) / (t @ t))


def measure_decay(notes, frames_per_s, skip=3):
    """The instrument's decay while a note is held, dB/s (<= 0).

    The median over the notes (of at least 4 * skip frames) of the slope of their
    total partial level, leaving out `skip` frames of attack and of hand-over at each
    end. Sustained instruments measure about 0, a piano about -14, a marimba -70.
    """
    slopes = [level_slope_db(10.0 * np.log10(np.maximum(np.sum(
        np.asarray(n.partials, np.float64) ** 2, axis=1), EPS))[skip:-skip])
        for n in notes if n.n_frames >= 4 * skip]
    if not slopes:
        return 0.0
    return float(np.clip(np.median(slopes) * frames_per_s, -MAX_DECAY_DB_PER_S, 0.0))


def measure_release(mag, notes, sr, n_fft, frames_per_s, n_frames=RELEASE_FRAMES):
    """Time constant of the instrument's release (s), from what follows its note-offs.

    After each note that is followed by a note of another pitch, the note's first two
    partials are followed for `n_frames` frames (those landing within 3 % of a partial
    of the next note are left out) and the slope of their level gives an exponential
    time constant; the median over the notes is returned (DEFAULT_RELEASE_S if none).
    """
    taus = []
    for note, following in zip(notes, notes[1:]):
        if following.start != note.stop or abs(following.midi - note.midi) < 0.5:
            continue
        frames = mag[note.stop:note.stop + n_frames]
        if len(frames) < 3:
            continue
        k = np.arange(1, 3)
        ratios = k[:, None] * note.f0 / (np.arange(1, 9)[None, :] * following.f0)
        free = np.all(np.abs(ratios - 1.0) > 0.03, axis=1)
        if not free.any():
            continue
        partials, _ = partial_peaks(frames, np.full(len(frames), note.f0), sr, n_fft, 2)
        level = 10.0 * np.log10(np.maximum(np.sum(partials[:, free] ** 2, axis=1), EPS))
        slope = level_slope_db(level) * frames_per_s  # dB/s.
        if slope < 0:
            taus.append(20.0 / np.log(10.0) / -slope)
    if not taus:
        return DEFAULT_RELEASE_S
    return float(np.clip(np.median(taus), MIN_RELEASE_S, MAX_RELEASE_S))


def map_partials(partials, f0_from, f0_to, sr, mode="harmonic_index"):
    """Partial amplitudes [T, K] of a note at f0_from, for a note at f0_to.

    mode "harmonic_index": partial k keeps its amplitude (a sampler's transposition:
    the spectral envelope moves with the pitch); "frequency": the envelope stays put
    in Hz (a fixed resonant body), interpolated in dB over the partial frequencies.
    Partials above Nyquist at f0_to are zeroed.
    """
    partials = np.asarray(partials, np.float64)
    k = np.arange(1, partials.shape[1] + 1)
    if mode == "frequency":
        src = k * f0_from
        log_amp = np.log(np.maximum(partials, EPS))
        keep = src < sr / 2
        mapped = np.stack([np.interp(k * f0_to, src[keep], row[keep]) for row in log_amp])
        partials = np.exp(mapped) * (partials.max(axis=1, keepdims=True) > 0)
    elif mode != "harmonic_index":
        raise ValueError(f"unknown partial mapping '{mode}'")
    return np.where(k[None, :] * f0_to < sr / 2, partials, 0.0)


def _interpolated(frame_values, start_frame, hop_length, n_samples, sample_start, sample_stop):
    """Frame values [T, C] at frames start_frame.. -> per-sample [C, n] by linear
    interpolation, zero one frame before the first and after the last frame."""
    knots = (start_frame + np.arange(-1, len(frame_values) + 1)) * hop_length
    padded = np.concatenate([np.zeros((1, frame_values.shape[1])), frame_values,
                             np.zeros((1, frame_values.shape[1]))])
    samples = np.arange(sample_start, sample_stop)
    return np.stack([np.interp(samples, knots, padded[:, c])
                     for c in range(frame_values.shape[1])])


def additive_note(partials, f0, start_frame, hop_length, sr, n_samples, phases):
    """Sum of sinusoids k * f0 with per-frame amplitudes [T, K] from `start_frame`.

    Returns:
      (first sample, [n] waveform) of the note, clipped to [0, n_samples).
    """
    first = max((start_frame - 1) * hop_length, 0)
    last = min((start_frame + len(partials)) * hop_length, n_samples)
    if last <= first:
        return first, np.zeros(0, np.float32)
    audible = np.flatnonzero(partials.max(axis=0) > 0)
    if audible.size == 0:
        return first, np.zeros(last - first, np.float32)
    amps = _interpolated(partials[:, audible], start_frame, hop_length, n_samples, first, last)
    t = np.arange(first, last) / sr
    k = (audible + 1)[:, None]
    waves = np.sin(2.0 * np.pi * k * f0 * t[None, :] + phases[audible][:, None])
    return first, np.sum(amps * waves, axis=0).astype(np.float32)


def filtered_noise(band_magnitudes, edges, n_fft, hop_length, n_samples, rng):
    """White noise shaped to an RMS STFT magnitude per band and frame.

    The STFT of unit white noise is scaled bin by bin so that its expected power
    equals the band magnitude squared, then inverted (librosa's overlap-add).

    Args:
      band_magnitudes: [n_frames, n_bands] RMS STFT magnitudes (Hann window).
      edges: band edges in bins.
      n_fft, hop_length: STFT settings.
      n_samples: output length.
      rng: numpy Generator.

    Returns:
      [n_samples] float32 waveform.
    """
    white = rng.standard_normal(n_samples)
    spec = librosa.stft(white, n_fft=n_fft, hop_length=hop_length, window="hann", center=True)
    window_power = np.sum(np.hanning(n_fft + 1)[:-1] ** 2)  # E|W|^2 of unit white noise.
    widths = np.diff(edges)
    gains = np.repeat(np.asarray(band_magnitudes, np.float64), widths, axis=1)  # [T, bins]
    n = min(spec.shape[1], len(gains))
    shaped = np.zeros_like(spec)
    shaped[:, :n] = spec[:, :n] * (gains[:n].T / np.sqrt(window_power))
    return librosa.istft(shaped, hop_length=hop_length, window="hann", center=True,
                         length=n_samples).astype(np.float32)


def render_notes(notes, model, n_samples, mode="harmonic_index", dynamics=1.0,
                 release_s=None, noise_gain=1.0, neighbours=1, seed=0, noise="profile",
                 delay_frames=0):
    """Plays notes with a fitted instrument: additive partials plus filtered noise.

    Args:
      notes: pitch.Note list (frames on the model's hop grid): pitch, onset, note-off
        and level of every note to play.
      model: InstrumentModel with at least one note.
      n_samples: output length.
      mode: `map_partials` mode.
      dynamics: how much of each note's level (relative to the median note) is
        kept: 0 = every note at the style note's own level, 1 = the level differences
        of `notes` are applied in full.
      release_s: time constant of the exponential release after a note-off, s
        (None: the model's, measured on the style).
      noise_gain: factor on the measured noise.
      neighbours: style notes nearest in pitch averaged (in dB) for each note.
      seed: seed of the partials' phases and of the noise.

    Returns:
      [n_samples] float32 waveform (not normalised).
    """
    if not model.notes:
        raise ValueError("the instrument model has no note")
    sr, hop = model.sr, model.hop_length
    frames_per_s = sr / hop
    rng = np.random.default_rng(seed)
    n_frames = 1 + n_samples // hop
    y = np.zeros(n_samples, np.float32)
    noise_power = np.zeros((n_frames, len(model.edges) - 1))
    reference_db = float(np.median([n.level_db for n in notes])) if notes else 0.0
    release_s = model.release_s if release_s is None else release_s
    decay_db_per_frame = model.decay_db_per_s / frames_per_s
    noise_mode_profile = noise == "profile"
    release_frames = int(np.ceil(4.0 * release_s * frames_per_s))
    decay = np.exp(-np.arange(1, release_frames + 1) / (release_s * frames_per_s))[:, None]
    for note in notes:
        if delay_frames:
            note = dataclasses.replace(note, start=note.start + delay_frames,
                                       stop=note.stop + delay_frames)
        sources = nearest_notes(model, note.midi, neighbours)
        # The style note's partial series, transposed so that its heard pitch is the note's.
        f0 = note.f0 * sources[0].f0 / sources[0].pitch_f0
        partials = np.exp(np.mean([np.log(np.maximum(map_partials(
            continue_frames(s.partials, note.n_frames, decay_db_per_frame), s.f0, f0, sr,
            mode), EPS)) for s in sources], axis=0))
        partials[partials < 2 * EPS] = 0.0
        noise = np.exp(np.mean([np.log(np.maximum(continue_frames(
            s.noise, note.n_frames, decay_db_per_frame), EPS)) for s in sources], axis=0))
        gain = 10.0 ** (dynamics * (note.level_db - reference_db) / 20.0)
        partials = np.concatenate([partials, partials[-1:] * decay]) * gain
        noise = np.concatenate([noise, noise[-1:] * decay]) * gain * noise_gain
        if noise_mode_profile:
            level = np.sqrt(np.sum(partials ** 2, axis=1, keepdims=True))
            noise = level * model.noise_profile[None, :] * noise_gain
        phases = rng.uniform(0.0, 2.0 * np.pi, partials.shape[1])
        first, wave = additive_note(partials, f0, note.start, hop, sr, n_samples, phases)
        y[first:first + len(wave)] += wave
        stop = min(note.start + len(noise), n_frames)
        noise_power[note.start:stop] += noise[:stop - note.start] ** 2
    if noise_gain > 0:
        y += filtered_noise(np.sqrt(noise_power), model.edges, model.n_fft, hop, n_samples, rng)
    return y
