"""Review aggregation from DataFrames and arrays, merging, summaries, archives, estimators."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import embedrating as er
from embedrating import _core
from embedrating.reviews import review_keys
from _helpers import SAMPLE_AS_OF

REVIEW_COLUMNS = ["stars_1", "stars_2", "stars_3", "stars_4", "stars_5",
                  "bad_open", "bad_closed_in_time", "bad_overdue", "bad_followed_up"]  # fmt: skip


@pytest.fixture(scope="module")
def from_csv(model: er.Model, sample: er.Dataset, sample_dir: Path) -> er.ReviewAggregator:
    return er.ReviewAggregator(sample, model).add_csv(sample_dir / "reviews.csv")


@pytest.fixture(scope="module")
def from_frame(model: er.Model, sample: er.Dataset) -> er.ReviewAggregator:
    return er.ReviewAggregator(sample, model).add(sample.reviews)


def test_a_frame_aggregates_like_the_csv_reader(from_csv: er.ReviewAggregator, from_frame: er.ReviewAggregator) -> None:
    assert from_frame == from_csv
    assert from_frame.events_seen == 41313
    assert from_frame.records_kept == from_csv.records_kept
    assert from_frame.rejects["count"].sum() == 0
    assert from_frame.serialize() == from_csv.serialize()


def test_summary_reproduces_the_sample_review_columns(from_frame: er.ReviewAggregator, sample: er.Dataset) -> None:
    s = from_frame.summary(SAMPLE_AS_OF)
    assert s.columns[0] == "operator_id"
    assert s.operator_id.tolist() == sample.operator_ids
    expected = sample.indicators.set_index("operator_id").loc[s.operator_id, REVIEW_COLUMNS]
    assert np.array_equal(s[REVIEW_COLUMNS].to_numpy(dtype=float), expected.to_numpy(dtype=float))
    assert np.array_equal(s[[f"count_{k}" for k in range(1, 6)]].to_numpy(), s[REVIEW_COLUMNS[:5]].to_numpy())
    for col in ("valid_n", "effective_n", "satisfaction_index", "satisfaction_rate", "wilson_lower", "jeffreys_lower",
                "jeffreys_upper", "bayes_rate", "bayes_index", "eb_rate", "low_volume"):  # fmt: skip
        assert col in s.columns
    assert s.low_volume.dtype == bool
    assert s.attrs["as_of"].isoformat() == SAMPLE_AS_OF
    assert s.attrs["events_seen"] == 41313
    with pytest.raises(TypeError, match="the clock is never read"):
        from_frame.summary(None)  # type: ignore[arg-type]


def test_frame_time_types_agree(model: er.Model, sample: er.Dataset, from_csv: er.ReviewAggregator) -> None:
    ev = sample.reviews.copy()
    ev["time"] = pd.to_datetime(ev["time"], format="ISO8601")  # tz-aware instants
    ev["rectified_at"] = pd.to_datetime(ev["rectified_at"], format="ISO8601")
    ev["review_id"] = ev["review_id"].astype(np.int64)  # numeric ids are their own keys
    assert er.ReviewAggregator(sample, model).add(ev) == from_csv
    naive = sample.reviews.copy()  # naive datetimes are China Standard Time
    naive["time"] = pd.to_datetime(naive["time"], format="ISO8601").dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
    assert er.ReviewAggregator(sample, model).add(naive) == from_csv


def _arrays(ev: pd.DataFrame, agg: er.ReviewAggregator) -> dict[str, np.ndarray]:
    index = pd.Index(agg.operator_ids)
    levels = {"good": 5, "bad": 1, **{str(k): k for k in range(1, 6)}}
    times, bad = _core.parse_times(ev["time"].tolist())
    assert not bad
    rect, _ = _core.parse_times(ev["rectified_at"].tolist())
    foll, _ = _core.parse_times(ev["followed_up_at"].tolist())
    return {
        "review_key": review_keys(ev["review_id"]),
        "operator_index": index.get_indexer(ev["operator_id"]).astype(np.uint32),
        "reviewer_key": review_keys(ev["reviewer_id"]),
        "time": times,
        "level": ev["level"].map(levels).to_numpy(dtype=np.int8),
        "revision": ev["revision"].to_numpy(dtype=np.uint32),
        "status": ev["status"].map({"valid": 0, "pending": 1, "void": 2}).to_numpy(dtype=np.uint8),
        "rectified_at": rect,
        "followed_up_at": foll,
        "has_service_record": ev["service_record_id"].notna().to_numpy(dtype=np.uint8),
    }


def test_arrays_aggregate_like_the_frame(model: er.Model, sample: er.Dataset, from_csv: er.ReviewAggregator) -> None:
    agg = er.ReviewAggregator(sample.operator_ids, model)
    arrays = _arrays(sample.reviews, agg)
    for a in arrays.values():
        a.setflags(write=False)  # read-only arrays (pandas copy-on-write) are fine: only read
    assert agg.add(**arrays) is agg
    assert agg == from_csv


def test_arrays_of_exact_dtypes_are_used_in_place(sample: er.Dataset, model: er.Model) -> None:
    agg = er.ReviewAggregator(sample, model)
    arrays = _arrays(sample.reviews.iloc[:100], agg)
    passed = er.ReviewAggregator._batch_arrays(arrays)
    for name, a in arrays.items():
        assert passed[name] is a, name  # the very array goes to review_batch: no copy
    # other dtypes are converted (checked) first; the core itself accepts exact dtypes only
    converted = er.ReviewAggregator._batch_arrays({**arrays, "level": arrays["level"].astype(np.int64)})
    assert converted["level"].dtype == np.int8 and converted["level"] is not arrays["level"]
    with pytest.raises(TypeError):
        agg._core.add_batch(**{**arrays, "level": arrays["level"].astype(np.int64)})
    with pytest.raises(TypeError):
        agg._core.add_batch(**{**arrays, "time": arrays["time"][::-1][::-1].repeat(2)[::2]})  # strided
    with pytest.raises(er.DataError, match="do not fit int8"):
        agg.add(**{**arrays, "level": arrays["level"].astype(np.int64) * 100})
    with pytest.raises(er.DataError, match="level: review batch: array has 99 elements"):
        agg.add(**{**arrays, "level": arrays["level"][:99]})


def test_merge_of_any_split_in_any_order(model: er.Model, sample: er.Dataset, from_csv: er.ReviewAggregator) -> None:
    ev = sample.reviews
    rng = np.random.default_rng(3)
    part = rng.integers(0, 3, len(ev))
    pieces = [er.ReviewAggregator(sample, model).add(ev[part == k]) for k in range(3)]
    for order in ((0, 1, 2), (2, 0, 1)):
        merged = er.ReviewAggregator(sample, model)
        for k in order:
            merged.merge(pieces[k])
        assert merged == from_csv
    other = er.ReviewAggregator(sample.operator_ids[:10], model)
    with pytest.raises(er.DataError, match="different operator lists"):
        other.merge(pieces[0])


BAD_EVENTS = """\
review_id,revision,operator_id,reviewer_id,time,level,scenario,status,rectified_at,followed_up_at,service_record_id
9000001,1,WH-JA-0001,U1,2025-06-01T10:00:00+08:00,5,,valid,,,
9000002,1,WH-JA-0001,,2025-06-01T10:00:00+08:00,5,,valid,,,
9000003,1,WH-NOPE-01,U3,2025-06-01T10:00:00+08:00,5,,valid,,,
9000004,1,WH-JA-0001,U4,2025-06-01T10:00:00+08:00,7,,valid,,,
9000005,1,WH-JA-0001,U5,yesterday,5,,valid,,,
9000006,1,WH-JA-0001,U6,2025-06-01T10:00:00+08:00,5,,deleted,,,
9000007,x,WH-JA-0001,U7,2025-06-01T10:00:00+08:00,5,,valid,,,
9000008,1,WH-JA-0001,U8,2025-06-01T10:00:00+08:00,1,,valid,2025-05-01T10:00:00+08:00,,
9000009,1,,,2025-06-01T10:00:00+08:00,9,,valid,,,
9000010,1,WH-JA-0001,U10,1999-06-01T10:00:00+08:00,1,,valid,,,
9000011,1,WH-JA-0001,U11,2025-06-01T10:00:00+08:00,2,,valid,later,,
"""


def test_rejected_rows_are_counted_like_the_csv_reader(model: er.Model, sample: er.Dataset, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(BAD_EVENTS, encoding="utf-8")
    csv = er.ReviewAggregator(sample, model).add_csv(path)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    ours = er.ReviewAggregator(sample, model).add(frame)
    assert ours.rejects["count"].to_dict() == csv.rejects["count"].to_dict() == {
        "missing_id": 2, "unknown_operator": 1, "bad_level": 1, "bad_time": 3, "bad_status": 1, "bad_revision": 1,
        "bad_date_order": 1,
    }  # fmt: skip
    assert ours.events_seen == csv.events_seen == 11
    assert ours.records_kept == csv.records_kept == 1
    examples = [e for ex in ours.rejects["examples"] for e in ex]
    # the same examples as the CSV reader's, naming the frame's row label instead of file:line
    assert "DataFrame row 3: review 9000004: level \"7\" is not 1..5, good or bad" in examples, examples
    csv_examples = [e for ex in csv.rejects["examples"] for e in ex]
    assert sorted(e.split(": ", 1)[1] for e in examples) == sorted(e.split(": ", 1)[1] for e in csv_examples)
    assert any("WH-NOPE-01" in e for e in examples)


def test_unknown_and_missing_event_columns(sample: er.Dataset, model: er.Model) -> None:
    agg = er.ReviewAggregator(sample, model)
    with pytest.raises(er.DataError, match='unknown column "stars"'):
        agg.add(sample.reviews.assign(stars=1))
    with pytest.raises(er.DataError, match="DataFrame: reviewer_id: missing required column"):
        agg.add(sample.reviews.drop(columns="reviewer_id"))


def test_save_load_serialize(from_frame: er.ReviewAggregator, tmp_path: Path) -> None:
    path = tmp_path / "state.eragg"
    from_frame.save(path)
    assert er.ReviewAggregator.load(path) == from_frame
    assert er.ReviewAggregator.deserialize(from_frame.serialize()) == from_frame
    assert path.read_bytes() == from_frame.serialize()


def test_golden_archive_of_every_format_version_loads() -> None:
    from _helpers import REPO

    for path in sorted((REPO / "tests" / "golden").glob("reviews-v*.eragg")):
        agg = er.ReviewAggregator.load(path)
        assert agg.records_kept > 0
        assert agg.summary("2025-12-31").shape[0] == len(agg.operator_ids)


def test_bad_archives_are_archive_errors(from_frame: er.ReviewAggregator, tmp_path: Path) -> None:
    data = from_frame.serialize()
    cases = {
        "truncated": data[: len(data) // 2],
        "corrupted": data[:100] + bytes([data[100] ^ 0xFF]) + data[101:],
        "not an archive": b"hello, world" * 10,
        "empty": b"",
    }
    for what, blob in cases.items():
        with pytest.raises(er.ArchiveError) as info:
            er.ReviewAggregator.deserialize(blob, what)
        assert isinstance(info.value, OSError) and isinstance(info.value, er.Error), what
        assert str(info.value).startswith(what), str(info.value)
        path = tmp_path / f"{what}.eragg"
        path.write_bytes(blob)
        with pytest.raises(er.ArchiveError, match=str(path)):
            er.ReviewAggregator.load(path)
    with pytest.raises(er.ArchiveError):
        er.ReviewAggregator.load(tmp_path / "missing.eragg")


def test_review_keys() -> None:
    keys = review_keys(pd.Series(["1000001", "U0184997", "007", "", None]))
    assert keys.dtype == np.uint64
    assert keys[0] == 1000001 == _core.review_key("1000001")
    assert keys[1] == _core.review_key("U0184997") and keys[1] >= 2**63
    assert keys[2] == _core.review_key("007") != 7
    assert keys[3] == keys[4] == _core.review_key("")
    assert np.array_equal(review_keys(np.array([5, 6], dtype=np.int64)), np.array([5, 6], dtype=np.uint64))


# ---------------------------------------------------------------------------------------------
# estimators


def test_estimators_scalar_and_vectorised_agree() -> None:
    good = np.array([0.0, 3.0, 9.5, 20.0])
    n = np.array([0.0, 10.0, 12.0, 20.0])
    lo = er.reviews.wilson_lower_bound(good, n)
    assert isinstance(lo, np.ndarray) and lo.shape == (4,)
    for i in range(4):
        assert er.reviews.wilson_lower_bound(float(good[i]), float(n[i])) == lo[i]
    assert lo[0] == 0.0
    assert er.reviews.wilson_lower_bound(81, 100) == pytest.approx(0.7222, abs=1e-4)
    jl, ju = er.reviews.jeffreys_interval(good, n)
    assert np.all(jl <= good / np.maximum(n, 1)) and ju[3] == 1.0
    ba = er.reviews.bayesian_average(good, n, prior_mean=0.9, prior_weight=30)
    assert ba[0] == pytest.approx(0.9)
    assert er.reviews.bayesian_average(5, 10, 0.9, float("inf")) == 0.9
    grid = er.reviews.wilson_lower_bound(good.reshape(2, 2), 20.0)  # broadcasting, shape kept
    assert grid.shape == (2, 2)
    assert er.reviews.kish_effective_n(4.0, 2.0) == 8.0


def test_estimator_errors_name_the_element() -> None:
    with pytest.raises(er.DataError, match=r"wilson_lower_bound: good\[1\] = 12 exceeds n\[1\] = 10"):
        er.reviews.wilson_lower_bound([1, 12], [10, 10])
    with pytest.raises(er.DataError, match="prior_mean = 1.5 must be a finite number in"):
        er.reviews.bayesian_average(1, 2, 1.5, 3)
    with pytest.raises(er.DataError, match='method = "median" is not one of'):
        er.reviews.fit_beta_prior([1, 2], [3, 4], method="median")  # type: ignore[arg-type]


def test_fit_beta_prior() -> None:
    rng = np.random.default_rng(1)
    n = rng.integers(20, 200, 300).astype(float)
    p = rng.beta(18, 2, 300)
    good = rng.binomial(n.astype(int), p).astype(float)
    for method in ("maximum_likelihood", "method_of_moments"):
        fit = er.reviews.fit_beta_prior(good, n, method=method)
        assert not fit.pooled
        assert fit.mean == pytest.approx(0.9, abs=0.02)
        assert fit.alpha > 0 and fit.beta > 0 and fit.method == method
        assert fit.prior_strength == pytest.approx(fit.alpha + fit.beta)
    pooled = er.reviews.fit_beta_prior(np.full(50, 90.0), np.full(50, 100.0))
    assert pooled.pooled and pooled.alpha == 0 and pooled.prior_strength == float("inf")
    assert pooled.mean == pytest.approx(0.9)
    assert "pooled=True" in repr(pooled)
