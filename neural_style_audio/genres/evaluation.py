"""Judging genre transfer: held-out clip pairs, converters, and the judge's verdict.

A method is a converter: `convert(y, sr) -> y` for a model trained for one genre pair
(CycleGAN: `convert` maps genre A to genre B), or `convert(y, sr, style=y_style) -> y`
for the optimisation methods, which take a style clip. `evaluate_converter` runs one
over the pairs and reports, per pair, the judge's probability of the style genre for
the content clip (before) and the output (after), whether the output is classified as
the style genre, the probability left on the content genre, and the chroma similarity
of the output to the content (evaluation/metrics.py: is the harmony kept?).

Held-out pairs come from the test tracks of the split the judge was trained on, so the
judge never heard them.
"""
import dataclasses
import inspect
import time
from typing import Callable, Optional

import numpy as np

from neural_style_audio.genres import data


@dataclasses.dataclass
class ClipPair:
    """One content clip of the content genre and one style clip of the style genre."""
    name: str
    content_path: str
    style_path: str
    y_content: np.ndarray
    y_style: np.ndarray


def held_out_pairs(split, content_genre, style_genre, n_pairs=3, clip_s=10.0, offset_s=10.0,
                   sr=22050):
    """Pairs the i-th test track of `content_genre` with the i-th of `style_genre`.

    Clips are `clip_s` seconds from `offset_s` (moved earlier when a track is shorter).

    Raises:
      data.GenreDataError: a genre not in the split, or fewer test tracks than n_pairs.
    """
    for genre in (content_genre, style_genre):
        if genre not in split["genres"]:
            raise data.GenreDataError(f"genre '{genre}' is not in the split (genres: "
                                      f"{', '.join(split['genres'])})")
    content, style = split["test"][content_genre], split["test"][style_genre]
    if min(len(content), len(style)) < n_pairs:
        raise data.GenreDataError(f"{n_pairs} pairs need {n_pairs} test tracks of each "
                                  f"genre; the split has {len(content)} {content_genre} and "
                                  f"{len(style)} {style_genre}")
    pairs = []
    for i in range(n_pairs):
        clips = [_clip(path, sr, clip_s, offset_s) for path in (content[i], style[i])]
        pairs.append(ClipPair(f"{content_genre}{i + 1}->{style_genre}{i + 1}", content[i],
                              style[i], *clips))
    return pairs


def _clip(path, sr, clip_s, offset_s):
    y = data.load_track(path, sr)
    n = int(round(clip_s * sr))
    start = max(0, min(int(round(offset_s * sr)), len(y) - n))
    return y[start:start + n]


def takes_style(convert):
    """True when `convert` accepts a `style` keyword (an optimisation method)."""
    try:
        return "style" in inspect.signature(convert).parameters
    except (TypeError, ValueError):
        return False


def judge_clip(judge, y, sr, style_genre, content_genre):
    """dict: p_style, p_content, predicted genre of one clip."""
    p = judge.predict_proba(y, sr)
    return dict(p_style=float(p[judge.classes.index(style_genre)]),
                p_content=float(p[judge.classes.index(content_genre)]),
                predicted=judge.classes[int(np.argmax(p))])


def evaluate_converter(name, convert: Callable, pairs, judge, style_genre, content_genre,
                       sr=22050, log: Optional[Callable[[str], None]] = print,
                       write_audio: Optional[Callable] = None):
    """Runs one method over the pairs and judges the outputs.

    Args:
      name: the method's row name.
      convert: convert(y, sr) -> y or convert(y, sr, style=y_style) -> y (numpy float
        waveforms at `sr`; any length out is cut/padded to the content's).
      pairs: [ClipPair].
      judge: genres.judges.Judge with both genres among its classes.
      write_audio: optional (pair, y) -> None, to keep the outputs.

    Returns:
      list of per-pair dicts: method, pair, before/after judge verdicts, chroma
      similarity to the content, seconds.
    """
    from neural_style_audio.evaluation import metrics
    rows = []
    for pair in pairs:
        start = time.perf_counter()
        if takes_style(convert):
            y = convert(pair.y_content, sr, style=pair.y_style)
        else:
            y = convert(pair.y_content, sr)
        seconds = time.perf_counter() - start
        y = np.asarray(y, np.float32)
        n = len(pair.y_content)
        y = np.pad(y[:n], (0, max(0, n - len(y))))
        if write_audio:
            write_audio(pair, y)
        before = judge_clip(judge, pair.y_content, sr, style_genre, content_genre)
        after = judge_clip(judge, y, sr, style_genre, content_genre)
        row = dict(method=name, pair=pair.name, content=pair.content_path, style=pair.style_path,
                   p_style_before=before["p_style"], p_style_after=after["p_style"],
                   p_content_after=after["p_content"], predicted_before=before["predicted"],
                   predicted_after=after["predicted"],
                   classified_as_style=after["predicted"] == style_genre,
                   chroma_similarity=metrics.chroma_similarity(y, pair.y_content, sr),
                   seconds=round(seconds, 1))
        if log:
            log(f"  {name} {pair.name}: P({style_genre}) {row['p_style_before']:.3f} -> "
                f"{row['p_style_after']:.3f}, predicted {row['predicted_after']}, chroma "
                f"{row['chroma_similarity']:.3f} ({seconds:.0f} s)")
        rows.append(row)
    return rows


def summarise(rows):
    """Per method: means over its pairs (the table's columns)."""
    methods = list(dict.fromkeys(r["method"] for r in rows))
    table = []
    for method in methods:
        mine = [r for r in rows if r["method"] == method]
        table.append(dict(
            method=method, n_pairs=len(mine),
            p_style_before=float(np.mean([r["p_style_before"] for r in mine])),
            p_style_after=float(np.mean([r["p_style_after"] for r in mine])),
            p_content_after=float(np.mean([r["p_content_after"] for r in mine])),
            fraction_style=float(np.mean([r["classified_as_style"] for r in mine])),
            chroma_similarity=float(np.mean([r["chroma_similarity"] for r in mine])),
            seconds_per_clip=float(np.mean([r["seconds"] for r in mine]))))
    return table


def optimisation_converter(preset, cache=None, **overrides):
    """convert(y, sr, style=...) running the optimisation transfer with a preset."""
    from neural_style_audio.config import resolve_config
    from neural_style_audio.methods.optimisation import TransferCache, transfer
    config = resolve_config(preset, progress=False, **overrides)
    cache = cache or TransferCache()

    def convert(y, sr, style=None):
        result = transfer(y, style, config, cache=cache, sr=sr)
        convert.last_record = result.record
        return result.audio

    convert.config = config
    return convert


def identity_converter(y, sr):
    """The content unchanged (the 'before' reference row)."""
    return y
