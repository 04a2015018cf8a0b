"""Rating of N operators with numpy and pandas, from the model file (docs/model-format.md), as a
careful analyst writes it: every stage vectorised over operators; loops only over the model's
indicators, rules, grades and not-applicable patterns (a handful each).

Input: one operator-level frame, as bench/python/bench_rate.py's ``operator_frame`` builds it
(facility measures already rolled up; review count columns ``stars_1..stars_5``, ``bad_open``,
``bad_closed_in_time``, ``bad_overdue``, ``bad_followed_up``; flags as bool; dates as
datetime64; ``scenarios`` as ``"a;b;c"``; ``status``; ``previous_grade`` as ``"4A"``/missing;
``last_downgrade_on``), and the model as the dict ``tomllib.loads(model.to_toml())`` gives.

What it does, in embedrating's order (SPEC §3): status → veto → not applicable (rules and
``not_applicable_if``) → leaf scores (linear, piecewise, steps, boolean, categorical; missing
policies zero / fixed / fallback / error) → set_score → points (not-applicable points re-allocated
pro rata by largest remainder in centi-points, leaf points rounded half up to the centi-point) →
grade by score (cumulative total and dimension-ratio gates, prerequisites) → caps, holds and history
limits → downgrades. Conditions combine all/any/not over comparisons of raw.*, flag.*, attr.*,
scenarios (contains, count_in, size), scenarios.<set>, reviews.*, history.previous_grade and
months_since.*; comparisons with a missing value are false.

Not covered (the analyst would not write them for a batch grade): explanations, gates, warnings,
the input hash; conditions reading score.*, dim.* or total (no rule of wuhan-2024 does) raise
NotImplementedError instead of giving a different answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

GRADES = {"unrated": 0, "1A": 1, "2A": 2, "3A": 3, "4A": 4, "5A": 5}
REVIEW_COLUMNS = ["stars_1", "stars_2", "stars_3", "stars_4", "stars_5", "bad_open", "bad_closed_in_time", "bad_overdue",
                  "bad_followed_up"]  # fmt: skip
INT_MIN = np.iinfo(np.int64).min


@dataclass
class Rating:
    total_centi: np.ndarray  # int64 (n,)
    dimension_centi: np.ndarray  # int64 (n, dimensions)
    grade_by_score: np.ndarray  # int8 (n,), 0 unrated … 5 for 5A
    final_grade: np.ndarray  # int8 (n,)
    scores: np.ndarray  # float64 (n, leaves), NaN where not applicable
    leaves: list[str]
    # what a re-grade with other weights needs (montecarlo.py): the weight-independent stages
    pattern: np.ndarray  # (n,) index of the operator's not-applicable pattern
    patterns: np.ndarray  # (patterns, leaves) bool: leaf not applicable
    leaf_dimension: np.ndarray  # (leaves,) dimension index
    limit: np.ndarray  # (n,) min(prerequisite level, ceiling); -1 when not graded
    down: np.ndarray  # (n,) levels down


def months_between(start: np.ndarray, as_of: np.datetime64) -> np.ndarray:
    """Whole calendar months from each date to as_of (float, NaN for a missing date): the month
    difference, one less when the start's day (capped at as_of's month length) is after as_of's day."""
    d = pd.DatetimeIndex(pd.to_datetime(start))
    a = pd.Timestamp(as_of)
    months = (a.year - d.year) * 12 + (a.month - d.month)
    day = np.minimum(d.day.to_numpy(np.float64), float(a.days_in_month))
    out = months.to_numpy(np.float64) - (day > a.day)
    return np.where(d.isna(), np.nan, out)


