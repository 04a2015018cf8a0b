"""numpy out without copies (views that keep their owner alive), and the GIL released while the
C++ core works."""

from __future__ import annotations

import gc
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import embedrating as er
from embedrating import _core
from _helpers import SAMPLE_AS_OF

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from reference.data import tiled_dataset  # noqa: E402 — the sample repeated with distinct ids


def test_result_arrays_are_read_only_views_of_the_cpp_result(ratings: er.Ratings, model: er.Model) -> None:
    n = len(ratings)
    total = ratings.total_centi
    assert total.dtype == np.int32 and total.shape == (n,)  # compact results: centi-points in int32
    assert isinstance(total.base, _core.Ratings)  # the owning C++ object
    assert np.shares_memory(total, ratings.total_centi)  # no copy on each access
    assert not total.flags.writeable
    with pytest.raises(ValueError):
        total[0] = 1
    dims = ratings.dimension_centi
    assert dims.shape == (n, len(model.dimensions)) and dims.dtype == np.int32
    assert np.shares_memory(dims, ratings.dimension_centi)
    assert np.array_equal(dims.sum(axis=1), total)  # points are exact integers
    assert ratings.node_centi.shape == (n, len(model.indicators))
    assert ratings.indicator_score.shape == (n, len(model.weights))
    for name, dtype in (("final_grade", np.int8), ("grade_by_score", np.int8), ("status", np.uint8),
                        ("terminate", np.uint8)):  # fmt: skip
        a = getattr(ratings, name)
        assert a.dtype == dtype and isinstance(a.base, _core.Ratings), name
    assert np.array_equal(ratings.dimension_points, dims / 100.0)


def test_views_keep_the_result_alive(model: er.Model, sample: er.Dataset) -> None:
    r = model.rate(sample, as_of=SAMPLE_AS_OF)
    total, dims = r.total_centi, r.dimension_centi
    expected = total.copy(), dims.copy()
    del r
    gc.collect()
    junk = [np.full(10_000, -1, dtype=np.int64) for _ in range(50)]  # reuse freed memory, if any
    assert np.array_equal(total, expected[0]) and np.array_equal(dims, expected[1])
    del junk


def test_estimators_take_read_only_arrays() -> None:
    good = np.linspace(0, 50, 1000)
    n = np.full(1000, 50.0)
    good.setflags(write=False)
    n.setflags(write=False)
    out = er.reviews.wilson_lower_bound(good, n)
    assert out.shape == (1000,) and out.dtype == np.float64
    assert out[0] == 0.0 and np.all(np.diff(out) > 0)


@pytest.mark.slow
def test_rating_releases_the_gil(model: er.Model, sample: er.Dataset) -> None:
    big = tiled_dataset(sample, 334)  # 100 200 operators, 137 608 sites
    big.validate(model)  # build the C++ dataset now: the timed call is (almost) all C++
    assert len(big) == 100_200

    count = 0
    stop = threading.Event()

    def spin() -> None:
        nonlocal count
        while not stop.is_set():
            count += 1

    def spin_rate(seconds: float) -> float:
        start, t0 = count, time.perf_counter()
        time.sleep(seconds)
        return (count - start) / (time.perf_counter() - t0)

    thread = threading.Thread(target=spin, daemon=True)
    thread.start()
    try:
        alone = spin_rate(0.2)  # increments per second while the main thread sleeps
        before, t0 = count, time.perf_counter()
        r = model.rate(big, as_of=SAMPLE_AS_OF)
        elapsed = time.perf_counter() - t0
        during = count - before
    finally:
        stop.set()
        thread.join()
    assert len(r) == 100_200
    assert elapsed > 0.05, "the rating was too quick to measure"
    # Holding the GIL, the spinning thread would advance only between the Python statements
    # around the C++ call (well under 10 % of the time); released, it runs alongside.
    assert during > 0.3 * alone * elapsed, (during, alone, elapsed)


@pytest.mark.slow
def test_adding_arrays_releases_the_gil(model: er.Model, sample: er.Dataset) -> None:
    agg = er.ReviewAggregator(sample, model)
    ev = pd.concat([sample.reviews] * 25, ignore_index=True)  # ~1M events (duplicates change nothing)
    from test_reviews import _arrays

    arrays = _arrays(ev, agg)
    count = 0
    stop = threading.Event()

    def spin() -> None:
        nonlocal count
        while not stop.is_set():
            count += 1

    thread = threading.Thread(target=spin, daemon=True)
    thread.start()
    try:
        time.sleep(0.05)
        s0, t0 = count, time.perf_counter()
        time.sleep(0.1)
        alone = (count - s0) / (time.perf_counter() - t0)
        before, t0 = count, time.perf_counter()
        agg.add(**arrays)
        elapsed = time.perf_counter() - t0
        during = count - before
    finally:
        stop.set()
        thread.join()
    assert agg.events_seen == len(ev)
    assert elapsed > 0.02
    assert during > 0.3 * alone * elapsed, (during, alone, elapsed)
