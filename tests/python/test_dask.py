"""embedrating.dask on a real distributed.LocalCluster (two worker processes, started here):
results equal the single-process ones exactly whatever the partitioning, the work runs on both
workers, and a worker killed mid-computation changes nothing (issue 16)."""

from __future__ import annotations

import importlib.util
import os
import signal
import sys
import time
from pathlib import Path

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest
from distributed import Client, LocalCluster, get_task_stream

import embedrating as er
import embedrating.dask as erd

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2025-12-31"


def _generator():
    spec = importlib.util.spec_from_file_location("make_parquet_events", ROOT / "bench" / "python" / "make_parquet_events.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def client():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      worker_dashboard_address=None) as cluster, Client(cluster) as c:
        c.wait_for_workers(2)
        yield c


@pytest.fixture(scope="module")
def million(tmp_path_factory):
    """10^6 synthetic events written hive-partitioned by month, and the single-process state."""
    gen = _generator()
    out = tmp_path_factory.mktemp("events")
    df = gen.make_events(1_000_000, gen.operator_ids(), seed=3)
    gen.write(df, out, rows_per_file=100_000, seed=3)
    ids = gen.operator_ids()
    whole = pd.read_parquet(out).drop(columns="month")
    single = er.ReviewAggregator(ids).add(whole)
    return out, ids, single


def _ran_on(ts: list[dict], prefix: str) -> set[str]:
    return {t["worker"] for t in ts if str(t["key"]).startswith(f"('{prefix}") or str(t["key"]).startswith(prefix)}


# -- aggregation -----------------------------------------------------------------------------


def test_sample_events_aggregate_to_the_single_process_state_on_both_workers(client, sample):
    events = sample.reviews
    single = er.ReviewAggregator(sample).add(events)
    shuffled = events.sample(frac=1.0, random_state=5)
    ddf = dd.from_pandas(shuffled, npartitions=9, sort=False)
    with get_task_stream(client) as ts:
        merged = erd.aggregate_reviews(ddf, sample, split_every=3)
    assert isinstance(merged, er.ReviewAggregator)
    assert merged == single
    assert merged.events_seen == len(events) and merged.records_kept == single.records_kept
    pdt.assert_frame_equal(merged.summary(AS_OF), single.summary(AS_OF), check_exact=True)
    workers = _ran_on(ts.data, "er-state")
    assert len(workers) == 2, f"partition states ran on {workers}"


def test_a_reviewers_reviews_and_a_reviews_revisions_in_different_partitions_change_nothing(client, sample):
    events = sample.reviews.reset_index(drop=True)
    revised = events.groupby("review_id")["revision"].nunique()
    rid = revised[revised > 1].index[0]
    by_reviewer = events.groupby("reviewer_id")["review_id"].nunique()
    uid = by_reviewer[by_reviewer > 2].index[0]
    # adversarial layout: the latest revision first, every revision and every review of that
    # reviewer in its own partition, the rest after
    special = pd.concat([
        events[events["review_id"] == rid].sort_values("revision", ascending=False),
        events[(events["reviewer_id"] == uid) & (events["review_id"] != rid)],
    ])
    rest = events.drop(special.index)
    parts = [special.iloc[[i]] for i in range(len(special))] + [rest.iloc[: len(rest) // 2], rest.iloc[len(rest) // 2 :]]
    assert sum(p["review_id"].eq(rid).any() for p in parts) >= 2
    assert sum(p["reviewer_id"].eq(uid).any() for p in parts) >= 3
    ddf = dd.concat([dd.from_pandas(p, npartitions=1, sort=False) for p in parts])
    merged = erd.aggregate_reviews(ddf, sample, split_every=2)
    single = er.ReviewAggregator(sample).add(events)
    assert merged == single
    pdt.assert_frame_equal(merged.summary(AS_OF), single.summary(AS_OF), check_exact=True)
    # and the layout matters to a naive method: the first revision seen is not the latest
    assert parts[0]["revision"].iloc[0] == events.loc[events["review_id"] == rid, "revision"].max()


def test_a_million_parquet_events_aggregate_exactly_on_both_workers(client, million):
    path, ids, single = million
    assert single.events_seen > 1_000_000 and len(single.rejects) == 0
    ddf = erd.read_events(path)
    assert ddf.npartitions >= 10 and "month" not in ddf.columns
    with get_task_stream(client) as ts:
        merged = erd.aggregate_reviews(ddf, ids)
    assert merged == single
    pdt.assert_frame_equal(merged.summary(AS_OF), single.summary(AS_OF), check_exact=True)
    assert len(_ran_on(ts.data, "er-state")) == 2


def test_bad_rows_are_counted_as_in_one_process_and_named_by_partition(client, sample):
    events = sample.reviews.reset_index(drop=True).copy()
    events.loc[7, "level"] = "9"
    events.loc[20_000, "operator_id"] = "WH-NOPE-0001"
    single = er.ReviewAggregator(sample).add(events)
    merged = erd.aggregate_reviews(dd.from_pandas(events, npartitions=4, sort=False), sample)
    pdt.assert_series_equal(merged.rejects["count"], single.rejects["count"])
    assert merged.records_kept == single.records_kept
    examples = [e for ex in merged.rejects["examples"] for e in ex]
    assert any(e.startswith("partition 0") and "7" in e for e in examples), examples
    assert any(e.startswith("partition 1") and "20000" in e for e in examples), examples


def test_bad_arguments_are_refused_before_anything_runs(sample):
    with pytest.raises(TypeError, match="Dask DataFrame"):
        erd.aggregate_reviews([1, 2, 3], sample)
    with pytest.raises(ValueError, match="split_every"):
        erd.aggregate_reviews(sample.reviews, sample, split_every=1)
    with pytest.raises(er.DataError, match="operator_id"):
        erd.aggregate_reviews(sample.reviews, pd.DataFrame({"id": ["x"]}))


def test_read_events_names_a_missing_column(tmp_path):
    pd.DataFrame({"review_id": ["R1"], "operator_id": ["WH-JA-0001"], "time": ["2025-01-01"]}).to_parquet(tmp_path / "e.parquet")
    with pytest.raises(er.DataError, match="reviewer_id") as e:
        erd.read_events(tmp_path / "e.parquet")
    assert "e.parquet" in str(e.value)


# -- rating ----------------------------------------------------------------------------------


def test_rate_equals_the_single_process_ratings(client, model, sample):
    single = model.rate(sample, AS_OF).to_frame()
    with get_task_stream(client) as ts:
        out = erd.rate(sample, model, as_of=AS_OF, npartitions=5)
        got = out.compute()
    assert isinstance(out, dd.DataFrame) and out.npartitions == 5
    pdt.assert_frame_equal(got.reset_index(drop=True), single.reset_index(drop=True), check_exact=True)
    assert len(_ran_on(ts.data, "er-rate")) == 2


def test_rate_with_review_events_from_dask_equals_the_single_process_ratings(client, model, sample):
    single = model.rate(sample, AS_OF).to_frame()
    events = dd.from_pandas(sample.reviews.sample(frac=1.0, random_state=1), npartitions=6, sort=False)
    plain = er.Dataset(sample.operators, sample.indicators, facilities=sample.facilities)
    got = erd.rate(plain, model, as_of=AS_OF, reviews=events, npartitions=3).compute()
    pdt.assert_frame_equal(got.reset_index(drop=True), single.reset_index(drop=True), check_exact=True)


# -- Monte Carlo -----------------------------------------------------------------------------


def test_monte_carlo_split_over_workers_equals_the_single_process_run(client, model, sample):
    kw = dict(draws=300, seed=11, as_of=AS_OF, cutoff_jitter=4.0)
    single = er.sensitivity.monte_carlo(model, sample, quantiles=(), progress=False, **kw)
    with get_task_stream(client) as ts:
        split = erd.monte_carlo(model, sample, chunks=7, **kw)
    for name in ("operators", "distribution", "per_draw", "weights", "cutoffs"):
        pdt.assert_frame_equal(getattr(split, name), getattr(single, name), check_exact=True, obj=name)
    assert np.array_equal(split.counts, single.counts)
    assert len(_ran_on(ts.data, "er-mc")) == 2
    # another seed is another result: the comparison can fail
    other = erd.monte_carlo(model, sample, chunks=3, **{**kw, "seed": 12})
    assert not np.array_equal(other.counts, single.counts)


# -- last: a worker killed (the cluster is left with one worker while its nanny restarts it) ----


def test_a_worker_killed_mid_computation_leaves_the_result_exact(client, million):
    path, ids, single = million

    def slow(part: pd.DataFrame) -> pd.DataFrame:
        time.sleep(0.3)  # as slow storage would be: the kill lands while partitions are in flight
        return part

    ddf = erd.read_events(path).repartition(npartitions=24)
    ddf = ddf.map_partitions(slow, meta=ddf._meta)
    future = client.compute(erd.aggregate_reviews_delayed(ddf, ids, split_every=4))

    def states_in_memory(dask_scheduler):  # noqa: ANN001 - runs on the scheduler
        held = {}
        for ts in dask_scheduler.tasks.values():
            if "er-state" in str(ts.key) and ts.state == "memory":
                for w in ts.who_has:
                    held[w.address] = held.get(w.address, 0) + 1
        return held

    deadline = time.monotonic() + 60
    held: dict = {}
    while time.monotonic() < deadline and sum(held.values()) < 4:
        held = client.run_on_scheduler(states_in_memory)
        time.sleep(0.05)
    assert not future.done(), "the computation ended before a worker could be killed"
    victim = max(held, key=held.get)
    pids = client.run(os.getpid)
    os.kill(pids[victim], signal.SIGKILL)
    merged = future.result(timeout=120)
    assert merged == single
    # the victim really died (its nanny starts a new worker process, slowly on a loaded machine:
    # this test runs last)
    assert pids[victim] not in client.run(os.getpid).values()