class Fields:
    """The fields conditions and leaves read (docs/model-format.md, Fields), each computed once."""

    def __init__(self, df: pd.DataFrame, spec: dict[str, Any], as_of: np.datetime64) -> None:
        self.df, self.spec, self.as_of, self.n = df, spec, as_of, len(df)
        self.cache: dict[str, Any] = {}
        self.categories = {m["id"] for m in spec["measures"] if m.get("kind") == "category"}
        self.sets = {s["id"]: s["codes"] for s in spec.get("scenario_sets", [])}
        sc = df["scenarios"].astype(object).where(df["scenarios"].notna(), "")
        self.padded = ";" + sc.astype(str).str.replace(" ", "", regex=False) + ";"
        self.scenario_count = (sc.astype(str).str.count(";") + 1).where(sc.astype(str).str.len() > 0, 0).to_numpy(np.float64)

    def contains(self, code: str) -> np.ndarray:
        key = "contains:" + code
        if key not in self.cache:
            self.cache[key] = self.padded.str.contains(f";{code};", regex=False).to_numpy(bool)
        return self.cache[key]

    def reviews(self, name: str) -> np.ndarray:
        rv = self.spec["reviews"]
        c = {k: self.df[k].to_numpy(np.float64) for k in REVIEW_COLUMNS}
        s1, s2, s3, s4, s5 = (c[f"stars_{k}"] for k in range(1, 6))
        v, m = [float(x) for x in rv["level_values"]], float(rv["min_count"])
        cnt = s1 + s2 + s3 + s4 + s5
        with np.errstate(invalid="ignore", divide="ignore"):
            if name == "valid_n":
                return cnt
            if name == "bad_n":
                return s1 + s2
            if name in ("satisfaction_index", "raw_satisfaction_index"):
                total = v[0] * s1 + v[1] * s2 + v[2] * s3 + v[3] * s4 + v[4] * s5
                raw = np.where(cnt > 0, total / cnt, np.nan)
                return raw if name.startswith("raw") else np.where(cnt < m, (total + (m - cnt) * float(rv["prior_index"])) / m, raw)
            if name in ("satisfaction_rate", "raw_satisfaction_rate"):
                good = s3 + s4 + s5
                raw = np.where(cnt > 0, good / cnt, np.nan)
                return raw if name.startswith("raw") else np.where(cnt < m, (good + (m - cnt) * float(rv["prior_rate"])) / m, raw)
            if name == "closure_rate":
                den = c["bad_closed_in_time"] + c["bad_overdue"]
                return np.where(den > 0, c["bad_closed_in_time"] / den, float(rv["prior_closure"]))
            if name == "followup_rate":
                bad = s1 + s2
                return np.where(bad > 0, np.minimum(1.0, c["bad_followed_up"] / bad), 1.0)
            if name in c:
                return c[name]
        raise KeyError(f"reviews.{name}: not a review measure")

    def get(self, field: str) -> Any:
        """A numeric field as float64 (NaN missing), a category or attribute as an object array
        (None missing), a flag as bool, history.previous_grade as a level (NaN missing)."""
        if field in self.cache:
            return self.cache[field]
        head, _, rest = field.partition(".")
        df = self.df
        if field == "scenarios":
            out: Any = self.scenario_count
        elif head == "scenarios":
            out = sum(self.contains(code).astype(np.float64) for code in self.sets[rest])
        elif head == "reviews":
            out = self.reviews(rest)
        elif head == "flag":
            out = df[rest].to_numpy(bool)
        elif head == "attr":
            out = df[rest].astype(object).where(df[rest].notna(), None).to_numpy(object)
        elif field == "history.previous_grade":
            out = df["previous_grade"].map(GRADES).to_numpy(np.float64)
        elif head == "months_since":
            column = rest.removeprefix("history.")
            out = months_between(df[column].to_numpy("datetime64[s]"), self.as_of)
        elif head in ("score", "dim", "total"):
            raise NotImplementedError(f"{field}: conditions on points are not in the reference")
        else:
            name = field.removeprefix("raw.")
            if name in self.categories:
                out = df[name].astype(object).where(df[name].notna(), None).to_numpy(object)
            else:
                out = df[name].to_numpy(np.float64)
        self.cache[field] = out
        return out


def _compare(x: np.ndarray, op: str, value: Any) -> np.ndarray:
    if x.dtype == object:
        present = pd.notna(x)
        s = pd.Series(x)
        if op == "in":
            return s.isin(value).to_numpy(bool) & present
        r = {"==": s == value, "!=": s != value}.get(op)
        if r is None:
            raise NotImplementedError(f"{op} on a category")
        return r.to_numpy(bool) & present
    with np.errstate(invalid="ignore"):
        if op == "in":
            return np.isin(x, value)
        return {"<": x < value, "<=": x <= value, ">": x > value, ">=": x >= value, "==": x == value,
                "!=": (x != value) & ~np.isnan(x.astype(np.float64))}[op]  # fmt: skip


