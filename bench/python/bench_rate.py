#!/usr/bin/env python3
"""Rating from Python: against the same rating in C++ (in this process), one operator at a time,
and against a plain, idiomatic numpy/pandas implementation of part of the same work (SPEC §10).

    .venv/bin/python bench/python/bench_rate.py                      # 10^6 operators, 3 repetitions
    .venv/bin/python bench/python/bench_rate.py --n 1e5 --repeat 5
    .venv/bin/python bench/python/bench_rate.py --cpp-bench build-bench/bench/rate_bench
    .venv/bin/python bench/python/bench_rate.py --stages             # CPU time of rate's parts only

Input: the shipped sample as one operator-level DataFrame (facility measures rolled up as the model
rolls them up, review columns of operators.csv; the 300-row frame rates exactly as the sample),
tiled to N operators with unique ids: float64 measures and review columns, bool flags,
datetime64 dates, and text columns as pandas gives them from a CSV (str dtype) — or, with
--categorical, low-cardinality text columns as category dtype.

Measured (median of --repeat runs, wall clock, one thread):
  C++ core          embedrating._core.rate on the already-built C++ dataset (with the input hash,
                    as Model.rate records it — computed once per dataset and cached; also without it)
  score / regrade   _core.score (the weight-independent stages), Scored.regrade of a variant with
                    other weights, Scored.regrade_many of 100 Dirichlet draws
  Python end to end Model.rate(Dataset(df), as_of): the DataFrame → C++ dataset conversion
                    (ids, texts, numbers, flags, dates; validation) and the rating
  one operator      Model.rate_one(dataset, operator_id, as_of) on a built dataset; and, for
                    contrast, Model.rate on a one-row Dataset
  numpy/pandas      numpy_rating() below, from the same DataFrame

This is a benchmark, not a test: run it on a quiet machine; results go to bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import platform
import statistics
import subprocess
import sys
import time
import timeit
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import embedrating as er
from embedrating import _core

AS_OF = "2025-12-31"
AS_OF_DATE = datetime.date(2025, 12, 31)


# ---------------------------------------------------------------------------------------------
# Input


def _read(path: Path, **kw: Any) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False, na_values=[""], **kw)


def operator_frame(model: er.Model) -> pd.DataFrame:
    """The sample as one operator-level frame: operators.csv's columns the model reads, with the
    facility measures rolled up per operator exactly as the model's [[measures]] say (worst =
    min for a benefit, max for a cost; sum; mean; volume_mean; categories: the worst level; a
    missing site value makes the operator's value missing)."""
    root = Path(er.data_directory()) / "sample"
    text = {"operator_id": str, "facility_id": str}
    ops = _read(root / "operators.csv", dtype=text)
    fac = _read(root / "facilities.csv", dtype=text)
    spec = tomllib.loads(model.to_toml())
    owner = fac["operator_id"]
    rolled: dict[str, pd.Series] = {}
    for m in spec["measures"]:
        c = m["id"]
        if c not in fac.columns:
            continue
        if m["kind"] == "category":
            codes = fac[c].map({v: k for k, v in enumerate(m["levels"])})
            worst = codes.groupby(owner, sort=False).max()
            missing = codes.isna().groupby(owner, sort=False).any()
            rolled[c] = worst.where(~missing).map(lambda k, lv=m["levels"]: None if pd.isna(k) else lv[int(k)])
            continue
        x = fac[c].astype(np.float64)
        g = x.groupby(owner, sort=False)
        rollup = m["rollup"]
        if rollup == "worst":
            r = g.min() if m.get("direction", "benefit") == "benefit" else g.max()
        elif rollup == "sum":
            r = g.sum()
        elif rollup == "mean":
            r = g.mean()
        elif rollup == "volume_mean":
            w = fac["volume"].astype(np.float64)
            r = (x * w).groupby(owner, sort=False).sum() / w.where(x.notna()).groupby(owner, sort=False).sum()
        else:
            raise SystemExit(f"unknown rollup {rollup}")
        rolled[c] = r.where(~x.isna().groupby(owner, sort=False).any())
    roles = model._core.input_columns()
    df = pd.DataFrame({"operator_id": ops["operator_id"], "status": ops["status"], "scenarios": ops["scenarios"]})
    for c in roles["numbers"]:
        df[c] = rolled[c].reindex(ops["operator_id"]).to_numpy(dtype=np.float64) if c in rolled else ops[c].astype(np.float64)
    for c in roles["categories"]:
        df[c] = ops[c] if c in ops.columns else pd.Series(rolled[c].reindex(ops["operator_id"]).to_numpy(), dtype="str")
    for c in roles["reviews"]:
        df[c] = ops[c].astype(np.float64)
    for c in roles["flags"]:
        df[c] = ops[c].astype(bool)
    for c in roles["dates"]:
        df[c] = pd.to_datetime(ops[c]).astype("datetime64[s]")
    df["previous_grade"] = ops["previous_grade"]
    for c in ("previous_rated_on", "last_downgrade_on"):
        df[c] = pd.to_datetime(ops[c]).astype("datetime64[s]")
    return df


