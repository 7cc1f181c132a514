"""Per-segment features for the genre classifiers, and their cache on disk.

Each feature kind maps a batch of equal-length segments at its own sample rate to one
array per segment:

- `paper`: the published feature vector (Gupta et al., after the common GTZAN recipe):
  the means over frames of the chromagram (1 value: the mean over the 12 pitch
  classes, as in the GTZAN `chroma_stft` column), spectral centroid, bandwidth,
  roll-off, zero-crossing rate and 20 MFCCs: [25], read by the 1-D CNN as a sequence
  of 25 values with one channel.
- `autocorrelogram`: the autocorrelation of each 2048-sample frame at lags
  0 .. AUTOCORR_LAGS - 1 (23 ms at 22.05 kHz: periods of pitches down to 43 Hz),
  normalised by lag 0 and averaged over the frames: [AUTOCORR_LAGS].
- `mfcc`: mean and standard deviation over frames of 20 MFCCs: [40] (the "MFCC + SVM"
  baseline of the GTZAN literature).
- `vggish`: the package's compact VGGish (vggish_loss/weights/compact.*): the
  128-d embeddings of the 0.96-s examples, mean and std over the examples: [256].
- `instrument_cnn`: the shipped instrument CNN (networks/weights/): its last conv
  layer (conv6) averaged over time and frequency, mean and std: [256].

The cache keeps one .npz per track under `<cache_dir>/<kind>-<settings hash>/`, the
hash covering the kind, its constants, the segment length and hop (and FEATURE_VERSION);
the file name hashes the track's path, size and modification time, so an edited file
is recomputed.
"""
import dataclasses
import hashlib
import json
from pathlib import Path

import numpy as np

from neural_style_audio.genres import data

FEATURE_VERSION = 1
KINDS = ("paper", "autocorrelogram", "mfcc", "vggish", "instrument_cnn")
# Analysis constants of the librosa features (librosa's defaults, as the GTZAN recipe).
LIBROSA_SR = 22050
N_FFT = 2048
HOP_LENGTH = 512
N_MFCC = 20
AUTOCORR_LAGS = 512
EMBEDDING_SR = 16000  # VGGish and the instrument CNN.


@dataclasses.dataclass(frozen=True)
class SegmentConfig:
    """How a track becomes classifier examples."""
    kind: str = "paper"
    segment_s: float = 3.0
    hop_s: float = 3.0

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"feature kind must be one of {KINDS}, got {self.kind!r}")
        if self.segment_s <= 0 or self.hop_s <= 0:
            raise ValueError("segment_s and hop_s must be > 0")

    @property
    def sr(self):
        """The sample rate the kind's features are computed at."""
        return EMBEDDING_SR if self.kind in ("vggish", "instrument_cnn") else LIBROSA_SR

    def key(self):
        """Hex digest naming these settings (and the feature constants) in the cache."""
        record = dict(dataclasses.asdict(self), version=FEATURE_VERSION, sr=self.sr,
                      n_fft=N_FFT, hop_length=HOP_LENGTH, n_mfcc=N_MFCC,
                      autocorr_lags=AUTOCORR_LAGS)
        return hashlib.sha1(json.dumps(record, sort_keys=True).encode()).hexdigest()[:12]


def paper_features(segments, sr=LIBROSA_SR):
    """[n, samples] -> [n, 25]: chroma, centroid, bandwidth, roll-off, ZCR, 20 MFCC means."""
    import librosa
    rows = []
    for y in np.asarray(segments, np.float32):
        stft = np.abs(librosa.stft(y, n_fft=N_FFT, hop_length=HOP_LENGTH))
        power = stft ** 2
        values = [
            librosa.feature.chroma_stft(S=power, sr=sr).mean(),
            librosa.feature.spectral_centroid(S=stft, sr=sr).mean(),
            librosa.feature.spectral_bandwidth(S=stft, sr=sr).mean(),
            librosa.feature.spectral_rolloff(S=stft, sr=sr).mean(),
            librosa.feature.zero_crossing_rate(y, frame_length=N_FFT,
                                               hop_length=HOP_LENGTH).mean(),
        ]
        mel = librosa.feature.melspectrogram(S=power, sr=sr)
        mfcc = librosa.feature.mfcc(S=librosa.power_to_db(mel), n_mfcc=N_MFCC)
        rows.append(np.concatenate([values, mfcc.mean(axis=1)]))
    return np.asarray(rows, np.float32)


def mfcc_stats(segments, sr=LIBROSA_SR):
    """[n, samples] -> [n, 40]: mean and std over frames of 20 MFCCs."""
    import librosa
    rows = []
    for y in np.asarray(segments, np.float32):
        mfcc = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=N_MFCC, n_fft=N_FFT,
                                    hop_length=HOP_LENGTH)
        rows.append(np.concatenate([mfcc.mean(axis=1), mfcc.std(axis=1)]))
    return np.asarray(rows, np.float32)


def autocorrelogram(segments, n_lags=AUTOCORR_LAGS, frame_length=N_FFT, hop_length=HOP_LENGTH):
    """[n, samples] -> [n, n_lags]: frame autocorrelations / lag 0, averaged over frames.

    Computed by FFT (Wiener-Khinchin) with zero padding to 2 * frame_length, so the
    lags are linear (not circular).
    """
    segments = np.asarray(segments, np.float32)
    if segments.shape[1] < frame_length:
        segments = np.pad(segments, [(0, 0), (0, frame_length - segments.shape[1])])
    frames = np.lib.stride_tricks.sliding_window_view(segments, frame_length, axis=1)
    frames = frames[:, ::hop_length] * np.hanning(frame_length).astype(np.float32)
    spectrum = np.abs(np.fft.rfft(frames, n=2 * frame_length, axis=-1)) ** 2
    acf = np.fft.irfft(spectrum, axis=-1)[..., :n_lags]
    acf = acf / np.maximum(acf[..., :1], 1e-10)
    return acf.mean(axis=1).astype(np.float32)


