#!/usr/bin/env python3
"""Data ingestion (issue 10): CSV → rated operators with the CLI against pandas' read_csv of the
same files, review events CSV → the aggregator, and Model.rate(Dataset(df)) against the C++ core.

    .venv/bin/python bench/python/bench_ingest.py                          # 2·10^6 operators, facility rows and events
    .venv/bin/python bench/python/bench_ingest.py --cli /tmp/embedrating-baseline --repeat 1
    .venv/bin/python bench/python/bench_ingest.py --n 2e5 --events 2e5 --repeat 2 --only cli
    # --json FILE writes every number; --skip-python runs only what needs no embedrating package

Input (generated once, deterministically, into --workdir and reused while its manifest matches):
the shipped sample (data/sample/) tiled with unique ids, in exactly its CSV formats —
  operators.csv          N rows: tile k of the 300 sample operators, ids "<id>#<k>"
  facilities.csv         N rows: tile k of the 412 sample sites, ids "<facility_id>#<k>", owned by
                         "<operator_id>#<k mod full operator tiles>" (every owner is in operators.csv;
                         with N rows of each, the operators of the last ~27 % of tiles have no site)
  reviews.csv            E rows: copies t = 0, 1, … of the 41 313 sample events, interleaved row by
                         row (so the file stays in time order), review_id + t·10^7, reviewer
                         U<number + t·10^7>, operator "<operator_id>#<t mod full operator tiles>"
  operators-reviews.csv  the operator tiles reviews.csv refers to (what an event-only run loads)
Nothing is random: the same N and E give byte-identical files.

Measured (median of --repeat runs; the script pins itself — and so every child — to one core,
--cpu, with os.sched_setaffinity; peak RSS of a child from os.wait4's rusage). Every time is given
as wall clock (what the targets name) and as CPU seconds (user + system of a child from wait4, or
time.process_time in this process), with the ratios of both: on the shared 2-core machine other
tenants' compiles can stretch wall time 3× while CPU time moves by ~15 %.
  CLI end to end    `<cli> rate --operators … --facilities … --as-of 2025-12-31 --format csv -o …`:
                    wall time and peak RSS of the process
  pandas read_csv   the same two files in a child Python: pd.read_csv(path) (default options, as
                    a new user writes it) and with keep_default_na=False, na_values=[""], ids as
                    str; time of the two read_csv calls alone (measured in the child) and the
                    child's peak RSS (also minus its RSS after `import pandas`)
  → targets         pandas read_csv time ÷ CLI time ≥ 2; CLI peak RSS ÷ input bytes ≤ 2
  events            `<cli> reviews summarize --operators operators-reviews.csv --events reviews.csv
                    --as-of … --format csv -o …` (whole process: includes reading the operators
                    and the summary); ReviewAggregator(ids, model).add_csv(path) (ingest alone,
                    the aggregator built outside the timing); for contrast
                    ReviewAggregator.add(pd.read_csv(path)) (read_csv + add, and add alone).
                    MB/s of reviews.csv — target ≥ 200 MB/s into the aggregator
  Python rating     at --py-n (10^6) operators: Model.rate(Dataset(df), as_of) end to end, with the
                    frame bench_rate.py builds (the sample rolled up to one wide operator frame,
                    tiled), against embedrating._core.rate on the already-built C++ dataset — both
                    its first call (input hash computed, as on a fresh Dataset) and a repeat call
                    (hash cached); also the frames read from the generated CSV files
                    (Dataset(operators, facilities=facilities)). Target ≤ 1.1×

This is a benchmark, not a test: run it on a quiet machine; results go to bench/README.md.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample"
AS_OF = "2025-12-31"
GENERATOR_VERSION = 1
REVIEW_ID_STRIDE = 10**7  # sample review ids and reviewer numbers are 7 digits
TYPED: dict[str, Any] = dict(keep_default_na=False, na_values=[""], dtype={"operator_id": "str", "facility_id": "str"})


def progress(what: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {what}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Input


def _sample_rows(name: str, id_fields: int) -> tuple[str, list[tuple[list[str], str]]]:
    """Header line and, per data row, its first `id_fields` fields and the rest of the line (from
    the comma after them, line ending included). The leading fields are ids: never quoted."""
    text = (SAMPLE / name).read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    rows = []
    for line in lines[1:]:
        parts = line.split(",", id_fields)
        head = parts[:id_fields]
        assert not any('"' in f for f in head), f"{name}: quoted id field in {line!r}"
        rows.append((head, "," + parts[id_fields]))
    return lines[0], rows


def _write_tiles(path: Path, header: str, n: int, tile: Callable[[int], list[str]], per_tile: int) -> None:
    """n rows: tiles 0, 1, … (tile(k) gives its lines), the last one cut; one write per tile."""
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(header)
        left, k = n, 0
        while left > 0:
            lines = tile(k)
            f.write("".join(lines[: min(left, per_tile)]))
            left -= per_tile
            k += 1
    tmp.replace(path)


def generate(workdir: Path, n: int, events: int) -> dict[str, Any]:
    """Writes (or reuses) the input files; returns the manifest (paths, rows and sizes)."""
    sample_hash = {p: hashlib.sha256((SAMPLE / p).read_bytes()).hexdigest()[:16]
                   for p in ("operators.csv", "facilities.csv", "reviews.csv")}  # fmt: skip
    key = {"generator": GENERATOR_VERSION, "n": n, "events": events, "sample": sample_hash}
    manifest_path = workdir / "manifest.json"
    if manifest_path.exists():
        old = json.loads(manifest_path.read_text())
        if old.get("key") == key and all((workdir / f).is_file() and (workdir / f).stat().st_size == s
                                         for f, s in old["bytes"].items()):  # fmt: skip
            progress(f"input: reusing {workdir}")
            return old
    workdir.mkdir(parents=True, exist_ok=True)
    manifest_path.unlink(missing_ok=True)

    op_header, ops = _sample_rows("operators.csv", 1)
    fac_header, fac = _sample_rows("facilities.csv", 2)
    ev_header, evs = _sample_rows("reviews.csv", 4)
    full_tiles = n // len(ops)
    if full_tiles < 1:
        raise SystemExit(f"--n must be at least {len(ops)} (one copy of the sample's operators)")
    owned = {h[0] for h, _ in ops}
    assert all(h[1] in owned for h, _ in fac), "sample: a facility's operator is not in operators.csv"

    def op_tile(k: int) -> list[str]:
        return [f"{h[0]}#{k}{rest}" for h, rest in ops]

    def fac_tile(k: int) -> list[str]:
        m = k % full_tiles
        return [f"{h[0]}#{k},{h[1]}#{m}{rest}" for h, rest in fac]

    progress(f"input: writing {workdir}/operators.csv ({n} rows)")
    _write_tiles(workdir / "operators.csv", op_header, n, op_tile, len(ops))
    progress(f"input: writing {workdir}/facilities.csv ({n} rows)")
    _write_tiles(workdir / "facilities.csv", fac_header, n, fac_tile, len(fac))

    # review events: row r of the sample, then its copies t = 0 … (time order kept)
    copies, extra = divmod(events, len(evs))
    used_tiles = min(copies + (extra > 0), full_tiles)
    progress(f"input: writing {workdir}/reviews.csv ({events} rows)")
    tmp = workdir / "reviews.tmp"
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(ev_header)
        buf: list[str] = []
        for r, ((rid, rev, oid, uid), rest) in enumerate(evs):
            rid_n, uid_n = int(rid), int(uid[1:])
            assert uid[0] == "U" and rid_n < REVIEW_ID_STRIDE and uid_n < REVIEW_ID_STRIDE
            for t in range(copies + (r < extra)):
                buf.append(f"{rid_n + t * REVIEW_ID_STRIDE},{rev},{oid}#{t % full_tiles},"
                           f"U{uid_n + t * REVIEW_ID_STRIDE:07d}{rest}")  # fmt: skip
            if len(buf) >= 65536:
                f.write("".join(buf))
                buf.clear()
        f.write("".join(buf))
    tmp.replace(workdir / "reviews.csv")
    progress(f"input: writing {workdir}/operators-reviews.csv ({used_tiles * len(ops)} rows)")
    _write_tiles(workdir / "operators-reviews.csv", op_header, used_tiles * len(ops), op_tile, len(ops))

    names = ("operators.csv", "facilities.csv", "reviews.csv", "operators-reviews.csv")
    manifest = {
        "key": key,
        "rows": {"operators.csv": n, "facilities.csv": n, "reviews.csv": events,
                 "operators-reviews.csv": used_tiles * len(ops)},  # fmt: skip
        "bytes": {f: (workdir / f).stat().st_size for f in names},
    }
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


# ---------------------------------------------------------------------------------------------
# Children: wall time and peak RSS


def run_child(cmd: list[str], log: Path) -> dict[str, Any]:
    """Runs cmd (stdout and stderr to log); wall seconds, peak RSS (bytes) from wait4, exit status."""
    with open(log, "wb") as out:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    tail = log.read_bytes()[-2000:].decode("utf-8", "replace")
    return {"wall_s": wall, "cpu_s": ru.ru_utime + ru.ru_stime, "peak_rss": ru.ru_maxrss * 1024, "rc": p.returncode,
            "user_s": ru.ru_utime, "sys_s": ru.ru_stime, "log_tail": tail}  # fmt: skip


def repeated(cmd: list[str], log: Path, repeat: int) -> dict[str, Any]:
    runs = [run_child(cmd, log) for _ in range(repeat)]
    ok = [r for r in runs if r["rc"] == 0]
    res: dict[str, Any] = {"cmd": " ".join(cmd), "runs": runs, "failed": len(runs) - len(ok)}
    if ok:
        res["wall_s"] = statistics.median(r["wall_s"] for r in ok)
        res["cpu_s"] = statistics.median(r["cpu_s"] for r in ok)
        res["peak_rss"] = max(r["peak_rss"] for r in ok)
    return res


PANDAS_CHILD = r"""
import json, resource, sys, time
args = json.loads(sys.argv[1])
import pandas as pd
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
t0, c0 = time.perf_counter(), time.process_time()
frames = [pd.read_csv(p, **args["kw"]) for p in args["paths"]]
t, c = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps({"read_s": t, "read_cpu_s": c, "rss_after_import": rss0, "rows": [len(f) for f in frames],
                  "frame_bytes": int(sum(f.memory_usage(deep=True).sum() for f in frames)),
                  "dtypes": [{str(k): int(v) for k, v in f.dtypes.astype(str).value_counts().items()} for f in frames]}))
