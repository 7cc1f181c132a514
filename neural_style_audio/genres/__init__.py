"""Genre corpora (GTZAN layout), splits by track, features and genre classifiers.

The data functions (`list_tracks`, splits, `load_track`, `segment`) import no
TensorFlow; `features` and `judges` load it when a network is used.
"""
from neural_style_audio.genres.data import (
    AUDIO_EXTENSIONS,
    SUBSETS,
    GenreDataError,
    check_disjoint,
    kfold_splits,
    list_tracks,
    load_split,
    load_splits,
    load_track,
    make_split,
    min_tracks_for,
    repeated_splits,
    save_split,
    save_splits,
    segment,
    split_items,
)

__all__ = ["AUDIO_EXTENSIONS", "SUBSETS", "GenreDataError", "check_disjoint", "kfold_splits",
           "list_tracks", "load_split", "load_splits", "load_track", "make_split", "min_tracks_for",
           "repeated_splits", "save_split", "save_splits", "segment", "split_items"]
