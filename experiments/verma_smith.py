"""Verma & Smith's two experiments with the `verma_smith` preset, and the ablation.

1. Bandwidth compression: a plucked harp (GM program 46, FluidR3) as content, a tuning
   fork (a pure exponentially decaying 440-Hz sine) as style. The paper's claim: the
   output's bandwidth collapses towards the fundamental.
2. Bandwidth expansion: a speech excerpt (LibriVox, ../shared/audio/dev/voice) as
   content, a violin note (GM program 40, FluidR3) as style. The claim: higher
   harmonics gain energy.

Every clip is 2.57 s at 16 kHz (the paper's spectrogram). For content, style and every
output the script reports the spectral centroid, bandwidth and 85 % roll-off (means
over the frames within 40 dB of the loudest, STFT 512 / hop 160), the share of power
above 1 kHz, and the project's metrics (evaluation.metrics.evaluate_all without a
target: chroma and pitch against the content, MFCC-statistics and spectral-statistics
distances to the style). The ablation runs each experiment without the envelope terms,
with each one, with both, and with the trained or random weights of the same network.

    python experiments/verma_smith.py                  # docs/results/verma_smith.md
    python experiments/verma_smith.py --iterations 50 --no-ablation --out /tmp/vs.md

Writes the Markdown table file (--out), a JSON of every number beside it,
docs/images/verma_smith_{compression,expansion}.png and the output audio (--audio_dir).
"""
import argparse
import dataclasses
import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import librosa  # noqa: E402
import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DEV = REPO.parent / "shared" / "audio" / "dev"
SR = 16000
SECONDS = 2.57  # The paper's spectrogram length.
N_FFT, HOP = 512, 160
ACTIVE_TOP_DB = 40.0
HIGH_BAND_HZ = 1000.0
FORK_HZ = 440.0  # A4, the usual tuning fork.
FORK_DECAY_S = 0.8  # Amplitude time constant of the fork's decay.
# Harp: plucks of an A-major arpeggio from the fork's pitch up (onset_s, MIDI pitch,
# duration_s): fundamentals 440-659 Hz, so every partial above 1 kHz is a harmonic.
HARP_NOTES = ((0.05, 69, 1.0), (0.6, 73, 1.0), (1.15, 76, 1.0), (1.7, 69, 0.8))
HARP_VELOCITY = 110
VIOLIN_PITCH = 67  # G4, as the dev set's recorded violin note.
VOICE_CLIP = "voice/speech_librivox_0870.flac"
VOICE_START_S = 0.5

# (label, overrides of the verma_smith preset) of the ablation.
ABLATION = (
    ("no envelope terms", dict(energy_weight=0.0, freq_envelope_weight=0.0)),
    ("energy envelope only", dict(freq_envelope_weight=0.0)),
    ("frequency envelope only", dict(energy_weight=0.0)),
    ("both (the preset)", dict()),
)


def fork(seconds=SECONDS, sr=SR):
    """A tuning fork: a pure sine with an exponential decay and a 5-ms attack."""
    t = np.arange(int(round(seconds * sr))) / sr
    y = np.sin(2 * np.pi * FORK_HZ * t) * np.exp(-t / FORK_DECAY_S) * np.minimum(t / 0.005, 1)
    return (0.9 * y / np.max(np.abs(y))).astype(np.float32)


def harp():
    """The harp arpeggio rendered with FluidR3 (GM 46), 2.57 s."""
    from neural_style_audio import synth
    notes = [(p, onset, d) for onset, p, d in HARP_NOTES]
    y = synth.render_melody(notes, 46, sr=SR, tempo_bpm=60.0, velocity=HARP_VELOCITY)
    return synth.fit_duration(y, SR, SECONDS)


def violin():
    """One violin note (GM 40, FluidR3), 2 s held, 2.57 s."""
    from neural_style_audio import synth
    y = synth.render_melody([(VIOLIN_PITCH, 0.05, 2.0)], 40, sr=SR, tempo_bpm=60.0, velocity=90)
    return synth.fit_duration(y, SR, SECONDS)


def voice():
    """2.57 s of LibriVox speech from the dev set, peak-normalised."""
    from neural_style_audio import audio
    y = audio.load_audio(DEV / VOICE_CLIP, SR)
    start = int(VOICE_START_S * SR)
    return audio.normalize_peak(y[start:start + int(round(SECONDS * SR))]) * 0.9


