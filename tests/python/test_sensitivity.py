"""embedrating.sensitivity (issue 13): Monte Carlo over weights (probabilities, stability, the same
result for the same seed on any number of threads, draws reproducible from seed and index),
near the line, one-at-a-time swings, model comparison (transition matrices, moves computed by hand,
reasons), errors naming the parameter, progress, HTML against golden files, CLI parity.

Regenerate the golden files after an intended change with
``EMBEDRATING_UPDATE_GOLDEN=1 python -m pytest tests/python/test_sensitivity.py`` and review the diff.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import embedrating as er
from _helpers import REPO, SAMPLE_AS_OF, run_cli

GOLDEN = REPO / "tests" / "python" / "golden" / "sensitivity"  # apart from test_repr.py's files
UPDATE = os.environ.get("EMBEDRATING_UPDATE_GOLDEN") == "1"
GRADES = ["unrated", "1A", "2A", "3A", "4A", "5A"]


@pytest.fixture(scope="module")
def scored(model: er.Model, sample: er.Dataset) -> er.Scored:
    return model.score(sample, as_of=SAMPLE_AS_OF)


@pytest.fixture(scope="module")
def mc(scored: er.Scored) -> er.sensitivity.MonteCarloResult:
    return er.sensitivity.monte_carlo(scored, draws=300, seed=3)


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"golden file {name} is missing: EMBEDRATING_UPDATE_GOLDEN=1 python -m pytest {__file__}"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file (EMBEDRATING_UPDATE_GOLDEN=1 to regenerate)"


# ---------------------------------------------------------------------------------------------
# Monte Carlo


def test_probabilities_sum_to_one_and_stability_is_the_probability_of_the_current_grade(mc) -> None:
    ops = mc.operators
    p = ops[[f"p_{g}" for g in GRADES]].to_numpy()
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    active = ops["status"] == "active"
    for op, row in ops[active].iterrows():
        assert row["stability"] == row[f"p_{row['grade']}"], op
        assert row["modal_grade"] == GRADES[int(np.argmax([row[f"p_{g}"] for g in GRADES]))] or row[f"p_{row['modal_grade']}"] == max(
            row[f"p_{g}"] for g in GRADES
        )
    # not-active operators are never graded: always "unrated", stability 1, no grade
    assert ops.loc[~active, "p_unrated"].eq(1.0).all()
    assert ops.loc[~active, "grade"].isna().all()
    q = [c for c in ops.columns if c.startswith("total_q")]
    assert q == ["total_q5", "total_q25", "total_q50", "total_q75", "total_q95"]
    values = ops[["total_min", *q, "total_max"]].to_numpy()
    assert (np.diff(values, axis=1) >= 0).all(), "quantiles in order, within [min, max]"


def test_current_grades_and_distribution_are_the_models_own(mc, ratings: er.Ratings) -> None:
    frame = ratings.to_frame().set_index("operator_id")
    pd.testing.assert_series_equal(mc.operators["grade"], frame["grade"], check_names=False)
    np.testing.assert_array_equal(mc.operators["total"].to_numpy(), frame["total"].to_numpy())
    dist = mc.distribution
    now = ratings.distribution()
    assert dist["current"].astype(int).tolist() == now.tolist()
    assert dist["expected"].sum() == pytest.approx(len(frame))
    assert (dist["low"] <= dist["expected"] + 1e-9).all() and (dist["expected"] <= dist["high"] + 1e-9).all()
    assert mc.per_draw.sum(axis=1).eq(len(frame)).all(), "every operator once in every draw"
    pd.testing.assert_series_equal(mc.per_draw.drop(columns="not_graded").mean(), dist["expected"].drop("not_graded"), check_names=False)


def test_the_same_seed_gives_the_same_result_with_one_and_two_threads(scored, mc) -> None:
    two = er.sensitivity.monte_carlo(scored, draws=300, seed=3, threads=2)
    pd.testing.assert_frame_equal(two.operators, mc.operators)
    pd.testing.assert_frame_equal(two.per_draw, mc.per_draw)
    other = er.sensitivity.monte_carlo(scored, draws=300, seed=4)
    assert not other.operators["stability"].equals(mc.operators["stability"])


def test_draws_come_from_the_seed_and_their_index(model, mc) -> None:
    w = er.sensitivity.draw_weights(model, 10, seed=3, start=290)
    pd.testing.assert_frame_equal(w, mc.weights.iloc[290:300], check_freq=False)
    np.testing.assert_allclose(mc.weights.sum(axis=1), 1.0, atol=1e-12)
    # Dirichlet(200 w): centred on the model's weights with variance w(1 − w)/201
    big = er.sensitivity.draw_weights(model, 4000, seed=1)
    base = model.weights
    np.testing.assert_allclose(big.mean(), base, atol=5 * np.sqrt(base * (1 - base) / 201 / 4000).max())
    np.testing.assert_allclose(big.var(ddof=0) / (base * (1 - base) / 201), 1.0, atol=0.1)


def test_without_noise_every_grade_is_stable(model, sample) -> None:
    mc = er.sensitivity.monte_carlo(model, sample, as_of=SAMPLE_AS_OF, draws=50, seed=2, method="none")
    assert mc.weights.nunique().eq(1).all(), "method none keeps the weights"
    assert mc.operators["stability"].eq(1.0).all()
    assert (mc.operators["total_sd"] == 0).all()
    assert (mc.per_draw.nunique() == 1).all()


def test_fragile_operators_changed_grade_in_at_least_the_share_of_draws(mc) -> None:
    f = mc.fragile(0.1)
    assert list(f.columns[:3]) == ["operator_id", "grade", "moved_share"]
    assert (f["moved_share"] >= 0.1).all()
    assert f["moved_share"].is_monotonic_decreasing
    ops = mc.operators
    want = ops[(ops["status"] == "active") & (1 - ops["stability"] >= 0.1 - 1e-12)].index
    assert set(f["operator_id"]) == set(want)
    assert set(f["gate"].dropna()) <= {"total", "dimension_ratio", "dimension_minimum"}
    with pytest.raises(er.DataError, match=r"share must be in \(0, 1\], got 0") as e:
        mc.fragile(0)
    assert e.value.field == "share"


def test_results_show_and_summarise(mc) -> None:
    s = mc.summary()
    assert s["draws"] == 300 and s["operators"] == 300 and s["method"] == "dirichlet"
    assert 0 < s["unstable_share"] < 1
    assert "MonteCarloResult(300 operators, 300 draws, dirichlet" in repr(mc)
    assert mc.memory["total"] == sum(mc.memory[k] for k in ("accumulators", "draws", "tile_buffers", "engine_buffers"))
    _golden("monte_carlo_sample.html", mc._repr_html_())


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"draws": 0}, "draws", "draws must be at least 1, got 0"),
        ({"method": "gauss"}, "method", 'unknown method "gauss" (dirichlet, uniform or none)'),
        ({"concentration": -1}, "concentration", "the Dirichlet concentration must be finite and > 0, got -1"),
        ({"spread": 1.0}, "spread", "the uniform spread must be in [0, 1)"),
        ({"quantiles": (0.5, 2)}, "quantiles", "every quantile must be a probability in [0, 1], got 2"),
        ({"bins": 3}, "bins", "bins must be in 8 … 4096, got 3"),
        ({"interval": 0}, "interval", "interval must be in (0, 1), got 0"),
        ({"threads": 0}, "threads", "threads must be >= 1, got 0"),
    ],
)
def test_bad_parameters_name_the_parameter(scored, kwargs, field, message) -> None:
    with pytest.raises(er.DataError) as e:
        er.sensitivity.monte_carlo(scored, **{"draws": 10, **kwargs})
    assert e.value.field == field
    assert message in str(e.value)
    assert isinstance(e.value, ValueError)


def test_missing_arguments_are_type_errors(model, sample, scored) -> None:
    with pytest.raises(TypeError, match="needs as_of"):
        er.sensitivity.monte_carlo(model, sample)
    with pytest.raises(TypeError, match="a Scored already holds"):
        er.sensitivity.monte_carlo(scored, sample)
    with pytest.raises(TypeError, match="takes an embedrating.Model"):
        er.sensitivity.monte_carlo("wuhan", sample, as_of=SAMPLE_AS_OF)  # type: ignore[arg-type]


def test_progress_callback_and_bar(scored, capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[tuple[int, int]] = []
    er.sensitivity.monte_carlo(scored, draws=600, seed=1, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(256, 600), (512, 600), (600, 600)]
    er.sensitivity.monte_carlo(scored, draws=50, seed=1)
    assert capsys.readouterr().err == "", "no bar by default when stderr is not a terminal"
    er.sensitivity.monte_carlo(scored, draws=300, seed=1, progress=True)
    err = capsys.readouterr().err
    assert "monte_carlo" in err and "300/300" in err, err


def test_a_callback_that_raises_stops_the_run(scored) -> None:
    def stop(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        er.sensitivity.monte_carlo(scored, draws=600, progress=stop)


# ---------------------------------------------------------------------------------------------
# Near the line


def test_near_the_line_is_sorted_and_within_the_distance(model, sample, ratings) -> None:
    near = er.sensitivity.near_the_line(model, sample, as_of=SAMPLE_AS_OF, points=2)
    assert list(near.columns) == ["operator_id", "grade", "direction", "to", "gate", "id", "level", "required", "actual", "distance"]
    assert (near["distance"] <= 2).all() and near["distance"].is_monotonic_increasing
    pd.testing.assert_frame_equal(near, er.sensitivity.near_the_line(ratings, points=2))
    up = near[near["direction"] == "up"]
    assert (up["to"].cat.codes == up["grade"].cat.codes + 1).all()
    with pytest.raises(er.DataError, match="points must be finite and >= 0") as e:
        er.sensitivity.near_the_line(ratings, points=-1)
    assert e.value.field == "points"


def test_an_operator_held_by_a_total_line_moves_when_that_cut_off_passes_it(model, sample, ratings) -> None:
    near = er.sensitivity.near_the_line(ratings, points=100)
    down = near[(near["direction"] == "down") & (near["gate"] == "total")]
    assert not down.empty
    row = down.iloc[0]
    line = row["required"] + row["distance"] + 0.01  # just above the operator's total
    level = str(row["level"])
    order = ["1A", "2A", "3A", "4A", "5A"]
    cut = {g: (max(float(model.cutoffs[g]), line) if order.index(g) >= order.index(level) else float(model.cutoffs[g])) for g in order}
    c = er.sensitivity.compare(model, model.with_cutoffs(cut), sample, as_of=SAMPLE_AS_OF)
    assert row["operator_id"] in set(c.moved["operator_id"])
    assert row["distance"] == pytest.approx(ratings.to_frame().set_index("operator_id").loc[row["operator_id"], "total"] - row["required"])


# ---------------------------------------------------------------------------------------------
# One at a time


def test_one_at_a_time_swings_every_parameter_both_ways(model, scored) -> None:
    oat = er.sensitivity.one_at_a_time(scored)
    n = len(model.weights) + len(model.dimensions) + 5
    assert len(oat.summary) == n
    assert set(oat.summary["kind"]) == {"weight", "dimension", "cutoff"}
    assert oat.total_change.shape == (2 * n, len(scored))
    assert oat.summary["moved"].is_monotonic_decreasing
    _golden("oat_sample.html", oat._repr_html_())


def test_a_weight_swing_is_the_rating_of_that_variant(model, sample, scored, ratings) -> None:
    oat = er.sensitivity.one_at_a_time(scored, parameters=("weight",), delta=0.2)
    w = model.weights.copy()
    j = "satisfaction_index"
    target = w[j] * 1.2
    w2 = w * (1 - target) / (1 - w[j])
    w2[j] = target
    variant = model.with_weights(w2 / w2.sum()).rate(sample, as_of=SAMPLE_AS_OF)
    got = oat.total_change.loc[("weight", j, 1)]
    np.testing.assert_allclose(got.to_numpy(), variant.total - ratings.total, atol=1e-9)
    moved = np.asarray(variant.final_grade, dtype=int) - np.asarray(ratings.final_grade, dtype=int)
    np.testing.assert_array_equal(oat.grade_change.loc[("weight", j, 1)].to_numpy(), moved)
    row = oat.summary.set_index("id").loc[j]
    active = ratings.status == 0
    assert row["moved_up_high"] == int((moved[active] > 0).sum())
    assert row["moved_down_high"] == int((moved[active] < 0).sum())
    assert oat.operator(ratings.operator_ids[0]).shape == (2 * len(model.weights), 2)


def test_one_at_a_time_errors(scored) -> None:
    with pytest.raises(er.DataError, match=r"delta must be in \(0, 1\)") as e:
        er.sensitivity.one_at_a_time(scored, delta=0)
    assert e.value.field == "delta"
    with pytest.raises(er.DataError, match="unknown parameter kind") as e:
        er.sensitivity.one_at_a_time(scored, parameters=("weights",))
    assert e.value.field == "parameters"


# ---------------------------------------------------------------------------------------------
# Comparison


def test_a_model_compared_with_itself_moves_nobody(model, sample) -> None:
    c = er.sensitivity.compare(model, model, sample, as_of=SAMPLE_AS_OF)
    assert c.moved.empty and c.reasons.empty
    assert int(c.transitions.to_numpy().sum()) == len(sample.operators)
    assert (np.diag(c.transitions.to_numpy()).sum()) == len(sample.operators)
    assert c.summary["kappa"] == 1.0 and c.summary["weighted_kappa"] == 1.0


def test_a_raised_4a_cut_off_moves_exactly_the_operators_computed_by_hand(model, sample, ratings) -> None:
    new_cut = 900.0  # the sample's 4A-by-score totals are 875 and more: the 5A line itself
    variant = model.with_cutoffs({"4A": new_cut})
    c = er.sensitivity.compare(model, variant, sample, as_of=SAMPLE_AS_OF)
    # by hand: 4A by score (points and prerequisites) with a total below the new line drops to 3A
    # by score; the final grade follows unless a cap, hold or history limit already held it below 4A
    frame = ratings.to_frame().set_index("operator_id")
    rules = model.rules.set_index("id")
    fired = ratings.rules_fired()
    down = fired[fired["action"] == "downgrade"].groupby("operator_id")["rule"].apply(lambda r: int(rules.loc[r, "levels"].sum()))
    expected = []
    for op, row in frame.iterrows():
        if row["grade_by_score"] != "4A" or row["total"] >= new_cut:
            continue
        d = int(down.get(op, 0))
        final = GRADES.index(row["grade"])
        if final == max(0, 4 - d) and final > 0:  # the score held it (no ceiling below 4A)
            expected.append(op)
    assert expected, "the sample should have 4A operators below 900"
    assert sorted(c.moved["operator_id"]) == sorted(expected)
    assert (c.moved["shift"] == -1).all()
    first = c.reasons.drop_duplicates("operator_id").set_index("operator_id")
    for op in expected:
        why = first.loc[op]
        assert (why["kind"], why["gate"], why["target"]) == ("gate_b", "total", "4A")
        assert why["magnitude"] == pytest.approx(new_cut - frame.loc[op, "total"])
    t = c.transitions
    assert int(t.to_numpy().sum()) == len(frame)
    assert t.loc["4A", "3A"] + t.loc["3A", "2A"] + t.loc["2A", "1A"] + t.loc["1A", "unrated"] == len(expected)
    assert "below the minimum total of 4A under model B only" in c.explain(expected[0])
    assert c.explain(frame.index[0]).endswith("did not move") or frame.index[0] in expected


def test_a_reweighted_model_names_the_indicators_that_moved_each_operator(model, sample) -> None:
    w = model.weights.copy()
    w["satisfaction_index"] *= 1.6
    w["food_safety"] *= 0.5
    variant = model.with_weights(w / w.sum())
    c = er.sensitivity.compare(model, variant, sample, as_of=SAMPLE_AS_OF, max_reasons=4)
    assert not c.moved.empty
    assert c.reasons.groupby("operator_id").size().max() <= 4
    for op in c.moved["operator_id"]:
        r = c.reasons_of(op)
        assert r["rank"].tolist() == list(range(1, len(r) + 1))
        key = list(zip(r["rank_class"], -r["magnitude"]))
        assert key == sorted(key), "ranked by class, then magnitude"
        ind = r[r["kind"] == "indicator"]
        assert set(ind["id"]) <= {*model.weights.index}
        assert (ind["magnitude"] == (ind["b"] - ind["a"]).abs()).all()
    assert c.summary["kappa"] < 1.0
    assert "Model comparison" in c._repr_html_()
    with pytest.raises(er.DataError, match="max_reasons must be at least 1"):
        er.sensitivity.compare(model, variant, sample, as_of=SAMPLE_AS_OF, max_reasons=0)


def test_cohen_kappa_values_worked_out_by_hand() -> None:
    assert er.sensitivity.cohen_kappa([[20, 5], [10, 15]]) == pytest.approx(0.4)
    t3 = [[7, 2, 1], [3, 2, 0], [0, 2, 3]]
    assert er.sensitivity.cohen_kappa(t3, "quadratic") == pytest.approx(1 - (2.75 / 20) / (130 / 400))
    with pytest.raises(er.DataError, match="square table"):
        er.sensitivity.cohen_kappa([[1, 2, 3]])
    with pytest.raises(er.DataError, match="weights must be none, linear or quadratic"):
        er.sensitivity.cohen_kappa([[1, 0], [0, 1]], "cubic")  # type: ignore[arg-type]


def test_comparison_html_golden(model, sample) -> None:
    c = er.sensitivity.compare(model, model.with_cutoffs({"4A": 830, "3A": 720}), sample, as_of=SAMPLE_AS_OF)
    _golden("comparison_sample.html", c._repr_html_())


# ---------------------------------------------------------------------------------------------
# CLI parity


def test_cli_and_python_agree_on_monte_carlo(cli: Path, scored) -> None:
    out = run_cli(cli, "sensitivity", "--draws", "150", "--seed", "9", "--method", "uniform", "--spread", "0.2", "--format", "csv").stdout
    frame = pd.read_csv(io.StringIO(out), index_col="operator_id", keep_default_na=False, na_values=[""])
    py = er.sensitivity.monte_carlo(scored, draws=150, seed=9, method="uniform", spread=0.2).operators
    for col in ["stability", "p_down", "p_up", *[f"p_{g}" for g in GRADES], "total", "total_mean", "total_sd", "total_q50", "total_max", "resolution"]:
        np.testing.assert_array_equal(frame[col].to_numpy(), py[col].to_numpy(), err_msg=col)
    assert frame["grade"].fillna("").tolist() == py["grade"].astype(object).fillna("").tolist()


def test_cli_and_python_agree_on_compare_and_oat(cli: Path, model, sample, tmp_path: Path) -> None:
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    model.save(a)
    variant = model.with_cutoffs({"4A": 830, "3A": 720})
    variant.save(b)
    doc = json.loads(run_cli(cli, "compare", str(a), str(b), "--format", "json").stdout)
    c = er.sensitivity.compare(model, variant, sample, as_of=SAMPLE_AS_OF)
    assert [m["operator_id"] for m in doc["moved"]] == c.moved["operator_id"].tolist()
    assert doc["summary"]["kappa"] == c.summary["kappa"]
    assert doc["transitions"]["4A"]["3A"] == c.transitions.loc["4A", "3A"]
    oat = json.loads(run_cli(cli, "sensitivity", "oat", "--format", "json").stdout)
    py = er.sensitivity.one_at_a_time(model, sample, as_of=SAMPLE_AS_OF).summary.set_index("id")
    for v in oat["variants"]:
        side = "high" if v["sign"] > 0 else "low"
        assert py.loc[v["id"], f"moved_up_{side}"] == v["moved_up"], v["id"]
        assert py.loc[v["id"], f"mean_abs_change_{side}"] == v["mean_abs_change"], v["id"]


def test_monte_carlo_combine_of_draw_ranges_is_the_whole_run_and_names_a_part_that_does_not_fit(scored):
    # the core's combine_draw_ranges, as embedrating.dask uses it: parts over [0, 40) and [40, 120)
    core = er._core
    opts = dict(seed=5, method="dirichlet", concentration=200.0, spread=0.1, cutoff_jitter=3.0, interval=0.9)

    def part(first, n):
        r = core.monte_carlo(scored._core, draws=n, first_draw=first, quantiles=[], **opts)
        return {**r, "first_draw": first}

    whole = core.monte_carlo(scored._core, draws=120, quantiles=[], **opts)
    combined = core.monte_carlo_combine([part(0, 40), part(40, 80)], **opts)
    for key in ("counts", "per_draw", "weights", "cutoffs", "stability", "probability_up", "probability_down", "modal"):
        assert np.array_equal(combined[key], whole[key]), key
    assert combined["population"] == whole["population"]  # same bits: the same code computes them
    # a gap, the wrong order, an empty list, a missing key: ValueError naming the part
    with pytest.raises(ValueError, match=r"part 1 starts at draw 50, not at 40"):
        core.monte_carlo_combine([part(0, 40), part(50, 70)], **opts)
    with pytest.raises(ValueError, match=r"part 1 starts at draw 0, not at 120"):
        core.monte_carlo_combine([part(40, 80), part(0, 40)], **opts)
    with pytest.raises(ValueError, match=r"no parts"):
        core.monte_carlo_combine([], **opts)
    broken = part(40, 80)
    del broken["per_draw"]
    with pytest.raises(ValueError, match=r'part 1 has no "per_draw"'):
        core.monte_carlo_combine([part(0, 40), broken], **opts)
