"""The reference implementations of bench/reference/ (issue 14) do the same work as embedrating:
the same leaf scores, centi-points, grades by score and final grades (sample, randomly perturbed
operators, synthetic models of 8 and 128 indicators), the same review summaries (the sample's
events and generated events; numpy and pandas; dedup and count mode; with and without decay), and
the same Monte Carlo grade distribution — so bench/run.py compares like with like. Each test would
fail if a reference dropped a stage (a check that a changed cut-off is noticed keeps the
comparison honest)."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import embedrating as er
from embedrating._aggregator import review_keys

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path[:0] = [str(BENCH), str(BENCH / "python")]

from bench_rate import operator_frame, tiled  # noqa: E402
from reference import data, montecarlo, rating, reviews  # noqa: E402

AS_OF = "2025-12-31"


@pytest.fixture(scope="module")
def model() -> er.Model:
    return er.default_model()


@pytest.fixture(scope="module")
def spec(model: er.Model) -> dict:
    return tomllib.loads(model.to_toml())


@pytest.fixture(scope="module")
def sample(model: er.Model) -> pd.DataFrame:
    return operator_frame(model)


def assert_same_rating(r: er.Ratings, ref: rating.Rating) -> None:
    core = np.asarray(r.indicator_score)
    assert np.array_equal(np.isnan(core), np.isnan(ref.scores)), "not-applicable leaves differ"
    assert np.array_equal(np.nan_to_num(core), np.nan_to_num(ref.scores)), "leaf scores differ"
    assert np.array_equal(np.asarray(r.dimension_centi), ref.dimension_centi), "dimension centi-points differ"
    assert np.array_equal(np.asarray(r.total_centi), ref.total_centi), "total centi-points differ"
    assert np.array_equal(np.asarray(r.grade_by_score), ref.grade_by_score), "grades by score differ"
    assert np.array_equal(np.asarray(r.final_grade), ref.final_grade), "final grades differ"


def test_rating_sample(model: er.Model, spec: dict, sample: pd.DataFrame) -> None:
    ref = rating.rate(sample, spec, AS_OF)
    assert ref.leaves == list(model.weights.index)
    assert_same_rating(model.rate(er.Dataset(sample), as_of=AS_OF), ref)
    assert set(np.unique(ref.final_grade)) == {0, 1, 2, 3, 4, 5}  # every grade is reached


@pytest.mark.parametrize("seed", [1, 2])
def test_rating_generated(model: er.Model, spec: dict, sample: pd.DataFrame, seed: int) -> None:
    df = data.perturbed(tiled(sample, 10_000, False), spec, seed=seed)
    r = model.rate(er.Dataset(df), as_of=AS_OF)
    assert_same_rating(r, rating.rate(df, spec, AS_OF))
    _, rule, _ = r._core.fired()
    fired = np.bincount(rule, minlength=len(model.rules))
    assert (fired > 0).all(), f"rules that never fired: {list(model.rules['id'][fired == 0])}"
    assert len(np.unique(np.asarray(r.final_grade))) >= 4
    assert np.isnan(np.asarray(r.indicator_score)).any()  # not-applicable re-allocation is exercised


@pytest.mark.parametrize("indicators", [8, 128])
def test_rating_synthetic_models(indicators: int) -> None:
    text, measures = data.synthetic_model(indicators)
    m = er.Model.from_toml(text)
    df = data.synthetic_frame(3000, measures, seed=indicators)
    ref = rating.rate(df, tomllib.loads(m.to_toml()), AS_OF)
    assert len(ref.leaves) == indicators
    assert_same_rating(m.rate(er.Dataset(df), as_of=AS_OF), ref)


def test_rating_comparison_can_fail(model: er.Model, spec: dict, sample: pd.DataFrame) -> None:
    """A reference one cut-off away from the model gives other grades: the equality above means something."""
    changed = tomllib.loads(model.to_toml())
    next(g for g in changed["grades"] if g["grade"] == "3A")["min_total"] = 760
    df = data.perturbed(tiled(sample, 5000, False), spec, seed=3)
    r = model.rate(er.Dataset(df), as_of=AS_OF)
    assert not np.array_equal(np.asarray(r.final_grade), rating.rate(df, changed, AS_OF).final_grade)


# ---------------------------------------------------------------------------------------------
# reviews

SUMMARY = ["valid_n", "effective_n", "satisfaction_index", "satisfaction_rate", "bad_open", "bad_closed_in_time", "bad_overdue",
           "bad_followed_up"]  # fmt: skip


def assert_same_summary(s: pd.DataFrame, o: dict) -> None:
    assert np.array_equal(s[[f"count_{k}" for k in range(1, 6)]].to_numpy(), o["counts"]), "counts by level differ"
    for c in SUMMARY:
        np.testing.assert_allclose(s[c].to_numpy(np.float64), np.asarray(o[c], np.float64), rtol=1e-12, atol=1e-12, err_msg=c)


def sample_events(ops: list[str]) -> dict[str, np.ndarray]:
    """data/sample/reviews.csv as the arrays of ReviewAggregator.add (what the CSV reader makes)."""
    ev = pd.read_csv(Path(er.data_directory()) / "sample" / "reviews.csv", dtype=str, keep_default_na=False)

    def unix(col: pd.Series) -> np.ndarray:
        t = pd.to_datetime(col.where(col != ""), format="ISO8601", utc=True)
        seconds = (t - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)
        return seconds.fillna(np.iinfo(np.int64).min).to_numpy(np.int64)

    level = ev["level"].map({"good": "5", "bad": "1"}).fillna(ev["level"]).astype(np.int8)
    return {"review_key": review_keys(ev["review_id"]), "revision": ev["revision"].astype(np.uint32).to_numpy(),
            "operator_index": pd.Index(ops).get_indexer(ev["operator_id"]).astype(np.uint32),
            "reviewer_key": review_keys(ev["reviewer_id"]), "time": unix(ev["time"]), "level": level.to_numpy(),
            "status": ev["status"].map({"valid": 0, "pending": 1, "void": 2}).astype(np.uint8).to_numpy(),
            "rectified_at": unix(ev["rectified_at"]), "followed_up_at": unix(ev["followed_up_at"]),
            "has_service_record": (ev["service_record_id"] != "").astype(np.uint8).to_numpy()}  # fmt: skip


@pytest.mark.parametrize("impl", [reviews.aggregate_numpy, reviews.aggregate_pandas])
@pytest.mark.parametrize(("dedup", "half_life"), [(True, 0.0), (False, 0.0), (True, 90.0), (False, 45.0)])
def test_reviews_sample(model: er.Model, impl, dedup: bool, half_life: float) -> None:
    root = Path(er.data_directory()) / "sample"
    ops = pd.read_csv(root / "operators.csv", dtype=str)["operator_id"].tolist()
    m = model.with_review_settings(dedup=dedup, half_life_days=half_life)
    agg = er.ReviewAggregator(ops, m).add_csv(root / "reviews.csv")
    assert agg.rejects.empty or int(agg.rejects["count"].sum()) == 0
    s = agg.summary(AS_OF)
    assert s["valid_n"].sum() > 10_000
    assert_same_summary(s, impl(sample_events(ops), len(ops), AS_OF, dedup=dedup, half_life_days=half_life))


@pytest.mark.parametrize("impl", [reviews.aggregate_numpy, reviews.aggregate_pandas])
@pytest.mark.parametrize(("dedup", "half_life"), [(True, 0.0), (False, 0.0), (True, 30.0), (False, 30.0)])
def test_reviews_generated(model: er.Model, impl, dedup: bool, half_life: float) -> None:
    n_ops = 1000
    ev = reviews.generate_events(150_000, n_ops, seed=7)
    m = model.with_review_settings(dedup=dedup, half_life_days=half_life)
    agg = er.ReviewAggregator([f"op{i}" for i in range(n_ops)], m).add(**ev)
    assert int(agg.rejects["count"].sum()) == 0 if not agg.rejects.empty else True
    s = agg.summary("2026-02-28")
    assert (s["bad_overdue"] > 0).any() and (s["bad_closed_in_time"] > 0).any() and (s["bad_open"] > 0).any()
    assert_same_summary(s, impl(ev, n_ops, "2026-02-28", dedup=dedup, half_life_days=half_life))


def test_reviews_comparison_can_fail(model: er.Model) -> None:
    """Counting every revision instead of the latest shows: the summaries differ."""
    ev = reviews.generate_events(50_000, 300, seed=2)
    s = er.ReviewAggregator([f"op{i}" for i in range(300)], model).add(**ev).summary("2026-02-28")
    wrong = dict(ev, review_key=np.arange(len(ev["review_key"]), dtype=np.uint64))  # every revision its own review
    with pytest.raises(AssertionError):
        assert_same_summary(s, reviews.aggregate_numpy(wrong, 300, "2026-02-28"))


# ---------------------------------------------------------------------------------------------
# Monte Carlo


@pytest.mark.parametrize("which", ["sample", "generated"])
def test_monte_carlo(model: er.Model, spec: dict, sample: pd.DataFrame, which: str) -> None:
    df = sample if which == "sample" else data.perturbed(tiled(sample, 5000, False), spec, seed=4)
    ref = rating.rate(df, spec, AS_OF)
    w = model.weights.to_numpy()
    own = montecarlo.monte_carlo(ref, spec, w[None, :])["grades"][0]
    assert (own == ref.final_grade).mean() >= 0.98  # GEMM totals: only operators at a cut-off may differ
    draws = np.random.default_rng(11).dirichlet(w * 200.0, size=100)
    exact, _ = model.score(er.Dataset(df), as_of=AS_OF).regrade_many(draws, as_frame=False)
    mc = montecarlo.monte_carlo(ref, spec, draws)
    assert (mc["grades"] == exact).mean() >= 0.995
    # the same distribution of grades over all draws and operators (within 0.5 % of the draws)
    a, b = np.bincount(exact.ravel(), minlength=6), np.bincount(mc["grades"].ravel(), minlength=6)
    assert np.abs(a - b).max() <= 0.005 * exact.size
    # and the stability of each operator: within 0.5 % on average, 10 % (10 draws) at worst
    ec = np.stack([(exact == lvl).sum(axis=0) for lvl in range(6)], axis=1)
    diff = np.abs(ec.max(axis=1) / len(draws) - mc["stability"])
    assert diff.mean() <= 0.005 and diff.max() <= 0.10


# ---------------------------------------------------------------------------------------------
# bench/run.py's analysis: the scaling flag and the target verdicts


def test_run_flags_super_linear_work_and_judges_targets() -> None:
    import run  # bench/run.py

    sizes = [1e3, 1e4, 1e5, 1e6]
    profile = dict(run.PROFILES["smoke"], operators=sizes, indicators=[], events=[], mc=[])

    def rec(impl: str, n: float, t: float) -> dict:
        return {"task": {"kind": "rate", "impl": impl, "n": n}, "cpu_s": t, "wall_s": t, "work_MB": 1.0, "items": n,
                "input_MB": 10.0, "output_MB": 5.0, "per_s": n / t}  # fmt: skip

    res = {"rate": [rec("embedrating", n, 1e-12 * n * n + 1e-6) for n in sizes] + [rec("numpy", n, 1e-7 * n) for n in sizes],
           "reviews": [], "mc": []}  # fmt: skip
    an = run.analyse(res, profile)
    flags = {s["series"]: s["super_linear"] for s in an["scaling"]}
    assert flags == {"rating, operators (embedrating)": True, "rating, operators (numpy)": False}
    first = an["targets"][0]
    assert first["value"] == pytest.approx(1e-7 * 1e6 / (1e-12 * 1e12 + 1e-6)) and first["met"] is False
    assert any(t["met"] is None for t in an["targets"])  # what was not measured says so
    block = run.report(dict(res, machine=run.machine(), started="now", seconds=1.0, profile="smoke"), an, "python bench/run.py --smoke")
    assert block.startswith(run.BEGIN) and block.endswith(run.END) and "**missed**" in block and "**super-linear**" in block


def test_run_saves_each_measurement_and_resumes_without_measuring_again(tmp_path: Path) -> None:
    import run  # bench/run.py

    path = tmp_path / "run-full.partial.json"
    calls: list[str] = []

    def measure(name: str, fail: bool = False):
        def f() -> dict:
            calls.append(name)
            return {"error": "boom"} if fail else {"cpu_s": len(calls)}
        return f

    first = run.Store(path, resume=False, redo=set())
    a = first.get("rate", {"n": 1}, measure("a"))
    first.get("reviews", {"n": 1}, measure("b", fail=True))
    assert path.exists() and calls == ["a", "b"]  # saved before the run ends (an interruption loses nothing taken)
    # resumed: a is not measured again; a failed measurement is
    again = run.Store(path, resume=True, redo=set())
    assert again.get("rate", {"n": 1}, measure("a2")) == a and again.reused == 1
    again.get("reviews", {"n": 1}, measure("b2"))
    assert calls == ["a", "b", "b2"]
    # --redo reviews:numpy re-measures only that implementation of the part
    again.get("reviews", {"n": 2, "impl": "embedrating"}, measure("e"))
    again.get("reviews", {"n": 2, "impl": "numpy"}, measure("n"))
    impl_redo = run.Store(path, resume=True, redo={"reviews:numpy"})
    impl_redo.get("reviews", {"n": 2, "impl": "embedrating"}, measure("e2"))
    impl_redo.get("reviews", {"n": 2, "impl": "numpy"}, measure("n2"))
    assert calls[-3:] == ["e", "n", "n2"]
    # --redo rate measures that part again; without --resume the saved file is dropped
    assert run.Store(path, resume=True, redo={"rate"}).get("rate", {"n": 1}, measure("a3")) != a
    fresh = run.Store(path, resume=False, redo=set())
    assert not path.exists() and fresh.get("rate", {"n": 1}, measure("a4")) == {"cpu_s": len(calls)}
    fresh.done()
    assert not path.exists()
    path.write_text("not json")
    with pytest.raises(SystemExit, match="not a partial result"):
        run.Store(path, resume=True, redo=set())
