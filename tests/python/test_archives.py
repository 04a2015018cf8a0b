"""Archives (docs/archives.md): the golden archives of this release in tests/data/archives/ load
and equal a fresh computation; model pickles are the model archive (protocols 0–5) and the
previous pickle state (the TOML) still loads; bad archives raise ArchiveError naming the source."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import embedrating as er
from embedrating import _core
from _helpers import SAMPLE_AS_OF

ARCHIVES = Path(__file__).resolve().parents[1] / "data" / "archives"
SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


@pytest.fixture(scope="module")
def first_2000_reviews(tmp_path_factory: pytest.TempPathFactory) -> Path:
    lines = (SAMPLE / "reviews.csv").read_bytes().split(b"\n")[:2001]
    path = tmp_path_factory.mktemp("reviews") / "reviews.csv"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_golden_model_archive_loads(model: er.Model) -> None:
    core = _core.Model.from_bytes((ARCHIVES / "model-v1.erarchive").read_bytes(), "model-v1.erarchive")
    assert core.fingerprint == model.fingerprint
    assert core.to_toml() == model.to_toml()


@pytest.mark.parametrize("name", ["review_state-v2.erarchive", "review_state-v1.errevagg"])
def test_golden_review_states_load(name: str, sample: er.Dataset, model: er.Model, first_2000_reviews: Path) -> None:
    fresh = er.ReviewAggregator(sample, model).add_csv(first_2000_reviews)
    loaded = er.ReviewAggregator.load(ARCHIVES / name)
    assert loaded == fresh
    assert loaded.events_seen == 2000
    # either format is written again in the current one, byte for byte as the golden file
    assert loaded.serialize() == (ARCHIVES / "review_state-v2.erarchive").read_bytes()


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_model_pickles_are_archives(protocol: int, model: er.Model) -> None:
    data = pickle.dumps(model, protocol=protocol)
    assert b"ERMODEL_" in data
    again = pickle.loads(data)
    assert again.fingerprint == model.fingerprint and again.to_toml() == model.to_toml()


def test_previous_model_pickle_state_loads(model: er.Model) -> None:
    fresh = er.Model.__new__(er.Model)
    fresh.__setstate__({"version": 1, "toml": model.to_toml()})
    assert fresh.fingerprint == model.fingerprint


def test_bad_model_archives_raise(model: er.Model) -> None:
    good = model._core.to_bytes()
    with pytest.raises(er.ArchiveError, match=r"m\.bin: checksum mismatch"):
        _core.Model.from_bytes(good[:-1] + bytes([good[-1] ^ 1]), "m.bin")
    with pytest.raises(er.ArchiveError, match=r"m\.bin: a review archive, not a model archive"):
        _core.Model.from_bytes((ARCHIVES / "review_state-v2.erarchive").read_bytes(), "m.bin")
    with pytest.raises(er.ArchiveError, match=r"m\.bin: model archive format version 9 is newer"):
        _core.Model.from_bytes(good[:8] + bytes([9]) + good[9:], "m.bin")
    with pytest.raises(er.ArchiveError, match="shorter than the 64-byte header"):
        _core.Model.from_bytes(good[:20], "m.bin")


# ---------------------------------------------------------------------------------------------
# Dataset pickles: the dataset archive (state version 2); the tables of state version 1 still load


def _same_ratings(a: er.Ratings, b: er.Ratings) -> None:
    assert a.input_hash == b.input_hash
    assert np.array_equal(a.total_centi, b.total_centi)
    assert np.array_equal(a.final_grade, b.final_grade)
    assert a.to_frame()["rules_fired"].equals(b.to_frame()["rules_fired"])


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_dataset_pickles_are_dataset_archives(protocol: int, sample: er.Dataset, model: er.Model) -> None:
    data = pickle.dumps(sample, protocol=protocol)
    assert b"ERDATSET" in data  # the core's dataset archive (docs/archives.md), not DataFrames
    again = pickle.loads(data)
    assert again.operator_ids == sample.operator_ids
    assert again.input_hash(model) == sample.input_hash(model)
    assert again.benchmark is not None and again.benchmark.equals(sample.benchmark)
    _same_ratings(model.rate(again, as_of="2025-12-31"), model.rate(sample, as_of="2025-12-31"))
    # the tables read back from the archive build the same dataset again (no cached copy)
    fresh = er.Dataset(again.operators, again.indicators, again.reviews, again.facilities)
    assert fresh.input_hash(model) == sample.input_hash(model)


def test_dataset_pickle_keeps_the_facility_columns_the_archive_does_not_hold(sample: er.Dataset, model: er.Model) -> None:
    again = pickle.loads(pickle.dumps(sample))
    assert sample.facilities is not None and again.facilities is not None
    assert set(sample.facilities.columns) == set(again.facilities.columns)
    cols = list(sample.facilities.columns)
    pd.testing.assert_frame_equal(
        again.facilities[["facility_id", "name_zh", "street", "community"]],
        sample.facilities[["facility_id", "name_zh", "street", "community"]].reset_index(drop=True),
    )
    assert len(cols) > 4


def test_a_dataset_of_another_model_pickles_that_models_archive(sample: er.Dataset, model: er.Model) -> None:
    other = model.with_cutoffs({"5A": 950})
    ds = er.Dataset(sample.operators, sample.indicators, facilities=sample.facilities, model=other)
    state = ds.__getstate__()
    assert state["fingerprint"] == other.fingerprint and state["archive"][:8] == b"ERDATSET"
    again = pickle.loads(pickle.dumps(ds))
    assert set(again._cores) == {other.fingerprint}  # no second read of the tables
    _same_ratings(other.rate(again, as_of="2025-12-31"), other.rate(ds, as_of="2025-12-31"))


def test_tables_no_model_can_read_pickle_as_given(sample: er.Dataset) -> None:
    """The shipped model refuses an unknown column, so there is no archive to make: the tables
    are kept as given rather than lost, and load back equal."""
    ops = sample.operators.assign(my_own_column=1.0)
    ds = er.Dataset(ops, sample.indicators)
    state = ds.__getstate__()
    assert state["archive"] is None
    again = pickle.loads(pickle.dumps(ds))
    assert again.operators.equals(ops) and again.indicators.equals(sample.indicators)
    with pytest.raises(er.DataError, match="my_own_column"):
        again.validate()


def test_previous_dataset_pickle_state_loads(sample: er.Dataset, model: er.Model) -> None:
    """State version 1 (the tables as given), as pickles of earlier releases hold it."""
    old = {
        "version": 1,
        "operators": sample.operators,
        "indicators": sample.indicators,
        "reviews": sample.reviews,
        "facilities": sample.facilities,
        "benchmark": sample.benchmark,
        "source_name": sample.source_name,
    }
    fresh = er.Dataset.__new__(er.Dataset)
    fresh.__setstate__(old)
    assert fresh.operators is sample.operators and fresh.facilities is sample.facilities
    assert fresh.input_hash(model) == sample.input_hash(model)
    _same_ratings(model.rate(fresh, as_of="2025-12-31"), model.rate(sample, as_of="2025-12-31"))


def test_a_corrupted_dataset_pickle_state_is_a_clear_error(sample: er.Dataset, model: er.Model) -> None:
    state = sample.__getstate__()
    good = state["archive"]
    cases = [
        (good[:-1] + bytes([good[-1] ^ 1]), r"Dataset pickle: checksum mismatch"),
        (model._core.to_bytes(), r"Dataset pickle: a model archive, not a dataset archive"),
        (good[:30], r"Dataset pickle: not a dataset archive: 30 bytes, shorter than the 64-byte header"),
        ("text", r"Dataset pickle state: the dataset archive is str, not bytes"),
    ]
    for bad, message in cases:
        fresh = er.Dataset.__new__(er.Dataset)
        with pytest.raises(er.ArchiveError, match=message):
            fresh.__setstate__({**state, "archive": bad})
    fresh = er.Dataset.__new__(er.Dataset)
    with pytest.raises(er.ArchiveError, match="neither a dataset archive nor tables"):
        fresh.__setstate__({**state, "archive": None, "tables": None})


def test_a_dataset_pickle_of_the_previous_release_loads(sample: er.Dataset, model: er.Model) -> None:
    """tests/data/pickles/dataset-state-v1.pickle: the first 12 operators of the sample with their
    facilities, pickled (protocol 2) with state version 1 — the tables as given — as embedrating
    before the dataset archive wrote it."""
    again = pickle.loads((ARCHIVES.parent / "pickles" / "dataset-state-v1.pickle").read_bytes())
    assert isinstance(again, er.Dataset) and again.source_name == "sample (first 12 operators)"
    ids = sample.operators["operator_id"].iloc[:12]
    fresh = er.Dataset(
        sample.operators[sample.operators["operator_id"].isin(ids)].reset_index(drop=True),
        sample.indicators[sample.indicators["operator_id"].isin(ids)].reset_index(drop=True),
        facilities=sample.facilities[sample.facilities["operator_id"].isin(ids)].reset_index(drop=True),
    )
    assert again.operator_ids == list(ids)
    assert again.input_hash(model) == fresh.input_hash(model)
    _same_ratings(model.rate(again, as_of="2025-12-31"), model.rate(fresh, as_of="2025-12-31"))
    # and it pickles again, now as the dataset archive
    assert b"ERDATSET" in pickle.dumps(again)


# -- scored data and ratings (issue 10 item 5): pickles are the archives; a loaded ratings explains


def _explanations(r: er.Ratings, lang: str = "en") -> list[str]:
    return [r.explain(op, lang) for op in r.operator_ids[::13]]


def test_golden_scored_and_ratings_v2_archives_explain(model: er.Model, ratings: er.Ratings) -> None:
    scored = _core.Scored.from_bytes((ARCHIVES / "scored-v1.erarchive").read_bytes(), "scored-v1.erarchive")
    assert scored.model.fingerprint == model.fingerprint and scored.input_hash == ratings.input_hash
    regraded = scored.regrade(model._core)
    for loaded in (regraded, _core.Ratings.from_bytes((ARCHIVES / "ratings-v2.erarchive").read_bytes(), "v2")):
        assert list(loaded.final_grade) == list(ratings._core.final_grade)
        assert list(loaded.total_centi) == list(ratings._core.total_centi)
        for op in ratings.operator_ids[::29]:
            assert loaded.explain(op, "en") == ratings._core.explain(op, "en")
            assert loaded.explain(op, "zh") == ratings._core.explain(op, "zh")


def test_golden_ratings_v1_archive_loads_but_cannot_explain(ratings: er.Ratings) -> None:
    loaded = _core.Ratings.from_bytes((ARCHIVES / "ratings-v1.erarchive").read_bytes(), "v1")
    assert list(loaded.final_grade) == list(ratings._core.final_grade)
    with pytest.raises(RuntimeError, match="no rating behind this object"):
        loaded.explain(ratings.operator_ids[0], "en")


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_ratings_pickles_are_archives(protocol: int, ratings: er.Ratings) -> None:
    data = pickle.dumps(ratings, protocol=protocol)
    assert b"ERRATING" in data
    again = pickle.loads(data)
    pd.testing.assert_frame_equal(again.to_frame(), ratings.to_frame())
    assert again.model.fingerprint == ratings.model.fingerprint
    assert _explanations(again) == _explanations(ratings)
    assert _explanations(again, "zh") == _explanations(ratings, "zh")
    op = ratings.operator_ids[5]
    pd.testing.assert_frame_equal(again.gates(op), ratings.gates(op))


@pytest.mark.parametrize("protocol", [0, pickle.HIGHEST_PROTOCOL])
def test_scored_pickles_are_archives(protocol: int, model: er.Model, sample: er.Dataset) -> None:
    scored = model.score(sample, as_of=SAMPLE_AS_OF)
    data = pickle.dumps(scored, protocol=protocol)
    assert b"ERSCORED" in data
    again = pickle.loads(data)
    assert again.input_hash == scored.input_hash and again.as_of == scored.as_of
    np.testing.assert_array_equal(again.leaf_score_array, scored.leaf_score_array)
    a, b = scored.regrade(model), again.regrade(model)
    pd.testing.assert_frame_equal(b.to_frame(), a.to_frame())
    assert _explanations(b) == _explanations(a)


def test_previous_ratings_and_scored_pickle_states_load(model: er.Model, sample: er.Dataset, ratings: er.Ratings) -> None:
    # state version 1 of both: the model, the dataset and as_of (rated or scored again on loading)
    r = er.Ratings.__new__(er.Ratings)
    r.__setstate__({"version": 1, "model": model.to_toml(), "dataset": sample, "as_of": SAMPLE_AS_OF})
    pd.testing.assert_frame_equal(r.to_frame(), ratings.to_frame())
    s = er.Scored.__new__(er.Scored)
    s.__setstate__({"version": 1, "model": model, "dataset": sample, "as_of": SAMPLE_AS_OF})
    pd.testing.assert_frame_equal(s.regrade(model).to_frame(), ratings.to_frame())
    blank = er.Ratings.__new__(er.Ratings)
    with pytest.raises(er.ArchiveError, match="Ratings pickle state version 7 is not supported"):
        blank.__setstate__({"version": 7})


def test_bad_scored_and_ratings_archives_raise(model: er.Model, sample: er.Dataset, ratings: er.Ratings) -> None:
    good = model.score(sample, as_of=SAMPLE_AS_OF)._core.to_bytes()
    with pytest.raises(er.ArchiveError, match=r"s\.bin: the archive is truncated or has trailing bytes"):
        _core.Scored.from_bytes(good[:-1], "s.bin")
    with pytest.raises(er.ArchiveError, match=r"s\.bin: a ratings archive, not a scored archive"):
        _core.Scored.from_bytes(ratings._core.to_bytes(), "s.bin")
    with pytest.raises(er.ArchiveError, match=r"r\.bin: a scored archive, not a ratings archive"):
        _core.Ratings.from_bytes(good, "r.bin")
    with pytest.raises(er.ArchiveError, match=r"s\.bin: checksum mismatch"):
        _core.Scored.from_bytes(good[:-1] + bytes([good[-1] ^ 1]), "s.bin")
