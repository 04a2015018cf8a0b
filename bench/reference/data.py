"""Generated inputs for the references and bench/run.py: operator frames (the shipped sample tiled
by bench/python/bench_rate.py, optionally perturbed so that every rule, missing policy and grade is
reached) and synthetic models with any number of indicators (the indicator-scaling runs).
Deterministic: the same arguments give the same data."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

SCENARIOS = ["elderly_care", "infant_care", "child_care", "meals", "housekeeping", "health_services", "sports",
             "culture_leisure", "children_play", "parking", "retail", "party_service"]  # fmt: skip


def perturbed(base: pd.DataFrame, spec: dict[str, Any], seed: int = 0) -> pd.DataFrame:
    """A copy of an operator frame with every model input redrawn at random: numbers in their declared
    range, skewed to the good end, with 3 % missing, categories uniform over their levels (3 % missing),
    flags true 0.4 %, dates within 5 years of 2025-12-31 (40 % missing), random scenario sets, review
    counts, statuses and previous grades — so that vetoes, caps, downgrades, prerequisites,
    not-applicable re-allocation, fallbacks and history limits all fire on some rows."""
    rng = np.random.default_rng(seed)
    df = base.copy()
    n = len(df)
    for m in spec["measures"]:
        c = m["id"]
        if c not in df:
            continue
        if m.get("kind") == "category":
            v = pd.Series(np.asarray(m["levels"], dtype=object)[rng.integers(0, len(m["levels"]), n)], dtype=object)
            df[c] = v.where(rng.random(n) > 0.03, None).astype(df[c].dtype if df[c].dtype != object else object)
        else:
            lo, hi = float(m.get("min", 0.0)), float(m.get("max", 1.0))
            hi = min(hi, lo + 3.0) if hi - lo > 100 else hi  # counts: mostly 0..3
            good = 1.0 - 0.5 * rng.random(n) ** 3  # skewed towards the good end
            x = lo + (hi - lo) * (good if m.get("direction", "benefit") == "benefit" else 1.0 - good)
            if m.get("unit") == "count":
                x = np.floor(x)
            df[c] = np.where(rng.random(n) < 0.03, np.nan, x)
    for c in df.columns:
        if df[c].dtype == bool:
            df[c] = rng.random(n) < 0.004
        elif str(df[c].dtype).startswith("datetime64") and c != "previous_rated_on":
            days = rng.integers(0, 5 * 365, n)
            d = np.datetime64("2025-12-31") - days.astype("timedelta64[D]")
            df[c] = pd.Series(np.where(rng.random(n) < 0.4, np.datetime64("NaT"), d)).astype(df[c].dtype)
    for k in range(1, 6):
        df[f"stars_{k}"] = np.floor(rng.random(n) * [3, 3, 8, 30, 90][k - 1])
    for c in ("bad_open", "bad_closed_in_time", "bad_overdue", "bad_followed_up"):
        df[c] = np.floor(rng.random(n) * [2, 4, 1.3, 3][["bad_open", "bad_closed_in_time", "bad_overdue", "bad_followed_up"].index(c)])
    pick = rng.random((n, len(SCENARIOS))) < 0.6
    df["scenarios"] = pd.Series([";".join(np.asarray(SCENARIOS)[row]) for row in pick], dtype=df["scenarios"].dtype)
    df["status"] = pd.Series(np.where(rng.random(n) < 0.05, "suspended", "active"), dtype=df["status"].dtype)
    grades = np.array([None, "unrated", "1A", "2A", "3A", "4A", "5A"], dtype=object)
    df["previous_grade"] = pd.Series(grades[rng.integers(0, len(grades), n)], dtype=object).astype(df["previous_grade"].dtype)
    return df


def synthetic_model(indicators: int, dimensions: int = 4) -> tuple[str, list[str]]:
    """A model file with `indicators` linear leaves spread over `dimensions` dimensions (1000
    points), the default model's grade gates, three rules (a veto on a flag, a cap and a
    downgrade on measures) — and the names of its measures (columns m0, m1, …). For the scaling
    runs: the work per operator grows with the indicators."""
    per = [indicators // dimensions + (1 if d < indicators % dimensions else 0) for d in range(dimensions)]
    dim_points = [250] * dimensions if dimensions == 4 else [1000 // dimensions] * dimensions
    dim_points[-1] += 1000 - sum(dim_points)
    lines = ['[model]', 'id = "synthetic"', 'version = "1"', 'effective_from = 2024-01-01', 'effective_to = 2030-12-31',
             'source = "bench/reference/data.py"', ""]  # fmt: skip
    measures = [f"m{j}" for j in range(indicators)]
    for m in measures:
        lines += ["[[measures]]", f'id = "{m}"', "min = 0", "max = 1", 'unit = "fraction"', ""]
    for d in range(dimensions):
        lines += ["[[dimensions]]", f'id = "d{d}"', f"points = {dim_points[d]}", ""]
    j = 0
    for d in range(dimensions):
        centi = [dim_points[d] * 100 // per[d]] * per[d]
        centi[0] += dim_points[d] * 100 - sum(centi)
        for k in range(per[d]):
            lines += ["[[indicators]]", f'id = "i{j}"', f'parent = "d{d}"', f"points = {centi[k] / 100:.2f}", f'input = "raw.m{j}"',
                      'scoring = { kind = "linear", direction = "benefit", lower = 0.2, upper = 0.95 }', 'missing = "zero"', ""]  # fmt: skip
            j += 1
    for g, t, r in (("5A", 900, 0.9), ("4A", 800, 0.8), ("3A", 700, 0.6), ("2A", 600, 0.5), ("1A", 500, 0.4)):
        lines += ["[[grades]]", f'grade = "{g}"', f"min_total = {t}", f"min_dimension_ratio = {r}", ""]
    lines += ["[[rules]]", 'id = "veto_flag"', 'action = "veto"', 'when = { field = "flag.violation", op = "==", value = true }',
              'source = "synthetic"', "",
              "[[rules]]", 'id = "cap_m0"', 'action = "cap"', 'grade = "3A"', 'when = { field = "raw.m0", op = "<", value = 0.3 }',
              'source = "synthetic"', "",
              "[[rules]]", 'id = "down_m1"', 'action = "downgrade"', 'when = { field = "raw.m1", op = "<", value = 0.25 }',
              'source = "synthetic"', ""]  # fmt: skip
    return "\n".join(lines), measures


def synthetic_frame(n: int, measures: list[str], seed: int = 0) -> pd.DataFrame:
    """Operators for synthetic_model: measures in [0.4, 1], skewed to 1 (1 % missing), a violation flag
    (1 %), every operator active with four scenarios and previous grade 4A."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"operator_id": pd.array([f"S{i}" for i in range(n)], dtype="str")})
    df["status"] = pd.array(["active"] * n, dtype="str")
    df["scenarios"] = pd.array(["elderly_care;infant_care;meals;sports"] * n, dtype="str")
    x = 1.0 - 0.6 * rng.random((n, len(measures))) ** 2
    x[rng.random(x.shape) < 0.01] = np.nan
    df = pd.concat([df, pd.DataFrame(x, columns=measures)], axis=1)
    df["violation"] = rng.random(n) < 0.01
    df["previous_grade"] = pd.array(["4A"] * n, dtype="str")
    for k in range(1, 6):
        df[f"stars_{k}"] = 0.0
    for c in ("bad_open", "bad_closed_in_time", "bad_overdue", "bad_followed_up"):
        df[c] = 0.0
    return df


def tiled_dataset(sample: Any, copies: int) -> Any:
    """An `embedrating.Dataset` of the sample repeated `copies` times with distinct ids ("<id>-T<k>"
    for operators, indicator rows and facility sites); used where a large dataset with every table of
    the sample is wanted (bench/python/bench_pickle_archives.py, tests/python/test_arrays.py)."""
    import embedrating as er

    def tile(df: pd.DataFrame, id_cols: tuple[str, ...]) -> pd.DataFrame:
        parts = []
        for k in range(copies):
            part = df.copy()
            for c in id_cols:
                part[c] = part[c] + f"-T{k}"
            parts.append(part)
        return pd.concat(parts, ignore_index=True)

    return er.Dataset(tile(sample.operators, ("operator_id",)), tile(sample.indicators, ("operator_id",)), None,
                      tile(sample.facilities, ("operator_id", "facility_id")))
