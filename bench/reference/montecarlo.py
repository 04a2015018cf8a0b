"""Monte Carlo weight stability with numpy, as an analyst writes it: the weight-independent stages
once (rating.rate: leaf scores, not-applicable patterns, prerequisites, caps, history limits,
downgrades), then for each draw of global leaf weights the leaf points (weight × total, rounded to
the centi-point), re-allocated pro rata within their parents for each not-applicable pattern, and
for each chunk of operators one GEMM per dimension (OpenBLAS, one thread) giving dimension points
for every (operator, draw); the grade by the cumulative total and dimension-ratio gates, then
min(prerequisite level, ceiling) − downgrades.

The difference from embedrating's exact re-grade: points are summed in floating point without
rounding each leaf's points to the centi-point (a GEMM cannot round inside), so an operator within
a centi-point of a cut-off can get the other grade; tests/python/test_bench_reference.py measures
how often (and requires the grade distributions to agree).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .rating import GRADES, Rating


def leaf_points(weights: np.ndarray, total_centi: int) -> np.ndarray:
    """Leaf centi-points of weight vectors (draws × leaves): weight × total rounded to 0.01."""
    return np.rint(np.asarray(weights, np.float64) * total_centi)


def _available(points: np.ndarray, na: np.ndarray, spec: dict[str, Any], leaves: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Points available to each leaf and dimension (draws × leaves, draws × dimensions) when the
    leaves `na` are not applicable: every node's points go to its applicable children pro rata to
    their points (floating point)."""
    children: dict[str | None, list[str]] = {None: [d["id"] for d in spec["dimensions"]]}
    for x in spec["indicators"]:
        children.setdefault(x["parent"], []).append(x["id"])
    col = {leaf: j for j, leaf in enumerate(leaves)}
    nominal: dict[str, np.ndarray] = {}
    applicable: dict[str, np.ndarray] = {}

    def up(node: str) -> None:
        if node in col:
            nominal[node] = points[:, col[node]]
            applicable[node] = np.zeros(len(points)) if na[col[node]] else nominal[node]
            return
        for c in children[node]:
            up(c)
        nominal[node] = sum(nominal[c] for c in children[node])
        applicable[node] = sum(applicable[c] for c in children[node])

    for d in children[None]:
        up(d)
    leaf_avail = np.zeros_like(points)
    dims = children[None]
    dim_avail = np.zeros((len(points), len(dims)))

    def down(node: str, amount: np.ndarray) -> None:
        if node in col:
            leaf_avail[:, col[node]] = amount
            return
        weight = sum(applicable[c] for c in children[node])
        with np.errstate(invalid="ignore", divide="ignore"):
            for c in children[node]:
                down(c, np.where(weight > 0, amount * applicable[c] / weight, 0.0))

    total = sum(nominal[d] for d in dims)
    weight = sum(applicable[d] for d in dims)
    with np.errstate(invalid="ignore", divide="ignore"):
        for k, d in enumerate(dims):
            dim_avail[:, k] = np.where(weight > 0, total * applicable[d] / weight, 0.0)
            down(d, dim_avail[:, k])
    return leaf_avail, dim_avail


def monte_carlo(r: Rating, spec: dict[str, Any], weights: np.ndarray, *, chunk: int = 16384,
                totals: bool = False) -> dict[str, np.ndarray]:  # fmt: skip
    """Final grades (draws × operators, int8 levels) of every weight draw (draws × leaves, global
    weights in the leaf order of r.leaves), per-operator grade counts (operators × 6) and the
    stability (share of draws giving the operator's modal grade); with totals=True also the total
    points of every (draw, operator)."""
    K, n = len(weights), len(r.total_centi)
    dims = [d["id"] for d in spec["dimensions"]]
    total_centi = int(round(sum(float(d["points"]) for d in spec["dimensions"]) * 100))
    pts = leaf_points(weights, total_centi)
    gates = {GRADES[g["grade"]]: g for g in spec["grades"]}
    min_total = np.maximum.accumulate([float(gates[lvl]["min_total"]) * 100 for lvl in range(1, 6)])
    grades = np.empty((K, n), np.int8)
    out_totals = np.empty((K, n)) if totals else None
    scores = np.nan_to_num(r.scores, nan=0.0)
    for q in range(len(r.patterns)):
        rows = np.flatnonzero(r.pattern == q)
        if len(rows) == 0:
            continue
        leaf_avail, dim_avail = _available(pts, r.patterns[q], spec, r.leaves)
        req = np.full((5, K, len(dims)), -np.inf)
        running = np.full((K, len(dims)), -np.inf)
        for lvl in range(1, 6):
            g = gates[lvl]
            for d, dim in enumerate(dims):
                ratio = max(float(g.get("min_dimension_ratio", 0.0)), float(g.get("dimension_minimums", {}).get(dim, 0.0)))
                running[:, d] = np.where(dim_avail[:, d] > 0, np.maximum(running[:, d], np.ceil(ratio * dim_avail[:, d] - 1e-6)),
                                         running[:, d])  # fmt: skip
            req[lvl - 1] = running
        for b in range(0, len(rows), chunk):
            idx = rows[b : b + chunk]
            s = scores[idx]
            dim_pts = np.stack([s[:, r.leaf_dimension == d] @ leaf_avail[:, r.leaf_dimension == d].T for d in range(len(dims))])  # D × m × K
            tot = dim_pts.sum(axis=0)
            level = np.zeros(tot.shape, np.int64)
            for lvl in range(5):
                ok = tot >= min_total[lvl] - 1e-6
                for d in range(len(dims)):
                    ok &= dim_pts[d] >= req[lvl, :, d] - 1e-6
                level += ok
            g = np.clip(np.minimum(level, r.limit[idx, None]) - r.down[idx, None], 0, 5)
            grades[:, idx] = np.where(r.limit[idx, None] < 0, 0, g).T
            if out_totals is not None:
                out_totals[:, idx] = tot.T
    counts = np.stack([(grades == lvl).sum(axis=0) for lvl in range(6)], axis=1)
    res = {"grades": grades, "counts": counts, "stability": counts.max(axis=1) / K}
    if out_totals is not None:
        res["totals"] = out_totals
    return res
