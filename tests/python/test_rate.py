"""Rating from Python: parity with the C++ CLI on the whole sample, the result's frames."""

from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import embedrating as er
from _helpers import SAMPLE_AS_OF, cli_json, run_cli


def _grades(doc: dict) -> list[tuple[str, str | None, str | None, int, bool]]:
    return [
        (o["operator_id"], o["grade"], o["grade_by_score"], o["total_centi"], o["terminate"]) for o in doc["operators"]
    ]


def _ours(r: er.Ratings) -> list[tuple[str, str | None, str | None, int, bool]]:
    df = r.to_frame()
    na = lambda x: None if pd.isna(x) else str(x)  # noqa: E731
    return [
        (op, na(g), na(gs), int(t), bool(term))
        for op, g, gs, t, term in zip(df.operator_id, df.grade, df.grade_by_score, r.total_centi, df.terminate)
    ]


def test_parity_with_the_cli_on_the_whole_sample(cli: Path, model: er.Model, ratings: er.Ratings) -> None:
    doc = cli_json(cli)  # the shipped sample at its documented date, review columns from operators.csv
    assert doc["as_of"] == SAMPLE_AS_OF
    assert doc["model"]["fingerprint"] == ratings.fingerprint == model.fingerprint
    assert _ours(ratings) == _grades(doc)
    # the review columns Python derived from the events equal operators.csv's: same inputs
    assert ratings.input_hash == doc["input_hash"]
    dims = model.dimensions
    for i, o in enumerate(doc["operators"]):
        assert [round(o["dimensions"][d] * 100) for d in dims] == ratings.dimension_centi[i].tolist()
        assert [f["rule"] for f in o["rules_fired"]] == (
            ratings.to_frame().rules_fired[i].split(";") if ratings.to_frame().rules_fired[i] else []
        )
    dist = ratings.distribution()
    assert {k: int(v) for k, v in dist.items()} == doc["distribution"]


def test_parity_with_the_cli_when_reviews_come_from_events(cli: Path, model: er.Model, sample: er.Dataset,
                                                           sample_dir: Path) -> None:  # fmt: skip
    as_of = "2025-09-30"  # not the date the review columns were computed for
    doc = cli_json(cli, "--as-of", as_of, "--reviews", str(sample_dir / "reviews.csv"))
    r = model.rate(sample, as_of=as_of)
    assert _ours(r) == _grades(doc)
    assert r.input_hash == doc["input_hash"]


def test_parity_with_the_cli_on_the_csv_path(cli: Path, model: er.Model, sample_dir: Path) -> None:
    ds = er.Dataset.from_csv(sample_dir / "operators.csv", sample_dir / "facilities.csv")
    r = model.rate(ds, as_of=datetime.date(2025, 12, 31))
    doc = cli_json(cli)
    assert _ours(r) == _grades(doc)
    assert r.input_hash == doc["input_hash"]


def test_explain_is_the_clis(cli: Path, ratings: er.Ratings) -> None:
    for lang in ("en", "zh"):
        out = run_cli(cli, "explain", "WH-JA-0015", "--lang", lang).stdout
        ours = ratings.explain("WH-JA-0015", lang=lang)
        assert ours.strip() in out
    assert "downgrade_penalty_12m" in ratings.explain("WH-JA-0015")


def test_directory_is_the_clis(cli: Path, ratings: er.Ratings, tmp_path: Path) -> None:
    path = tmp_path / "dir.csv"
    run_cli(cli, "rate", "--summary", "--directory", str(path), "--valid-months", "6")
    theirs = pd.read_csv(path, dtype=str, keep_default_na=False)
    ours = ratings.directory(valid_months=6)
    assert list(ours.columns) == list(theirs.columns)
    assert ours.operator_id.tolist() == theirs.operator_id.tolist()
    assert ours.grade.astype(str).tolist() == theirs.grade.tolist()
    assert ours.valid_to.dt.strftime("%Y-%m-%d").tolist() == theirs.valid_to.tolist()
    assert ours.valid_from.dt.strftime("%Y-%m-%d").tolist() == theirs.valid_from.tolist()
    assert set(ours.model_fingerprint) == set(theirs.model_fingerprint) == {ratings.fingerprint}
    assert set(ours.input_hash) == set(theirs.input_hash)
    assert ours.name.tolist() == theirs.name.tolist()


def test_directory_never_runs_past_the_models_period(ratings: er.Ratings) -> None:
    d = ratings.directory(valid_months=12)
    assert (d.valid_to <= pd.Timestamp(ratings.model.effective_to)).all()
    assert d.valid_to.iloc[0] == pd.Timestamp("2026-08-22")  # effective_to of wuhan-2024
    assert ratings.directory(valid_months=3).valid_to.iloc[0] == pd.Timestamp("2026-03-30")
    assert set(d.grade.astype(str)) <= {"1A", "2A", "3A", "4A", "5A"}


