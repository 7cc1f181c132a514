"""The GTZAN-layout loader, splits by track, segments and the feature cache."""
import json

import numpy as np
import pytest

from neural_style_audio import genres
from neural_style_audio.genres import features
from genre_corpus import SR, write_corpus


@pytest.fixture
def corpus(tmp_path):
    return write_corpus(tmp_path / "genres")


def test_list_tracks_finds_every_extension_sorted(corpus):
    (corpus / "low" / "notes.txt").write_text("not audio")
    (corpus / ".hidden").mkdir()
    tracks = genres.list_tracks(corpus)
    assert list(tracks) == ["high", "low", "noise"]
    assert [p.name for p in tracks["low"]] == [f"low.{i:05d}{'.wav' if i % 2 == 0 else '.flac'}"
                                               for i in range(5)]
    assert list(genres.list_tracks(corpus, ["noise", "low"])) == ["noise", "low"]


def test_list_tracks_errors_name_the_folder(tmp_path, corpus):
    with pytest.raises(genres.GenreDataError, match="missing_root: corpus folder not found"):
        genres.list_tracks(tmp_path / "missing_root")
    (corpus / "empty").mkdir()
    with pytest.raises(genres.GenreDataError, match=r"empty: genre 'empty' has no audio"):
        genres.list_tracks(corpus, ["low", "empty"])
    with pytest.raises(genres.GenreDataError, match=r"empty: genre 'empty' has no audio"):
        genres.list_tracks(corpus)
    (corpus / "empty").rmdir()
    with pytest.raises(genres.GenreDataError, match=r"jazz: genre folder not found \(found: "):
        genres.list_tracks(corpus, ["jazz"])
    with pytest.raises(genres.GenreDataError, match="high: genre 'high' has 5 track.*at least 6"):
        genres.list_tracks(corpus, min_tracks=6)
    (tmp_path / "flat").mkdir()
    with pytest.raises(genres.GenreDataError, match="flat: no genre folders with audio"):
        genres.list_tracks(tmp_path / "flat")
    with pytest.raises(genres.GenreDataError, match="only one genre"):
        genres.list_tracks(corpus, ["low"])


def test_split_is_by_track_stratified_seeded(corpus):
    tracks = genres.list_tracks(corpus)
    split = genres.make_split(tracks, test_fraction=0.2, val_fraction=0.2, seed=3)
    genres.check_disjoint(split)
    for genre, paths in tracks.items():
        assert (len(split["train"][genre]), len(split["val"][genre]),
                len(split["test"][genre])) == (3, 1, 1)
        assert sorted(sum((split[s][genre] for s in genres.SUBSETS), [])) == \
            sorted(map(str, paths))
    assert genres.make_split(tracks, 0.2, 0.2, seed=3) == split
    others = [genres.make_split(tracks, 0.2, 0.2, seed=s)["test"] for s in range(4, 10)]
    assert any(o != split["test"] for o in others)
    items = genres.split_items(split, "test")
    assert [label for _, label in items] == [0, 1, 2]


def test_split_errors(corpus):
    tracks = genres.list_tracks(corpus)
    with pytest.raises(genres.GenreDataError, match="'high' has 5 track.*too few"):
        genres.make_split(tracks, test_fraction=0.6, val_fraction=0.3)
    small = {"a": tracks["low"][:1], "b": tracks["high"]}
    with pytest.raises(genres.GenreDataError, match="genre 'a' has 1 track.*need at least 2"):
        genres.make_split(small, 0.2)
    with pytest.raises(genres.GenreDataError, match="too few for 6-fold"):
        genres.kfold_splits(tracks, 6)
    leaked = genres.make_split(tracks, 0.2)
    leaked["test"]["low"].append(leaked["train"]["low"][0])
    with pytest.raises(genres.GenreDataError, match="in both 'train' and 'test'"):
        genres.check_disjoint(leaked)


