#!/usr/bin/env python3
"""Crash soak of examples/rating_service.cpp (issue 15).

Generates a stream of review events (default 10^6, over the shipped sample's operators, with
revisions, voids, bad reviews, rejects and in-band ``#rate`` commands), runs the service once
cleanly, then runs it again from scratch while killing it with SIGKILL at random points — at
least ``--kills`` times, at least ``--in-checkpoint`` of them inside a checkpoint write — and
restarting it after every kill, until the stream is consumed. Checks:

* after every kill the checkpoint loads (``--check``) and never goes backwards;
* the final checkpoint is byte-for-byte the clean run's (same events seen, same state: no event
  lost, none counted twice);
* no temporary file is left in the work directory.

Prints one line per kill and a JSON summary (also written to ``--summary``). Exit status 0 when
every check holds. Python standard library only; no timed assertion (delays only pace the kills).

    python3 tests/soak/crash_soak.py --service build/embedrating_rating_service [--events 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def generate_events(path: Path, n: int, operators: list[str], seed: int) -> None:
    rng = random.Random(seed)
    reviews = max(1, n // 4)
    t0 = 1730419200  # 2024-11-01T00:00:00Z
    span = 420 * 86400
    with path.open("w", encoding="utf-8", newline="\n") as f:
        f.write("review_id,revision,operator_id,reviewer_id,time,level,scenario,status,rectified_at,followed_up_at,service_record_id\n")
        for i in range(n):
            if i and i % 250000 == 0:
                f.write("#rate 2025-12-31\n")
            rid = rng.randrange(reviews)
            rev = rng.randrange(4)
            op = operators[rid % len(operators)] if rng.random() > 0.003 else "WH-UNKNOWN"
            t = t0 + (rid * 7919) % span
            level = rng.choice("5555444321") if rng.random() > 0.002 else "9"
            status = "void" if rng.random() < 0.02 else "valid"
            rect = ""
            if level in "12" and rev >= 1:
                rect = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t + 86400 * (1 + rid % 30)))
            rec = f"SR{rid}" if rid % 3 == 0 else ""
            f.write(f"{rid},{rev},{op},U{rid % 20011},{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(t))},{level},,{status},{rect},,{rec}\n")


class Service:
    def __init__(self, exe: str, work: Path, state: Path, events: Path, every: int, ratings: Path) -> None:
        self.exe, self.work, self.state, self.events, self.every, self.ratings = exe, work, state, events, every, ratings
        self.operators = str(ROOT / "data/sample/operators.csv")
        self.facilities = str(ROOT / "data/sample/facilities.csv")

    def args(self) -> list[str]:
        return [self.exe, "--operators", self.operators, "--facilities", self.facilities, "--state", str(self.state),
                "--events", str(self.events), "--every", str(self.every), "--seconds", "100000",
                "--ratings", str(self.ratings)]

    def start(self, log: Path) -> subprocess.Popen:
        return subprocess.Popen(self.args(), stdout=subprocess.DEVNULL, stderr=log.open("wb"),
                                env={**os.environ, "EMBEDRATING_DATA_DIR": str(ROOT / "data")})

    def check(self) -> int | None:
        """Events in the checkpoint (None when there is none yet); raises if it does not load."""
        if not self.state.exists():
            return None
        r = subprocess.run([self.exe, "--operators", self.operators, "--facilities", self.facilities,
                            "--state", str(self.state), "--check"], capture_output=True, text=True,
                           env={**os.environ, "EMBEDRATING_DATA_DIR": str(ROOT / "data")})
        if r.returncode != 0:
            raise RuntimeError(f"unreadable checkpoint: {r.stderr.strip()}")
        return int(r.stderr.split("resume at event ")[1].split()[0])


def lines(log: Path) -> list[str]:
    try:
        return log.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return []


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--service", required=True)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--kills", type=int, default=50)
    ap.add_argument("--in-checkpoint", type=int, default=10)
    ap.add_argument("--every", type=int, default=0, help="checkpoint every N events (default: events / 60)")
    ap.add_argument("--work", default="build/soak")
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--summary", default="")
    o = ap.parse_args()

    work = Path(o.work)
    work.mkdir(parents=True, exist_ok=True)
    for p in work.iterdir():
        if p.is_file():
            p.unlink()
    rng = random.Random(o.seed)
    operators = [l.split(",", 1)[0] for l in (ROOT / "data/sample/operators.csv").read_text(encoding="utf-8").splitlines()[1:]]
    events = work / "events.csv"
    t = time.monotonic()
    generate_events(events, o.events, operators, o.seed)
    every = o.every or max(1000, o.events // 60)
    print(f"soak: {o.events} events in {events} ({events.stat().st_size >> 20} MiB, {time.monotonic() - t:.1f}s); checkpoint every {every}")

    # the clean run
    clean = Service(o.service, work, work / "clean.eragg", events, every, work / "clean-ratings.csv")
    t = time.monotonic()
    p = clean.start(work / "clean.log")
    if p.wait() != 0:
        print((work / "clean.log").read_text(), file=sys.stderr)
        return 1
    clean_seconds = time.monotonic() - t
    clean_events = clean.check()
    print(f"clean run: {clean_seconds:.1f}s, {clean_events} events")

    soak = Service(o.service, work, work / "soak.eragg", events, every, work / "soak-ratings.csv")
    kills = in_checkpoint = runs = 0
    last_events = 0
    unreadable = 0
    # a random kill lands this long after the service has resumed: about one checkpoint interval
    interval = clean_seconds / max(1, o.events / every)
    while True:
        runs += 1
        log = work / f"run-{runs}.log"
        p = soak.start(log)
        want_kill = kills < o.kills or in_checkpoint < o.in_checkpoint
        if not want_kill:
            if p.wait() != 0:
                print(log.read_text(), file=sys.stderr)
                return 1
            break
        targeted = in_checkpoint < o.in_checkpoint and (rng.random() < 0.5 or o.kills - kills <= o.in_checkpoint - in_checkpoint)
        # wait for the service to resume (it prints "resume at event N")
        while p.poll() is None and not any(l.startswith("resume") for l in lines(log)):
            time.sleep(0.002)
        if targeted:
            # kill right after the second "checkpoint begin" of this run (the first one commits)
            while p.poll() is None and sum(l.startswith("checkpoint begin") for l in lines(log)) < 2:
                time.sleep(0.0005)
            time.sleep(rng.uniform(0, 0.003))
        else:
            time.sleep(rng.uniform(0.2, 2.5) * interval)
        if p.poll() is not None:  # finished (or failed) before the kill
            if p.returncode != 0:
                print(log.read_text(), file=sys.stderr)
                return 1
            print(f"run {runs}: finished before the kill")
            break
        p.send_signal(signal.SIGKILL)
        p.wait()
        kills += 1
        tail = [l for l in lines(log) if l.startswith("checkpoint")]
        inside = bool(tail) and tail[-1].startswith("checkpoint begin")
        in_checkpoint += inside
        try:
            now = soak.check() or 0
        except RuntimeError as e:
            unreadable += 1
            print(f"kill {kills}: {e}", file=sys.stderr)
            now = last_events
        if now < last_events:
            print(f"kill {kills}: the checkpoint went back from {last_events} to {now}", file=sys.stderr)
            return 1
        last_events = now
        print(f"kill {kills} ({'inside a checkpoint write' if inside else 'random'}): checkpoint at event {now}")

    final_equal = (work / "soak.eragg").read_bytes() == (work / "clean.eragg").read_bytes()
    soak_events = soak.check()
    leftovers = sorted(p.name for p in work.iterdir() if ".tmp" in p.name)
    summary = {
        "events": o.events,
        "events_seen_clean": clean_events,
        "events_seen_soak": soak_events,
        "events_lost": (clean_events or 0) - (soak_events or 0),
        "kills": kills,
        "kills_inside_checkpoint_write": in_checkpoint,
        "runs": runs,
        "unreadable_checkpoints": unreadable,
        "final_state_equal_to_clean_run": final_equal,
        "temporary_files_left": leftovers,
        "ratings_equal": (work / "soak-ratings.csv").read_bytes() == (work / "clean-ratings.csv").read_bytes()
        if (work / "soak-ratings.csv").exists() else None,
    }
    print(json.dumps(summary, indent=2))
    if o.summary:
        Path(o.summary).write_text(json.dumps(summary, indent=2) + "\n")
    ok = (final_equal and unreadable == 0 and not leftovers and kills >= o.kills and in_checkpoint >= o.in_checkpoint
          and summary["events_lost"] == 0 and o.events >= 1 and soak_events == clean_events)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
