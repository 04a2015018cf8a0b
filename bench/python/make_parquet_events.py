#!/usr/bin/env python3
"""Writes a realistic set of resident review events (好差评, SPEC §5) as a Parquet dataset
hive-partitioned by month (``<out>/month=2025-01/part-0.parquet`` …), as a supervision platform
would export it, for ``embedrating.dask`` and its benchmarks.

    python bench/python/make_parquet_events.py OUT --events 1000000 [--operators 300] [--seed 1]
        [--start 2024-11-01] [--months 14] [--rows-per-file 250000]

Operators are those of the shipped sample (data/sample/operators.csv) unless --operators asks
for more (then ``WH-SYN-000001`` …; rate them with an operators table of the same ids — see
``operator_ids()``). What makes it realistic (proportions after the sample, data/sample/README.md):
levels mostly ★5/★4 with an operator-specific quality, ~6 % bad (★1–★2) reviews; popular
operators get more reviews; residents review the same operator again in later months; ~8 % of
reviews get a second revision (a bad review rectified, or voided on appeal ~1 %), some a third,
written days later — so a review's revisions fall in different months' files; ~3 % pending;
~40 % tied to a service record; ids are text ("R…", "U…").

The same arguments always write the same files (numpy's PCG64 seeded by --seed). Row order within
a file is shuffled, so revisions and a reviewer's reviews are spread across files and row groups.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
CST = "Asia/Shanghai"


def operator_ids(n: int | None = None) -> list[str]:
    """The sample's operator ids, or n synthetic ones when n exceeds them."""
    ids = pd.read_csv(ROOT / "data" / "sample" / "operators.csv", usecols=["operator_id"])["operator_id"].tolist()
    if n is None or n <= len(ids):
        return ids if n is None else ids[:n]
    return [f"WH-SYN-{i:06d}" for i in range(1, n + 1)]