def condition(c: dict[str, Any], f: Fields) -> np.ndarray:
    """A model condition as a bool array over operators."""
    if "all" in c:
        return np.logical_and.reduce([condition(x, f) for x in c["all"]] + [np.ones(f.n, bool)])
    if "any" in c:
        return np.logical_or.reduce([condition(x, f) for x in c["any"]] + [np.zeros(f.n, bool)])
    if "not" in c:
        return ~condition(c["not"], f)
    field, op, value = c["field"], c["op"], c.get("value", True)
    if op == "contains":
        return f.contains(value)
    if op == "count_in":
        count = sum(f.contains(code).astype(np.float64) for code in value)
        return _compare(np.asarray(count, np.float64), c["cmp"], c["n"])
    x = f.get(field)
    if op == "is_missing":
        missing = pd.isna(x) if x.dtype == object else np.isnan(x.astype(np.float64))
        return missing if value else ~missing
    if field == "history.previous_grade":
        value = [GRADES[v] for v in value] if isinstance(value, list) else GRADES[value]
    if x.dtype == bool:
        return x == value if op == "==" else (x != value if op == "!=" else _compare(x.astype(np.float64), op, value))
    return _compare(x, op, value)


def score(x: Any, s: dict[str, Any]) -> np.ndarray:
    """A scoring function column-wise, with embedrating's arithmetic (NaN in, NaN out)."""
    kind = s["kind"]
    benefit = s.get("direction", "benefit") == "benefit"
    if kind == "linear":
        lo, width = float(s["lower"]), float(s["upper"]) - float(s["lower"])
        y = (x - lo) / width if benefit else 1.0 - (x - lo) / width
        return np.clip(y, 0.0, 1.0)
    if kind == "steps":
        with np.errstate(invalid="ignore"):
            conds = [(x >= t) if benefit else (x <= t) for t, _ in s["steps"]]
        return np.where(np.isnan(x), np.nan, np.select(conds, [float(v) for _, v in s["steps"]], float(s.get("otherwise", 0.0))))
    if kind == "piecewise":
        xs, ys = zip(*s["points"])
        return np.where(np.isnan(x), np.nan, np.interp(x, xs, ys))
    if kind == "boolean":
        x = np.asarray(x, np.float64)
        return np.where(np.isnan(x), np.nan, np.where(x != 0, float(s.get("true_score", 1.0)), float(s.get("false_score", 0.0))))
    if kind == "categorical":
        return pd.Series(x, dtype=object).map({k: float(v) for k, v in s["map"].items()}).to_numpy(np.float64)
    raise NotImplementedError(f"scoring kind {kind}")


def allocate(points: dict[str, int], children: dict[str, list[str]], dims: list[str], applicable: dict[str, bool]) -> dict[str, int]:
    """Centi-points available to each node when some leaves are not applicable: the parent's points
    pro rata to the applicable children's nominal points, left-over centi-points to the largest
    remainders (earlier siblings first on ties), top-down."""
    avail: dict[str, int] = {}

    def distribute(amount: int, kids: list[str]) -> None:
        weight = sum(points[k] for k in kids if applicable[k])
        rem: dict[str, int] = {}
        for k in kids:
            if not applicable[k] or weight == 0:
                avail[k] = 0
                continue
            avail[k], rem[k] = divmod(amount * points[k], weight)
        left = amount - sum(avail[k] for k in rem) if weight else 0
        for k in sorted(rem, key=lambda k: -rem[k])[:left]:  # stable sort: earlier sibling first
            avail[k] += 1
        for k in kids:
            if children.get(k):
                distribute(avail[k], children[k])

    distribute(sum(points[d] for d in dims), dims)
    return avail


