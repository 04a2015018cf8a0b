#!/usr/bin/env python3
"""One command for issue 14: embedrating (C++ through Google Benchmark JSON, and Python) against the
numpy/pandas references of bench/reference/ and against the machine, in one session.

    .venv/bin/python bench/run.py            # full: 10^3 … 10^6 operators, 10^6 … 5·10^7 events (an hour or more)
    .venv/bin/python bench/run.py --quick    # 15–20 minutes on a loaded machine: 10^3 … 10^6 operators, 10^5 and 10^6 events
    .venv/bin/python bench/run.py --smoke    # seconds (CI): checks that everything runs and writes its files
    .venv/bin/python bench/run.py --resume   # go on after an interrupted run: measured tasks are kept
    .venv/bin/python bench/run.py --resume --redo reviews,cpp-reviews   # re-measure two parts only
    options: --build DIR (the CMake build with bench/*; default build), --out DIR (default
    bench/results), --readme FILE (default bench/README.md; "none" skips it), --require-cpp

Each measurement is saved as soon as it is taken (<out>/run-<profile>.partial.json), so an
interrupted run loses only the measurement in progress; --resume takes the saved ones again and
measures the rest, --redo PARTS re-measures the named parts (machine, cpp-rate, cpp-reviews,
cpp-sensitivity, rate, reviews, mc; or PART:IMPL such as reviews:embedrating) even when saved. The
partial file is removed when the run ends with no failed measurement (kept otherwise: --resume then
measures only the failed ones).

Every measurement runs in its own child process (`bench/run.py --worker TASK`), so its peak memory
is its own: the child resets its high-water mark (/proc/self/clear_refs) after building its input
and reports VmHWM − VmRSS (what the timed work added) besides ru_maxrss. Times are medians of
repeated runs of CPU time (time.process_time in the child; Google Benchmark's cpu_time) — the
machine is shared with other engineers' builds, so wall time is recorded but not used for ratios.
BLAS is single-threaded (OPENBLAS_NUM_THREADS=1 … set before numpy is imported).

What runs (sizes per profile in PROFILES):
  machine        build/bench/machine_bench: streaming read and copy bandwidth (256 MiB), FMA peak
  C++            build/bench/rate_bench BM_rate/N, BM_stream_prealloc/N; build/bench/reviews_bench
                 (EMBEDRATING_BENCH_EVENTS=E, 10^5 operators) count mode, dedup, summary, stream read;
                 build/bench/sensitivity_bench (full profile only: 10^6 × 10^3 draws)
  rating         embedrating._core.rate on the built C++ dataset (input hash cached) against
                 reference.rating.rate, same frame (the sample tiled, bench/python/bench_rate.py)
  reviews        ReviewAggregator.add(**arrays) + summary against reference.reviews (numpy, pandas),
                 same events (reference.reviews.generate_events), count mode, dedup, dedup + decay
  Monte Carlo    embedrating.sensitivity.monte_carlo (grades only, threads 1 and 2) against
                 reference.montecarlo.monte_carlo (numpy, GEMM per dimension)
  scaling        time and peak memory against operators, indicators (synthetic models 8 … 128),
                 events and threads; the log-log slope of CPU time against size, flagged when > 1.15
Writes <out>/run-<profile>.json, <out>/*.png (throughput against size, log-log) and the tables of
<readme> between the markers "<!-- bench/run.py: begin -->" and "<!-- bench/run.py: end -->".
"""

from __future__ import annotations

import os

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
    os.environ[_v] = "1"  # before numpy is imported: single-threaded BLAS everywhere (children inherit it)

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "bench"), str(REPO / "bench" / "python")]
AS_OF = "2025-12-31"
EVENTS_AS_OF = "2026-02-28"
BEGIN, END = "<!-- bench/run.py: begin -->", "<!-- bench/run.py: end -->"
SUPER_LINEAR = 1.15  # log-log slope above which linear work is flagged

PROFILES: dict[str, dict[str, Any]] = {
    "smoke": {"operators": [1e3, 1e4], "events": [1e5], "event_operators": 1e3, "repeat": 1, "indicators": [8, 32],
              "indicator_n": 1e3, "mc": [(1e3, 20)], "threads": [1, 2], "gb_min_time": "0.01", "gb_repeat": 1,
              "sensitivity_bench": False},
    "quick": {"operators": [1e3, 1e4, 1e5, 1e6], "events": [1e5, 1e6], "event_operators": 1e4, "repeat": 3,
              "indicators": [8, 32, 128], "indicator_n": 1e4, "mc": [(1e3, 200), (1e4, 200)], "threads": [1, 2],
              "gb_min_time": "0.1", "gb_repeat": 3, "sensitivity_bench": False},
    "full": {"operators": [1e3, 1e4, 1e5, 1e6], "events": [1e6, 1e7, 5e7], "event_operators": 1e5, "repeat": 5,
             "indicators": [8, 16, 32, 64, 128], "indicator_n": 1e5, "mc": [(1e4, 1000), (1e5, 1000), (1e6, 1000)],
             "threads": [1, 2], "gb_min_time": "0.5", "gb_repeat": 5, "sensitivity_bench": True},
}  # fmt: skip
EVENT_BYTES = 8 + 4 + 4 + 8 + 8 + 1 + 1 + 8 + 8 + 1  # one event of the batch arrays: 51 bytes


