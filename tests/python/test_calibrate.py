"""embedrating.calibrate (issue 12): agreement against hand-computed values and written-out
formulas (a second implementation), the sample's benchmark, fits and cross-validation, reviewable
models (with_weights keeps the total, provenance, readable UTF-8 TOML, diff), CLI parity and the
report's HTML against a golden file.

Formula sources: Cohen (1968), Psychological Bulletin 70(4):213-220 and Fleiss & Cohen (1973),
Educational and Psychological Measurement 33:613-619 (quadratic-weighted kappa); Kendall (1945),
Biometrika 33(3):239-251 (tau-b).
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import embedrating as er
from _helpers import REPO, SAMPLE_AS_OF, run_cli

LEVELS = ["unrated", "1A", "2A", "3A", "4A", "5A"]


def _kappa_quadratic(x: list[int], y: list[int]) -> float:
    """Written out: 1 - sum (x_i - y_i)^2 / (sum_i sum_j (x_i - y_j)^2 / n)."""
    n = len(x)
    obs = sum((a - b) ** 2 for a, b in zip(x, y))
    exp = sum((a - b) ** 2 for a in x for b in y) / n
    return 1.0 - obs / exp


def _tau_b(x: list[int], y: list[int]) -> float:
    """Written out over pairs: (concordant - discordant) / sqrt((n0 - ties_x)(n0 - ties_y))."""
    c = d = tx = ty = n0 = 0
    for (a1, b1), (a2, b2) in itertools.combinations(zip(x, y), 2):
        n0 += 1
        sx, sy = (a1 > a2) - (a1 < a2), (b1 > b2) - (b1 < b2)
        tx += sx == 0
        ty += sy == 0
        c += sx * sy > 0
        d += sx * sy < 0
    return (c - d) / math.sqrt((n0 - tx) * (n0 - ty))


# -- agreement ----------------------------------------------------------------------------


def test_agreement_hand_computed() -> None:
    # docs/calibration.md: exact 3/6, within one 6/6, kappa 1 - 3/(146/6), tau-b 12/sqrt(14*13)
    agreed = ["5A", "4A", "3A", "3A", "2A", "unrated"]
    predicted = ["5A", "3A", "3A", "2A", "2A", "1A"]
    a = er.calibrate.agreement(predicted, agreed)
    assert a.n == 6 and a.exact == 0.5 and a.within_one == 1.0
    assert a.kappa == pytest.approx(1 - 3 / (146 / 6), abs=1e-12)
    assert a.tau_b == pytest.approx(12 / math.sqrt(14 * 13), abs=1e-12)
    assert a.confusion.loc["4A", "3A"] == 1 and a.confusion.loc["unrated", "1A"] == 1
    assert list(a.confusion.index) == ["5A", "4A", "3A", "2A", "1A", "unrated"]
    assert len(a.disagreements) == 3


def test_agreement_equals_the_written_out_formulas() -> None:
    rng = np.random.default_rng(5)
    for _ in range(40):
        n = int(rng.integers(4, 50))
        x = rng.integers(0, 6, n)
        y = np.clip(x + rng.integers(-2, 3, n), 0, 5)
        a = er.calibrate.agreement(y.tolist(), x.tolist())
        assert a.kappa == pytest.approx(_kappa_quadratic(x.tolist(), y.tolist()), abs=1e-12)
        if len(set(x)) > 1 and len(set(y)) > 1:
            assert a.tau_b == pytest.approx(_tau_b(x.tolist(), y.tolist()), abs=1e-12)


def test_kappa_of_identical_gradings_is_one_and_not_graded_is_left_out() -> None:
    g = ["5A", "4A", "unrated", "1A", "3A"]
    a = er.calibrate.agreement(g, g)
    assert a.kappa == 1.0 and a.tau_b == 1.0 and a.exact == 1.0 and a.disagreements.empty
    b = er.calibrate.agreement([None, "unrated", "3A"], ["2A", "unrated", "not graded"])
    assert b.n == 1 and b.not_graded == 2 and b.confusion.loc["unrated", "unrated"] == 1


def test_agreement_refusals() -> None:
    with pytest.raises(er.DataError, match='"6A" is not a grade'):
        er.calibrate.agreement(["6A"], ["5A"])
    with pytest.raises(er.DataError, match="agreement: 2 predicted grades but 1 agreed grades"):
        er.calibrate.agreement(["5A", "4A"], ["5A"])
    with pytest.raises(er.DataError, match="no operator has a grade on both sides"):
        er.calibrate.agreement([None], ["5A"])
    with pytest.raises(er.DataError, match="operator X has an agreed grade but no predicted grade"):
        er.calibrate.agreement(pd.Series({"Y": "5A"}), pd.Series({"X": "5A"}))


def test_sample_benchmark(ratings: er.Ratings, sample: er.Dataset) -> None:
    # data/sample/README.md: 32 of 40 agree, the other 8 one level off; kappa 0.959 by hand (issue 12)
    a = er.calibrate.agreement(ratings, sample.benchmark)
    assert (a.n, a.exact_count, a.within_one_count) == (40, 32, 40)
    assert round(a.kappa, 3) == 0.959
    assert len(a.disagreements) == 8
    assert (a.disagreements["panel_note"].str.len() > 0).all() and (a.disagreements["why"].str.len() > 0).all()
    assert set(a.disagreements["difference"].abs()) == {1}
    # the same from grades alone (no gates then)
    frame = ratings.to_frame()
    b = er.calibrate.agreement(frame[["operator_id", "grade"]], sample.benchmark)
    assert (b.exact, b.kappa) == (a.exact, a.kappa)


def test_read_benchmark_errors_name_the_line(tmp_path: Path) -> None:
    f = tmp_path / "b.csv"
    f.write_text("operator_id,agreed_grade\nA,5A\nA,4A\n", encoding="utf-8")
    with pytest.raises(er.DataError, match=r"b.csv:3:1: operator_id: operator A: benchmark: operator A appears twice \(also on line 2\)") as e:
        er.calibrate.read_benchmark(f)
    assert e.value.line == 3 and e.value.operator_id == "A"
    b = er.calibrate.read_benchmark(REPO / "data" / "sample" / "benchmark.csv")
    assert len(b) == 40 and b["agreed_grade"].dtype == "category" and b["line"].iloc[0] == 2


# -- fits --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def weights_fit(model: er.Model, sample: er.Dataset) -> er.calibrate.Fit:
    return er.calibrate.fit_weights(model, sample, sample.benchmark, as_of=SAMPLE_AS_OF)


def test_fit_weights_returns_a_reviewable_model(weights_fit: er.calibrate.Fit, model: er.Model, sample: er.Dataset) -> None:
    fitted, report = weights_fit
    assert fitted.total_points == 1000.0
    assert fitted.provenance["parent_fingerprint"] == model.fingerprint and fitted.provenance["method"] == "fit_weights"
    assert fitted.version == "1.0.0+" + fitted.fingerprint[:8] and fitted.id == "wuhan-2024"
    assert report.before.exact == 0.8 and report.cases == 35 and len(report.excluded) == 5
    assert report.after.exact_count >= report.before.exact_count  # the exact path search never ends worse
    assert set(report.parameters["parameter"]) == {f"weights.{i}" for i in model.weights.index}
    assert report.trace["step"].iloc[0] == "weights" and report.trace["objective"].iloc[-1] <= report.trace["objective"].iloc[0]
    # the report's "after" is the exact rating of the fitted model
    again = er.calibrate.agreement(fitted.rate(sample, as_of=SAMPLE_AS_OF), sample.benchmark)
    assert again.exact_count == report.after.exact_count and again.kappa == report.after.kappa


def test_fits_by_name_and_options(model: er.Model, sample: er.Dataset) -> None:
    bench = sample.benchmark
    cut = er.calibrate.fit_cutoffs(model, sample, bench, as_of=SAMPLE_AS_OF, penalty=0.0)
    assert cut.report.after.exact_count >= 32 and set(cut.report.moved["parameter"]) <= {f"grades.{g}.min_total" for g in ["5A", "4A", "3A", "2A", "1A"]}
    assert cut.model.cutoffs.is_monotonic_decreasing
    floors = er.calibrate.fit_floors(model, sample, bench, as_of=SAMPLE_AS_OF)
    assert floors.report.after.exact_count >= 32
    joint = er.calibrate.fit(model, sample, bench, as_of=SAMPLE_AS_OF, method="joint", lam=0.05, rounds=2, id="wuhan-2024-fit")
    assert joint.model.id == "wuhan-2024-fit" and joint.report.method == "fit_joint"
    bounded = er.calibrate.fit_weights(model, sample, bench, as_of=SAMPLE_AS_OF, lam=0.0, fixed_dimension_totals=True,
                                       bounds={"satisfaction_index": (0.14, 0.15)})  # fmt: skip
    pts = bounded.model.indicators.set_index("id").points
    assert pts["residents"] == 250 and 140 - 0.01 <= pts["satisfaction_index"] <= 150 + 0.01
    with pytest.raises(er.DataError, match='bounds for "nope", which is not a leaf indicator'):
        er.calibrate.fit_weights(model, sample, bench, as_of=SAMPLE_AS_OF, bounds={"nope": (0, 0.1)})
    with pytest.raises(er.DataError, match='unknown fit method "all"'):
        er.calibrate.fit(model, sample, bench, as_of=SAMPLE_AS_OF, method="all")
    with pytest.raises(TypeError, match="unknown option 'lambda_'"):
        er.calibrate.fit(model, sample, bench, as_of=SAMPLE_AS_OF, lambda_=1)
    with pytest.raises(er.DataError, match="benchmark operator WH-NONE is not in the scored data"):
        er.calibrate.fit_cutoffs(model, sample, pd.DataFrame({"operator_id": ["WH-NONE"], "agreed_grade": ["3A"]}), as_of=SAMPLE_AS_OF)


def test_cross_validation(model: er.Model, sample: er.Dataset) -> None:
    cv = er.calibrate.cross_validate(model, sample, sample.benchmark, as_of=SAMPLE_AS_OF, method="cutoffs")
    assert cv.scheme == "leave-one-out" and cv.folds == 40 and (cv.fold_of.to_numpy() == np.arange(40)).all()
    s = cv.summary
    assert list(s.index) == ["current model", "fitted, in-sample", "fitted, cross-validated"]
    assert s.loc["current model", "exact"] == 0.8 and s.loc["fitted, cross-validated", "n"] == 40
    assert cv.cross_validated.exact <= cv.in_sample.exact
    assert {"parameter", "current", "in_sample", "cv_mean", "cv_min", "cv_max"} <= set(cv.parameters.columns)
    k = er.calibrate.cross_validate(model, sample, sample.benchmark, as_of=SAMPLE_AS_OF, method="floors", folds=5, seed=7)
    again = er.calibrate.cross_validate(model, sample, sample.benchmark, as_of=SAMPLE_AS_OF, method="floors", folds=5, seed=7)
    assert k.scheme == "stratified 5-fold (seed 7)" and (k.fold_of == again.fold_of).all()
    assert k.fold_of.value_counts().tolist() == [8] * 5
    with pytest.raises(er.DataError, match="folds must be"):
        er.calibrate.cross_validate(model, sample, sample.benchmark, as_of=SAMPLE_AS_OF, folds="five")
    # an over-fitted joint fit on 40 cases: the report warns
    joint = er.calibrate.cross_validate(model, sample, sample.benchmark, as_of=SAMPLE_AS_OF, method="joint", cutoff_penalty=0.0)
    assert any("cross-validated" in w for w in joint.warnings)


# -- a reviewable model --------------------------------------------------------------------------


def test_with_weights_never_changes_the_total_silently(model: er.Model) -> None:
    with pytest.raises(er.ModelError, match="the weights sum to 19, not 1: the model's total of 1000 points would become 19000") as e:
        model.with_weights(np.ones(19))
    assert e.value.field == "weights"
    assert model.with_weights(np.ones(19), total="normalize").total_points == pytest.approx(1000.0, abs=0.1)
    assert model.with_weights(np.ones(19), total="rescale").total_points == 19000.0
    with pytest.raises(er.ModelError, match='total must be "keep", "normalize" or "rescale"'):
        model.with_weights(np.ones(19), total="double")
    same = model.with_weights(model.weights)
    assert same.fingerprint == model.fingerprint and same.version == model.version and same.provenance["method"] == ""


def test_saved_fitted_model_round_trips_and_reads_as_utf8(weights_fit: er.calibrate.Fit, sample: er.Dataset, tmp_path: Path) -> None:
    fitted = weights_fit.model
    path = tmp_path / "fitted.toml"
    fitted.save(path)
    text = path.read_text(encoding="utf-8")
    assert "\\u" not in text and "消防安全检查得分" in text and "[model.provenance]" in text
    back = er.Model.load(path)
    assert back.fingerprint == fitted.fingerprint and back.provenance == fitted.provenance and back.version == fitted.version
    assert np.array_equal(back.rate(sample, as_of=SAMPLE_AS_OF).final_grade, fitted.rate(sample, as_of=SAMPLE_AS_OF).final_grade)
    renamed = fitted.with_info(id="wuhan-2024-fit", rationale="按专家组评定等级校准")
    assert renamed.fingerprint == fitted.fingerprint and renamed.id == "wuhan-2024-fit" and renamed.rationale == "按专家组评定等级校准"


def test_diff_lists_every_change(model: er.Model) -> None:
    assert model.diff(model).empty
    other = model.with_cutoffs({"5A": 880}).with_weights({"fire_inspection": 0.07, "fire_hazards": 0.02})
    d = model.diff(other)
    assert list(d.columns) == ["section", "item", "field", "before", "after"]
    rows = {(r.section, r.item, r.field): (r.before, r.after) for r in d.itertuples()}
    assert rows[("grades", "5A", "min_total")] == ("900", "880")
    assert rows[("indicators", "fire_inspection", "points")] == ("60", "70")
    assert rows[("indicators", "fire_hazards", "weight")] == ("0.03", "0.02")
    assert rows[("model", "", "provenance.method")] == ("", "with_weights")
    assert ("indicators", "fire", "points") not in rows  # the group's total did not change


# -- CLI parity and HTML ----------------------------------------------------------------------------


def test_cli_calibrate_equals_python(cli: Path, model: er.Model, sample: er.Dataset, tmp_path: Path) -> None:
    out = tmp_path / "cli.toml"
    run_cli(cli, "calibrate", "--benchmark", str(REPO / "data" / "sample" / "benchmark.csv"), "--data", str(REPO / "data" / "sample"),
            "--as-of", SAMPLE_AS_OF, "--fit", "weights", "--cv", "5", "-o", str(out), "--report", str(tmp_path / "r.html"))  # fmt: skip
    py = er.calibrate.fit_weights(model, sample, sample.benchmark, as_of=SAMPLE_AS_OF).model
    assert er.Model.load(out).fingerprint == py.fingerprint
    # the C++ CLI rates a model saved by Python as Python does
    saved = tmp_path / "py.toml"
    py.with_cutoffs({"5A": 910}).save(saved)
    rated = run_cli(cli, "rate", "--model", str(saved), "--format", "csv", "--as-of", SAMPLE_AS_OF).stdout
    cli_grades = pd.read_csv(pd.io.common.StringIO(rated), dtype={"operator_id": str}).set_index("operator_id")["grade"]
    mine = er.Model.load(saved).rate(sample, as_of=SAMPLE_AS_OF).to_frame().set_index("operator_id")["grade"].astype(str)
    active = mine.index[er.Model.load(saved).rate(sample, as_of=SAMPLE_AS_OF).to_frame()["status"].to_numpy() == "active"]
    assert (cli_grades.loc[active].astype(str) == mine.loc[active]).all()
    diff = run_cli(cli, "model", "diff", str(REPO / "data" / "models" / "wuhan-2024.toml"), str(saved), "--format", "csv").stdout
    assert "grades,5A,min_total,900,910" in diff
