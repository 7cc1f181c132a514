"""Source-filter transfer: the content's notes played by a model of the style's instrument.

    config = resolve_config("source_filter")
    result = neural_style_audio.transfer("melody.wav", "violin.wav", config)

The content clip says *what* is played: its notes (pYIN f0, onsets, note-offs, levels;
`pitch.analyse_notes`). The style clip says *how it sounds*: every style note is
measured as partial amplitudes and noise between the partials, frame by frame from
its onset (`harmonic.fit_instrument`). Each content note is then synthesised by
additive sinusoids and shaped noise from the style note nearest in pitch
(`harmonic.render_notes`): a DDSP-style harmonic-plus-noise synthesiser (Engel et al.
2020) whose parameters are measured from one clip in seconds instead of trained.

Monophonic, pitched clips only: on a chord or on speech the f0 tracker follows one
voice (or none), and what is played is that line.
"""
import dataclasses
import time

from neural_style_audio import audio, harmonic, methods, outputs, pitch
from neural_style_audio.config import TransferConfig, resolve_config, validate

PRESET = "source_filter"
MIN_SECONDS = 0.1  # Shortest clip analysed (a few pYIN frames).


def analysis_settings(cfg):
    """pitch.analyse_notes keyword arguments from a SourceFilterConfig."""
    return dict(fmin=cfg.f0_fmin, fmax=cfg.f0_fmax, resolution=cfg.f0_resolution)


def note_record(note, hop_length, sr):
    """A JSON-able description of a pitch.Note."""
    return dict(onset_s=round(note.start * hop_length / sr, 4),
                offset_s=round(note.stop * hop_length / sr, 4),
                f0_hz=round(note.f0, 2), midi=round(float(note.midi), 2),
                level_db=round(note.level_db, 2))


@methods.register("source_filter", TransferConfig,
                  settings_groups=("features", "run", "source_filter"))
def transfer(content, style, config=None, progress=None, cache=None, sr=None):
    """Plays the content's notes with a harmonic-plus-noise model of the style's instrument.

    Args:
      content: a file path, a `(samples, sample_rate)` tuple or an array of samples at
        `sr` (as methods.optimisation.transfer); monophonic and pitched.
      style: the same for the style clip (monophonic and pitched; any length).
      config: a TransferConfig (default: the `source_filter` preset). Uses its
        features (sr, n_fft, hop_length), source_filter and run.seed settings.
      progress, cache: accepted for the methods' common signature; unused (the
        transfer takes seconds and shares nothing between pairs).
      sr: sample rate of array inputs given without one (default: config.features.sr).

    Returns:
      optimisation.TransferResult with the audio, the STFT magnitudes and a JSON-able
      record (settings, the notes found in both clips, timings).

    Raises:
      AudioInputError: an input is missing, unreadable, empty, silent, non-finite or
        too short, or has no pitched note.
      ConfigError: invalid settings.
    """
    from neural_style_audio.methods.optimisation import TransferResult, _as_waveform
    del progress, cache
    config = config or resolve_config(PRESET)
    validate(config)
    fc, sc = config.features, config.source_filter
    source_sr, sr, n_fft, hop = sr, fc.sr, fc.n_fft, fc.hop_length
    timings = {}
    t0 = time.perf_counter()
    min_samples = int(MIN_SECONDS * sr)
    y_content, content_name = _as_waveform(content, sr, min_samples, "content", source_sr)
    y_style, style_name = _as_waveform(style, sr, min_samples, "style", source_sr)
    timings["load_s"] = time.perf_counter() - t0

    t = time.perf_counter()
    notes, _, _ = pitch.analyse_notes(y_content, sr, hop_length=hop, frame_length=n_fft,
                                      **analysis_settings(sc))
    notes = harmonic.correct_octaves(notes, y_content, sr, n_fft, hop, sc.f0_fmin)
    if not notes:
        raise audio.AudioInputError(f"{content_name}: no pitched note found (the "
                                    "source-filter method needs a monophonic pitched melody)")
    timings["content_analysis_s"] = time.perf_counter() - t

    t = time.perf_counter()
    model = harmonic.fit_instrument(y_style, sr, n_fft, hop, sc.max_harmonics,
                                    **analysis_settings(sc))
    if not model.notes:
        raise audio.AudioInputError(f"{style_name}: no pitched note found (the "
                                    "source-filter method needs a pitched instrument)")
    timings["style_fit_s"] = time.perf_counter() - t

    t = time.perf_counter()
    y = harmonic.render_notes(notes, model, len(y_content), mode=sc.partial_mapping,
                              dynamics=sc.dynamics, release_s=sc.release_s,
                              noise_gain=sc.noise_gain, neighbours=sc.style_neighbours,
                              seed=config.run.seed)
    y = audio.normalize_peak(y)
    timings["synthesis_s"] = time.perf_counter() - t
    timings["total_s"] = time.perf_counter() - t0

    magnitude = harmonic.stft_magnitude(y, n_fft, hop)
    record = dict(
        method="source_filter", content=content_name, style=style_name,
        config=dataclasses.asdict(config), seed=config.run.seed, sr=sr,
        content_seconds=len(y_content) / sr, style_seconds=len(y_style) / sr,
        output_seconds=len(y) / sr, n_frames=len(magnitude),
        content_notes=[note_record(n, hop, sr) for n in notes],
        style_notes=[dict(midi=round(n.midi, 2), frames=n.n_frames) for n in model.notes],
        harmonic_profile_db=[round(float(v), 2) for v in model.harmonic_profile()],
        chunks=[], loss_history=[], timings=timings, environment=outputs.environment())
    return TransferResult(audio=y, sr=sr, magnitude=magnitude,
                          content_magnitude=harmonic.stft_magnitude(y_content, n_fft, hop),
                          style_magnitude=harmonic.stft_magnitude(y_style, n_fft, hop),
                          record=record)
