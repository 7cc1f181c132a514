import json

import numpy as np
import pytest

from neural_style_audio import outputs
from neural_style_audio import audio
from neural_style_audio.methods import optimisation as transfer_lib
from neural_style_audio.config import resolve_config
from conftest import SR, harmonic_tone

SMALL = dict(n_filters=64, iterations=8, griffin_lim_iters=8, progress=False)


def test_transfer_from_arrays_returns_audio_and_record():
    cfg = resolve_config("ulyanov", **SMALL)
    content, style = harmonic_tone(220, 1.0), harmonic_tone(330, 2.0, decay=1.5)
    res = transfer_lib.transfer(content, style, cfg)
    assert res.sr == SR and len(res.audio) == len(content)
    assert np.max(np.abs(res.audio)) == pytest.approx(audio.OUTPUT_PEAK, abs=1e-4)
    rec = res.record
    assert rec["config"]["network"]["n_filters"] == 64 and rec["seed"] == 0
    assert len(rec["loss_history"]) >= 1 and rec["loss_history"][0] > rec["final_loss"]
    assert {"optimise_s", "phase_s", "total_s"} <= set(rec["timings"])
    assert {"tensorflow", "librosa", "device"} <= set(rec["environment"])
    json.dumps(rec)  # The record must be JSON-able as is.


def test_same_seed_same_output_different_seed_differs():
    content, style = harmonic_tone(220, 1.0), harmonic_tone(330, 1.0, decay=1.5)
    a = transfer_lib.transfer(content, style, resolve_config("ulyanov", seed=3, **SMALL))
    b = transfer_lib.transfer(content, style, resolve_config("ulyanov", seed=3, **SMALL))
    c = transfer_lib.transfer(content, style, resolve_config("ulyanov", seed=4, **SMALL))
    assert np.array_equal(a.audio, b.audio)
    assert not np.allclose(a.audio, c.audio)


@pytest.mark.parametrize("preset, extra", [
    ("iitb", dict(n_filters=32)),
    ("cnn_baseline", dict(n_filters=32, iterations=5)),
    ("ulyanov", dict(feature="mfcc", n_filters=32, n_layers=2, pooling="max")),
    ("ulyanov", dict(n_filters=32, optimizer="rmsprop", energy_weight=1.0,
                     freq_envelope_weight=1.0)),
])
def test_presets_and_variants_run(preset, extra):
    cfg = resolve_config(preset, **{**SMALL, **extra})
    res = transfer_lib.transfer(harmonic_tone(220, 1.0), harmonic_tone(330, 1.2), cfg)
    assert np.all(np.isfinite(res.audio)) and res.audio.std() > 0


def test_long_content_is_chunked_and_cross_faded():
    cfg = resolve_config("ulyanov", max_chunk_s=1.0, chunk_overlap_s=0.25, **SMALL)
    content = harmonic_tone(220, 2.6)
    res = transfer_lib.transfer(content, harmonic_tone(330, 0.8), cfg)
    n_frames = res.record["n_frames"]
    expected = transfer_lib.chunk_bounds(n_frames, int(SR / 512), int(0.25 * SR / 512))
    assert len(res.record["chunks"]) == len(expected) > 1
    assert len(res.audio) == len(content)
    starts = [c["frames"][0] for c in res.record["chunks"]]
    assert starts == sorted(starts) and res.record["chunks"][-1]["frames"][1] == res.record["n_frames"]


def test_chunk_bounds_and_crossfade_cover_every_frame():
    bounds = transfer_lib.chunk_bounds(100, 40, 10)
    assert bounds[0][0] == 0 and bounds[-1][1] == 100
    assert all(b[0] < a[1] for a, b in zip(bounds, bounds[1:]))  # Overlapping.
    chunks = [np.full((stop - start, 2), 5.0, np.float32) for start, stop in bounds]
    assert np.allclose(transfer_lib.crossfade(chunks, bounds, 100), 5.0)


def test_chunk_bounds_merges_a_last_chunk_too_short_for_the_network():
    # The last chunk (80, 90) has 10 frames: more than the overlap, fewer than 11.
    assert transfer_lib.chunk_bounds(90, 45, 5) == [(0, 45), (40, 85), (80, 90)]
    assert transfer_lib.chunk_bounds(90, 45, 5, min_frames=11) == [(0, 45), (40, 90)]
    for n in range(46, 200):
        bounds = transfer_lib.chunk_bounds(n, 45, 5, min_frames=11)
        assert bounds[0][0] == 0 and bounds[-1][1] == n
        assert all(stop - start >= 11 for start, stop in bounds)
        assert all(b[0] < a[1] < b[1] for a, b in zip(bounds, bounds[1:]))