def tiled(base: pd.DataFrame, n: int, categorical: bool) -> pd.DataFrame:
    """`base` repeated to n rows; ids made unique ("<id>#<copy>")."""
    idx = np.arange(n) % len(base)
    df = base.iloc[idx].reset_index(drop=True)
    ids = base["operator_id"].to_numpy(dtype=object)[idx]
    copy = np.arange(n) // len(base)
    df["operator_id"] = pd.array([f"{a}#{k}" for a, k in zip(ids, copy)], dtype="str")
    if categorical:
        for c in df.columns:
            if c != "operator_id" and isinstance(df[c].dtype, pd.StringDtype):
                df[c] = df[c].astype("category")
    return df


def check_frame(model: er.Model, base: pd.DataFrame) -> None:
    """The 300-row frame rates exactly as the sample (its CSV files) does."""
    root = Path(er.data_directory()) / "sample"
    sample = er.Dataset.from_csv(root / "operators.csv", root / "facilities.csv", model=model)
    a = model.rate(sample, as_of=AS_OF)
    b = model.rate(er.Dataset(base), as_of=AS_OF)
    fa, fb = a.to_frame(), b.to_frame()
    assert np.array_equal(a.total_centi, b.total_centi), "rolled-up frame: totals differ from the sample"
    assert fa["grade"].equals(fb["grade"]) and fa["rules_fired"].equals(fb["rules_fired"])


# ---------------------------------------------------------------------------------------------
# Plain numpy/pandas: the weighted scoring of every leaf indicator and the grade cut-offs