def progress(what: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {what}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# worker side: one measurement per process


def _status_kb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return float(line.split()[1])
    return float("nan")


def _reset_peak() -> float:
    """Resets VmHWM to the current RSS (Linux /proc/self/clear_refs "5"); returns the RSS in MB."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass
    return _status_kb("VmRSS") / 1024


def _timed(fn: Any, repeat: int) -> dict[str, Any]:
    import gc

    cpu, wall = [], []
    base = _reset_peak()
    for _ in range(repeat):
        gc.collect()
        c0, w0 = time.process_time(), time.perf_counter()
        out = fn()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
        del out
    peak = _status_kb("VmHWM") / 1024
    return {"cpu_s": statistics.median(cpu), "wall_s": statistics.median(wall), "cpu_runs": cpu, "wall_runs": wall,
            "rss_before_MB": base, "peak_MB": peak, "work_MB": peak - base}  # fmt: skip


def _operator_frame(n: int, indicators: int | None) -> tuple[Any, Any, dict[str, Any]]:
    import tomllib

    import embedrating as er
    from bench_rate import operator_frame, tiled

    from reference import data

    if indicators is None:
        model = er.default_model()
        df = tiled(operator_frame(model), n, False)
    else:
        text, measures = data.synthetic_model(indicators)
        model = er.Model.from_toml(text)
        df = data.synthetic_frame(n, measures, seed=indicators)
    return model, df, tomllib.loads(model.to_toml())


def worker(task: dict[str, Any]) -> dict[str, Any]:
    import numpy as np

    kind, impl, repeat = task["kind"], task["impl"], int(task["repeat"])
    res: dict[str, Any] = {"task": task}
    if kind == "rate":
        n = int(task["n"])
        model, df, spec = _operator_frame(n, task.get("indicators"))
        res["input_frame_MB"] = float(df.memory_usage(deep=True).sum()) / 1e6
        if impl == "embedrating":
            import embedrating as er
            from embedrating import _core

            days = _core.parse_date(AS_OF)
            rss0 = _status_kb("VmRSS") / 1024
            core = er.Dataset(df)._core_for(model)
            res["input_MB"] = _status_kb("VmRSS") / 1024 - rss0  # the C++ dataset
            r = _core.rate(model._core, core, days, None, True)  # computes and caches the input hash
            res["output_MB"] = sum(np.asarray(a).nbytes for a in (r.total_centi, r.dimension_centi, r.final_grade,
                                                                   r.grade_by_score, r.indicator_score, r.status)) / 1e6  # fmt: skip
            del r
            res.update(_timed(lambda: _core.rate(model._core, core, days, None, True), repeat))
        else:
            from reference import rating

            res.update(_timed(lambda: rating.rate(df, spec, AS_OF), repeat))
        res["items"] = n
    elif kind == "reviews":
        from reference import reviews

        E, n_ops, mode = int(task["events"]), int(task["operators"]), task["mode"]
        ev = reviews.generate_events(E, n_ops, seed=1)
        dedup, half_life = mode != "count", (90.0 if mode == "dedup_decay" else 0.0)
        if impl == "embedrating":
            import embedrating as er

            m = er.default_model().with_review_settings(dedup=dedup, half_life_days=half_life)
            ids = [f"op{i}" for i in range(n_ops)]
            state: dict[str, Any] = {}

            def run() -> Any:
                agg = er.ReviewAggregator(ids, m).add(**ev)
                state["agg"] = agg
                return agg.summary(EVENTS_AS_OF)

            res.update(_timed(run, repeat))
            agg = state.pop("agg")
            res["records_kept"] = int(agg.records_kept)
            res["state_bytes"] = int(agg.memory_bytes)
            res["bytes_per_record"] = agg.memory_bytes / max(agg.records_kept, 1)
        else:
            fn = reviews.aggregate_numpy if impl == "numpy" else reviews.aggregate_pandas
            workdays = reviews.working_days()
            res.update(_timed(lambda: fn(ev, n_ops, EVENTS_AS_OF, dedup=dedup, half_life_days=half_life, workdays=workdays), repeat))
        res["items"] = E
        res["input_MB"] = sum(a.nbytes for a in ev.values()) / 1e6
    elif kind == "mc":
        n, K, threads = int(task["n"]), int(task["draws"]), int(task.get("threads", 1))
        model, df, spec = _operator_frame(n, None)
        import embedrating as er

        L = len(model.weights)
        if impl == "embedrating":
            scored = model.score(er.Dataset(df), as_of=AS_OF)
            res.update(_timed(lambda: er.sensitivity.monte_carlo(scored, draws=K, quantiles=(), threads=threads, progress=False),
                              repeat))  # fmt: skip
        else:
            from reference import montecarlo, rating

            ref = rating.rate(df, spec, AS_OF)
            w = model.weights.to_numpy()

            def run() -> Any:
                draws = np.random.default_rng(0).dirichlet(w * 200.0, size=K)
                return montecarlo.monte_carlo(ref, spec, draws)

            res.update(_timed(run, repeat))
        res["items"] = n * K
        res["fmas"] = n * K * L
    else:
        raise SystemExit(f"unknown task kind {kind}")
    res["ru_maxrss_MB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return res


PARTS = ("machine", "cpp-rate", "cpp-reviews", "cpp-sensitivity", "rate", "reviews", "mc")


class Store:
    """Measurements saved one by one (the partial file) so that a long run can be interrupted and
    resumed: `get(part, key, measure)` returns the saved result of `key` unless `part` is to be
    re-measured, else measures, saves and returns it. Failed measurements are never reused."""

    def __init__(self, path: Path, resume: bool, redo: set[str]) -> None:
        self.path, self.redo = path, redo
        self.saved: dict[str, Any] = {}
        if resume and path.exists():
            try:
                self.saved = json.loads(path.read_text(encoding="utf-8"))["measurements"]
            except (ValueError, KeyError) as e:
                raise SystemExit(f"{path}: not a partial result of bench/run.py ({e}); remove it or run without --resume") from e
            progress(f"resuming: {len(self.saved)} measurements saved in {path}")
        elif path.exists():
            path.unlink()
        self.reused = 0

    def get(self, part: str, key: Any, measure: Any) -> Any:
        k = part + " " + json.dumps(key, sort_keys=True)
        impl = key.get("impl") if isinstance(key, dict) else None
        redo = part in self.redo or f"{part}:{impl}" in self.redo
        if not redo and k in self.saved and not (isinstance(self.saved[k], dict) and "error" in self.saved[k]):
            self.reused += 1
            return self.saved[k]
        value = measure()
        self.saved[k] = value
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"measurements": self.saved}, default=str) + "\n", encoding="utf-8")
        tmp.replace(self.path)
        return value

    def done(self) -> None:
        self.path.unlink(missing_ok=True)


def run_worker(task: dict[str, Any], in_process: bool = False) -> dict[str, Any]:
    """One measurement in a child process (its own peak memory), or in this process (--smoke:
    saves the child's start-up, the peak then includes what earlier measurements left)."""
    label = " ".join(f"{k}={v}" for k, v in task.items() if k != "repeat")
    progress(label)
    if in_process:
        try:
            r = worker(task)
        except Exception as e:  # noqa: BLE001 — recorded and reported as a failed measurement
            print(f"  failed ({label}): {e!r}", file=sys.stderr)
            return {"task": task, "error": repr(e)}
        r["per_s"] = r["items"] / r["cpu_s"] if r["cpu_s"] > 0 else float("nan")
        return r
    p = subprocess.run([sys.executable, __file__, "--worker", json.dumps(task)], capture_output=True, text=True)
    if p.returncode != 0:
        tail = "\n".join(p.stderr.strip().splitlines()[-8:])
        print(f"  failed ({label}):\n{tail}", file=sys.stderr)
        return {"task": task, "error": tail}
    r = json.loads(p.stdout.strip().splitlines()[-1])
    r["per_s"] = r["items"] / r["cpu_s"] if r["cpu_s"] > 0 else float("nan")
    return r


# ---------------------------------------------------------------------------------------------
# Google Benchmark


def google_benchmark(binary: Path, filt: str, profile: dict[str, Any], env: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Runs one benchmark binary with JSON output; returns one row per benchmark: the median of the
    repetitions (cpu_time in seconds, the counters), and the peak RSS of the process."""
    reps = int(profile["gb_repeat"])
    cmd = [str(binary), f"--benchmark_filter={filt}", "--benchmark_format=json", f"--benchmark_min_time={profile['gb_min_time']}"]
    if reps > 1:
        cmd += [f"--benchmark_repetitions={reps}", "--benchmark_report_aggregates_only=true"]
    progress(f"{binary.name} {filt} " + " ".join(f"{k}={v}" for k, v in (env or {}).items()))
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **(env or {})})
    out, err = p.stdout, p.stderr
    if p.returncode != 0:
        raise RuntimeError(f"{binary.name} failed: {err.strip()[-500:]}")
    if not out.strip():
        print(f"warning: {binary.name}: no benchmark matched {filt}: {err.strip()[-300:]}", file=sys.stderr)
        return []
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
    rows = []
    for b in json.loads(out)["benchmarks"]:
        if reps > 1 and b.get("aggregate_name") != "median":
            continue
        row = {"name": b["run_name"], "cpu_s": b["cpu_time"] * scale[b["time_unit"]], "real_s": b["real_time"] * scale[b["time_unit"]]}
        for k, v in b.items():
            if isinstance(v, (int, float)) and k not in ("cpu_time", "real_time", "iterations", "repetitions", "repetition_index",
                                                         "threads", "family_index", "per_family_instance_index"):  # fmt: skip
                row[k] = v
        rows.append(row)
    for r in rows:
        r["process_seconds"] = time.perf_counter() - t0
    return rows


# ---------------------------------------------------------------------------------------------
# machine description


def machine() -> dict[str, Any]:
    import numpy as np

    info: dict[str, Any] = {"python": platform.python_version(), "platform": platform.platform()}
    cpu = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    m = re.search(r"model name\s*:\s*(.*)", cpu)
    info["cpu"] = m.group(1).strip() if m else platform.processor()
    info["logical_cpus"] = os.cpu_count()
    flags = re.search(r"flags\s*:\s*(.*)", cpu)
    info["simd"] = [f for f in ("avx512f", "avx2", "fma") if flags and f in flags.group(1).split()]
    mem = re.search(r"MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text()) if Path("/proc/meminfo").exists() else None
    info["memory_GB"] = round(int(mem.group(1)) / 1024**2, 1) if mem else None
    info["load_average"] = os.getloadavg()
    try:
        info["compiler"] = subprocess.run(["c++", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    except OSError:
        info["compiler"] = "unknown"
    info["numpy"] = np.__version__
    try:
        import pandas as pd

        info["pandas"] = pd.__version__
    except ImportError:
        pass
    try:
        import embedrating as er

        info["embedrating"] = er.__version__
    except ImportError:
        info["embedrating"] = None
    blas = "unknown"
    try:
        from threadpoolctl import threadpool_info  # optional

        blas = "; ".join(f"{x.get('internal_api')} {x.get('version')} ({x.get('num_threads')} thread)" for x in threadpool_info())
    except ImportError:
        cfg = np.show_config(mode="dicts") if "mode" in np.show_config.__code__.co_varnames else {}
        b = cfg.get("Build Dependencies", {}).get("blas", {}) if isinstance(cfg, dict) else {}
        if b:
            blas = f"{b.get('name')} {b.get('version')} (OPENBLAS_NUM_THREADS=1)"
    info["blas"] = blas
    return info


# ---------------------------------------------------------------------------------------------
# analysis


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of log(y) on log(x)."""
    import numpy as np

    if len(xs) < 2:
        return float("nan")
    return float(np.polyfit(np.log(xs), np.log(ys), 1)[0])


def ok(r: dict[str, Any] | None) -> bool:
    return bool(r) and "error" not in r  # type: ignore[arg-type]


def analyse(res: dict[str, Any], profile: dict[str, Any]) -> dict[str, Any]:
    """Targets of issue 14 with their ratios, ratio tables and scaling slopes."""
    out: dict[str, Any] = {"targets": [], "rating": [], "reviews": [], "mc": [], "scaling": []}
    mach = res.get("machine_bench", {})
    read_bw, copy_bw, fma = mach.get("read_Bps"), mach.get("copy_Bps"), mach.get("fma_per_s")

    def target(name: str, value: float | None, goal: float, unit: str, higher: bool = True, note: str = "") -> None:
        met = None if value is None or value != value else (value >= goal if higher else value <= goal)
        out["targets"].append({"target": name, "value": value, "goal": goal, "unit": unit, "higher": higher,
                               "met": met, "note": note})  # fmt: skip

    # rating
    rate = {(r["task"]["impl"], r["task"]["n"]): r for r in res["rate"] if ok(r) and r["task"].get("indicators") is None}
    gb_rate = {int(r["name"].split("/")[1]): r for r in res.get("rate_bench", []) if r["name"].startswith("BM_rate/")}
    gb_stream = {int(r["name"].split("/")[1]): r for r in res.get("rate_bench", []) if r["name"].startswith("BM_stream_prealloc/")}
    for n in profile["operators"]:
        e, p = rate.get(("embedrating", n)), rate.get(("numpy", n))
        g = gb_rate.get(int(n))
        row = {"n": int(n), "er_cpu_s": e["cpu_s"] if e else None, "ref_cpu_s": p["cpu_s"] if p else None,
               "gb_cpu_s": g["cpu_s"] if g else None}  # fmt: skip
        row["x_ref"] = row["ref_cpu_s"] / row["er_cpu_s"] if e and p else None
        row["gb_x_ref"] = row["ref_cpu_s"] / row["gb_cpu_s"] if g and p else None
        if g and copy_bw and "bytes_per_second" in g:
            # the bytes BM_rate reads and writes per CPU second ÷ this core's copy bandwidth
            moved = g["bytes_per_second"] * g["real_s"] / g["cpu_s"] if g["cpu_s"] else None
            row["x_machine"] = moved / copy_bw if moved else None
        s = gb_stream.get(int(n))
        row["stream_floor_cpu_s"] = s["cpu_s"] if s else None
        if e:
            row["mem_ratio"] = (e["input_MB"] + e["work_MB"]) / (e["input_MB"] + e["output_MB"]) if e.get("input_MB") else None
            row["work_MB"], row["input_MB"], row["output_MB"] = e["work_MB"], e.get("input_MB"), e.get("output_MB")
        out["rating"].append(row)
    big = out["rating"][-1] if out["rating"] else {}
    target(f"rating {big.get('n', 0):.0e} operators ÷ numpy/pandas reference (C++ core from Python, same frame)",
           big.get("x_ref"), 10.0, "×")  # fmt: skip
    target(f"rating {big.get('n', 0):.0e} operators, C++ Google Benchmark BM_rate ÷ reference", big.get("gb_x_ref"), 10.0, "×",
           note="BM_rate's own synthetic input of the same size")  # fmt: skip
    target(f"peak memory, rating {big.get('n', 0):.0e} operators ÷ (input + outputs)", big.get("mem_ratio"), 1.5, "×", higher=False,
           note="(C++ dataset + what the rating added to the process's high-water mark) ÷ (C++ dataset + result arrays)")  # fmt: skip

    # reviews
    rv = {(r["task"]["impl"], r["task"]["mode"], r["task"]["events"]): r for r in res["reviews"] if ok(r)}
    gb_rv = res.get("reviews_bench", {})
    for E in profile["events"]:
        gb = {r["name"]: r for r in gb_rv.get(str(int(E)), [])}
        for mode in ("count", "dedup", "dedup_decay"):
            e, npy, pdx = rv.get(("embedrating", mode, E)), rv.get(("numpy", mode, E)), rv.get(("pandas", mode, E))
            row = {"events": int(E), "mode": mode, "er_per_s": e["per_s"] if e else None, "numpy_per_s": npy["per_s"] if npy else None,
                   "pandas_per_s": pdx["per_s"] if pdx else None, "bytes_per_record": e.get("bytes_per_record") if e else None}  # fmt: skip
            row["x_numpy"] = e["per_s"] / npy["per_s"] if e and npy else None
            row["x_pandas"] = e["per_s"] / pdx["per_s"] if e and pdx else None
            gname = {"count": "BM_ingest_count_mode/time_ordered", "dedup": "BM_ingest_dedup/time_ordered"}.get(mode)
            if gname in gb:
                g = gb[gname]
                row["gb_ingest_per_s"] = E / g["cpu_s"]
                summ = gb.get("BM_summary" if mode == "dedup" else "BM_summary_count_mode")
                row["gb_per_s"] = E / (g["cpu_s"] + (summ["cpu_s"] if summ else 0.0))
                row["gb_bytes_per_record"] = g.get("B_per_rec")
                if read_bw:
                    row["x_machine"] = row["gb_ingest_per_s"] / (read_bw / EVENT_BYTES)
            out["reviews"].append(row)
    last = max(profile["events"], default=0)
    by = {(r["mode"], r["events"]): r for r in out["reviews"]}
    c, d = by.get(("count", int(last)), {}), by.get(("dedup", int(last)), {})
    target(f"review ingest {last:.0e} events, count mode (C++, one core)", c.get("gb_ingest_per_s"), 150e6, "events/s")
    target(f"review ingest {last:.0e} events, dedup (C++, one core)", d.get("gb_ingest_per_s"), 20e6, "events/s")
    target(f"bytes per kept record, dedup, {last:.0e} events", d.get("gb_bytes_per_record") or d.get("bytes_per_record"), 32.0, "B",
           higher=False)  # fmt: skip
    target("reviews without dedup ÷ numpy (Python add + summary, same events)", c.get("x_numpy"), 6.0, "×")
    target("reviews without dedup ÷ pandas", c.get("x_pandas"), 15.0, "×")
    best = max([x for x in (d.get("numpy_per_s"), d.get("pandas_per_s")) if x] or [0.0])
    target("reviews with dedup ÷ best of numpy/pandas", d["er_per_s"] / best if best and d.get("er_per_s") else None, 4.0, "×")

    # Monte Carlo
    mc = {(r["task"]["impl"], r["task"]["n"], r["task"].get("threads", 1)): r for r in res["mc"] if ok(r)}
    for n, K in profile["mc"]:
        for t in profile["threads"]:
            e, p = mc.get(("embedrating", n, t)), mc.get(("numpy", n, 1))
            if not e:
                continue
            row = {"n": int(n), "draws": int(K), "threads": t, "er_cpu_s": e["cpu_s"], "er_wall_s": e["wall_s"],
                   "ref_cpu_s": p["cpu_s"] if p else None}  # fmt: skip
            row["x_ref"] = p["cpu_s"] / e["cpu_s"] if p else None
            row["fma_fraction"] = e["fmas"] / e["cpu_s"] / fma if fma else None
            out["mc"].append(row)
    one = [r for r in out["mc"] if r["threads"] == 1]
    if one:
        target(f"Monte Carlo {one[-1]['n']:.0e} × {one[-1]['draws']} draws ÷ numpy (single-threaded OpenBLAS)", one[-1]["x_ref"], 1.0, "×")
        target("Monte Carlo useful FMAs ÷ FMA peak (CPU time)", one[-1]["fma_fraction"], 0.35, "")
    sens = [r for r in res.get("sensitivity_bench", []) if r["name"].startswith("BM_monte_carlo_grades")]
    if sens and "fma_fraction_cpu" in sens[0]:
        target("Monte Carlo 10^6 × 10^3 (sensitivity_bench) ÷ FMA peak", sens[0]["fma_fraction_cpu"], 0.35, "")

    # scaling: slopes of CPU time against size
    def series(name: str, points: list[tuple[float, dict[str, Any]]], linear: bool = True) -> None:
        pts = [(x, r) for x, r in points if ok(r)]
        if len(pts) < 2:
            return
        xs, ts = [x for x, _ in pts], [r["cpu_s"] for _, r in pts]
        mem = [r.get("work_MB") for _, r in pts]
        s = slope(xs, ts)
        big_half = [(x, t) for x, t in zip(xs, ts) if x >= xs[len(xs) // 2]]  # the upper half: fixed costs fade
        s_hi = slope([x for x, _ in big_half], [t for _, t in big_half]) if len(big_half) >= 2 else s
        flag = linear and s_hi > SUPER_LINEAR
        out["scaling"].append({"series": name, "sizes": xs, "cpu_s": ts, "work_MB": mem, "slope": s, "slope_upper": s_hi,
                               "super_linear": flag})  # fmt: skip

    for impl in ("embedrating", "numpy"):
        series(f"rating, operators ({impl})", [(n, rate.get((impl, n))) for n in profile["operators"]])  # type: ignore[misc]
        series(f"rating {profile['indicator_n']:.0e} operators, indicators ({impl})",
               [(i, next((r for r in res["rate"] if ok(r) and r["task"]["impl"] == impl and r["task"].get("indicators") == i), None))
                for i in profile["indicators"]])  # fmt: skip
    for impl in ("embedrating", "numpy", "pandas"):
        for mode in ("count", "dedup", "dedup_decay"):
            series(f"reviews {mode}, events ({impl})", [(E, rv.get((impl, mode, E))) for E in profile["events"]])  # type: ignore[misc]
    if len(profile["mc"]) > 1:
        for impl in ("embedrating", "numpy"):
            series(f"Monte Carlo, operators × draws ({impl})", [(n * K, mc.get((impl, n, 1))) for n, K in profile["mc"]])  # type: ignore[misc]
    for n, K in profile["mc"][-1:]:
        ts = [(t, mc.get(("embedrating", n, t))) for t in profile["threads"]]
        if all(ok(r) for _, r in ts) and len(ts) > 1:
            out["threads"] = [{"threads": t, "cpu_s": r["cpu_s"], "wall_s": r["wall_s"], "work_MB": r["work_MB"]} for t, r in ts]  # type: ignore[index]
    return out


# ---------------------------------------------------------------------------------------------
# report: plots and README tables


def fmt(x: Any, spec: str = ".3g") -> str:
    if x is None or (isinstance(x, float) and x != x):
        return "—"
    return format(x, spec)


def plots(res: dict[str, Any], an: dict[str, Any], out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = []
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    rows = an["rating"]
    for key, label in (("er_cpu_s", "embedrating (C++ core from Python)"), ("gb_cpu_s", "embedrating C++ (BM_rate)"),
                       ("ref_cpu_s", "numpy/pandas reference"), ("stream_floor_cpu_s", "copy of input+output (machine)")):  # fmt: skip
        pts = [(r["n"], r["n"] / r[key]) for r in rows if r.get(key)]
        if pts:
            ax.plot(*zip(*pts), marker="o", label=label)
    ax.set(xscale="log", yscale="log", xlabel="operators", ylabel="operators per CPU second", title="Rating, default model")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "rating.png", dpi=110)
    plt.close(fig)
    files.append("rating.png")

    fig, axes = plt.subplots(1, 3, figsize=(13, 4.2), sharey=True)
    read_bw = res.get("machine_bench", {}).get("read_Bps")
    colours = {"er_per_s": "C0", "gb_per_s": "C1", "numpy_per_s": "C2", "pandas_per_s": "C3"}
    for ax, mode in zip(axes, ("count", "dedup", "dedup_decay")):
        rr = [r for r in an["reviews"] if r["mode"] == mode]
        for key, label in (("er_per_s", "embedrating (Python add + summary)"), ("gb_per_s", "embedrating C++ (ingest + summary)"),
                           ("numpy_per_s", "numpy"), ("pandas_per_s", "pandas")):  # fmt: skip
            pts = [(r["events"], r[key]) for r in rr if r.get(key)]
            if pts:
                ax.plot(*zip(*pts), marker="o", label=label, color=colours[key])
        if read_bw:
            ax.axhline(read_bw / EVENT_BYTES, color="grey", ls="--", label="stream read of the events (machine)")
        ax.set(xscale="log", yscale="log", xlabel="events", title=f"Reviews: {mode}")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("events per CPU second")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "reviews.png", dpi=110)
    plt.close(fig)
    files.append("reviews.png")

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for s in an["scaling"]:
        ax = axes[0] if "indicators" not in s["series"] else axes[1]
        ax.plot(s["sizes"], s["cpu_s"], marker="o", label=f"{s['series']} (slope {s['slope']:.2f})")
    axes[0].set(xscale="log", yscale="log", xlabel="operators / events / operators × draws", ylabel="CPU seconds", title="Scaling with size")
    axes[1].set(xscale="log", yscale="log", xlabel="indicators", ylabel="CPU seconds", title="Scaling with indicators")
    for ax in axes:
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(out / "scaling.png", dpi=110)
    plt.close(fig)
    files.append("scaling.png")
    return files


def report(res: dict[str, Any], an: dict[str, Any], cmd: str) -> str:
    m = res["machine"]
    mb = res.get("machine_bench", {})
    lines = [BEGIN, "", f"Generated by `{cmd}` on {res['started']} UTC ({res['profile']} profile, {res['seconds']:.0f} s"
             f"{'; ' + str(res['reused_measurements']) + ' measurements resumed from an interrupted run' if res.get('reused_measurements') else ''}). "
             "Medians of repeated runs of **CPU time** (the machine is shared with other engineers' builds: load average "
             f"{m['load_average'][0]:.1f} at the start; wall times are in the JSON). Results: `bench/results/run-{res['profile']}.json`, "
             "plots `bench/results/rating.png`, `reviews.png`, `scaling.png`.", "",
             f"Machine: {m['cpu']}, {m['logical_cpus']} logical CPUs ({', '.join(m['simd'])}), {m['memory_GB']} GB; {m['compiler']}; "
             f"numpy {m['numpy']}, pandas {m.get('pandas')}, BLAS {m['blas']}; Python {m['python']}. One core: streaming read "
             f"{fmt((mb.get('read_Bps') or 0) / 1e9, '.1f')} GB/s, copy {fmt((mb.get('copy_Bps') or 0) / 1e9, '.1f')} GB/s (read + write), "
             f"FMA peak {fmt((mb.get('fma_per_s') or 0) / 1e9, '.1f')} G FMA/s (`build/bench/machine_bench`).", "",
             "### Targets of issue 14", "", "| target | measured | goal | |", "|---|---:|---:|---|"]  # fmt: skip
    for t in an["targets"]:
        v = t["value"]
        unit = t["unit"]
        val = "—" if v is None else (f"{v / 1e6:.1f} M {unit}" if unit == "events/s" else f"{v:.3g}{unit}" if unit != "" else f"{100 * v:.1f} %")
        goal = f"{t['goal'] / 1e6:.0f} M {unit}" if unit == "events/s" else (f"{t['goal']:g}{unit}" if unit else f"{100 * t['goal']:.0f} %")
        verdict = {True: "met", False: "**missed**", None: "not measured"}[t["met"]]
        lines.append(f"| {t['target']}{' — ' + t['note'] if t['note'] else ''} | {val} | {'≥' if t['higher'] else '≤'} {goal} | {verdict} |")
    lines += ["", "### Rating (default model): embedrating ÷ reference, embedrating ÷ machine", "",
              "| operators | embedrating core (CPU s) | C++ BM_rate (CPU s) | numpy/pandas (CPU s) | × reference | C++ × reference | "
              "C++ bytes moved ÷ copy bandwidth | peak ÷ (input + outputs) |", "|---:|---:|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    for r in an["rating"]:
        lines.append(f"| {r['n']:,} | {fmt(r['er_cpu_s'])} | {fmt(r['gb_cpu_s'])} | {fmt(r['ref_cpu_s'])} | {fmt(r['x_ref'])} | "
                     f"{fmt(r['gb_x_ref'])} | {fmt(r.get('x_machine'))} | {fmt(r.get('mem_ratio'))} |")  # fmt: skip
    lines += ["", "### Reviews: events per CPU second (ingest + summary), embedrating ÷ reference, ÷ machine", "",
              "| events | mode | embedrating Python | C++ (reviews_bench) | numpy | pandas | × numpy | × pandas | C++ ingest ÷ stream read | B/record |",
              "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    for r in an["reviews"]:
        lines.append(f"| {r['events']:,} | {r['mode']} | {fmt(r['er_per_s'])} | {fmt(r.get('gb_per_s'))} | {fmt(r['numpy_per_s'])} | "
                     f"{fmt(r['pandas_per_s'])} | {fmt(r['x_numpy'])} | {fmt(r['x_pandas'])} | {fmt(r.get('x_machine'))} | "
                     f"{fmt(r.get('gb_bytes_per_record') or r.get('bytes_per_record'), '.1f')} |")  # fmt: skip
    lines += ["", "### Monte Carlo over weights (grades only)", "",
              "| operators | draws | threads | embedrating (CPU s) | wall s | numpy (CPU s) | × numpy | useful FMAs ÷ peak |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    for r in an["mc"]:
        lines.append(f"| {r['n']:,} | {r['draws']} | {r['threads']} | {fmt(r['er_cpu_s'])} | {fmt(r['er_wall_s'])} | {fmt(r['ref_cpu_s'])} | "
                     f"{fmt(r['x_ref'])} | {fmt(100 * r['fma_fraction'] if r['fma_fraction'] else None, '.1f')} % |")  # fmt: skip
    lines += ["", f"### Scaling: log-log slope of CPU time against size (flagged when the upper half's slope > {SUPER_LINEAR})", "",
              "| series | sizes | CPU s | added peak MB | slope | slope (upper half) | |", "|---|---|---|---|---:|---:|---|"]  # fmt: skip
    for s in an["scaling"]:
        lines.append(f"| {s['series']} | {', '.join(f'{x:.0e}' if x >= 1000 else f'{x:g}' for x in s['sizes'])} | "
                     f"{', '.join(fmt(t) for t in s['cpu_s'])} | {', '.join(fmt(x, '.0f') for x in s['work_MB'])} | {s['slope']:.2f} | "
                     f"{s['slope_upper']:.2f} | {'**super-linear**' if s['super_linear'] else 'ok'} |")  # fmt: skip
    if an.get("threads"):
        t = an["threads"]
        lines += ["", "Threads (Monte Carlo, largest size): " + "; ".join(
            f"{r['threads']} thread(s) {fmt(r['cpu_s'])} CPU s, {fmt(r['wall_s'])} wall s, {fmt(r['work_MB'], '.0f')} MB" for r in t)
            + f" — wall speed-up {fmt(t[0]['wall_s'] / t[-1]['wall_s'])}× on a shared 2-core machine."]  # fmt: skip
    lines += ["", END]
    return "\n".join(lines)


def write_readme(path: Path, block: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip("\n") + ("\n\n" if text else "") + "## Side by side: `bench/run.py` (issue 14)\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


# ---------------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])  # fmt: skip
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_true", help="a few minutes: fewer sizes and repetitions")
    g.add_argument("--smoke", action="store_true", help="seconds: the smallest sizes, one repetition (CI)")
    ap.add_argument("--build", default=str(REPO / "build"), help="CMake build directory with bench/* (default build)")
    ap.add_argument("--out", help="where the JSON and plots go (default bench/results; --smoke: <build>/bench-smoke)")
    ap.add_argument("--readme", help='README to update between the markers (default bench/README.md; --smoke: <out>/README.md; "none": skip)')
    ap.add_argument("--require-cpp", action="store_true", help="fail when a benchmark binary is missing (else it is skipped)")
    ap.add_argument("--resume", action="store_true", help="keep the measurements an interrupted run of this profile saved")
    ap.add_argument("--redo", default="", help=f"with --resume: parts to measure again, comma-separated ({', '.join(PARTS)}; PART:IMPL for one "
                         "implementation, e.g. reviews:embedrating)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return 0
    name = "smoke" if args.smoke else "quick" if args.quick else "full"
    redo = {p.strip() for p in args.redo.split(",") if p.strip()}
    if bad := {r for r in redo if r.split(":")[0] not in PARTS}:
        ap.error(f"--redo: unknown part(s) {', '.join(sorted(bad))}; the parts are {', '.join(PARTS)}")
    profile = PROFILES[name]
    out = Path(args.out or (Path(args.build) / "bench-smoke" if args.smoke else REPO / "bench" / "results"))
    readme = args.readme or str(out / "README.md" if args.smoke else REPO / "bench" / "README.md")
    out.mkdir(parents=True, exist_ok=True)
    bench_dir = Path(args.build) / "bench"
    t_start = time.perf_counter()
    res: dict[str, Any] = {"profile": name, "profile_settings": profile, "machine": machine(),
                           "started": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"),
                           "rate": [], "reviews": [], "mc": []}  # fmt: skip
    rep = int(profile["repeat"])
    store = Store(out / f"run-{name}.partial.json", args.resume, redo)

    def worker_task(part: str, task: dict[str, Any]) -> dict[str, Any]:
        return store.get(part, task, lambda: run_worker(task, args.smoke))

    def gb(part: str, b: Path, filt: str, prof: dict[str, Any], env: dict[str, str] | None = None) -> list[dict[str, Any]]:
        key = {"binary": b.name, "filter": filt, "env": env or {}, "min_time": prof["gb_min_time"], "repeat": prof["gb_repeat"]}
        return store.get(part, key, lambda: google_benchmark(b, filt, prof, env))

    def binary(b: str) -> Path | None:
        p = bench_dir / b
        if p.exists():
            return p
        if args.require_cpp:
            raise SystemExit(f"{p} is missing: build it (ninja -C {args.build} {b}) or drop --require-cpp")
        print(f"warning: {p} is missing; its measurements are skipped", file=sys.stderr)
        return None

    # machine references
    if mbin := binary("machine_bench"):
        rows = {r["name"]: r for r in gb("machine", mbin, "", profile)}
        big = max((int(k.split("/")[1]) for k in rows if k.startswith("BM_stream_read/")), default=None)
        res["machine_bench"] = {"rows": list(rows.values()),
                                "read_Bps": rows[f"BM_stream_read/{big}"]["bytes_per_second"] if big else None,
                                "copy_Bps": rows[f"BM_stream_copy/{big}"]["bytes_per_second"] if big else None,
                                "fma_per_s": rows["BM_fma_peak"]["GFMA_per_s"] * 1e9 if "BM_fma_peak" in rows else None}  # fmt: skip
    # C++ benchmarks
    if rb := binary("rate_bench"):
        sizes = "|".join(str(int(n)) for n in profile["operators"])
        res["rate_bench"] = gb("cpp-rate", rb, f"^BM_(rate|stream_prealloc)/({sizes})(/|$)", profile)
    if vb := binary("reviews_bench"):
        res["reviews_bench"] = {}
        for E in profile["events"]:
            env = {"EMBEDRATING_BENCH_EVENTS": str(int(E)), "EMBEDRATING_BENCH_OPERATORS": str(int(profile["event_operators"]))}
            res["reviews_bench"][str(int(E))] = gb(
                "cpp-reviews", vb, "^BM_(stream_read_events|ingest_count_mode/time_ordered|ingest_dedup/time_ordered|summary|summary_count_mode)$", profile, env)
    if profile["sensitivity_bench"] and (sb := binary("sensitivity_bench")):
        res["sensitivity_bench"] = gb("cpp-sensitivity", sb, "^BM_(monte_carlo_grades|fma_peak)", dict(profile, gb_repeat=1))

    # Python: embedrating and the references, one child per measurement
    for n in profile["operators"]:
        for impl in ("embedrating", "numpy"):
            res["rate"].append(worker_task("rate", {"kind": "rate", "impl": impl, "n": n, "repeat": rep}))
    for i in profile["indicators"]:
        for impl in ("embedrating", "numpy"):
            res["rate"].append(worker_task("rate", {"kind": "rate", "impl": impl, "n": profile["indicator_n"], "indicators": i, "repeat": rep}))  # fmt: skip
    for E in profile["events"]:
        for mode in ("count", "dedup", "dedup_decay"):
            for impl in ("embedrating", "numpy", "pandas"):
                # the slow references at the largest sizes: fewer runs (pandas at 5·10^7: one run, minutes, ~10 GB)
                r = 1 if E >= 5e7 and impl == "pandas" else (min(rep, 2) if E >= 1e7 and impl != "embedrating" else rep)
                res["reviews"].append(worker_task("reviews", {"kind": "reviews", "impl": impl, "events": E, "operators": profile["event_operators"],
                                                             "mode": mode, "repeat": r}))  # fmt: skip
    for n, K in profile["mc"]:
        for t in profile["threads"]:
            res["mc"].append(worker_task("mc", {"kind": "mc", "impl": "embedrating", "n": n, "draws": K, "threads": t, "repeat": rep}))
        # the numpy reference at 10^9 (operator, draw) pairs takes minutes a run: fewer runs there
        r = 1 if n * K >= 1e9 else min(rep, 2) if n * K >= 1e8 else rep
        res["mc"].append(worker_task("mc", {"kind": "mc", "impl": "numpy", "n": n, "draws": K, "repeat": r}))

    res["seconds"] = time.perf_counter() - t_start
    res["reused_measurements"] = store.reused
    an = analyse(res, profile)
    res["analysis"] = an
    (out / f"run-{name}.json").write_text(json.dumps(res, indent=1, default=str) + "\n", encoding="utf-8")
    files = plots(res, an, out)
    cmd = "python bench/run.py" + {"smoke": " --smoke", "quick": " --quick", "full": ""}[name]
    block = report(res, an, cmd)
    if readme != "none":
        write_readme(Path(readme), block)
    print(block)
    failed = [r for r in res["rate"] + res["reviews"] + res["mc"] if not ok(r)]
    if not failed:
        store.done()  # else kept, so that --resume measures only what failed
    print(f"wrote {out / f'run-{name}.json'}, " + ", ".join(str(out / f) for f in files) + f"; {len(failed)} failed measurements",
          file=sys.stderr)  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