"""


def pandas_read(paths: list[Path], kw: dict[str, Any], log: Path, repeat: int) -> dict[str, Any]:
    cmd = [sys.executable, "-c", PANDAS_CHILD, json.dumps({"paths": [str(p) for p in paths], "kw": kw})]
    runs = []
    for _ in range(repeat):
        r = run_child(cmd, log)
        if r["rc"] != 0:
            raise SystemExit(f"pandas child failed:\n{r['log_tail']}")
        r.update(json.loads(log.read_text().strip().splitlines()[-1]))
        del r["log_tail"]
        runs.append(r)
    return {
        "kw": repr(kw),
        "runs": runs,
        "read_s": statistics.median(r["read_s"] for r in runs),
        "read_cpu_s": statistics.median(r["read_cpu_s"] for r in runs),
        "peak_rss": max(r["peak_rss"] for r in runs),
        "peak_rss_minus_import": max(r["peak_rss"] - r["rss_after_import"] for r in runs),
        "frame_bytes": runs[0]["frame_bytes"],
        "dtypes": runs[0]["dtypes"],
    }


def timed(fn: Callable[..., Any], repeat: int, setup: Callable[[], Any] | None = None) -> dict[str, Any]:
    """`repeat` calls of fn(setup()) (or fn()); setup is not timed. Median wall seconds ("s"),
    every wall time ("all") and the median CPU seconds of this process ("cpu_s", process_time)."""
    times, cpu = [], []
    for _ in range(repeat):
        gc.collect()
        arg = setup() if setup else None
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn(arg) if setup else fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        del result, arg
    gc.collect()
    return {"s": statistics.median(times), "all": times, "cpu_s": statistics.median(cpu)}


# ---------------------------------------------------------------------------------------------
# Python parts (need the embedrating package)


def events_python(ops_path: Path, ev_path: Path, repeat: int) -> dict[str, Any]:
    import embedrating as er

    model = er.default_model()
    ids = pd.read_csv(ops_path, usecols=["operator_id"], dtype="str")["operator_id"].tolist()
    new = lambda: er.ReviewAggregator(ids, model)  # noqa: E731
    res: dict[str, Any] = {"operators": len(ids)}
    res["add_csv"] = timed(lambda a: a.add_csv(ev_path), repeat, new)
    ref = new().add_csv(ev_path)
    res["events_seen"], res["records_kept"] = ref.events_seen, ref.records_kept
    res["rejects"] = {k: int(c) for k, c in ref.rejects["count"].items() if c}
    res["memory_bytes"] = ref.memory_bytes
    res["summary"] = timed(lambda: ref.summary(AS_OF), 1)
    res["read_csv"] = timed(lambda: pd.read_csv(ev_path), repeat)
    frame = pd.read_csv(ev_path)
    try:
        res["add_frame"] = timed(lambda a: a.add(frame), repeat, new)
        res["add_frame_equal_add_csv"] = bool(new().add(frame) == ref)
    except Exception as e:  # noqa: BLE001 - reported, not fatal
        res["add_frame_error"] = f"{type(e).__name__}: {e}"[:500]
    return res


def rating_python(n: int, repeat: int, ops_path: Path, fac_path: Path) -> dict[str, Any]:
    import embedrating as er
    from embedrating import _core

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_rate import check_frame, operator_frame, tiled

    model = er.default_model()
    days = _core.parse_date(AS_OF)
    res: dict[str, Any] = {"n": n}

    def versus_core(ops: pd.DataFrame, **tables: Any) -> dict[str, Any]:
        r: dict[str, Any] = {}

        def built() -> Any:  # a fresh C++ dataset: its input hash not computed yet
            return er.Dataset(ops, **tables)._core_for(model)

        r["core_first"] = timed(lambda c: _core.rate(model._core, c, days, None, True), repeat, built)
        core = built()
        _core.rate(model._core, core, days, None, True)
        r["core_cached"] = timed(lambda: _core.rate(model._core, core, days, None, True), repeat)
        r["core_nohash"] = timed(lambda: _core.rate(model._core, core, days, None, False), repeat)
        del core
        r["build"] = timed(built, repeat)
        r["py_e2e"] = timed(lambda: model.rate(er.Dataset(ops, **tables), as_of=AS_OF), repeat)
        for t in ("s", "cpu_s"):
            r[f"ratio_vs_core_first_{t}"] = r["py_e2e"][t] / r["core_first"][t]
            r[f"ratio_vs_core_cached_{t}"] = r["py_e2e"][t] / r["core_cached"][t]
        return r

    progress(f"Python rating: bench_rate.py's frame, {n} operators")
    base = operator_frame(model)
    check_frame(model, base)
    df = tiled(base, n, False)
    res["frame"] = versus_core(df)
    res["frame"]["frame_bytes"] = int(df.memory_usage(deep=True).sum())
    del df
    gc.collect()

    progress(f"Python rating: frames read from the generated CSV files, first {n} operators")
    ops = pd.read_csv(ops_path, nrows=n, **TYPED)
    fac = pd.read_csv(fac_path, **TYPED)
    fac = fac[fac["operator_id"].isin(ops["operator_id"])].reset_index(drop=True)
    res["csv_frames"] = versus_core(ops, facilities=fac)
    res["csv_frames"]["facility_rows"] = len(fac)
    return res


# ---------------------------------------------------------------------------------------------


def platform_line() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{platform.platform()}, {cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
            f"numpy {np.__version__}, pandas {pd.__version__}")  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cli", default=str(REPO / "build" / "embedrating"), help="the embedrating CLI (default build/embedrating)")
    ap.add_argument("--n", type=float, default=2e6, help="operators and facility rows (default 2e6)")
    ap.add_argument("--events", type=float, default=2e6, help="review events (default 2e6)")
    ap.add_argument("--py-n", type=float, default=1e6, help="operators of the Python rating (default 1e6)")
    ap.add_argument("--repeat", type=int, default=3, help="repetitions of each timing (default 3)")
    ap.add_argument("--cpu", type=int, default=0, help="the core everything runs on (default 0)")
    ap.add_argument("--workdir", help="input files (default /tmp/embedrating-ingest-<N>)")
    ap.add_argument("--skip-python", action="store_true", help="nothing that needs the embedrating package")
    ap.add_argument("--only", choices=["cli", "pandas", "events", "python"], action="append",
                    help="run only these parts (repeatable); the ratios need cli and pandas")  # fmt: skip
    ap.add_argument("--json", help="write the results here as JSON")
    args = ap.parse_args()
    n, events, py_n = int(args.n), int(args.events), int(args.py_n)
    parts = set(args.only or ["cli", "pandas", "events", "python"])
    workdir = Path(args.workdir or f"/tmp/embedrating-ingest-{n}")
    cli = str(Path(args.cli).resolve())

    os.sched_setaffinity(0, {args.cpu})  # children inherit it
    res: dict[str, Any] = {"platform": platform_line(), "cpu": args.cpu, "repeat": args.repeat, "cli": cli,
                           "loadavg_before": os.getloadavg(), "started": time.strftime("%Y-%m-%d %H:%M:%S")}  # fmt: skip
    print(res["platform"])
    print(f"pinned to CPU {args.cpu} (os.sched_setaffinity, inherited by the children); load average {res['loadavg_before']}")

    man = generate(workdir, n, events)
    res["input"] = man
    ops, fac, ev, ops_rev = (workdir / f for f in ("operators.csv", "facilities.csv", "reviews.csv", "operators-reviews.csv"))
    in_bytes = man["bytes"]["operators.csv"] + man["bytes"]["facilities.csv"]
    for f, b in man["bytes"].items():
        print(f"  {f:24s} {man['rows'][f]:>9d} rows {b / 1e6:9.1f} MB")
    print(f"  operators + facilities: {in_bytes / 1e6:.1f} MB")

    if "cli" in parts:
        progress("CLI rate")
        res["cli"] = repeated([cli, "rate", "--operators", str(ops), "--facilities", str(fac), "--as-of", AS_OF,
                               "--format", "csv", "-o", str(workdir / "out-rate.csv")],
                              workdir / "cli-rate.log", args.repeat)  # fmt: skip
    if "pandas" in parts:
        progress("pandas read_csv (default)")
        res["pandas_default"] = pandas_read([ops, fac], {}, workdir / "pandas.log", args.repeat)
        progress("pandas read_csv (keep_default_na=False, ids as str)")
        res["pandas_typed"] = pandas_read([ops, fac], TYPED, workdir / "pandas.log", args.repeat)
    if "events" in parts:
        progress("CLI reviews summarize")
        res["cli_events"] = repeated([cli, "reviews", "summarize", "--operators", str(ops_rev), "--events", str(ev),
                                      "--as-of", AS_OF, "--format", "csv", "-o", str(workdir / "out-reviews.csv")],
                                     workdir / "cli-reviews.log", args.repeat)  # fmt: skip
        if not args.skip_python:
            progress("Python ReviewAggregator")
            res["py_events"] = events_python(ops_rev, ev, args.repeat)
    if "python" in parts and not args.skip_python:
        res["py_rate"] = rating_python(py_n, args.repeat, ops, fac)
    res["loadavg_after"] = os.getloadavg()

    # report: wall clock (what the targets name) and CPU seconds (user + system of the child, or
    # process_time in this process: steadier on a shared machine)
    mb = lambda b: f"{b / 1e6:8.1f} MB"  # noqa: E731
    wc = lambda w, c: f"{w:8.2f} s wall {c:8.2f} s CPU"  # noqa: E731
    ev_mb = man["bytes"]["reviews.csv"] / 1e6
    print(f"load average before {res['loadavg_before']}, after {res['loadavg_after']}")
    print("ratios: wall (CPU)")
    c = res.get("cli")
    if isinstance(c, dict):  # without --only cli, res["cli"] is the CLI's path
        if "wall_s" in c:
            print(f"CLI rate end to end                {wc(c['wall_s'], c['cpu_s'])}   peak RSS {mb(c['peak_rss'])}"
                  f"   runs: " + ", ".join(f"{r['wall_s']:.1f}/{r['cpu_s']:.1f} s" for r in c["runs"]))  # fmt: skip
            res["ratio_rss_vs_input"] = c["peak_rss"] / in_bytes
            print(f"  peak RSS / input bytes: {res['ratio_rss_vs_input']:.2f}   (target <= 2)")
        if c["failed"]:
            print(f"  {c['failed']} of {len(c['runs'])} runs FAILED (exit {c['runs'][-1]['rc']}): {c['runs'][-1]['log_tail'][-600:]}")
    for name, label in (("pandas_default", "pd.read_csv(path)"), ("pandas_typed", "pd.read_csv(path, typed)")):
        p = res.get(name)
        if p:
            print(f"{label:34s} {wc(p['read_s'], p['read_cpu_s'])}   peak RSS {mb(p['peak_rss'])}"
                  f" ({mb(p['peak_rss_minus_import']).strip()} above import; memory_usage(deep=True) {mb(p['frame_bytes']).strip()})")  # fmt: skip
            if c and "wall_s" in c:
                res[f"ratio_{name}_vs_cli"] = p["read_s"] / c["wall_s"]
                res[f"ratio_{name}_vs_cli_cpu"] = p["read_cpu_s"] / c["cpu_s"]
                print(f"  read_csv time / CLI time: {res[f'ratio_{name}_vs_cli']:.3f} ({res[f'ratio_{name}_vs_cli_cpu']:.3f})"
                      "   (target >= 2)")  # fmt: skip
    ce = res.get("cli_events")
    if ce:
        if "wall_s" in ce:
            res["cli_events_MBps"], res["cli_events_MBps_cpu"] = ev_mb / ce["wall_s"], ev_mb / ce["cpu_s"]
            print(f"CLI reviews summarize              {wc(ce['wall_s'], ce['cpu_s'])}   {res['cli_events_MBps']:6.1f} "
                  f"({res['cli_events_MBps_cpu']:.1f}) MB/s (target >= 200)   peak RSS {mb(ce['peak_rss'])}")  # fmt: skip
        if ce["failed"]:
            print(f"  {ce['failed']} runs FAILED: {ce['runs'][-1]['log_tail'][-600:]}")
    pe = res.get("py_events")
    if pe:
        a = pe["add_csv"]
        res["py_add_csv_MBps"], res["py_add_csv_MBps_cpu"] = ev_mb / a["s"], ev_mb / a["cpu_s"]
        print(f"ReviewAggregator.add_csv           {wc(a['s'], a['cpu_s'])}   {res['py_add_csv_MBps']:6.1f} "
              f"({res['py_add_csv_MBps_cpu']:.1f}) MB/s (target >= 200)")  # fmt: skip
        print(f"  {pe['operators']} operators; events {pe['events_seen']}, records {pe['records_kept']}, rejects {pe['rejects']};"
              f" state {mb(pe['memory_bytes']).strip()}; summary(as_of) afterwards {wc(pe['summary']['s'], pe['summary']['cpu_s'])}")  # fmt: skip
        r = pe["read_csv"]
        print(f"pd.read_csv(reviews.csv)           {wc(r['s'], r['cpu_s'])}")
        if "add_frame" in pe:
            f = pe["add_frame"]
            both, both_cpu = r["s"] + f["s"], r["cpu_s"] + f["cpu_s"]
            res["py_add_frame_MBps"], res["py_read_and_add_frame_MBps"] = ev_mb / f["s"], ev_mb / both
            print(f"ReviewAggregator.add(frame)        {wc(f['s'], f['cpu_s'])}   {res['py_add_frame_MBps']:6.1f} MB/s;"
                  f" with read_csv {both:.2f} s ({both_cpu:.2f} s CPU), {res['py_read_and_add_frame_MBps']:.1f} MB/s;"
                  f" state == add_csv's: {pe['add_frame_equal_add_csv']}")  # fmt: skip
        else:
            print(f"ReviewAggregator.add(frame) failed: {pe['add_frame_error']}")
    pr = res.get("py_rate")
    if pr:
        ms = lambda t: f"{1e3 * t['s']:7.0f} ms wall {1e3 * t['cpu_s']:7.0f} ms CPU"  # noqa: E731
        for key, label in (("frame", "bench_rate.py's frame"), ("csv_frames", "frames read from the CSV files, with facilities")):
            r = pr[key]
            print(f"Python rating, {pr['n']} operators, {label}:")
            print(f"  Model.rate(Dataset(...), as_of)  {ms(r['py_e2e'])}   runs: " + ", ".join(f"{1e3 * t:.0f}" for t in r["py_e2e"]["all"]))
            print(f"  Dataset → C++ dataset (_core_for){ms(r['build'])}")
            print(f"  _core.rate, first call (hash)    {ms(r['core_first'])}   ratio {r['ratio_vs_core_first_s']:.2f}x"
                  f" ({r['ratio_vs_core_first_cpu_s']:.2f}x)   (target <= 1.1)")  # fmt: skip
            print(f"  _core.rate, hash cached          {ms(r['core_cached'])}   ratio {r['ratio_vs_core_cached_s']:.2f}x"
                  f" ({r['ratio_vs_core_cached_cpu_s']:.2f}x)")  # fmt: skip
            print(f"  _core.rate, no hash              {ms(r['core_nohash'])}")
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2, default=str) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