def test_to_frame_columns_and_grade_order(ratings: er.Ratings, model: er.Model) -> None:
    df = ratings.to_frame()
    for col in ("operator_id", "grade", "grade_by_score", "status", "terminate", "total", "rules_fired"):
        assert col in df.columns
    for d in model.dimensions:
        assert f"{d}_points" in df.columns
    assert isinstance(df.grade.dtype, pd.CategoricalDtype)
    assert df.grade.dtype.ordered
    assert list(df.grade.dtype.categories) == ["unrated", "1A", "2A", "3A", "4A", "5A"] == list(er.GRADES)
    assert (df.grade.dropna() >= "unrated").all()
    assert df.grade.max() == "5A"
    # not active: no grade (NaN), the status says why; unrated operators were graded
    not_active = df.status != "active"
    assert df.grade[not_active].isna().all()
    assert df.grade[~not_active].notna().all()
    assert not_active.sum() == 15
    # totals and points agree with the integer arrays
    assert np.array_equal(np.round(df.total.to_numpy() * 100).astype(np.int64), ratings.total_centi)
    row = df.set_index("operator_id").loc["WH-JA-0015"]
    assert (row.grade_by_score, row.grade) == ("4A", "3A")
    assert "downgrade_penalty_12m" in row.rules_fired.split(";")
    # sorting: unrated first, 5A last among the graded, not graded (NaN) at the very end
    by_grade = df.sort_values("grade", kind="stable").grade
    assert by_grade.iloc[0] == "unrated"
    assert by_grade.dropna().iloc[-1] == "5A"
    assert by_grade.iloc[-15:].isna().all()


def test_distribution_by_district(ratings: er.Ratings) -> None:
    by = ratings.distribution(by="district")
    assert by.to_numpy().sum() == len(ratings)
    assert list(by.columns) == ["5A", "4A", "3A", "2A", "1A", "unrated", "not_graded"]
    assert (by.sum() == ratings.distribution()).all()


def test_as_of_forms_agree(model: er.Model, sample: er.Dataset, ratings: er.Ratings) -> None:
    for as_of in (datetime.date(2025, 12, 31), np.datetime64("2025-12-31"), pd.Timestamp("2025-12-31"),
                  str(pd.Timestamp("2025-12-31")), datetime.datetime(2025, 12, 31, 23, 0)):  # fmt: skip
        r = model.rate(sample, as_of=as_of)
        assert r.as_of == datetime.date(2025, 12, 31)
        assert np.array_equal(r.total_centi, ratings.total_centi)
    # a time-zone-aware datetime is refused (issue 17): which day it means is the caller's choice
    with pytest.raises(er.DataError, match="time-zone-aware"):
        model.rate(sample, as_of=datetime.datetime(2025, 12, 31, 23, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8))))
    with pytest.raises(TypeError, match="the clock is never read"):
        model.rate(sample, as_of=None)  # type: ignore[arg-type]
    with pytest.raises(er.DataError, match='"2025-13-01" is not a date'):
        model.rate(sample, as_of="2025-13-01")


def test_rating_outside_the_effective_period_warns(model: er.Model, sample: er.Dataset) -> None:
    with pytest.warns(er.RatingWarning, match="outside the effective period"):
        r = model.rate(sample, as_of="2026-12-31")
    assert any("effective period" in w for w in r.warnings)


def test_gates_rules_and_warnings_frames(ratings: er.Ratings) -> None:
    g = ratings.gates("WH-DXH-0002")
    assert {"kind", "grade", "id", "required", "actual", "shortfall", "lapses_on"} <= set(g.columns)
    fired = ratings.rules_fired()
    assert (fired.rule == "cap_low_review_volume").sum() == 29 + 2  # 29 active + 2 not active
    w = ratings.operator_warnings()
    assert (w.kind == "low_review_volume").sum() == 31
    with pytest.raises(er.DataError, match="operator NOPE: no such operator"):
        ratings.explain("NOPE")


@pytest.mark.parametrize("n_rules", [3, 64, 65, 150])
def test_the_rules_fired_column_joins_each_operators_rules_in_model_order(n_rules: int) -> None:
    """Ratings._rules_fired (the ``rules_fired`` column) works on distinct sets of fired rules,
    not per operator; checked against the plain per-operator join for models of up to 150 rules
    (several 64-bit words per set), operators with no rule, and every rule firing at once."""
    from types import SimpleNamespace

    rng = np.random.default_rng(n_rules)
    n = 2000
    ids = [f"rule_{k}" for k in range(n_rules)]
    sets = [np.sort(rng.choice(n_rules, size=rng.integers(0, min(n_rules, 5) + 1), replace=False)) for _ in range(n)]
    sets[7] = np.arange(n_rules)
    offsets = np.concatenate([[0], np.cumsum([len(x) for x in sets])]).astype(np.uint32)
    rule = np.concatenate(sets).astype(np.uint32)

    class FakeCore:
        def __len__(self) -> int:
            return n

        def fired(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            return offsets, rule, np.zeros(len(rule), dtype=np.int32)

    r = er.Ratings.__new__(er.Ratings)
    r._core = FakeCore()
    r._model = SimpleNamespace(_core=SimpleNamespace(rules=lambda: {"id": ids}))
    expected = [";".join(ids[int(k)] for k in x) for x in sets]
    assert list(r._rules_fired()) == expected
    assert expected[7].count(";") == n_rules - 1 and "" in expected
