"""benchmarks/bench_transfer.py: JSON output at a tiny size, and its FLOP count by hand."""
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "benchmarks" / "bench_transfer.py"


def _bench_module():
    spec = importlib.util.spec_from_file_location("bench_transfer", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # Defines no flags on import.
    return module


def test_evaluation_flops_matches_hand_count():
    flops = _bench_module().evaluation_flops
    # T=5, T_s=4, C=2, N=3, width 2: T'=4, T_s'=3, K = width * C = 4.
    conv = 2 * 4 * 4 * 3  # [4, 4] x [4, 3], and the same again for the input gradient.
    nxn = flops(5, 4, 2, 3, 2, "nxn")
    assert nxn["conv_forward"] == nxn["conv_input_gradient"] == conv == 96
    assert nxn["style_forward"] == 2 * 4 * 3 * 3  # F^T F: [3, 4] x [4, 3].
    assert nxn["total"] == 96 + 96 + 72 + 72
    assert flops(5, 4, 2, 3, 2, "nxn", "executed")["total"] == 96 + 96 + 72 + 144
    # + the style Gram S^T S ([3, 3] x [3, 3] = 54) where the objective recomputes it.
    assert flops(5, 4, 2, 3, 2, "nxn", "executed",
                 style_constant_recomputed=True)["total"] == 96 + 96 + 72 + 144 + 54
    txt = flops(5, 4, 2, 3, 2, "txt")
    # F F^T: [4, 3] x [3, 4] = 96, F S^T: [4, 3] x [3, 3] = 72; backward the same.
    assert txt["style_forward"] == txt["style_backward"] == 96 + 72
    assert txt["total"] == 96 + 96 + 168 + 168
    # Executed: + S S^T (2 * 3 * 3 * 3 = 54) + the second product of F F^T's gradient (96).
    assert flops(5, 4, 2, 3, 2, "txt", "executed")["total"] == 96 + 96 + 168 + 54 + 168 + 96
    # float64 expansion: the same products (in float64), ||S S^T||^2 precomputed.
    txt64 = flops(5, 4, 2, 3, 2, "txt64", "executed")
    # The written-out float64 gradient does one product per term: executed == useful.
    assert txt64["total"] == 96 + 96 + 168 + 168 and txt64["float64"] == 168 + 168
    assert txt64 == flops(5, 4, 2, 3, 2, "txt64", "useful")


def test_bench_transfer_json_tiny():
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--json", "--seconds", "1", "--n_filters", "64",
         "--rounds", "1", "--repeats", "1", "--peak_size", "256", "--gap_s", "0",
         "--variants", "ours,ours_xla,ours_blas,a,d"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stdout[-2000:]  # Exactly one JSON object on stdout.
    result = json.loads(lines[0])
    for key in ("ms_per_eval", "gflop_per_eval", "gflops", "peak_gflops", "peak_method",
                "straightforward_ms_per_eval", "speedup", "pct_of_peak", "loadavg", "rounds",
                "variants"):
        assert key in result, key
    assert result["pct_of_peak"] <= 100 and result["pct_of_peak_median"] <= 100
    assert set(result["variants"]) == {"ours", "ours_xla", "ours_blas", "a", "d"}
    # 1 s x 64 filters is below optimize.AUTO_MIN_GFLOP: "auto" stays on XLA untimed.
    assert result["backend"] == "xla" and result["backend_probe_ms"] == {}
    assert result["variants"]["ours_blas"]["rel_grad_vs_a"] < 1e-4
    for variant in result["variants"].values():
        assert variant["ms_min"] <= variant["ms_median"]
        assert variant["rel_loss_vs_a"] <= 1e-3
    # 1 s: T = 44 frames, T' = 34; N = 64 < T' + T_s', so the style term is N x N.
    shape = result["shape"]
    assert (shape["T"], shape["C"], shape["N"], shape["width"]) == (44, 1025, 64, 11)
    t_out, k, n = 34, 11 * 1025, 64
    hand = 2 * 2 * t_out * k * n + 2 * 2 * t_out * n * n
    assert abs(result["gflop_per_eval"] - hand / 1e9) < 1e-12
    assert abs(result["gflops"] - hand / 1e9 / (result["ms_per_eval"] / 1e3)) < 1e-6
    assert result["speedup"] == result["straightforward_ms_per_eval"] / result["ms_per_eval"]
