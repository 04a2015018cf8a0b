"""Model.rate_one: one operator alone, the same result as its row of Model.rate."""

from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import embedrating as er
from _helpers import SAMPLE_AS_OF


@pytest.fixture(scope="module")
def columns_dataset(sample_dir: Path) -> er.Dataset:
    """The sample with the review columns of operators.csv instead of review events."""
    text = {"operator_id": str, "facility_id": str}
    ops = pd.read_csv(sample_dir / "operators.csv", keep_default_na=False, na_values=[""], dtype=text)
    fac = pd.read_csv(sample_dir / "facilities.csv", keep_default_na=False, na_values=[""], dtype=text)
    return er.Dataset(ops, facilities=fac)


def _expected(r: er.Ratings, i: int) -> er.OperatorRating:
    f = r.to_frame().iloc[i]
    na = lambda x: None if pd.isna(x) else str(x)  # noqa: E731
    fired = f["rules_fired"]
    return er.OperatorRating(
        f["operator_id"],
        str(f["status"]),
        na(f["grade"]),
        na(f["grade_by_score"]),
        float(f["total"]),
        bool(f["terminate"]),
        tuple(int(x) for x in r.dimension_centi[i]),
        tuple(fired.split(";")) if fired else (),
    )


@pytest.mark.parametrize("as_of", [SAMPLE_AS_OF, "2025-09-30"])
def test_every_operator_alone_equals_its_row(model: er.Model, columns_dataset: er.Dataset, as_of: str) -> None:
    r = model.rate(columns_dataset, as_of=as_of)
    for i, op in enumerate(r.operator_ids):
        one = model.rate_one(columns_dataset, op, as_of)
        assert one == _expected(r, i)
        assert model.rate_one(columns_dataset, i, as_of) == one


def test_with_review_events(model: er.Model, sample: er.Dataset, ratings: er.Ratings) -> None:
    for i in (0, 14, 299):
        assert model.rate_one(sample, ratings.operator_ids[i], datetime.date(2025, 12, 31)) == _expected(ratings, i)


def test_result_fields(model: er.Model, columns_dataset: er.Dataset) -> None:
    one = model.rate_one(columns_dataset, "WH-JA-0015", np.datetime64("2025-12-31"))
    assert one.operator_id == "WH-JA-0015" and one.status == "active"
    assert (one.grade, one.grade_by_score) == ("3A", "4A")
    assert one.total == pytest.approx(915.24)  # wuhan-2024 1.1.0: 3 Art. 3 scenarios, scenario mix 36 points
    assert one.rules_fired == ("downgrade_penalty_12m",)
    assert sum(one.dimension_centi) == round(one.total * 100)
    suspended = model.rate_one(columns_dataset, "WH-JA-0004", SAMPLE_AS_OF)
    assert suspended.status == "suspended" and suspended.grade is None and suspended.grade_by_score is None


def test_errors(model: er.Model, columns_dataset: er.Dataset) -> None:
    with pytest.raises(er.DataError, match="no such operator") as info:
        model.rate_one(columns_dataset, "NO-SUCH", SAMPLE_AS_OF)
    assert info.value.operator_id == "NO-SUCH"
    with pytest.raises(IndexError):
        model.rate_one(columns_dataset, 300, SAMPLE_AS_OF)
    with pytest.raises(IndexError):
        model.rate_one(columns_dataset, -1, SAMPLE_AS_OF)
    with pytest.raises(TypeError, match="as_of"):
        model.rate_one(columns_dataset, 0, None)  # type: ignore[arg-type]
