#!/usr/bin/env python3
"""Scaling of embedrating.dask.aggregate_reviews against the single-process engine on the same
Parquet input (issue 16; results in bench/README.md "Dask").

    python bench/python/bench_dask.py [--events 2000000] [--repeat 3] [--dir /tmp/er-events]

Writes the events with make_parquet_events.py (hive-partitioned by month) unless --dir already
holds them, then times, in one run:
  single   pandas.read_parquet of the whole set + ReviewAggregator.add, in this process (baseline)
  dask-1   aggregate_reviews(read_events(dir)) on a LocalCluster of 1 worker process (1 thread)
  dask-2   the same on 2 worker processes (1 thread each)
Reported per configuration: events/s by wall clock (median of --repeat) and CPU seconds summed
over every process involved (this one, the scheduler, the workers; psutil), each also as a ratio
to the baseline measured in the same run. Cluster start-up is not timed (a cluster outlives a job).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import pandas as pd
import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import make_parquet_events as gen  # noqa: E402

import embedrating as er  # noqa: E402
import embedrating.dask as erd  # noqa: E402


def _cpu() -> float:
    t = psutil.Process().cpu_times()
    return t.user + t.system


def single(path: Path, ids: list[str]) -> tuple[int, er.ReviewAggregator]:
    df = pd.read_parquet(path).drop(columns="month")
    agg = er.ReviewAggregator(ids).add(df)
    return len(df), agg


def timed(fn, cpu_of) -> tuple[float, float, object]:
    c0, t0 = cpu_of(), time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, cpu_of() - c0, out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=2_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/er-bench-events"))
    a = ap.parse_args()
    ids = gen.operator_ids()
    if not a.dir.exists():
        gen.write(gen.make_events(a.events, ids, seed=1), a.dir, rows_per_file=250_000, seed=1)
    n_files = len(list(a.dir.rglob("*.parquet")))

    from distributed import Client, LocalCluster

    rows = []
    walls, cpus = [], []
    for _ in range(a.repeat):
        w, c, (n, ref) = timed(lambda: single(a.dir, ids), _cpu)
        walls.append(w)
        cpus.append(c)
    rows.append(("single process", statistics.median(walls), statistics.median(cpus)))
    for workers in (1, 2):
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cl, Client(cl) as client:

            def cpu_all() -> float:
                ws = client.run(_cpu)
                return _cpu() + client.run_on_scheduler(_cpu) + sum(ws.values())

            erd.aggregate_reviews(erd.read_events(a.dir), ids)  # warm: imports on the workers
            walls, cpus = [], []
            for _ in range(a.repeat):
                w, c, got = timed(lambda: erd.aggregate_reviews(erd.read_events(a.dir), ids), cpu_all)
                assert got == ref, "the cluster's state differs from the single-process one"
                walls.append(w)
                cpus.append(c)
            rows.append((f"dask, {workers} worker{'s' if workers > 1 else ''}", statistics.median(walls), statistics.median(cpus)))
    base_w, base_c = rows[0][1], rows[0][2]
    print(f"{n} events, {n_files} Parquet files, {len(ids)} operators; median of {a.repeat}; "
          f"machine: {psutil.cpu_count()} CPUs, load {psutil.getloadavg()[0]:.1f}")
    print("| configuration | wall s | events/s (wall) | × single | CPU s (all processes) | CPU × single |")
    print("|---|---|---|---|---|---|")
    for name, w, c in rows:
        print(f"| {name} | {w:.2f} | {n / w:,.0f} | {base_w / w:.2f} | {c:.2f} | {c / base_c:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
