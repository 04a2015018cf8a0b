"""Pickling and copies of Model, ReviewAggregator, Dataset and Ratings: every state through copy,
deepcopy and pickle protocols 2 and highest; versioned states; a model saved from Python rates
like the C++ CLI."""

from __future__ import annotations

import copy
import pickle
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

import embedrating as er
from _helpers import SAMPLE_AS_OF, cli_json

ROUND_TRIPS: dict[str, Callable[[Any], Any]] = {
    "copy": copy.copy,
    "deepcopy": copy.deepcopy,
    "pickle-2": lambda x: pickle.loads(pickle.dumps(x, protocol=2)),
    "pickle-highest": lambda x: pickle.loads(pickle.dumps(x, protocol=pickle.HIGHEST_PROTOCOL)),
}
round_trips = pytest.mark.parametrize("round_trip", list(ROUND_TRIPS.values()), ids=list(ROUND_TRIPS))


@pytest.fixture(scope="module")
def changed_model(model: er.Model) -> er.Model:
    w = model.weights.copy()
    w["satisfaction_index"] -= 0.04
    w["food_safety"] += 0.04
    return model.with_weights(w).with_cutoffs({"5A": 880})


@round_trips
def test_model(round_trip: Callable[[Any], Any], changed_model: er.Model) -> None:
    again = round_trip(changed_model)
    assert isinstance(again, er.Model)
    assert again.fingerprint == changed_model.fingerprint
    assert again.to_toml() == changed_model.to_toml()
    assert again.weights.equals(changed_model.weights)


@round_trips
def test_review_aggregator(round_trip: Callable[[Any], Any], sample: er.Dataset, model: er.Model) -> None:
    agg = er.ReviewAggregator(sample, model).add(sample.reviews.iloc[:5000])
    again = round_trip(agg)
    assert again == agg and again is not agg
    assert again.serialize() == agg.serialize()
    again.add(sample.reviews.iloc[5000:6000])  # copies are independent
    assert again != agg
    assert again.events_seen == agg.events_seen + 1000


@round_trips
def test_dataset(round_trip: Callable[[Any], Any], sample: er.Dataset, model: er.Model) -> None:
    again = round_trip(sample)
    assert isinstance(again, er.Dataset)
    assert again.operator_ids == sample.operator_ids
    assert again.input_hash(model) == sample.input_hash(model)
    assert again.benchmark is not None and again.benchmark.equals(sample.benchmark)
    r1 = model.rate(again, as_of=SAMPLE_AS_OF)
    r0 = model.rate(sample, as_of=SAMPLE_AS_OF)
    assert r1.input_hash == r0.input_hash


@round_trips
def test_ratings(round_trip: Callable[[Any], Any], ratings: er.Ratings) -> None:
    again = round_trip(ratings)
    assert isinstance(again, er.Ratings)
    assert again.fingerprint == ratings.fingerprint
    assert again.as_of == ratings.as_of
    assert again.input_hash == ratings.input_hash
    assert np.array_equal(again.total_centi, ratings.total_centi)
    assert np.array_equal(again.final_grade, ratings.final_grade)
    assert again.to_frame().equals(ratings.to_frame())


def test_a_dataset_with_an_aggregator_pickles(sample: er.Dataset, model: er.Model) -> None:
    agg = er.ReviewAggregator(sample, model).add(sample.reviews)
    ds = er.Dataset(sample.operators, sample.indicators, agg, sample.facilities)
    again = pickle.loads(pickle.dumps(ds))
    assert isinstance(again.reviews, er.ReviewAggregator) and again.reviews == agg
    assert model.rate(again, as_of="2025-10-31").input_hash == model.rate(ds, as_of="2025-10-31").input_hash


@pytest.mark.parametrize("kind", ["Model", "ReviewAggregator", "Dataset", "Ratings"])
def test_unknown_state_versions_raise(kind: str, ratings: er.Ratings, sample: er.Dataset, model: er.Model) -> None:
    obj = {"Model": model, "ReviewAggregator": er.ReviewAggregator(sample, model), "Dataset": sample, "Ratings": ratings}[kind]
    state = obj.__getstate__()
    assert state["version"] == {"Model": 2, "Dataset": 2, "Ratings": 2}.get(kind, 1)
    fresh = type(obj).__new__(type(obj))
    with pytest.raises(er.ArchiveError, match=rf"{kind} pickle state version 99 is not supported"):
        fresh.__setstate__({**state, "version": 99})
    with pytest.raises(er.ArchiveError, match="not a versioned state"):
        fresh.__setstate__(("old", "tuple"))


def test_a_model_saved_from_python_rates_like_the_cli(cli: Path, changed_model: er.Model, sample: er.Dataset,
                                                       tmp_path: Path) -> None:  # fmt: skip
    path = tmp_path / "changed.toml"
    changed_model.save(path)
    doc = cli_json(cli, "--model", str(path))
    assert doc["model"]["fingerprint"] == changed_model.fingerprint
    r = changed_model.rate(sample, as_of=SAMPLE_AS_OF)
    grades = r.to_frame().grade.astype(object).where(r.to_frame().grade.notna(), None).tolist()
    assert [o["grade"] for o in doc["operators"]] == grades
    assert [o["total_centi"] for o in doc["operators"]] == r.total_centi.tolist()
    assert [o["operator_id"] for o in doc["operators"]] == r.operator_ids
    # the change matters: some grade differs from the shipped model's
    base = er.default_model().rate(sample, as_of=SAMPLE_AS_OF)
    assert not np.array_equal(base.final_grade, r.final_grade)