def make_events(n_events: int, ops: list[str], seed: int = 1, start: str = "2024-11-01", months: int = 14) -> pd.DataFrame:
    """About `n_events` event rows (first revisions plus their later revisions) as a DataFrame
    with the SPEC §5 columns; ``time`` etc. are time-zone-aware timestamps (UTC+8)."""
    rng = np.random.default_rng(seed)
    n_ops = len(ops)
    quality = rng.normal(0.0, 1.0, n_ops)
    popularity = rng.lognormal(0.0, 0.6, n_ops)
    popularity /= popularity.sum()
    # first revisions; the later ones (≈ 9 %) are added below
    n_first = max(1, int(n_events / 1.09))
    op = rng.choice(n_ops, size=n_first, p=popularity)
    # residents: a pool per operator, so the same resident reviews again in later months
    residents_per_op = np.maximum(20, (popularity * n_first / 3).astype(np.int64))
    resident = (rng.random(n_first) * residents_per_op[op]).astype(np.int64)
    reviewer = np.char.add("U", (op.astype(np.int64) * 10_000_000 + resident).astype(str))
    t0 = pd.Timestamp(start, tz=CST).value // 10**9
    t1 = (pd.Timestamp(start, tz=CST) + pd.DateOffset(months=months)).value // 10**9
    secs = np.sort(rng.integers(t0, t1, n_first))
    # hours of the day: mostly daytime
    secs = (secs + 8 * 3600) // 86400 * 86400 + (rng.normal(14, 3.5, n_first).clip(7, 22.9) * 3600).astype(np.int64) - 8 * 3600
    u = rng.random(n_first) - 0.08 * quality[op]
    level = np.select([u < 0.03, u < 0.06, u < 0.12, u < 0.35], [1, 2, 3, 4], 5).astype(np.int8)
    review_id = np.char.add("R", np.arange(1, n_first + 1).astype(str))
    status = np.where(rng.random(n_first) < 0.03, "pending", "valid").astype(object)
    scen = np.array(["elderly_care", "infant_care", "child_care", "meals", "housekeeping", "health_station"], dtype=object)
    scenario = scen[rng.integers(0, len(scen), n_first)]
    record = np.where(rng.random(n_first) < 0.4, np.char.add("SR", rng.integers(10**9, 10**10, n_first).astype(str)), None)
    bad = level <= 2
    # a bad review rectified within days (later revision), usually followed up
    rect_days = rng.exponential(9.0, n_first)
    rectified = bad & (rng.random(n_first) < 0.85 - 0.05 * np.clip(-quality[op], 0, 3))
    rect_at = secs + (rect_days * 86400).astype(np.int64)
    followed = rectified & (rng.random(n_first) < 0.8)
    follow_at = rect_at + (rng.exponential(3.0, n_first) * 86400).astype(np.int64)
    voided = rng.random(n_first) < 0.01 + 0.05 * bad
    first = pd.DataFrame({
        "review_id": review_id, "revision": np.ones(n_first, np.int64), "operator_id": np.asarray(ops, dtype=object)[op],
        "reviewer_id": reviewer, "time": secs, "level": level, "scenario": scenario, "status": status,
        "rectified_at": np.full(n_first, -1, np.int64), "followed_up_at": np.full(n_first, -1, np.int64),
        "service_record_id": record,
    })
    later = []
    r2 = rectified | voided
    if r2.any():
        second = first[r2].copy()
        second["revision"] = 2
        second["status"] = np.where(voided[r2], "void", "valid")
        second["rectified_at"] = np.where(rectified[r2], rect_at[r2], -1)
        later.append(second)
        # a third revision: the follow-up visit recorded
        f3 = r2 & followed & ~voided
        third = first[f3].copy()
        third["revision"] = 3
        third["status"] = "valid"
        third["rectified_at"] = rect_at[f3]
        third["followed_up_at"] = follow_at[f3]
        later.append(third)
    df = pd.concat([first, *later], ignore_index=True)
    for col in ("time", "rectified_at", "followed_up_at"):
        v = df[col].to_numpy()
        ts = pd.to_datetime(np.where(v >= 0, v, 0), unit="s", utc=True).tz_convert(CST)
        df[col] = pd.Series(ts, index=df.index).where(v >= 0)
    df["level"] = df["level"].astype("int8")
    df["revision"] = df["revision"].astype("int64")
    return df


def write(df: pd.DataFrame, out: Path, rows_per_file: int = 250_000, seed: int = 1) -> list[Path]:
    """Writes `df` under `out` hive-partitioned by the CST month each event was written; rows shuffled."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed + 1)
    df = df.iloc[rng.permutation(len(df))].reset_index(drop=True)
    # a platform exports an event in the month it was written: a revision when the review was
    # rectified or followed up (``time`` stays the review's own time), so revisions of one review
    # land in different months' files
    written = df["time"]
    for col in ("rectified_at", "followed_up_at"):
        written = written.where(df[col].isna() | (df[col] <= written), df[col])
    month = written.dt.strftime("%Y-%m")
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for m, part in df.groupby(month, sort=True):
        d = out / f"month={m}"
        d.mkdir(exist_ok=True)
        for i, a in enumerate(range(0, len(part), rows_per_file)):
            path = d / f"part-{i}.parquet"
            pq.write_table(pa.Table.from_pandas(part.iloc[a : a + rows_per_file], preserve_index=False), path)
            files.append(path)
    return files


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path, help="output directory (created)")
    ap.add_argument("--events", type=int, default=1_000_000, help="about this many event rows (default 10^6)")
    ap.add_argument("--operators", type=int, default=None, help="operators (default: the sample's 300)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--start", default="2024-11-01", help="first day (CST)")
    ap.add_argument("--months", type=int, default=14)
    ap.add_argument("--rows-per-file", type=int, default=250_000)
    a = ap.parse_args(argv)
    if a.events < 1:
        ap.error("--events must be at least 1")
    df = make_events(a.events, operator_ids(a.operators), a.seed, a.start, a.months)
    files = write(df, a.out, a.rows_per_file, a.seed)
    print(f"{len(df)} events in {len(files)} files under {a.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