def test_repeated_and_kfold_splits(corpus):
    tracks = genres.list_tracks(corpus)
    repeated = genres.repeated_splits(tracks, 3, 0.2, 0.0, seed=10)
    assert [s["seed"] for s in repeated] == [10, 11, 12]
    folds = genres.kfold_splits(tracks, 5, val_fraction=0.2, seed=1)
    tested = sorted(p for f in folds for paths in f["test"].values() for p in paths)
    assert tested == sorted(str(p) for paths in tracks.values() for p in paths)
    for f in folds:
        genres.check_disjoint(f)


def test_split_json_round_trip_relative(tmp_path, corpus):
    tracks = genres.list_tracks(corpus)
    splits = genres.repeated_splits(tracks, 2, 0.2, 0.2)
    path = genres.save_splits(splits, tmp_path / "out" / "splits.json", corpus)
    stored = json.loads(path.read_text())
    assert stored[0]["test"]["low"][0].startswith("low/")
    assert genres.load_splits(path) == splits
    one = genres.save_split(splits[0], tmp_path / "one.json", corpus)
    moved = tmp_path / "moved"
    corpus.rename(moved)
    with pytest.raises(genres.GenreDataError,
                       match=r"one.json: track .*genres/.* \((train|val|test), .*\) not found"):
        genres.load_split(one)
    assert genres.load_split(one, root=moved)["genres"] == splits[0]["genres"]
    (tmp_path / "bad.json").write_text("{\"format\": \"x\"}")
    with pytest.raises(genres.GenreDataError, match="bad.json: not a genre split file"):
        genres.load_splits(tmp_path / "bad.json")


def test_load_track_and_segments(tmp_path, corpus):
    path = genres.list_tracks(corpus)["low"][0]
    y = genres.load_track(path, 8000)
    assert y.dtype == np.float32 and len(y) == 12000
    assert len(genres.load_track(path, SR, duration_s=0.5, offset_s=1.25)) == 4000
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF0000WAVEjunk")
    with pytest.raises(genres.GenreDataError, match=r"cannot read .*broken.wav: "):
        genres.load_track(broken, SR)
    seg = genres.segment(np.arange(10, dtype=np.float32), 1, segment_s=4, hop_s=3)
    np.testing.assert_array_equal(seg, [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]])
    np.testing.assert_array_equal(genres.segment(np.ones(2), 1, 4), [[1, 1, 0, 0]])


def test_features_shapes_and_values():
    rng = np.random.default_rng(0)
    segs = rng.standard_normal((2, 22050)).astype(np.float32) * 0.1
    assert features.paper_features(segs).shape == (2, 25)
    assert features.mfcc_stats(segs).shape == (2, 40)
    acf = features.autocorrelogram(segs)
    assert acf.shape == (2, features.AUTOCORR_LAGS)
    np.testing.assert_allclose(acf[:, 0], 1.0, rtol=1e-5)
    # A 441-Hz tone at 22.05 kHz has period 50 samples: a peak there, a trough at 25.
    tone = np.sin(2 * np.pi * 441 * np.arange(22050) / 22050)[None].astype(np.float32)
    tone_acf = features.autocorrelogram(tone)[0]
    assert tone_acf[50] > 0.9 and tone_acf[25] < -0.9


def test_feature_cache_hits_and_keys(tmp_path, corpus):
    tracks = genres.list_tracks(corpus)
    cfg = features.SegmentConfig("mfcc", segment_s=0.5, hop_s=0.5)
    cache = features.FeatureCache(cfg, tmp_path / "cache")
    items = [(tracks["low"][0], 0), (tracks["high"][0], 1)]
    x, y, owner = cache.examples(items)
    assert x.shape == (6, 40) and list(y) == [0, 0, 0, 1, 1, 1] and list(owner) == [0] * 3 + [1] * 3
    assert (cache.hits, cache.misses) == (0, 2)
    again = features.FeatureCache(cfg, tmp_path / "cache")
    np.testing.assert_array_equal(again.examples(items)[0], x)
    assert (again.hits, again.misses) == (2, 0)
    other = features.SegmentConfig("mfcc", segment_s=0.75, hop_s=0.5)
    assert other.key() != cfg.key()
    assert len(list((tmp_path / "cache").iterdir())) == 1
    with pytest.raises(genres.GenreDataError, match="cannot read .*gone.wav: file not found"):
        cache.track_features(tmp_path / "gone.wav")