def test_shared_cache_reuses_compiled_code_and_gives_the_same_results():
    """A sweep's cells share one TransferCache: another pair or alpha must not recompile
    (same shapes), and must give exactly what a fresh transfer gives."""
    content_a, content_b = harmonic_tone(220, 1.0), harmonic_tone(262, 1.0, decay=2.0)
    style = harmonic_tone(330, 1.2, decay=1.5)
    cells = [(content_a, 1e-2), (content_b, 1e-2), (content_a, 10.0)]
    cache = transfer_lib.TransferCache()
    shared = [transfer_lib.transfer(c, style, resolve_config("ulyanov", content_weight=a, **SMALL),
                                    cache=cache) for c, a in cells]
    assert cache.n_traces == 1
    assert len(cache.griffin_lim_blocks) == 1  # 8 iterations: one compiled block.
    for (c, a), res in zip(cells, shared):
        fresh = transfer_lib.transfer(c, style, resolve_config("ulyanov", content_weight=a, **SMALL))
        assert res.record["final_loss"] == pytest.approx(fresh.record["final_loss"], rel=1e-5)
        np.testing.assert_allclose(res.audio, fresh.audio, atol=1e-4)
    assert shared[0].record["final_loss"] != pytest.approx(shared[2].record["final_loss"])


def test_chunks_of_one_transfer_share_one_compilation():
    cfg = resolve_config("ulyanov", max_chunk_s=1.0, chunk_overlap_s=0.25, **SMALL)
    cache = transfer_lib.TransferCache()
    res = transfer_lib.transfer(harmonic_tone(220, 3.4), harmonic_tone(330, 0.8), cfg, cache=cache)
    lengths = {c["frames"][1] - c["frames"][0] for c in res.record["chunks"]}
    assert len(res.record["chunks"]) >= 3
    assert cache.n_traces == len(lengths) < len(res.record["chunks"])


def test_cache_keeps_only_the_most_recent_networks():
    cache = transfer_lib.TransferCache(max_networks=1)
    content, style = harmonic_tone(220, 1.0), harmonic_tone(330, 1.0)
    for n in (16, 32, 16):
        transfer_lib.transfer(content, style, resolve_config("ulyanov", **dict(SMALL, n_filters=n)),
                              cache=cache)
    assert len(cache._networks) == 1
    assert cache.n_traces == 3  # 16 filters was dropped, so it was rebuilt and compiled again.


def test_too_short_and_silent_inputs_are_rejected():
    cfg = resolve_config("ulyanov", **SMALL)
    with pytest.raises(audio.AudioInputError, match="too short"):
        transfer_lib.transfer(harmonic_tone(220, 0.05), harmonic_tone(220, 1.0), cfg)
    with pytest.raises(audio.AudioInputError, match="silent"):
        transfer_lib.transfer(harmonic_tone(220, 1.0), np.zeros(SR, np.float32), cfg)


def test_write_outputs(tmp_path):
    cfg = resolve_config("ulyanov", **SMALL)
    res = transfer_lib.transfer(harmonic_tone(220, 1.0), harmonic_tone(330, 1.0), cfg)
    paths = outputs.write_outputs(res, tmp_path / "out.wav")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json", "out.png", "out.wav"]
    assert json.loads(paths["json"].read_text())["final_loss"] == pytest.approx(res.record["final_loss"])
    assert paths["png"].read_bytes()[:4] == b"\x89PNG"


def test_transfer_leaves_global_random_state_alone():
    import random
    np.random.seed(7)
    random.seed(7)
    np_state, py_state = np.random.get_state()[1].copy(), random.getstate()
    cfg = resolve_config("ulyanov", **SMALL)
    transfer_lib.transfer(harmonic_tone(220, 1.0), harmonic_tone(330, 1.0), cfg)
    assert np.array_equal(np.random.get_state()[1], np_state)
    assert random.getstate() == py_state


def test_record_splits_compilation_from_evaluations():
    cfg = resolve_config("ulyanov", **SMALL)
    timings = transfer_lib.transfer(harmonic_tone(220, 1.0), harmonic_tone(330, 1.0),
                                    cfg).record["timings"]
    assert timings["evaluations"] >= SMALL["iterations"]
    assert 0 <= timings["compile_s"] <= timings["optimise_s"]
    assert timings["ms_per_evaluation"] > 0


def test_compile_and_evaluation_times_of_chunks_on_different_backends():
    """Compilation = the first call's excess over a typical call; the backend reported
    is the one of the chunk with the most evaluations, with its own timings."""
    runs = [dict(n_evaluations=10, evaluation_s=12.0, first_call_s=3.0, backend="blas",
                 backend_ms=dict(xla=1100.0, blas=1000.0)),
            dict(n_evaluations=4, evaluation_s=2.0, first_call_s=0.5, backend="xla",
                 backend_ms={})]
    t = transfer_lib.compile_and_evaluation_times(runs)
    per_eval = (12.0 - 3.0 + 2.0 - 0.5) / (9 + 3)
    assert t["compile_s"] == pytest.approx(3.0 - per_eval)
    assert t["evaluations"] == 14
    assert t["ms_per_evaluation"] == pytest.approx(1e3 * (14.0 - (3.0 - per_eval)) / 14)
    assert (t["backend"], t["backend_ms"], t["backends"]) == (
        "blas", dict(xla=1100.0, blas=1000.0), ["blas", "xla"])
