"""Pickles of Ratings and Scored (issue 10 item 5): state version 2 (the archive + the dataset)
against state version 1 (model TOML + dataset + as_of, rated or scored again on loading), in the
same process on the same objects. Prints CPU seconds per pickle.loads (median of `--repeat`) and
the ratio new ÷ old, and the pickle sizes. The dataset is the sample repeated `--copies` times.

    .venv/bin/python bench/python/bench_pickle_archives.py --copies 100 --repeat 5
"""

from __future__ import annotations

import argparse
import pickle
import statistics
import sys
import time
import warnings
from pathlib import Path

import embedrating as er

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from reference.data import tiled_dataset  # noqa: E402


def cpu(f, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t = time.process_time()
        f()
        times.append(time.process_time() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    model = er.default_model()
    data = tiled_dataset(er.load_sample(model), a.copies)
    as_of = "2025-12-31"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ratings = model.rate(data, as_of=as_of)
        scored = model.score(data, as_of=as_of)
    old_r = {"version": 1, "model": model.to_toml(), "dataset": data, "as_of": as_of}
    old_s = {"version": 1, "model": model, "dataset": data, "as_of": as_of}
    print(f"{len(ratings)} operators")
    for name, obj, old in (("Ratings", ratings, old_r), ("Scored", scored, old_s)):
        new_bytes = pickle.dumps(obj, protocol=5)
        old_bytes = pickle.dumps(old, protocol=5)

        def load_old(cls=type(obj), old_bytes=old_bytes):  # type: ignore[no-untyped-def]
            blank = cls.__new__(cls)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                blank.__setstate__(pickle.loads(old_bytes))

        t_new = cpu(lambda b=new_bytes: pickle.loads(b), a.repeat)
        t_old = cpu(load_old, a.repeat)
        print(
            f"{name}: loads {t_new * 1e3:.1f} ms (state 2) vs {t_old * 1e3:.1f} ms (state 1): "
            f"{t_new / t_old:.2f}x; pickle {len(new_bytes) / 1e6:.1f} MB vs {len(old_bytes) / 1e6:.1f} MB"
        )


if __name__ == "__main__":
    main()