def numpy_rating(df: pd.DataFrame, spec: dict[str, Any]) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """What a careful analyst writes with numpy and pandas from the model file: the review
    measures (index and rate with the model's top-up shrinkage below min_count, closure rate),
    the scenario count, every leaf indicator's score (linear, steps, categorical, the fallback
    input when the main one is missing, missing scored 0), points = score × the leaf's points,
    the total, and the grade by total alone (the grade cut-offs). Not covered: rules (vetoes, caps,
    downgrades, not-applicable indicators and their re-allocated points, set-score), dimension
    ratio and minimum gates, prerequisites, history, status, centi-point rounding, explanations.
    Returns (scores by leaf id, total, grade level 0 unrated … 5 for 5A)."""
    rv = spec["reviews"]
    stars = [df[f"stars_{k}"].to_numpy(np.float64) for k in range(1, 6)]
    n = stars[0] + stars[1] + stars[2] + stars[3] + stars[4]
    value_sum = sum(v * s for v, s in zip(rv["level_values"], stars))
    good = stars[2] + stars[3] + stars[4]
    m = float(rv["min_count"])
    low = n < m
    closed, overdue = df["bad_closed_in_time"].to_numpy(np.float64), df["bad_overdue"].to_numpy(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        derived = {
            "reviews.satisfaction_index": np.where(low, (value_sum + (m - n) * rv["prior_index"]) / m, value_sum / n),
            "reviews.satisfaction_rate": np.where(low, (good + (m - n) * rv["prior_rate"]) / m, good / n),
            "reviews.closure_rate": np.where(closed + overdue > 0, closed / (closed + overdue), rv["prior_closure"]),
        }
    sc = df["scenarios"]
    derived["scenarios"] = (sc.str.count(";") + 1).where(sc.str.len() > 0, 0).fillna(0).to_numpy(np.float64)
    # scenarios.<set>: how many of an operator's scenarios are in a named set ([[scenario_sets]])
    padded = ";" + sc.fillna("").str.replace(" ", "", regex=False) + ";"
    for ss in spec.get("scenario_sets", []):
        derived["scenarios." + ss["id"]] = sum(padded.str.contains(f";{c};", regex=False).to_numpy(np.float64) for c in ss["codes"])

    def column(field: str) -> Any:
        if field in derived:
            return derived[field]
        col = df[field.removeprefix("raw.")]
        return col if col.dtype == object or isinstance(col.dtype, (pd.StringDtype, pd.CategoricalDtype)) else col.to_numpy(np.float64)

    def score(x: Any, s: dict[str, Any]) -> np.ndarray:
        kind = s["kind"]
        if kind == "linear":
            lo, hi = s["lower"], s["upper"]
            y = (x - lo) / (hi - lo) if s.get("direction", "benefit") == "benefit" else (hi - x) / (hi - lo)
            return np.clip(y, 0.0, 1.0)
        if kind == "steps":
            benefit = s.get("direction", "benefit") == "benefit"
            conds = [(x >= t) if benefit else (x <= t) for t, _ in s["steps"]]
            return np.where(np.isnan(x), np.nan, np.select(conds, [v for _, v in s["steps"]], s.get("otherwise", 0.0)))
        if kind == "categorical":
            return pd.Series(x).map(s["map"]).to_numpy(np.float64)
        raise NotImplementedError(f"numpy_rating: scoring kind {kind}")

    parents = {d["id"]: None for d in spec["dimensions"]}
    parents.update({x["id"]: x["parent"] for x in spec["indicators"]})
    parents_of = {p for p in parents.values() if p}
    scores: dict[str, np.ndarray] = {}
    total = np.zeros(len(df))
    for ind in spec["indicators"]:
        if ind["id"] in parents_of:  # a group: its points are its leaves' points
            continue
        y = score(column(ind["input"]), ind["scoring"])
        missing = ind.get("missing", "zero")
        if isinstance(missing, dict) and "fallback" in missing:
            y = np.where(np.isnan(y), score(column(missing["fallback"]), missing["scoring"]), y)
        y = np.nan_to_num(y, nan=0.0)
        scores[ind["id"]] = y
        total += y * ind["points"]
    cutoffs = np.sort([g["min_total"] for g in spec["grades"]])
    grade = np.searchsorted(cutoffs, total + 1e-9, side="right")
    return scores, total, grade


def check_numpy(model: er.Model, df: pd.DataFrame, ratings: er.Ratings) -> dict[str, Any]:
    """How far the numpy version agrees with the core on the work it covers: leaf scores where no
    set-score or not-applicable rule touched the leaf, and totals and grades of the active
    operators no rule fired for."""
    scores, total, grade = numpy_rating(df, tomllib.loads(model.to_toml()))
    nodes = model.indicators
    parent = dict(zip(nodes["id"], nodes["parent"]))

    def under(leaf: str, target: str) -> bool:
        x: Any = leaf
        while isinstance(x, str):
            if x == target:
                return True
            x = parent.get(x)
        return False

    rules = model.rules
    offsets, rule, _ = ratings._core.fired()  # CSR by operator: rule indices
    n = len(ratings)
    row_of_fired = np.repeat(np.arange(n), np.diff(offsets.astype(np.int64)))
    fired_by_rule = {k: np.zeros(n, dtype=bool) for k in range(len(rules))}
    for k in range(len(rules)):
        fired_by_rule[k][row_of_fired[rule == k]] = True
    core = np.asarray(ratings.indicator_score)
    worst, differing = 0.0, {}
    for k, leaf in enumerate(model.weights.index):
        comparable = ~np.isnan(core[:, k])
        for j, r in rules.iterrows():
            if r["action"] in ("set_score", "not_applicable") and under(leaf, r["target"]):
                comparable &= ~fired_by_rule[int(j)]
        diff = np.abs(scores[leaf][comparable] - core[comparable, k])
        worst = max(worst, float(diff.max(initial=0.0)))
        if (diff > 1e-9).any():
            differing[leaf] = int((diff > 1e-9).sum())
    active = np.asarray(ratings.status) == 0
    no_rules = np.diff(offsets.astype(np.int64)) == 0
    sel = active & no_rules
    total_diff = np.abs(total[sel] - np.asarray(ratings.total_centi)[sel] / 100.0)
    return {
        "leaves": len(model.weights),
        "max_abs_leaf_score_difference": worst,
        "leaves_differing": differing,
        "operators_without_rules": int(sel.sum()),
        "max_abs_total_difference_without_rules": float(total_diff.max(initial=0.0)),
        "grade_by_total_equals_core_grade_by_score_without_rules": float(
            (grade[sel] == np.asarray(ratings.grade_by_score)[sel]).mean()
        ),
        "grade_by_total_equals_core_final_grade_all_active": float(
            (grade[active] == np.asarray(ratings.final_grade)[active]).mean()
        ),
    }


# ---------------------------------------------------------------------------------------------
# Timing


def progress(what: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {what}", file=sys.stderr, flush=True)


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, list[float]]:
    """Median wall time of `repeat` calls (the result is dropped and collected between calls)."""
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
        del result
    gc.collect()
    return statistics.median(times), times


def per_call(fn: Callable[[], Any], number: int, repeat: int = 7) -> float:
    """Median over `repeat` timeit runs of the time per call."""
    return statistics.median(timeit.repeat(fn, number=number, repeat=repeat)) / number


def cpu_timed(fn: Callable[[], Any], repeat: int) -> float:
    """Least CPU time (time.process_time: user + system of this process) of `repeat` calls: the
    machine is shared, and CPU time moves far less than wall time under load."""
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.process_time()
        result = fn()
        times.append(time.process_time() - t0)
        del result
    gc.collect()
    return min(times)


def stages(model: er.Model, df: pd.DataFrame, repeat: int) -> dict[str, float]:
    """CPU seconds of Model.rate(Dataset(df)) and of its parts, in this process (issue 10's
    target: Python end to end ≤ 1.1× the C++ core):
      core_rate       _core.rate on the built C++ dataset, input hash already cached (BM_rate)
      core_first_hash the first input hash of a built dataset (SHA-256 over every column; rate
                      computes it once per dataset and caches it): build and hash, less build
      build           Dataset(df) and its C++ dataset for the model (columns → core reader)
      e2e             Model.rate(Dataset(df), as_of): all of the above, and the Python around it
      to_frame        Ratings.to_frame() of that rating; its rules_fired column, and the plain
                      per-operator join of the same column for comparison
    """
    days = _core.parse_date(AS_OF)
    core = er.Dataset(df)._core_for(model)
    _core.rate(model._core, core, days, None, True)
    out = {
        "core_rate": cpu_timed(lambda: _core.rate(model._core, core, days, None, True), repeat),
        "build": cpu_timed(lambda: er.Dataset(df)._core_for(model), repeat),
        "build_and_hash": cpu_timed(lambda: er.Dataset(df)._core_for(model).input_hash(), repeat),
        "e2e": cpu_timed(lambda: model.rate(er.Dataset(df), as_of=AS_OF), repeat),
    }
    out["core_first_hash"] = out.pop("build_and_hash") - out["build"]
    # the result as a DataFrame, and its rules_fired column against the per-operator join it
    # replaced (pyfast round, bench/README.md)
    ratings = model.rate(er.Dataset(df), as_of=AS_OF)
    out["to_frame"] = cpu_timed(ratings.to_frame, repeat)
    out["rules_fired_column"] = cpu_timed(ratings._rules_fired, repeat)

    def per_operator_join() -> list[str]:
        offsets, rule, _ = ratings._core.fired()
        ids = model._core.rules()["id"]
        return [";".join(ids[int(k)] for k in rule[offsets[i] : offsets[i + 1]]) for i in range(len(ratings))]

    out["rules_fired_per_operator_join"] = cpu_timed(per_operator_join, repeat)
    assert list(ratings._rules_fired()) == per_operator_join()
    out["python_beyond_cpp"] = out["e2e"] - out["build"] - out["core_first_hash"] - out["core_rate"]
    out["ratio_rules_fired_per_operator_join_vs_column"] = out["rules_fired_per_operator_join"] / out["rules_fired_column"]
    out["ratio_e2e_vs_core"] = out["e2e"] / out["core_rate"]
    out["ratio_e2e_vs_core_with_first_hash"] = out["e2e"] / (out["core_rate"] + out["core_first_hash"])
    return out


def cpp_bench(path: str) -> dict[str, float]:
    """Seconds per call of BM_rate/1000000, BM_rate_with_input_hash/1000000 and BM_rate_one of
    bench/rate_bench.cpp (its synthetic input, in a C++ process; medians of 3 repetitions)."""
    out = subprocess.run(
        [path, "--benchmark_filter=^BM_rate(_with_input_hash)?/1000000|^BM_rate_one", "--benchmark_repetitions=3",
         "--benchmark_report_aggregates_only=true", "--benchmark_format=json"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
    res = {}
    for b in json.loads(out.stdout)["benchmarks"]:
        if b.get("aggregate_name") == "median":
            res[b["run_name"]] = b["real_time"] * scale[b["time_unit"]]
    return res


# ---------------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=float, default=1e6, help="operators (default 1e6)")
    ap.add_argument("--repeat", type=int, default=3, help="repetitions of each large timing (default 3)")
    ap.add_argument("--categorical", action="store_true", help="low-cardinality text columns as category dtype")
    ap.add_argument("--cpp-bench", help="path of rate_bench (bench/rate_bench.cpp) to run BM_rate at 10^6 too")
    ap.add_argument("--json", help="write the results here as JSON")
    ap.add_argument("--stages", action="store_true", help="only the CPU times of Model.rate(Dataset(df)) and its parts")
    args = ap.parse_args()
    n = int(args.n)
    model = er.default_model()
    days = _core.parse_date(AS_OF)
    if args.stages:
        progress("stages (CPU time)")
        df = tiled(operator_frame(model), n, args.categorical)
        st = stages(model, df, args.repeat)
        for k, v in st.items():
            print(f"{k:36s} {v:8.3f}" + ("" if k.startswith("ratio") else " s"))
        if args.json:
            Path(args.json).write_text(json.dumps({"n": n, "categorical": args.categorical, **st}, indent=2) + "\n", encoding="utf-8")
        return 0

    progress("input")
    base = operator_frame(model)
    check_frame(model, base)
    df = tiled(base, n, args.categorical)
    dtypes = {str(k): int(v) for k, v in df.dtypes.astype(str).value_counts().items()}
    print(f"embedrating {er.__version__}, numpy {np.__version__}, pandas {pd.__version__}, Python {platform.python_version()}")
    print(f"input: {n} operators x {df.shape[1]} columns {dtypes}, {df.memory_usage(deep=True).sum() / 1e6:.0f} MB")
    res: dict[str, Any] = {"n": n, "categorical": args.categorical, "dtypes": dtypes, "repeat": args.repeat}

    # C++ core on the already-built C++ dataset
    progress("C++ core")
    ds = er.Dataset(df)
    core = ds._core_for(model)
    _core.rate(model._core, core, days, None, True)  # the input hash is computed once per dataset (issue 9)
    res["cpp_core_hash"], _ = timed(lambda: _core.rate(model._core, core, days, None, True), args.repeat)
    res["cpp_core_nohash"], _ = timed(lambda: _core.rate(model._core, core, days, None, False), args.repeat)

    # score once, re-grade many (issue 9)
    progress("score / regrade")
    res["cpp_score"], _ = timed(lambda: _core.score(model._core, core, days, None, True), args.repeat)
    scored = _core.score(model._core, core, days, None, True)
    w = model.weights.to_numpy().copy()
    w[[0, 5]] = w[[5, 0]]
    variant = model.with_weights(pd.Series(w, index=model.weights.index))
    res["cpp_regrade"], _ = timed(lambda: scored.regrade(variant._core), args.repeat)
    draws = np.random.default_rng(1).dirichlet(model.weights.to_numpy() * 200.0, size=100)
    res["cpp_regrade_many_100"], _ = timed(lambda: scored.regrade_many(draws, None, False, 1), 1)
    del scored

    # Python end to end, and its parts
    progress("Python end to end")
    res["py_e2e"], res["py_e2e_all"] = timed(lambda: model.rate(er.Dataset(df), as_of=AS_OF), args.repeat)
    res["py_dataset"], _ = timed(lambda: er.Dataset(df), args.repeat)
    res["py_convert"], _ = timed(lambda: er.Dataset(df).validate(model), args.repeat)
    res["py_convert"] -= res["py_dataset"]
    res["py_rate_cached"], _ = timed(lambda: model.rate(ds, as_of=AS_OF), args.repeat)
    res["ratio_e2e_vs_core"] = res["py_e2e"] / res["cpp_core_hash"]

    # one operator at a time
    progress("one operator")
    op = df["operator_id"].iloc[n // 2]
    model.rate_one(ds, op, AS_OF_DATE)
    res["one_rate_one"] = per_call(lambda: model.rate_one(ds, op, AS_OF_DATE), 2000)
    row = n // 2
    res["one_core_rate_one"] = per_call(lambda: _core.rate_one(model._core, core, row, days, None), 2000)
    root = Path(er.data_directory()) / "sample"
    text = {"operator_id": str, "facility_id": str}
    with_sites = er.Dataset(_read(root / "operators.csv", dtype=text), facilities=_read(root / "facilities.csv", dtype=text))
    model.rate_one(with_sites, "WH-JA-0015", AS_OF_DATE)
    res["one_rate_one_sample_sites"] = per_call(lambda: model.rate_one(with_sites, "WH-JA-0015", AS_OF_DATE), 2000)
    one_row = base.iloc[[14]].reset_index(drop=True)
    res["one_rate_1row_dataset"] = per_call(lambda: model.rate(er.Dataset(one_row), as_of=AS_OF_DATE), 50, repeat=5)

    # numpy/pandas
    progress("numpy/pandas")
    spec = tomllib.loads(model.to_toml())
    res["numpy"], _ = timed(lambda: numpy_rating(df, spec), args.repeat)
    ratings = model.rate(ds, as_of=AS_OF)
    res["numpy_check"] = check_numpy(model, df, ratings)
    del ratings

    if args.cpp_bench:
        progress("rate_bench: BM_rate/1000000, BM_rate_with_input_hash/1000000, BM_rate_one")
        res["rate_bench"] = cpp_bench(args.cpp_bench)

    ms = lambda s: f"{1e3 * s:9.1f} ms"  # noqa: E731
    us = lambda s: f"{1e6 * s:9.2f} µs"  # noqa: E731
    print(f"C++ core rate (input hash)        {ms(res['cpp_core_hash'])}")
    print(f"C++ core rate (no input hash)     {ms(res['cpp_core_nohash'])}")
    print(f"C++ score (weight-independent)    {ms(res['cpp_score'])}")
    print(f"C++ regrade (new weights)         {ms(res['cpp_regrade'])}")
    print(f"C++ regrade_many, 100 variants    {ms(res['cpp_regrade_many_100'])}   "
          f"({1e9 * res['cpp_regrade_many_100'] / (100 * n):.2f} ns per variant and operator)")
    print(f"Python Model.rate(Dataset(df))    {ms(res['py_e2e'])}   runs: " + ", ".join(ms(t).strip() for t in res["py_e2e_all"]))
    print(f"  of which Dataset(df)            {ms(res['py_dataset'])}   (operator ids: read and checked unique by C++)")
    print(f"  of which columns → C++          {ms(res['py_convert'])}")
    print(f"  of which rate (dataset cached)  {ms(res['py_rate_cached'])}")
    print(f"ratio Python end to end / C++ core (same work, input hash): {res['ratio_e2e_vs_core']:.2f}x   (target <= 1.2x)")
    print(f"Model.rate_one, built dataset of {n}     {us(res['one_rate_one'])}   (target < 20 µs)")
    print(f"_core.rate_one (the C++ call alone)      {us(res['one_core_rate_one'])}")
    print(f"Model.rate_one, sample with sites (300)  {us(res['one_rate_one_sample_sites'])}")
    print(f"Model.rate(Dataset(1-row frame))         {us(res['one_rate_1row_dataset'])}")
    print(f"numpy/pandas scoring + cut-offs          {ms(res['numpy'])}")
    print(f"  numpy / C++ core rate (hash cached): {res['numpy'] / res['cpp_core_hash']:.2f}x faster (target >= 10x); "
          f"numpy / C++ regrade: {res['numpy'] / res['cpp_regrade']:.2f}x")
    print(f"  C++ core (hash) / numpy {res['cpp_core_hash'] / res['numpy']:.2f}x; C++ core (no hash) / numpy "
          f"{res['cpp_core_nohash'] / res['numpy']:.2f}x; Python end to end / numpy {res['py_e2e'] / res['numpy']:.2f}x")
    print(f"  numpy check: {res['numpy_check']}")
    for name, t in res.get("rate_bench", {}).items():
        print(f"rate_bench {name:38s} {us(t) if t < 1e-3 else ms(t)}")
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2, default=str) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