def rate(df: pd.DataFrame, spec: dict[str, Any], as_of: Any) -> Rating:
    """Rate every operator of df by the model spec at as_of (see the module docstring)."""
    as_of = np.datetime64(pd.Timestamp(as_of).date(), "D")
    n = len(df)
    f = Fields(df, spec, as_of)
    rules = spec.get("rules", [])
    dims = [d["id"] for d in spec["dimensions"]]
    nodes = {d["id"]: {"points": d["points"], "parent": None} for d in spec["dimensions"]}
    nodes.update({x["id"]: x for x in spec["indicators"]})
    children: dict[str, list[str]] = {}
    for x in spec["indicators"]:
        children.setdefault(x["parent"], []).append(x["id"])
    leaves = [x["id"] for x in spec["indicators"] if x["id"] not in children]
    points = {k: int(round(float(v["points"]) * 100)) for k, v in nodes.items()}

    def ancestors(k: str) -> list[str]:
        out = []
        while k is not None:
            out.append(k)
            k = nodes[k]["parent"]
        return out

    def dimension(k: str) -> str:
        return ancestors(k)[-1]

    # status, veto
    status = df["status"].fillna("active").to_numpy(object) if "status" in df else np.full(n, "active", object)
    active = status == "active"
    vetoed = np.zeros(n, bool)
    for r in rules:
        if r["action"] == "veto":
            vetoed |= condition(r["when"], f)
    graded = active & ~vetoed

    # not applicable: rules and not_applicable_if, a node's mask applies to its leaves
    node_na = {k: condition(v["not_applicable_if"], f) for k, v in nodes.items() if "not_applicable_if" in v}
    for r in rules:
        if r["action"] == "not_applicable":
            node_na[r["target"]] = node_na.get(r["target"], np.zeros(n, bool)) | condition(r["when"], f)
    leaf_na = np.zeros((n, len(leaves)), bool)
    for j, leaf in enumerate(leaves):
        for a in ancestors(leaf):
            if a in node_na:
                leaf_na[:, j] |= node_na[a]

    # leaf scores and missing policies
    scores = np.empty((n, len(leaves)))
    for j, leaf in enumerate(leaves):
        ind = nodes[leaf]
        y = score(f.get(ind["input"]), ind["scoring"])
        missing = ind.get("missing", "error")
        lost = np.isnan(y) & ~leaf_na[:, j]
        if lost.any():
            if missing == "error":
                if (lost & graded).any():
                    row = int(np.flatnonzero(lost & graded)[0])
                    raise ValueError(f"operator {df['operator_id'].iloc[row]}: indicator {leaf}: input is missing")
                y = np.where(lost, 0.0, y)
            elif missing == "zero":
                y = np.where(lost, 0.0, y)
            elif "score" in missing:
                y = np.where(lost, float(missing["score"]), y)
            else:
                fb = np.nan_to_num(score(f.get(missing["fallback"]), missing["scoring"]), nan=0.0)
                y = np.where(lost, fb, y)
        scores[:, j] = np.where(leaf_na[:, j], np.nan, y)
    for r in rules:
        if r["action"] == "set_score":
            under = [j for j, leaf in enumerate(leaves) if r["target"] in ancestors(leaf)]
            fired = condition(r["when"], f)
            block = scores[:, under]
            scores[:, under] = np.where(fired[:, None] & ~np.isnan(block), float(r["score"]), block)

    # points: one allocation per not-applicable pattern (few), then leaf points per operator
    patterns, of_row = np.unique(np.packbits(leaf_na, axis=1), axis=0, return_inverse=True)
    of_row = of_row.reshape(-1)
    leaf_avail = np.empty((len(patterns), len(leaves)), np.int64)
    dim_avail = np.empty((len(patterns), len(dims)), np.int64)
    for q, packed in enumerate(patterns):
        na = np.unpackbits(packed)[: len(leaves)].astype(bool)
        applicable = {leaf: not na[j] for j, leaf in enumerate(leaves)}
        for k in sorted(nodes, key=lambda k: -len(ancestors(k))):  # bottom-up: a group is applicable if a child is
            if k in children:
                applicable[k] = any(applicable[c] for c in children[k])
        avail = allocate(points, children, dims, applicable)
        leaf_avail[q] = [avail[leaf] for leaf in leaves]
        dim_avail[q] = [avail[d] for d in dims]
    avail_rows = leaf_avail[of_row].astype(np.float64)
    leaf_points = np.floor(np.nan_to_num(scores, nan=0.0) * avail_rows + 0.5).astype(np.int64)
    leaf_dim = np.array([dims.index(dimension(leaf)) for leaf in leaves])
    dim_centi = np.zeros((n, len(dims)), np.int64)
    for d in range(len(dims)):
        dim_centi[:, d] = leaf_points[:, leaf_dim == d].sum(axis=1)
    total = dim_centi.sum(axis=1)

    # grade by score: cumulative gates per level and pattern
    gates = {GRADES[g["grade"]]: g for g in spec["grades"]}
    min_total = np.full(6, INT_MIN, np.int64)
    required = np.full((len(patterns), 6, len(dims)), INT_MIN, np.int64)
    running = INT_MIN
    cum = np.full((len(patterns), len(dims)), INT_MIN, np.int64)
    for lvl in range(1, 6):
        g = gates[lvl]
        running = max(running, int(np.round(float(g["min_total"]) * 100)))
        min_total[lvl] = running
        for d, dim in enumerate(dims):
            ratio = max(float(g.get("min_dimension_ratio", 0.0)), float(g.get("dimension_minimums", {}).get(dim, 0.0)))
            av = dim_avail[:, d]
            req = np.ceil(ratio * av.astype(np.float64) - 1e-6).astype(np.int64)
            cum[:, d] = np.where(av > 0, np.maximum(cum[:, d], req), cum[:, d])
        required[:, lvl] = cum
    level = np.zeros(n, np.int64)
    req_rows = required[of_row]  # (n, 6, D)
    for lvl in range(1, 6):
        level += (total >= min_total[lvl]) & (dim_centi >= req_rows[:, lvl]).all(axis=1)
    prereq = np.full(n, 5, np.int64)
    for lvl in range(1, 6):
        conds = [p["when"] for p in gates[lvl].get("prerequisites", [])]
        conds += [r["when"] for r in rules if r["action"] == "prerequisite" and GRADES[r["grade"]] == lvl]
        for c in conds:
            prereq = np.where(condition(c, f), prereq, np.minimum(prereq, lvl - 1))
    by_score = np.minimum(level, prereq)

    # ceilings: history limits, caps, holds; downgrades
    hs = spec.get("history", {})
    prev = f.get("history.previous_grade")
    first = np.isnan(prev)
    prev_i = np.nan_to_num(prev, nan=-1).astype(np.int64)
    ceiling = np.where(first, GRADES[hs.get("first_rating_max", "3A")], prev_i + int(hs.get("max_rise", 1)))
    since_down = months_between(df["last_downgrade_on"].to_numpy("datetime64[s]"), as_of) if "last_downgrade_on" in df else np.full(n, np.nan)
    with np.errstate(invalid="ignore"):
        recent = ~first & (since_down < int(hs.get("no_rise_months_after_downgrade", 12)))
    ceiling = np.clip(np.where(recent, np.minimum(ceiling, prev_i), ceiling), 0, 5)
    down = np.zeros(n, np.int64)
    for r in rules:
        if r["action"] == "cap":
            ceiling = np.where(condition(r["when"], f), np.minimum(ceiling, GRADES[r["grade"]]), ceiling)
        elif r["action"] == "hold":
            ceiling = np.where(condition(r["when"], f) & ~first, np.minimum(ceiling, prev_i), ceiling)
        elif r["action"] == "downgrade":
            down = np.where(condition(r["when"], f), np.minimum(down + int(r.get("levels", 1)), 5), down)
    final = np.where(graded, np.clip(np.minimum(by_score, ceiling) - down, 0, 5), 0)
    by_score = np.where(active, by_score, 0)
    limit = np.where(graded, np.minimum(prereq, ceiling), -1)
    unpacked = np.unpackbits(patterns, axis=1)[:, : len(leaves)].astype(bool)
    return Rating(total, dim_centi, by_score.astype(np.int8), final.astype(np.int8), scores, leaves, of_row, unpacked, leaf_dim,
                  limit, down)  # fmt: skip
