#!/usr/bin/env python3
"""Monte Carlo over weights from Python (issue 13) against numpy with single-threaded OpenBLAS on the
same shape, in the same run (SPEC §10):

    .venv/bin/python bench/python/bench_sensitivity.py                  # 10^6 operators × 10^3 draws, 3 repetitions
    .venv/bin/python bench/python/bench_sensitivity.py --n 1e5 --repeat 2 --json out.json

Input: the shipped sample as one operator-level frame (bench_rate.py's operator_frame: facility
measures rolled up as the model does), tiled to N operators, scored once by the default model
(``Model.score``); the draws: 10^3 Dirichlet weight vectors (concentration 200) around the model's
weights.

Measured (median of --repeat runs, wall clock, one thread everywhere):
  embedrating            er.sensitivity.monte_carlo(scored, draws=K): every draw graded exactly by
                         the engine (cut-offs, dimension floors, prerequisites, caps, history),
                         grade probabilities and stability, population intervals, and the quantiles
                         of each operator's total (histograms, docs/sensitivity.md)
  embedrating, grades    the same with quantiles=() (grades only)
  numpy                  what an analyst writes: for chunks of 16 384 operators, totals =
                         scores @ (points per draw)ᵀ (one GEMM, OpenBLAS, 1 thread), the grade by
                         the total cut-offs alone (searchsorted), counts per operator and grade
  numpy + quantiles      the same and np.quantile of each operator's totals over the draws
numpy does less than embedrating: no dimension floors, prerequisites, rules, history, status,
not-applicable re-allocation or centi-point rounding. The 300-operator sample × 10^3 draws is timed
too (target: under 50 ms).

This is a benchmark, not a test: run it on a quiet machine; results go to bench/README.md.
"""

from __future__ import annotations

import os

os.environ["OPENBLAS_NUM_THREADS"] = "1"  # before numpy is imported: single-threaded OpenBLAS
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import embedrating as er  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_rate import AS_OF, operator_frame, tiled  # noqa: E402

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, list[float], Any]:
    times, out = [], None
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times, out


def numpy_monte_carlo(scores: np.ndarray, points: np.ndarray, cutoffs: np.ndarray, quantiles: bool, chunk: int = 16384) -> dict[str, np.ndarray]:
    """An analyst's Monte Carlo: per chunk of operators one GEMM for the totals of every draw, the
    grade by the total cut-offs, counts per grade; optionally the quantiles of each total."""
    n, k = scores.shape[0], points.shape[0]
    counts = np.zeros((n, 6), dtype=np.int64)
    q = np.empty((n, len(QUANTILES))) if quantiles else None
    pt = np.ascontiguousarray(points.T)  # leaves × draws
    for a in range(0, n, chunk):
        s = scores[a : a + chunk]
        totals = s @ pt  # chunk × draws (float64 GEMM)
        grades = np.searchsorted(cutoffs, totals, side="right")  # 0 = unrated … 5 = 5A
        for g in range(6):
            counts[a : a + chunk, g] = np.count_nonzero(grades == g, axis=1)
        if q is not None:
            q[a : a + chunk] = np.quantile(totals, QUANTILES, axis=1).T
    return {"counts": counts, "quantiles": q}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=float, default=1e6, help="operators (default 1e6)")
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", help="write every number to this file")
    args = ap.parse_args()
    n, k = int(args.n), args.draws

    model = er.default_model()
    base = operator_frame(model)
    df = tiled(base, n, categorical=True)
    scored = model.score(er.Dataset(df), as_of=AS_OF)
    print(f"input: {n} operators (the sample tiled), {len(model.weights)} leaves, {k} draws; "
          f"numpy {np.__version__}, pandas {pd.__version__}, Python {platform.python_version()}", flush=True)  # fmt: skip

    results: dict[str, Any] = {"n": n, "draws": k, "leaves": len(model.weights)}
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def mc(quant: bool) -> er.sensitivity.MonteCarloResult:
        return er.sensitivity.monte_carlo(scored, draws=k, seed=1, quantiles=QUANTILES if quant else (), progress=False)

    t_full, runs_full, full = timed(lambda: mc(True), args.repeat)
    rss_full = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t_grades, runs_grades, _ = timed(lambda: mc(False), args.repeat)

    # numpy on the same scores (NaN = not applicable → 0) and the same draws (points = weight × 1000)
    scores = np.nan_to_num(np.asarray(scored.leaf_score_array, dtype=np.float64), nan=0.0)
    points = full.weights.to_numpy() * model.total_points
    cut = model.cutoffs.sort_values().to_numpy()  # 1A … 5A
    t_np, runs_np, np_out = timed(lambda: numpy_monte_carlo(scores, points, cut, False), args.repeat)
    t_npq, runs_npq, npq_out = timed(lambda: numpy_monte_carlo(scores, points, cut, True), args.repeat)
    rss_np = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    # the same computation: the median total of operators where every leaf applies agrees within
    # the rounding of leaf points (0.01 each) and the quantile resolution
    full_ops = full.operators
    every_leaf = np.asarray(scored.patterns) == 0
    gap = np.abs(full_ops["total_q50"].to_numpy()[every_leaf] - npq_out["quantiles"][every_leaf, 2])
    limit = full_ops["resolution"].to_numpy()[every_leaf] + 0.01 * len(model.weights)
    assert (gap <= limit + 1e-9).all(), f"median totals disagree by up to {gap.max():.3f} points"

    # the sample: 300 operators × K draws end to end from Python
    sample = er.load_sample()
    s300 = model.score(sample, as_of=AS_OF)
    t_300, runs_300, _ = timed(lambda: er.sensitivity.monte_carlo(s300, draws=k, seed=1, progress=False), max(args.repeat, 5))

    pairs = float(n) * k
    rows = [
        ("embedrating (grades, stability, quantiles)", t_full),
        ("embedrating, grades only", t_grades),
        ("numpy (GEMM + total cut-offs + counts)", t_np),
        ("numpy + np.quantile", t_npq),
    ]
    print(f"\n{n} operators × {k} draws (median of {args.repeat}, one thread):")
    for name, t in rows:
        print(f"  {name:46s} {t:8.3f} s  {1e9 * t / pairs:6.2f} ns per (draw, operator)")
    print(f"  numpy ÷ embedrating, grades only:            {t_np / t_grades:6.2f}×")
    print(f"  numpy + quantiles ÷ embedrating with them:   {t_npq / t_full:6.2f}×")
    print(f"  memory held by the embedrating run: {full.memory['total'] / 1e6:.1f} MB "
          f"(accumulators {full.memory['accumulators'] / 1e6:.1f} MB); max RSS {rss0:.0f} → {rss_full:.0f} MB "
          f"(numpy runs: {rss_np:.0f} MB)")  # fmt: skip
    print(f"\nsample (300 operators) × {k} draws, end to end from Python: {1e3 * t_300:.1f} ms (target < 50 ms)")
    results.update(
        {
            "embedrating_s": t_full, "embedrating_runs": runs_full, "embedrating_grades_s": t_grades,
            "embedrating_grades_runs": runs_grades, "numpy_s": t_np, "numpy_runs": runs_np, "numpy_quantiles_s": t_npq,
            "numpy_quantiles_runs": runs_npq, "ratio_grades": t_np / t_grades, "ratio_quantiles": t_npq / t_full,
            "memory": full.memory, "max_rss_MB": [rss0, rss_full, rss_np], "sample_ms": 1e3 * t_300,
            "kernel_isa": full.options["kernel_isa"],
        }
    )  # fmt: skip
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=float), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