def spectral_shape(y, sr=SR):
    """Spectral centroid, bandwidth and 85 % roll-off (Hz), means over the active frames.

    Computed twice: weighted by the magnitude (librosa's definitions, as the project's
    metrics) and by the power (`*_power`). The magnitude-weighted ones give a
    -60 dB broadband floor as much weight as a -20 dB harmonic 100 times fewer bins
    wide, so they also measure the floor; the power-weighted ones follow where the
    energy is. Also the share of the power above HIGH_BAND_HZ (%).
    """
    mag = np.abs(librosa.stft(np.asarray(y, np.float32), n_fft=N_FFT, hop_length=HOP))
    power = mag ** 2
    frame_db = 10 * np.log10(np.maximum(power.sum(axis=0), 1e-20))
    active = frame_db > frame_db.max() - ACTIVE_TOP_DB
    freqs = librosa.fft_frequencies(sr=sr, n_fft=N_FFT)
    shape = {}
    for suffix, weights in (("", mag), ("_power", power)):
        centroid = librosa.feature.spectral_centroid(S=weights, sr=sr, n_fft=N_FFT)[0]
        bandwidth = librosa.feature.spectral_bandwidth(S=weights, sr=sr, n_fft=N_FFT)[0]
        rolloff = librosa.feature.spectral_rolloff(S=weights, sr=sr, n_fft=N_FFT,
                                                   roll_percent=0.85)[0]
        shape[f"centroid{suffix}_hz"] = float(centroid[active].mean())
        shape[f"bandwidth{suffix}_hz"] = float(bandwidth[active].mean())
        shape[f"rolloff{suffix}_hz"] = float(rolloff[active].mean())
    high = power[freqs >= HIGH_BAND_HZ][:, active].sum() / max(power[:, active].sum(), 1e-20)
    shape["above_1khz_pct"] = float(100 * high)
    return shape


def project_metrics(y, content, style):
    from neural_style_audio.evaluation import metrics
    return metrics.evaluate_all(y, content, style, SR, monophonic=True)


def run_transfer(content, style, cache, iterations, optimizer, **overrides):
    from neural_style_audio.config import resolve_config
    from neural_style_audio.methods.optimisation import transfer
    config = resolve_config("verma_smith", iterations=iterations, optimizer=optimizer,
                            progress=False, **overrides)
    result = transfer((content, SR), (style, SR), config, cache=cache)
    return result, config


def spectrogram_panel(ax, y, title):
    mag = np.abs(librosa.stft(np.asarray(y, np.float32), n_fft=N_FFT, hop_length=HOP))
    db = librosa.amplitude_to_db(mag, ref=np.max, top_db=80.0)
    ax.imshow(db, origin="lower", aspect="auto", cmap="magma", vmin=-80, vmax=0,
              extent=[0, len(y) / SR, 0, SR / 2000])
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("time (s)", fontsize=8)
    ax.set_ylabel("kHz", fontsize=8)
    ax.tick_params(labelsize=7)


def figure(panels, path, title):
    """A row of log-magnitude spectrograms (0-8 kHz, 0-2.57 s, as the paper's figures)."""
    from matplotlib.figure import Figure
    fig = Figure(figsize=(3.0 * len(panels), 3.0), layout="constrained")
    axes = fig.subplots(1, len(panels))
    for ax, (label, y) in zip(axes, panels):
        spectrogram_panel(ax, y, label)
    fig.suptitle(title, fontsize=10)
    fig.savefig(path, dpi=90, format="png")


def noise_start(content, seed=0):
    """The Gaussian-noise start as audio (the preset's start point, through Griffin-Lim's
    first step: the noise magnitude with random phase), for the figure's panel a)."""
    from neural_style_audio import representations, spectral
    from neural_style_audio.config import resolve_config
    from neural_style_audio.methods.optimisation import initial_features
    cfg = resolve_config("verma_smith", instrument_cnn_weights="random")
    rep = representations.get(cfg.features)
    x = rep.analyse(spectral.magnitude(content, N_FFT, HOP))
    x0 = np.maximum(initial_features(x, "noise", cfg.optimizer.init_scale, seed), 0)
    mag = rep.synthesise(x0)
    phase = np.exp(2j * np.pi * np.random.default_rng(seed).random(mag.shape))
    return np.asarray(spectral.istft(mag * phase, N_FFT, HOP, len(content)))


def fmt(value):
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"


SHAPE_COLUMNS = ("centroid_hz", "bandwidth_hz", "rolloff_hz", "centroid_power_hz",
                 "bandwidth_power_hz", "rolloff_power_hz", "above_1khz_pct")
METRIC_COLUMNS = ("chroma_similarity", "pitch_accuracy", "mfcc_stats_distance",
                  "spectral_stats_distance")


