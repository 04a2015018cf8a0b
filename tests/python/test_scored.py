"""Score once, re-grade many from Python: Model.score → Scored, regrade, regrade_many, the leaf
scores as a zero-copy view, with_params, refusals by name, pickling, the GIL."""

from __future__ import annotations

import copy
import pickle
import threading
import time

import numpy as np
import pandas as pd
import pytest

import embedrating as er
from embedrating import _core
from _helpers import SAMPLE_AS_OF


@pytest.fixture(scope="module")
def scored(model: er.Model, sample: er.Dataset) -> er.Scored:
    return model.score(sample, as_of=SAMPLE_AS_OF)


def _variant(model: er.Model, seed: int) -> er.Model:
    rng = np.random.default_rng(seed)
    w = rng.dirichlet(model.weights.to_numpy() * 60.0)
    v = model.with_weights(pd.Series(w, index=model.weights.index))
    cut = np.sort(rng.uniform(480, 940, 5))
    return v.with_params(
        {
            **{f"{g}.min_total": float(round(t, 2)) for g, t in zip(["1A", "2A", "3A", "4A", "5A"], cut)},
            "5A.min_dimension_ratio": float(rng.uniform(0.8, 0.95)),
            "4A.dimension_minimums.residents": float(rng.uniform(0.7, 0.9)),
        }
    )


def test_regrade_of_the_scored_model_is_its_rating(model: er.Model, scored: er.Scored, ratings: er.Ratings) -> None:
    again = scored.regrade(model)
    pd.testing.assert_frame_equal(again.to_frame(), ratings.to_frame())
    assert again.input_hash == ratings.input_hash and again.fingerprint == ratings.fingerprint
    assert again.explain("WH-JA-0015", lang="zh") == ratings.explain("WH-JA-0015", lang="zh")
    assert repr(scored).startswith("Scored(300 operators, as_of=2025-12-31")


@pytest.mark.parametrize("seed", range(6))
def test_regrade_equals_rating_the_variant(model: er.Model, sample: er.Dataset, scored: er.Scored, seed: int) -> None:
    v = _variant(model, seed)
    assert v.fingerprint != model.fingerprint
    assert v.structure_fingerprint == model.structure_fingerprint
    a, b = scored.regrade(v), v.rate(sample, as_of=SAMPLE_AS_OF)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    assert np.array_equal(a.node_centi, b.node_centi) and np.array_equal(a.available_centi, b.available_centi)
    for op in ("WH-JA-0015", sample.operators.operator_id.iloc[77]):
        pd.testing.assert_frame_equal(a.gates(op), b.gates(op))


def test_regrade_many_equals_regrade_of_each_variant(model: er.Model, scored: er.Scored) -> None:
    rng = np.random.default_rng(3)
    w = pd.DataFrame(rng.dirichlet(model.weights.to_numpy() * 40.0, size=12), columns=model.weights.index)
    w = w[list(reversed(w.columns))]  # columns in any order
    w.index = pd.Index([f"v{k}" for k in range(12)], name="draw")
    grades = scored.regrade_many(w)
    assert grades.shape == (12, 300) and grades.index.name == "draw" and grades.dtypes.unique().tolist() == [np.int8]
    labelled = scored.regrade_many(w, labels=True, totals=True)
    for k in range(12):
        r = scored.regrade(model.with_weights(w.iloc[k]))
        assert np.array_equal(grades.iloc[k].to_numpy(), r.final_grade)
        assert labelled["grade"].iloc[k].tolist() == [er.GRADES[g] for g in r.final_grade]
        assert np.allclose(labelled["total"].iloc[k].to_numpy(), r.total_centi / 100.0)
    raw, totals = scored.regrade_many(w.to_numpy()[:, ::-1], as_frame=False, threads=2)  # model.weights order
    assert raw.dtype == np.int8 and totals is None and np.array_equal(raw, grades.to_numpy())


def test_regrade_many_with_cutoffs(model: er.Model, scored: er.Scored) -> None:
    w = np.tile(model.weights.to_numpy(), (3, 1))
    cut = pd.DataFrame({"1A": [450, 500, 550], "2A": [550, 600, 650], "3A": [650, 700, 750],
                        "4A": [750, 800, 850], "5A": [850, 900, 950]})  # fmt: skip
    g = scored.regrade_many(w, cutoffs=cut)
    for k in range(3):
        v = model.with_cutoffs({c: float(cut[c].iloc[k]) for c in cut.columns})
        assert np.array_equal(g.iloc[k].to_numpy(), scored.regrade(v).final_grade)


def test_bad_weights_and_variants_are_refused_with_their_reason(model: er.Model, scored: er.Scored) -> None:
    w = model.weights.to_frame().T
    with pytest.raises(er.ModelError, match="sum to 2, not 1") as e:
        scored.regrade_many(w * 2.0)
    assert e.value.field == "weights[0]"
    with pytest.raises(er.ModelError, match="missing: fire_inspection"):
        scored.regrade_many(w.drop(columns=["fire_inspection"]))
    with pytest.raises(er.ModelError, match=r"needs shape \(variants, 19\)"):
        scored.regrade_many(np.ones(5) / 5)
    # a variant of another structure: a rule's condition changed
    toml = model.to_toml()
    old = '{ field = "months_since.opened_on", op = "<", value = 3.0 }'
    assert old in toml
    other = er.Model.from_toml(toml.replace(old, old.replace("value = 3.0", "value = 4.0")))
    assert other.structure_fingerprint != model.structure_fingerprint
    where = model.structure_difference(other)
    assert where.startswith("rules.")
    with pytest.raises(er.ModelError, match="score the dataset with this model instead") as e:
        scored.regrade(other)
    assert e.value.field == where