class EmbeddingExtractor:
    """Pooled embeddings of a pretrained network (loaded once per extractor).

    Args:
      kind: "vggish" (compact VGGish, vggish_loss/weights) or "instrument_cnn"
        (networks/weights, shipped).
    """

    def __init__(self, kind):
        if kind not in ("vggish", "instrument_cnn"):
            raise ValueError(f"no pretrained embedding named {kind!r}")
        self.kind = kind
        self._model = None

    @property
    def model(self):
        if self._model is None:
            if self.kind == "vggish":
                import vggish_loss
                self._model = vggish_loss.load_compact()
            else:
                from neural_style_audio.networks import instrument_cnn
                self._model = instrument_cnn.load_classifier("shipped")
        return self._model

    def __call__(self, segments):
        """[n, samples] at 16 kHz -> [n, 2 * embedding width] (mean, std over time)."""
        import tensorflow as tf
        segments = np.asarray(segments, np.float32)
        if self.kind == "vggish":
            import vggish_loss
            rows = []
            for y in segments:
                log_mel = vggish_loss.waveform_to_log_mel(y, EMBEDDING_SR)
                examples = vggish_loss.log_mel_to_examples(log_mel, pad_end=True)
                emb = self.model(examples[..., None]).numpy()
                rows.append(np.concatenate([emb.mean(axis=0), emb.std(axis=0)]))
            return np.asarray(rows, np.float32)
        from neural_style_audio.training.instrument_cnn import log1p_magnitudes
        rows = []
        for i in range(0, len(segments), 8):
            last = self.model.activations(log1p_magnitudes(segments[i:i + 8]))[-1]
            mean = tf.reduce_mean(last, axis=[1, 2])
            std = tf.math.reduce_std(last, axis=[1, 2])
            rows.append(tf.concat([mean, std], -1).numpy())
        return np.concatenate(rows).astype(np.float32)


def extractor(kind):
    """A function [n, samples] (at SegmentConfig(kind).sr) -> [n, ...] features."""
    if kind == "paper":
        return paper_features
    if kind == "mfcc":
        return mfcc_stats
    if kind == "autocorrelogram":
        return autocorrelogram
    return EmbeddingExtractor(kind)


def waveform_features(y, sr, seg_cfg, extract=None):
    """Features [n_segments, ...] of a waveform at `sr` (resampled to seg_cfg.sr)."""
    import librosa
    y = np.asarray(y, np.float32)
    if sr != seg_cfg.sr:
        y = librosa.resample(y, orig_sr=sr, target_sr=seg_cfg.sr, res_type="soxr_hq")
    segments = data.segment(y, seg_cfg.sr, seg_cfg.segment_s, seg_cfg.hop_s)
    return (extract or extractor(seg_cfg.kind))(segments)


class FeatureCache:
    """Track features on disk: `<cache_dir>/<kind>-<settings key>/<track key>.npz`.

    Args:
      seg_cfg: SegmentConfig.
      cache_dir: folder, or None for no cache (features are recomputed every time).
    """

    def __init__(self, seg_cfg, cache_dir=None):
        self.seg_cfg = seg_cfg
        self.folder = (Path(cache_dir) / f"{seg_cfg.kind}-{seg_cfg.key()}"
                       if cache_dir else None)
        self._extract = None
        self.hits = self.misses = 0

    def _track_file(self, path):
        stat = Path(path).stat()
        key = f"{Path(path).resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
        return self.folder / (hashlib.sha1(key.encode()).hexdigest()[:16] + ".npz")

    def track_features(self, path):
        """Features [n_segments, ...] of one track (from the cache when present)."""
        if not Path(path).is_file():
            raise data.GenreDataError(f"cannot read {path}: file not found")
        cached = self._track_file(path) if self.folder else None
        if cached is not None and cached.is_file():
            try:
                with np.load(cached) as stored:
                    self.hits += 1
                    return stored["features"]
            except (OSError, ValueError, KeyError):
                pass  # A damaged cache file: recompute it.
        self.misses += 1
        if self._extract is None:
            self._extract = extractor(self.seg_cfg.kind)
        y = data.load_track(path, self.seg_cfg.sr)
        feats = waveform_features(y, self.seg_cfg.sr, self.seg_cfg, self._extract)
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            settings = cached.parent / "settings.json"
            if not settings.exists():
                settings.write_text(json.dumps(dict(dataclasses.asdict(self.seg_cfg),
                                                    version=FEATURE_VERSION), indent=1))
            tmp = cached.with_suffix(".tmp.npz")
            np.savez(tmp, features=feats, track=str(path))
            tmp.replace(cached)
        return feats

    def examples(self, items, log=None):
        """Stacked segment features of [(path, label)] items.

        Returns:
          (features [N, ...], labels [N] int32, track index [N] int32: which item
          each segment came from).
        """
        feats, labels, owner = [], [], []
        for i, (path, label) in enumerate(items):
            f = self.track_features(path)
            feats.append(f)
            labels.extend([label] * len(f))
            owner.extend([i] * len(f))
            if log and (i + 1) % 20 == 0:
                log(f"  features: {i + 1}/{len(items)} tracks")
        return (np.concatenate(feats).astype(np.float32), np.asarray(labels, np.int32),
                np.asarray(owner, np.int32))