def table(rows, columns):
    head = "| clip | " + " | ".join(columns) + " |"
    lines = [head, "|" + "---|" * (len(columns) + 1)]
    for label, values in rows:
        lines.append(f"| {label} | " + " | ".join(fmt(values.get(c)) for c in columns) + " |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=None,
                        help="Optimisation iterations (default: the preset's).")
    parser.add_argument("--optimizer", default="lbfgs", help="lbfgs or adam.")
    parser.add_argument("--ablation", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--out", default=str(REPO / "docs/results/verma_smith.md"))
    parser.add_argument("--figures_dir", default=str(REPO / "docs/images"))
    parser.add_argument("--audio_dir", default=str(REPO / "outputs/verma_smith"))
    args = parser.parse_args(argv)

    from neural_style_audio.config import PRESETS
    from neural_style_audio.methods.optimisation import TransferCache
    iterations = args.iterations or PRESETS["verma_smith"]["iterations"]
    audio_dir, figures_dir = Path(args.audio_dir), Path(args.figures_dir)
    audio_dir.mkdir(parents=True, exist_ok=True)
    figures_dir.mkdir(parents=True, exist_ok=True)
    experiments = {
        "compression": ("harp (GM 46) content, tuning-fork (440-Hz decaying sine) style",
                        harp(), fork()),
        "expansion": ("speech (LibriVox) content, violin note (GM 40, G4) style",
                      voice(), violin()),
    }
    cache = TransferCache()
    record = dict(command="python experiments/verma_smith.py " + " ".join(argv or sys.argv[1:]),
                  machine=f"{platform.node()}: {platform.processor() or platform.machine()}, "
                          f"{os.cpu_count()} CPUs", iterations=iterations,
                  optimizer=args.optimizer, preset=PRESETS["verma_smith"], experiments={})
    for name, (description, content, style) in experiments.items():
        sf.write(audio_dir / f"{name}_content.wav", content, SR)
        sf.write(audio_dir / f"{name}_style.wav", style, SR)
        rows = [("content", dict(spectral_shape(content), **project_metrics(content, content, style))),
                ("style", dict(spectral_shape(style), **project_metrics(style, content, style)))]
        variants = [(label, "shipped", o) for label, o in ABLATION] if args.ablation else \
            [(ABLATION[-1][0], "shipped", ABLATION[-1][1])]
        variants += [(f"{label}, random weights", "random", o)
                     for label, o in (ABLATION if args.ablation else ())]
        outputs = {}
        for label, weights, overrides in variants:
            start = time.perf_counter()
            result, _ = run_transfer(content, style, cache, iterations, args.optimizer,
                                     instrument_cnn_weights=weights, **overrides)
            seconds = time.perf_counter() - start
            y = result.audio
            slug = label.replace(" ", "_").replace(",", "").replace("(", "").replace(")", "")
            sf.write(audio_dir / f"{name}_{slug}.wav", y, SR)
            history = result.record["loss_history"]
            values = dict(spectral_shape(y), **project_metrics(y, content, style),
                          loss_first=float(history[0]), loss_last=float(history[-1]),
                          terms=result.record["chunks"][0]["terms"], seconds=seconds)
            rows.append((f"output: {label}", values))
            outputs[label] = y
            print(f"{name}: {label}: {fmt(values['centroid_hz'])} Hz centroid, "
                  f"{fmt(values['bandwidth_hz'])} Hz bandwidth ({seconds:.0f} s)", flush=True)
        preset_label = ABLATION[-1][0]
        panels = [("a) noise start (own scale)", noise_start(content)), ("b) content", content),
                  ("c) style", style), ("d) output (preset)", outputs[preset_label])]
        if args.ablation:
            panels += [("no envelope terms", outputs["no envelope terms"]),
                       ("preset, random weights", outputs[f"{preset_label}, random weights"])]
        figure(panels, figures_dir / f"verma_smith_{name}.png", description)
        record["experiments"][name] = dict(description=description, rows=rows)
    write_markdown(record, Path(args.out))
    return 0


def write_markdown(record, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.with_suffix(".json").write_text(json.dumps(record, indent=1, default=str) + "\n")
    parts = [
        "# Verma & Smith: bandwidth compression and expansion, ablation\n",
        f"Command: `{record['command'].strip()}`  \nMachine: {record['machine']}  \n"
        f"Preset `verma_smith` ({record['optimizer']}, {record['iterations']} iterations); "
        "every clip 2.57 s at 16 kHz. Spectral shape: means over the frames within "
        f"{ACTIVE_TOP_DB:.0f} dB of the loudest (STFT {N_FFT}/{HOP}); metrics: "
        "evaluation.metrics.evaluate_all against the content (chroma, pitch) and the "
        "style (MFCC-statistics and spectral-statistics distances, lower is closer). "
        "Figures: log-magnitude spectrograms, 0-8 kHz, 0-2.57 s, each panel in dB re its "
        "own maximum over 80 dB (the noise start, 1e-3 in log1p units, is far quieter "
        "than it looks). Audio: the outputs are written to --audio_dir.\n"]
    for name, exp in record["experiments"].items():
        parts.append(f"## {name}: {exp['description']}\n")
        parts.append(table(exp["rows"], SHAPE_COLUMNS) + "\n")
        parts.append(table(exp["rows"], METRIC_COLUMNS + ("loss_first", "loss_last",
                                                          "seconds")) + "\n")
        parts.append(f"![{name}](../images/verma_smith_{name}.png)\n")
    path.write_text("\n".join(parts))
    print(f"wrote {path} and {path.with_suffix('.json')}")


if __name__ == "__main__":
    sys.exit(main())