def test_leaf_scores_are_a_read_only_view_labelled_by_operator_and_indicator(model: er.Model, scored: er.Scored,
                                                                               ratings: er.Ratings) -> None:  # fmt: skip
    frame = scored.leaf_scores
    assert list(frame.columns) == list(model.weights.index) and frame.index.name == "operator_id"
    arr = scored.leaf_score_array
    assert isinstance(arr.base, _core.Scored) and not arr.flags.writeable
    assert np.shares_memory(frame.to_numpy(), arr)
    np.testing.assert_array_equal(arr, ratings.indicator_score)
    assert np.isnan(arr).any(), "food safety is not applicable without meals (NaN)"
    assert scored.patterns.dtype == np.uint32 and set(np.unique(scored.patterns)) >= {0, 1}
    fired = ratings.rules_fired()
    vetoed = set(fired.loc[fired.action == "veto", "operator_id"])
    frame = ratings.to_frame()
    expected = (frame.status == "active") & ~frame.operator_id.isin(vetoed)
    np.testing.assert_array_equal(scored.graded, expected.to_numpy())
    assert 0 < len(vetoed) and scored.graded.sum() < len(frame)


def test_with_params_by_name(model: er.Model) -> None:
    v = model.with_params({"grades.5A.min_total": 950, "4A.min_dimension_ratio": 0.7})
    assert v.cutoffs["5A"] == 950 and v.grades.set_index("grade").loc["4A", "min_dimension_ratio"] == 0.7
    with pytest.raises(er.ModelError, match="unknown parameter") as e:
        model.with_params({"5A.points": 1})
    assert e.value.field == "5A.points"
    with pytest.raises(er.ModelError, match="must not decrease"):
        model.with_params({"4A.min_total": 990})
    with pytest.raises(TypeError):
        model.with_params(min_total=1)  # type: ignore[arg-type]


def test_rule_actions_come_from_the_cpp_table(model: er.Model) -> None:
    actions = {a["name"]: a for a in er.rule_actions()}
    assert set(actions) == {"veto", "cap", "downgrade", "prerequisite", "set_score", "not_applicable", "warn", "hold"}
    assert actions["cap"]["parameters"] == ["grade"] and actions["cap"]["gate"] == "cap"
    assert actions["hold"]["name_zh"] == "保持等级"
    rules = model.rules
    assert {"phase", "effect", "effect_zh"} <= set(rules.columns)
    assert rules.set_index("id").loc["cap_food_grade_c", "effect"] == "at most 3A"


@pytest.mark.parametrize("make", [copy.copy, copy.deepcopy, lambda s: pickle.loads(pickle.dumps(s))])
def test_scored_copies_and_pickles(model: er.Model, scored: er.Scored, make) -> None:  # type: ignore[no-untyped-def]
    other = make(scored)
    assert other.input_hash == scored.input_hash and other.as_of == scored.as_of
    np.testing.assert_array_equal(other.leaf_score_array, scored.leaf_score_array)
    pd.testing.assert_frame_equal(other.regrade(model).to_frame(), scored.regrade(model).to_frame())


def test_unknown_pickle_versions_are_refused(scored: er.Scored) -> None:
    state = scored.__getstate__()
    state["version"] = 99
    blank = object.__new__(er.Scored)
    with pytest.raises(er.ArchiveError, match="version 99 is not supported"):
        blank.__setstate__(state)


def test_regrade_many_releases_the_gil(model: er.Model, sample: er.Dataset) -> None:
    from test_arrays import tiled_dataset  # bench/reference/data.py: the sample repeated with distinct ids

    big = tiled_dataset(sample, 40)  # 12 000 operators
    s = model.score(big, as_of=SAMPLE_AS_OF)
    w = np.random.default_rng(1).dirichlet(model.weights.to_numpy() * 50.0, size=400)
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
        g = s.regrade_many(w, as_frame=False)[0]
        elapsed = time.perf_counter() - t0
        during = count - before
    finally:
        stop.set()
        thread.join()
    assert g.shape == (400, 12_000)
    assert elapsed > 0.02, "too quick to measure"
    assert during > 0.3 * alone * elapsed, (during, alone, elapsed)


def test_leaf_available_points_give_the_totals(model: er.Model, scored: er.Scored) -> None:
    v = _variant(model, 11)
    avail = scored.leaf_available(v)
    assert list(avail.columns) == list(model.weights.index) and len(avail) == len(np.unique(scored.patterns))
    s = np.nan_to_num(scored.leaf_score_array, nan=0.0)
    a = np.rint(avail.to_numpy() * 100.0)[scored.patterns]  # centi-points (exact integers)
    total = np.floor(s * a + 0.5).sum(axis=1)
    np.testing.assert_array_equal(total, scored.regrade(v).total_centi)
