"""Review aggregation (SPEC §5) with numpy and with pandas, as an analyst writes it from the spec:
events as parallel arrays in, one summary row per operator out. No Python loop over events.

Semantics (include/embedrating/reviews.hpp): per review key the highest revision wins; void
reviews count nowhere; a review counts when its date (UTC+8) is in (add_months(as_of, −window),
as_of]; dedup: one effective review per (reviewer, operator, period = calendar month in UTC+8), the
greatest (time, review key, revision) wins; count mode (dedup = false): ★3–★5 events counted as
they come (first revision only), bad reviews tracked as in dedup mode; a bad review (★1–★2) is
closed in time when rectified on or before as_of and no later than the deadline_working_days-th
working day after its date (China's calendar with 调休, data/calendars/), overdue when rectified
later or still open after its deadline, open otherwise; followed up when followed_up_at ≤ as_of;
decay: weight 2^(−age_days / half_life_days); effective n = (Σw)²/Σw² (Kish).

Both functions return a dict of numpy arrays, one entry per operator: ``counts`` (n, 5) int64,
``weights`` (n, 5), ``valid_n``, ``effective_n``, ``satisfaction_index``, ``satisfaction_rate``,
``bad_open``, ``bad_closed_in_time``, ``bad_overdue``, ``bad_followed_up``.

``generate_events`` makes the synthetic event arrays the benchmark feeds to both embedrating
(``ReviewAggregator.add(**arrays)``) and these references.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[2]
CALENDAR = REPO / "data" / "calendars" / "cn-public-holidays-2024-2026.csv"
CST = 8 * 3600
DAY = 86400
NO_TIME = np.iinfo(np.int64).min
LEVEL_VALUES = np.array([0.0, 30.0, 60.0, 80.0, 100.0])


def generate_events(n_events: int, n_operators: int, seed: int = 1) -> dict[str, np.ndarray]:
    """Deterministic review events as the parallel arrays of ``ReviewAggregator.add``, with the mix
    of bench/reviews_bench.cpp: times increasing over 424 days from 2025-01-01 (UTC+8); ~89 %
    original reviews, ~10 % later revisions of a review of the previous ~2·10^5 rows (bad ones:
    rectified, followed up or voided on appeal; good ones re-rated), ~1 % exact repeats; levels
    ★5 70 %, ★4 19 %, ★3 5 %, ★2 2 %, ★1 4 %; pending 2 %, void 0.5 %; 85 % with a service record;
    operators skewed (density ∝ 1/√rank); up to 220 residents per operator."""
    rng = np.random.default_rng(seed)
    n = int(n_events)
    start = int(datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc).timestamp()) - CST
    span = 424 * DAY
    t = start + (np.arange(n, dtype=np.int64) * span) // max(n, 1)
    rank = np.floor(n_operators * rng.random(n) ** 2).astype(np.int64)  # P(rank < r) = √(r/N): density ∝ 1/√rank
    op = ((rank * 2654435761) % n_operators).astype(np.uint32)  # ranks scattered over the operator list
    reviewer = (op.astype(np.uint64) << np.uint64(8)) | rng.integers(0, 20 + (op % 200), dtype=np.uint64)
    level = np.searchsorted(np.cumsum([0.04, 0.02, 0.05, 0.19]), rng.random(n), side="right").astype(np.int8) + 1
    u = rng.random(n)
    status = np.where(u < 0.02, 1, np.where(u < 0.025, 2, 0)).astype(np.uint8)
    service = (rng.random(n) < 0.85).astype(np.uint8)
    key = (np.arange(n, dtype=np.uint64) + np.uint64(10**9)).astype(np.uint64)
    revision = np.ones(n, np.uint32)
    rectified = np.full(n, NO_TIME, np.int64)
    followed = np.full(n, NO_TIME, np.int64)
    kind = rng.random(n)
    rows = np.arange(n)
    # revisions: of an original review `back` rows earlier (< 60 000, so revision numbers stay
    # below the 65 534 limit); the number grows with the distance, so two revisions of one review
    # never share a number
    back = rng.integers(1, 60_000, n)
    is_rev = (kind < 0.10) & (rows - back >= 0)
    rev = np.flatnonzero(is_rev)
    src = rows[rev] - back[rev]
    rev, src = rev[~is_rev[src]], src[~is_rev[src]]
    for a in (key, op, reviewer, t, service):
        a[rev] = a[src]
    revision[rev] = (back[rev] + 1).astype(np.uint32)
    bad_src = level[src] <= 2
    action = rng.random(len(rev))
    days_after = rng.integers(1, 40, len(rev)) * DAY
    level[rev] = np.where(bad_src, level[src], np.where(action < 0.5, level[src], rng.integers(1, 6, len(rev))))
    rectified[rev] = np.where(bad_src & (action < 0.8), t[src] + days_after, NO_TIME)
    followed[rev] = np.where(bad_src & (action < 0.6), t[src] + days_after + DAY, NO_TIME)
    status[rev] = np.where(bad_src & (action >= 0.9), 2, status[src])
    # exact repeats of an earlier row (not of a revision, to keep the construction one pass)
    is_rep = (kind >= 0.10) & (kind < 0.11) & (rows >= 100_001)
    rep = np.flatnonzero(is_rep)
    src = rep - rng.integers(1, 100_000, len(rep))
    ok = ~is_rev[src] & ~is_rep[src]
    rep, src = rep[ok], src[ok]
    for a in (key, op, reviewer, t, level, status, service, revision, rectified, followed):
        a[rep] = a[src]
    return {"review_key": key, "revision": revision, "operator_index": op, "reviewer_key": reviewer, "time": t,
            "level": level, "status": status, "rectified_at": rectified, "followed_up_at": followed,
            "has_service_record": service}  # fmt: skip


def working_days(path: Path = CALENDAR) -> np.ndarray:
    """Every working day (days since 1970-01-01, int64) of the calendar's years: Monday to Friday
    unless listed off, plus the listed make-up workdays."""
    cal = pd.read_csv(path, comment="#")
    years = pd.to_datetime(cal["date"]).dt.year
    days = np.arange(np.datetime64(f"{years.min()}-01-01"), np.datetime64(f"{years.max() + 1}-01-01")).astype(np.int64)
    work = np.is_busday(days.astype("datetime64[D]"))
    listed = pd.to_datetime(cal["date"]).to_numpy("datetime64[D]").astype(np.int64)
    work[np.searchsorted(days, listed[cal["kind"].to_numpy() == "off"])] = False
    work[np.searchsorted(days, listed[cal["kind"].to_numpy() == "workday"])] = True
    return days[work]


def _last_of_runs(*keys: np.ndarray) -> np.ndarray:
    """True at the last row of each run of equal keys (rows sorted by the keys)."""
    if len(keys[0]) == 0:
        return np.zeros(0, bool)
    change = np.zeros(len(keys[0]) - 1, bool)
    for k in keys:
        change |= k[1:] != k[:-1]
    return np.r_[change, True]


def _window_first(as_of: np.datetime64, months: int) -> int:
    a = pd.Timestamp(as_of)
    first = (a - pd.DateOffset(months=months)) if months > 0 else None  # add_months clamps the day
    return int(np.datetime64(first.date(), "D").astype(np.int64)) + 1 if first is not None else np.iinfo(np.int64).min


def _bad_review_states(day: np.ndarray, rect: np.ndarray, foll: np.ndarray, as_of: int, workdays: np.ndarray,
                       deadline_days: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """(closed in time, overdue, open, followed up) of bad reviews dated `day`."""
    pos = np.searchsorted(workdays, day, side="right") + deadline_days - 1
    if len(pos) and pos.max() >= len(workdays):
        raise ValueError("a bad review's deadline is past the calendar's last year")
    deadline = workdays[pos] if deadline_days > 0 else day
    rect_on = np.where(rect == NO_TIME, np.iinfo(np.int64).max, (rect + CST) // DAY)
    rectified = rect_on <= as_of
    closed = rectified & (rect_on <= deadline)
    overdue = ~closed & (rectified | (deadline < as_of))
    followed = (foll != NO_TIME) & (np.where(foll == NO_TIME, 0, (foll + CST) // DAY) <= as_of)
    return closed, overdue, ~closed & ~overdue, followed


def _finish(n_ops: int, op: np.ndarray, level: np.ndarray, w: np.ndarray, counts_extra: Any,
            bad: tuple[np.ndarray, tuple[np.ndarray, ...]], decay: bool) -> dict[str, np.ndarray]:  # fmt: skip
    cell = op.astype(np.int64) * 5 + (level.astype(np.int64) - 1)
    counts = np.bincount(cell, minlength=n_ops * 5).reshape(n_ops, 5)
    weights = np.bincount(cell, weights=w, minlength=n_ops * 5).reshape(n_ops, 5)
    sum_w2 = np.bincount(op, weights=w * w, minlength=n_ops)
    if counts_extra is not None:
        c, wt, w2 = counts_extra
        counts, weights, sum_w2 = counts + c, weights + wt, sum_w2 + w2
    sw = weights.sum(axis=1)
    valid_n = counts.sum(axis=1).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        eff = np.where(sum_w2 > 0, sw * sw / sum_w2, 0.0) if decay else valid_n
        out = {"counts": counts, "weights": weights, "valid_n": valid_n, "effective_n": eff,
               "satisfaction_index": np.where(sw > 0, (weights * LEVEL_VALUES).sum(axis=1) / sw, np.nan),
               "satisfaction_rate": np.where(sw > 0, weights[:, 2:].sum(axis=1) / sw, np.nan)}  # fmt: skip
    bad_op, states = bad
    for name, mask in zip(("bad_closed_in_time", "bad_overdue", "bad_open", "bad_followed_up"), states):
        out[name] = np.bincount(bad_op[mask], minlength=n_ops)
    return out


def aggregate_numpy(ev: dict[str, np.ndarray], n_ops: int, as_of: Any, *, dedup: bool = True, half_life_days: float = 0.0,
                    window_months: int = 12, deadline_days: int = 15, service_record_only: bool = False,
                    workdays: np.ndarray | None = None) -> dict[str, np.ndarray]:  # fmt: skip
    """Review summary per operator with numpy (sorts and bincounts)."""
    as_of_d = np.datetime64(pd.Timestamp(as_of).date(), "D")
    as_of_i = int(as_of_d.astype(np.int64))
    first = _window_first(as_of_d, window_months)
    workdays = working_days() if workdays is None else workdays
    key, rev, level, status = ev["review_key"], ev["revision"], ev["level"], ev["status"]
    day_all = (ev["time"] + CST) // DAY
    if dedup:
        rec = np.arange(len(key))
    else:  # count mode: ★3–★5 first revisions counted per event; the rest are records
        good = level >= 3
        counted = good & (rev <= 1) & (status != 2) & (day_all >= first) & (day_all <= as_of_i)
        if service_record_only:
            counted &= ev["has_service_record"] != 0
        rec = np.flatnonzero(level <= 2)
    # 1. latest revision per review key
    order = np.lexsort((rev[rec], key[rec]))
    rec = rec[order]
    rec = rec[_last_of_runs(key[rec])]
    # 2–4. not void, in the window, service filter
    d = day_all[rec]
    keep = (status[rec] != 2) & (d >= first) & (d <= as_of_i)
    if service_record_only:
        keep &= ev["has_service_record"][rec] != 0
    rec, d = rec[keep], d[keep]
    # 5. one per (operator, reviewer, month): the greatest (time, key, revision)
    month = d.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    op, who = ev["operator_index"][rec], ev["reviewer_key"][rec]
    order = np.lexsort((rev[rec], key[rec], ev["time"][rec], month, who, op))
    rec, d, month, op, who = rec[order], d[order], month[order], op[order], who[order]
    last = _last_of_runs(op, who, month)
    rec, d, op = rec[last], d[last], op[last]
    lv = level[rec]
    w = np.exp2(-(as_of_i - d) / half_life_days) if half_life_days > 0 else np.ones(len(rec))
    bad = lv <= 2
    states = _bad_review_states(d[bad], ev["rectified_at"][rec[bad]], ev["followed_up_at"][rec[bad]], as_of_i, workdays, deadline_days)
    extra = None
    if not dedup:
        g = np.flatnonzero(counted)
        gd = day_all[g]
        gw = np.exp2(-(as_of_i - gd) / half_life_days) if half_life_days > 0 else np.ones(len(g))
        cell = ev["operator_index"][g].astype(np.int64) * 5 + (level[g].astype(np.int64) - 1)
        extra = (np.bincount(cell, minlength=n_ops * 5).reshape(n_ops, 5),
                 np.bincount(cell, weights=gw, minlength=n_ops * 5).reshape(n_ops, 5),
                 np.bincount(ev["operator_index"][g], weights=gw * gw, minlength=n_ops))  # fmt: skip
    return _finish(n_ops, op, lv, w, extra, (op[bad], states), half_life_days > 0)


def aggregate_pandas(ev: dict[str, np.ndarray], n_ops: int, as_of: Any, *, dedup: bool = True, half_life_days: float = 0.0,
                     window_months: int = 12, deadline_days: int = 15, service_record_only: bool = False,
                     workdays: np.ndarray | None = None) -> dict[str, np.ndarray]:  # fmt: skip
    """The same with pandas: sort_values / drop_duplicates for revisions and dedup, groupby for
    the counts (an analyst's DataFrame version)."""
    as_of_d = np.datetime64(pd.Timestamp(as_of).date(), "D")
    as_of_i = int(as_of_d.astype(np.int64))
    first = _window_first(as_of_d, window_months)
    workdays = working_days() if workdays is None else workdays
    df = pd.DataFrame(ev)
    df["day"] = (df["time"] + CST) // DAY
    extra = None
    if not dedup:
        good = df[(df["level"] >= 3) & (df["revision"] <= 1) & (df["status"] != 2) & df["day"].between(first, as_of_i)]
        if service_record_only:
            good = good[good["has_service_record"] != 0]
        gw = np.exp2(-(as_of_i - good["day"]) / half_life_days) if half_life_days > 0 else pd.Series(1.0, index=good.index)
        grid = pd.MultiIndex.from_product([range(n_ops), range(1, 6)])
        g = good.assign(w=gw, w2=gw * gw).groupby(["operator_index", "level"])
        extra = (g.size().reindex(grid, fill_value=0).to_numpy().reshape(n_ops, 5),
                 g["w"].sum().reindex(grid, fill_value=0.0).to_numpy().reshape(n_ops, 5),
                 good.assign(w2=gw * gw).groupby("operator_index")["w2"].sum().reindex(range(n_ops), fill_value=0.0).to_numpy())  # fmt: skip
        df = df[df["level"] <= 2]
    df = df.sort_values(["review_key", "revision"], kind="stable").drop_duplicates("review_key", keep="last")
    df = df[(df["status"] != 2) & df["day"].between(first, as_of_i)]
    if service_record_only:
        df = df[df["has_service_record"] != 0]
    df = df.assign(month=df["day"].to_numpy().astype("datetime64[D]").astype("datetime64[M]").astype(np.int64))
    df = df.sort_values(["operator_index", "reviewer_key", "month", "time", "review_key", "revision"], kind="stable")
    df = df.drop_duplicates(["operator_index", "reviewer_key", "month"], keep="last")
    d = df["day"].to_numpy()
    w = np.exp2(-(as_of_i - d) / half_life_days) if half_life_days > 0 else np.ones(len(df))
    bad = (df["level"] <= 2).to_numpy()
    states = _bad_review_states(d[bad], df["rectified_at"].to_numpy()[bad], df["followed_up_at"].to_numpy()[bad], as_of_i, workdays,
                                deadline_days)  # fmt: skip
    op = df["operator_index"].to_numpy()
    # the per-operator sums as a groupby (the pandas way), with the bad-review states alongside
    df = df.assign(w=w, w2=w * w)
    grid = pd.MultiIndex.from_product([range(n_ops), range(1, 6)])
    g = df.groupby(["operator_index", "level"])
    counts = g.size().reindex(grid, fill_value=0).to_numpy().reshape(n_ops, 5)
    weights = g["w"].sum().reindex(grid, fill_value=0.0).to_numpy().reshape(n_ops, 5)
    sum_w2 = df.groupby("operator_index")["w2"].sum().reindex(range(n_ops), fill_value=0.0).to_numpy()
    if extra is not None:
        counts, weights, sum_w2 = counts + extra[0], weights + extra[1], sum_w2 + extra[2]
    sw = weights.sum(axis=1)
    valid_n = counts.sum(axis=1).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = {"counts": counts, "weights": weights, "valid_n": valid_n,
               "effective_n": np.where(sum_w2 > 0, sw * sw / sum_w2, 0.0) if half_life_days > 0 else valid_n,
               "satisfaction_index": np.where(sw > 0, (weights * LEVEL_VALUES).sum(axis=1) / sw, np.nan),
               "satisfaction_rate": np.where(sw > 0, weights[:, 2:].sum(axis=1) / sw, np.nan)}  # fmt: skip
    bad_op = pd.Series(op[bad])
    for name, mask in zip(("bad_closed_in_time", "bad_overdue", "bad_open", "bad_followed_up"), states):
        out[name] = bad_op[mask].value_counts().reindex(range(n_ops), fill_value=0).to_numpy()
    return out
