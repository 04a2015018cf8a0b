"""embedrating.weights (issue 11): AHP, group and hierarchical AHP, objective weights over
DataFrames, arrays and Ratings (NA policy), combination, cross-check ranking, weights → model, and
parity with the CLI. Published values are cited where they are used (see also
tests/cpp/weights_test.cpp)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import embedrating as er
from _helpers import SAMPLE_AS_OF, run_cli

W = er.weights

# Saaty (1990), EJOR 48:9–26, Table 3 (buying a house): .173 .054 .188 .018 .031 .036 .167 .333,
# λmax 9.669, CI 0.238, CR 0.169.
HOUSE_IDS = ["size", "transport", "neighbourhood", "age", "yard", "facilities", "condition", "finance"]
HOUSE = [
    ["1", "5", "3", "7", "6", "6", "1/3", "1/4"],
    ["1/5", "1", "1/3", "5", "3", "3", "1/5", "1/7"],
    ["1/3", "3", "1", "6", "3", "4", "6", "1/5"],
    ["1/7", "1/5", "1/6", "1", "1/3", "1/4", "1/7", "1/8"],
    ["1/6", "1/3", "1/3", "3", "1", "1/2", "1/5", "1/6"],
    ["1/6", "1/3", "1/4", "4", "2", "1", "1/5", "1/6"],
    ["3", "5", "1/6", "7", "5", "5", "1", "1/2"],
    ["4", "7", "5", "8", "6", "6", "2", "1"],
]


def house_frame() -> pd.DataFrame:
    return pd.DataFrame(HOUSE, index=HOUSE_IDS, columns=HOUSE_IDS)


def test_saaty_house_example() -> None:
    r = W.ahp(house_frame())
    np.testing.assert_allclose(r.weights, [0.173, 0.054, 0.188, 0.018, 0.031, 0.036, 0.167, 0.333], atol=5e-4)
    assert r.lambda_max == pytest.approx(9.669, abs=5e-4)
    assert r.ci == pytest.approx(0.238, abs=5e-4)
    assert r.cr == pytest.approx(0.169, abs=5e-4)
    assert not r.consistent and r.ri == 1.41 and r.ri_table == "saaty1980"
    assert isinstance(r.weights, np.ndarray)
    assert list(r.series.index) == HOUSE_IDS and r.series.index.name == "indicator"
    assert (r.worst.row, r.worst.column, r.worst.value) == ("neighbourhood", "condition", 6.0)
    fixed = r.repaired()
    assert fixed.cr == pytest.approx(r.worst.cr_after, abs=1e-12) and fixed.cr < 0.1 and fixed.consistent
    assert fixed.matrix.loc["condition", "neighbourhood"] == pytest.approx(1 / r.worst.suggested)


def test_saaty_drinks_as_ahpy_reports() -> None:
    # Saaty (2008), Int. J. Services Sciences 1:83–98; values from AHPy's tests/test_ahp.py.
    ids = ["coffee", "wine", "tea", "beer", "soda", "milk", "water"]
    m = np.array(
        [[1, 9, 5, 2, 1, 1, 1 / 2], [1 / 9, 1, 1 / 3, 1 / 9, 1 / 9, 1 / 9, 1 / 9], [1 / 5, 3, 1, 1 / 3, 1 / 4, 1 / 3, 1 / 9],
         [1 / 2, 9, 3, 1, 1 / 2, 1, 1 / 3], [1, 9, 4, 2, 1, 2, 1 / 2], [1, 9, 3, 1, 1 / 2, 1, 1 / 3], [2, 9, 9, 3, 2, 3, 1]]
    )  # fmt: skip
    r = W.ahp(m, ri="saaty2005", ids=ids)
    expected = {"beer": 0.1164, "coffee": 0.1775, "milk": 0.1288, "soda": 0.1896, "tea": 0.0418, "water": 0.3268, "wine": 0.0191}
    assert r.series.round(4).to_dict() == expected
    assert round(r.cr, 3) == 0.022
    assert round(W.ahp(m, ri="donegan_dodd1991").cr, 4) == 0.0235


def test_labels_in_any_order_and_methods() -> None:
    f = house_frame()
    shuffled = f.loc[HOUSE_IDS[::-1], HOUSE_IDS]  # rows reversed: aligned on the columns' ids
    pd.testing.assert_series_equal(W.ahp(shuffled).series, W.ahp(f).series)
    for method in ("eigen", "rgmm", "colmean"):
        truth = np.array([0.4, 0.3, 0.2, 0.1])
        consistent = pd.DataFrame(np.outer(truth, 1 / truth), index=list("abcd"), columns=list("abcd"))
        r = W.ahp(consistent, method=method)
        np.testing.assert_allclose(r.weights, truth, atol=1e-13)
        assert r.cr == pytest.approx(0.0, abs=1e-12) and r.worst is None and r.method == method
    assert W.ahp([[1, 2], [0.5, 1]], ri=[0, 0]).ri_table == "custom"
    assert set(W.RANDOM_INDEX_TABLES) == {"saaty1980", "saaty2005", "alonso_lamata2006", "donegan_dodd1991"}


def test_ahp_errors_name_the_pair() -> None:
    f = house_frame()
    f.loc["size", "transport"] = "4"
    with pytest.raises(er.DataError, match=r"judgements \(size, transport\) = 4 and \(transport, size\) = 0\.2 are not reciprocal") as e:
        W.ahp(f)
    assert e.value.field == "(size, transport)"
    with pytest.raises(er.DataError, match=r"ahp: judgement \(a, b\): 'x' is not a number or a fraction like 1/3"):
        W.ahp([["1", "x"], ["1", "1"]], ids=["a", "b"])
    with pytest.raises(er.DataError, match="must be the same ids"):
        W.ahp(pd.DataFrame([[1, 2], [0.5, 1]], index=["a", "b"], columns=["a", "c"]))
    with pytest.raises(er.DataError, match="unknown random index table"):
        W.ahp([[1, 2], [0.5, 1]], ri="nope")
    with pytest.raises(er.DataError, match="unknown method"):
        W.ahp([[1, 2], [0.5, 1]], method="power")  # type: ignore[arg-type]


def test_group_ahp_aij_equals_geometric_aip_under_rgmm() -> None:
    rng = np.random.default_rng(3)
    ids = ["a", "b", "c", "d"]
    experts = []
    for _ in range(3):
        up = np.triu(np.exp(rng.uniform(-2, 2, (4, 4))), 1)
        m = up + np.tril(1 / np.where(up.T > 0, up.T, 1.0), -1) + np.eye(4)
        experts.append(pd.DataFrame(m, index=ids, columns=ids))
    aij = W.group_ahp(experts, [0.5, 0.3, 0.2], method="rgmm")
    aip = W.group_ahp(experts[::-1], [0.2, 0.3, 0.5], "aip", method="rgmm")
    np.testing.assert_allclose(aij.weights, aip.weights, atol=1e-14)
    assert aij.aggregate is not None and aij.matrix is not None and aip.aggregate is None
    assert len(aij.experts) == 3 and aij.consistent == aij.aggregate.consistent
    # an expert whose DataFrame lists the ids in another order is aligned
    other = experts[1].loc[ids[::-1], ids[::-1]]
    np.testing.assert_allclose(W.group_ahp([experts[0], other, experts[2]]).weights, W.group_ahp(experts).weights, atol=1e-14)
    with pytest.raises(er.DataError, match="group_ahp: expert 1 compares"):
        W.group_ahp([experts[0], pd.DataFrame(np.eye(2), index=["x", "y"], columns=["x", "y"])])


# ---------------------------------------------------------------------------------------------
# Objective weights


def test_published_objective_weights() -> None:
    # Xu (2004), EJOR 156:530–532 (entropy) and Shuai et al. (2012), CCDC (CV), as crispyn's
    # tests report them; Tuş & Aytaç Adalı (2019), Opsearch 56:528–538 (CRITIC, all benefit).
    x = pd.DataFrame([[30, 30, 38, 29], [19, 54, 86, 29], [19, 15, 85, 28.9], [68, 70, 60, 29]], columns=list("ABCD"))
    assert W.entropy(x).round(4).tolist() == [0.4630, 0.3992, 0.1378, 0.0000]
    assert W.cv(x).round(4).tolist() == [0.4258, 0.3610, 0.2121, 0.0011]
    c = np.array([[5000, 3, 3, 4, 3, 2], [680, 5, 3, 2, 2, 1], [2000, 3, 2, 3, 4, 3], [600, 4, 3, 1, 2, 2], [800, 2, 4, 3, 3, 4]])
    out = W.critic(c)
    assert isinstance(out, np.ndarray)
    assert np.round(out, 3).tolist() == [0.157, 0.249, 0.168, 0.121, 0.154, 0.151]


def test_identical_columns_uniform_and_layouts_agree() -> None:
    rng = np.random.default_rng(1)
    col = rng.uniform(0, 1, 200)
    x = np.column_stack([col] * 5)
    for fn in (W.entropy, W.std_dev, W.cv):
        np.testing.assert_allclose(fn(x), 0.2, atol=1e-15)
    y = rng.uniform(0, 1, (500, 7))
    for fn in (W.entropy, W.critic, W.std_dev, W.cv):
        np.testing.assert_allclose(fn(np.ascontiguousarray(y)), fn(np.asfortranarray(y)), rtol=1e-12)
        np.testing.assert_allclose(fn(y[::2]), fn(np.asfortranarray(y[::2])), rtol=1e-12)


def test_types_by_indicator_for_critic() -> None:
    rng = np.random.default_rng(2)
    df = pd.DataFrame(rng.uniform(0, 1, (50, 3)), columns=["fire", "food", "price"])
    flipped = df.assign(price=-df["price"])
    pd.testing.assert_series_equal(W.critic(df, {"price": -1}), W.critic(flipped), rtol=1e-12)
    pd.testing.assert_series_equal(W.critic(df, ["benefit", "benefit", "cost"]), W.critic(flipped), rtol=1e-12)
    with pytest.raises(er.DataError, match="types name unknown indicator"):
        W.critic(df, {"nope": -1})


def test_ratings_leaf_scores_and_na_policy(ratings: er.Ratings) -> None:
    status = ratings.to_frame()["status"].to_numpy()
    scores = ratings.indicator_score
    active = status == "active"
    complete = ~np.isnan(scores).any(axis=1)
    frame = W.decision_matrix(ratings)
    assert frame.shape == (int((active & complete).sum()), scores.shape[1])
    assert frame.attrs == {"dropped_na": int((active & ~complete).sum()), "dropped_inactive": int((~active).sum())}
    assert list(frame.columns) == list(ratings.model.weights.index)
    w = W.entropy(ratings)
    assert isinstance(w, pd.Series) and w.index.equals(ratings.model.weights.index) and np.isfinite(w).all()
    assert w.sum() == pytest.approx(1.0)
    np.testing.assert_array_equal(w.to_numpy(), W.entropy(frame).to_numpy())
    everyone = W.decision_matrix(ratings, operators="all")
    assert everyone.attrs["dropped_inactive"] == 0 and len(everyone) == int(complete.sum())
    subset = W.critic(ratings, indicators=["fire_inspection", "service_volume", "satisfaction_index"])
    assert list(subset.index) == ["fire_inspection", "service_volume", "satisfaction_index"]
    with pytest.raises(er.DataError, match=r"has no value \(not applicable\) for indicator food_safety \(na='error'"):
        W.entropy(ratings, na="error")
    with pytest.raises(er.DataError, match="unknown indicator"):
        W.entropy(ratings, indicators=["nope"])


def test_objective_errors() -> None:
    df = pd.DataFrame({"fire": [0.5, -0.1, 0.3], "food": [1.0, 0.5, 0.2]}, index=["WH-1", "WH-2", "WH-3"])
    with pytest.raises(er.DataError, match=r'row "WH-2" \(1\), column "fire" \(0\): value -0.1 must be a finite number >= 0') as e:
        W.entropy(df)
    assert e.value.field == "fire"
    with pytest.raises(er.DataError, match="1 operator\\(s\\) left after dropping 2 with a not-applicable"):
        W.std_dev(pd.DataFrame({"a": [1.0, np.nan, np.nan], "b": [1.0, 2.0, 3.0]}))
    with pytest.raises(er.DataError, match="every column is constant"):
        W.entropy(np.ones((4, 3)))
    with pytest.raises(er.DataError, match="a 2-D matrix"):
        W.cv(np.ones(4))
    with pytest.raises(er.DataError, match="is not numeric"):
        W.entropy(pd.DataFrame({"a": ["x", "y"]}))


# ---------------------------------------------------------------------------------------------
# Combination, ranking, model


def test_combine_and_ranking() -> None:
    a = pd.Series([0.5, 0.3, 0.2], index=["x", "y", "z"])
    b = pd.Series([6, 2, 2], index=["z", "x", "y"])  # aligned by id: x .2, y .2, z .6
    assert W.combine([a, b]).round(12).tolist() == [0.35, 0.25, 0.4]
    assert W.combine([a, b], alpha=0.8).round(12).tolist() == [0.44, 0.28, 0.28]
    np.testing.assert_allclose(W.combine([a, b], "multiplicative"), np.array([0.1, 0.06, 0.12]) / 0.28)
    # pymcdm README: TOPSIS (min-max) 0.469, 0.255, 0.765, 0.747
    alts = pd.DataFrame([[4, 4, 0.2], [1, 5, 0.5], [3, 2, 0.3], [4, 3, 0.5]], columns=["a", "b", "c"], index=list("PQRS"))
    t = W.topsis(alts, {"a": 0.3, "b": 0.5, "c": 0.2}, {"b": -1}, how="minmax")
    assert t["closeness"].round(3).tolist() == [0.469, 0.255, 0.765, 0.747]
    assert t["rank"].tolist() == [3, 4, 1, 2]
    assert W.weighted_sum(alts, [1, 1, 1]).index.tolist() == list("PQRS")
    assert W.rank(pd.Series([3.0, 1.0, 3.0])).tolist() == [1.5, 3.0, 1.5]
    with pytest.raises(er.DataError, match="combine: weight vector 1 has other indicators"):
        W.combine([a, b.rename({"z": "w"})])


def test_to_model_keeps_totals(model: er.Model) -> None:
    w = pd.Series(1.0, index=model.weights.index)
    new, table = W.to_model(model, w)
    assert new.total_points == 1000
    dims = table[table.kind == "dimension"]
    assert (dims.points_after == dims.points_before).all()
    assert (np.round(table.points_after * 100) == table.points_after * 100).all()
    assert list(table.columns) == ["id", "parent", "kind", "points_before", "points_after", "change", "weight_before", "weight_after", "target"]
    flat, _ = W.to_model(model, w, keep_dimension_totals=False)
    np.testing.assert_allclose(flat.weights, 1 / len(w), atol=1e-5)
    same, _ = W.to_model(model, model.weights)
    assert same.fingerprint == model.fingerprint
    by_dim, t2 = W.to_model(model, {"safety": 4, "service": 3, "operations": 1, "residents": 2})
    assert t2.set_index("id").loc["safety", "points_after"] == 400
    with pytest.raises(er.DataError, match="every indicator needs a weight; missing"):
        W.to_model(model, {"food_safety": 1.0})


def test_hierarchy_to_model(model: er.Model) -> None:
    dims = pd.DataFrame(
        [[1, 1, 2, 1], [1, 1, 2, 1], [1 / 2, 1 / 2, 1, 1 / 2], [1, 1, 2, 1]],
        index=["safety", "service", "operations", "residents"], columns=["safety", "service", "operations", "residents"],
    )  # fmt: skip
    safety = [
        pd.DataFrame([[1, 2, 3, 3], [1 / 2, 1, 2, 2], [1 / 3, 1 / 2, 1, 1], [1 / 3, 1 / 2, 1, 1]], index=s, columns=s)
        for s in [["fire", "food_safety", "medical_hygiene", "special_equipment"]] * 2
    ]  # two experts (AIJ)
    h = W.hierarchical_ahp(model, {"": dims, "safety": safety}, keep_missing=True)
    assert h.origin[""] == "ahp" and h.origin["safety"] == "ahp" and h.origin["service"] == "kept"
    assert h.weights.sum() == pytest.approx(1.0)
    assert h.local[""]["safety"] == pytest.approx(2 / 7)
    new, table = h.to_model()
    t = table.set_index("id")
    assert t.loc["safety", "points_after"] == pytest.approx(1000 * 2 / 7, abs=0.01)
    assert new.total_points == 1000
    with pytest.raises(er.DataError, match='node "safety" has 4 children'):
        W.hierarchical_ahp(model, {"": dims})


# ---------------------------------------------------------------------------------------------
# CLI parity: the same weights, bit for bit


def test_cli_and_python_give_identical_weights(cli: Path, ratings: er.Ratings, tmp_path: Path) -> None:
    f = tmp_path / "house.csv"
    f.write_text("," + ",".join(HOUSE_IDS) + "\n" + "\n".join(i + "," + ",".join(r) for i, r in zip(HOUSE_IDS, HOUSE)) + "\n")
    for method in ("eigen", "rgmm", "colmean"):
        doc = json.loads(run_cli(cli, "weights", "ahp", str(f), "--format", "json", "--method", method).stdout)
        py = W.ahp(W.read_pairwise_csv(f), method=method)
        assert doc["weights"] == py.series.to_dict()
        assert (doc["cr"], doc["lambda_max"]) == (py.cr, py.lambda_max)
    for method, fn in (("entropy", W.entropy), ("critic", W.critic), ("std-dev", W.std_dev), ("cv", W.cv)):
        doc = json.loads(run_cli(cli, "weights", method, "--as-of", SAMPLE_AS_OF, "--format", "json").stdout)
        assert doc["weights"] == fn(ratings).to_dict(), method


# ---------------------------------------------------------------------------------------------
# Display and the errors raised in Python before the C++ core is called


def test_ahp_html_shows_the_threshold_used() -> None:
    default = W.ahp(house_frame())._repr_html_()
    assert "not consistent</span> (CR &lt; 0.1)</div>" in default
    lenient = W.ahp(house_frame(), threshold=0.2)  # CR 0.169: consistent under 0.2
    assert lenient.consistent
    html = lenient._repr_html_()
    assert ">consistent</span> (CR &lt; 0.2)</div>" in html and "CR &lt; 0.1" not in html
    # a repaired result and a group's aggregate keep the threshold they were computed with
    strict = W.ahp(house_frame(), threshold=0.05)
    assert "(CR &lt; 0.05)" in strict.repaired()._repr_html_()
    group = W.group_ahp([house_frame(), house_frame()], threshold=0.25)
    assert "(CR &lt; 0.25)" in group._repr_html_()


def test_python_only_errors_name_the_argument(ratings: er.Ratings, model: er.Model) -> None:
    df = pd.DataFrame({"fire": [0.5, 0.1, 0.3], "food": [1.0, 0.5, 0.2]}, index=["WH-1", "WH-2", "WH-3"])
    # operators= and na= are checked for every input, not only where they change the rows
    for x in (ratings, df, df.to_numpy()):
        with pytest.raises(er.DataError, match=r'^decision_matrix: operators must be "active" or "all", got \'everyone\'$') as e:
            W.entropy(x, operators="everyone")  # type: ignore[arg-type]
        assert e.value.field == "operators"
        with pytest.raises(er.DataError, match=r'^decision_matrix: na must be "drop_rows" or "error", got \'zero\'$') as e:
            W.critic(x, na="zero")  # type: ignore[arg-type]
        assert e.value.field == "na"
    # types by indicator need labels
    with pytest.raises(er.DataError, match=r"^critic: types by indicator need labelled columns \(a DataFrame or Ratings\)$"):
        W.critic(df.to_numpy(), {"fire": -1})
    with pytest.raises(er.DataError, match=r"^normalize: types by indicator need labelled columns"):
        W.normalize(df.to_numpy(), "minmax", {"fire": -1})
    with pytest.raises(er.DataError, match=r"^critic: types\[fire\] = 'lower' must be 1/'benefit' or -1/'cost'$"):
        W.critic(df, {"fire": "lower"})
    # weights by indicator: every column needs one, and the matrix needs labels
    for fn in (W.weighted_sum, W.weighted_product, W.topsis):
        name = fn.__name__
        with pytest.raises(er.DataError, match=rf"^{name}: no weight for indicator\(s\): food$") as e:
            fn(df, {"fire": 1.0})
        assert e.value.field == "food"
        with pytest.raises(er.DataError, match=rf"^{name}: weights by indicator need a DataFrame whose columns are those indicators$"):
            fn(df.to_numpy(), {"fire": 1.0, "food": 1.0})
    # group AHP's mean of priorities
    m = [[1, 2], [0.5, 1]]
    with pytest.raises(er.DataError, match=r'^group_ahp: aip_mean must be "geometric" or "arithmetic", got \'median\'$'):
        W.group_ahp([m, m], aggregation="aip", aip_mean="median")  # type: ignore[arg-type]
    with pytest.raises(er.DataError, match=r"^group_ahp: no matrices \(one per expert\)$"):
        W.group_ahp([])
    with pytest.raises(er.DataError, match=r"^ahp: 3 ids for a 2 x 2 matrix$"):
        W.ahp(m, ids=["a", "b", "c"])
    with pytest.raises(er.DataError, match=r"^ahp: a square matrix is required, got 1 dimension\(s\)$"):
        W.ahp([1, 2, 3])
    # to_model with an array: one weight per indicator, in model.weights order
    n = len(model.weights)
    with pytest.raises(er.DataError, match=rf"^to_model: an array of weights needs one per indicator \({n}\), got 3$"):
        W.to_model(model, [0.2, 0.3, 0.5])
    with pytest.raises(er.DataError, match=r"^combine: no weight vectors$"):
        W.combine([])
