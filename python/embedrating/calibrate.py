"""Benchmark-driven recalibration (SPEC §6–§7; C++ ``calibrate.hpp``; issue 12).

Fit a model to grades a panel agreed, measure agreement honestly, publish a reviewable model::

    import embedrating as er
    sample = er.load_sample()
    model = er.default_model()
    er.calibrate.agreement(model.rate(sample, as_of="2025-12-31"), sample.benchmark)
    fitted, report = er.calibrate.fit_weights(model, sample, sample.benchmark, as_of="2025-12-31")
    cv = er.calibrate.cross_validate(model, sample, sample.benchmark, as_of="2025-12-31", method="joint")
    cv.summary                      # current, in-sample and cross-validated agreement side by side
    model.diff(cv.model)            # every change, as a table
    cv.model.save("fitted.toml")    # the C++ CLI and library load it

**Grades.** The ordinal scale is unrated (不予评级) < 1A < … < 5A: *unrated* is a grade outcome and
counts in every statistic. *Not graded* (status not active, Art. 14; ``None``, ``NaN`` or
``"not graded"``) is not on the scale: such pairs are left out of the statistics and counted in
``not_graded``.

**Fits** run in C++ on :meth:`Model.score` (the weight-independent part of a rating) and are judged
by exact re-grading. Weights: a smoothed all-threshold ordinal loss on the unrounded totals,
minimised by spectral projected gradient; cut-offs and floors: exact dynamic programming on the
exact totals and ratios (docs/calibration.md). Each fit returns ``Fit(model, report)``.

Bad input raises :class:`embedrating.DataError` (benchmark, options) or :class:`ModelError`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from . import _core
from ._convert import DateLike, date_to_days
from ._errors import data_error
from ._ratings import GRADES, Ratings
from ._dataset import Dataset
from ._model import Model
from ._repr_html import agreement_html, calibration_html, fit_report_html


__all__ = [
    "Agreement",
    "CrossValidation",
    "Fit",
    "FitReport",
    "agreement",
    "cross_validate",
    "fit",
    "fit_cutoffs",
    "fit_floors",
    "fit_weights",
    "read_benchmark",
    "report_html",
]

_ORDER = ["5A", "4A", "3A", "2A", "1A", "unrated"]
_NOT_GRADED = -1


def _level_name(level: int) -> str:
    return "not graded" if level < 0 else GRADES[level]


def _code(value: Any, where: str) -> int:
    """A grade label or level → code (0 unrated … 5 = 5A, −1 not graded)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return _NOT_GRADED
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        if -1 <= int(value) <= 5:
            return int(value)
        raise data_error(f"{where}: grade level {int(value)} is not -1 (not graded) or 0 … 5", field="grade")
    text = str(value).strip()
    if text in GRADES:
        return GRADES.index(text)
    if text.lower() in ("not graded", "not_graded", ""):
        return _NOT_GRADED
    raise data_error(f'{where}: "{text}" is not a grade (5A, 4A, 3A, 2A, 1A, unrated or not graded)', field="grade")


# ---------------------------------------------------------------------------------------------
# Benchmark


def read_benchmark(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A benchmark CSV (``operator_id``, ``agreed_grade``, optionally ``panel_note``), read by the
    C++ reader: errors name file:line:column. ``agreed_grade`` is an ordered categorical."""
    d = _core.read_benchmark(os.fspath(path))
    return pd.DataFrame(
        {
            "operator_id": pd.array(d["operator_id"], dtype=object),
            "agreed_grade": pd.Categorical([GRADES[k] for k in d["level"]], categories=list(GRADES), ordered=True),
            "panel_note": pd.array(d["note"], dtype=object),
            "line": np.asarray(d["line"], dtype=np.int64),
        }
    ).assign(source=os.fspath(path))


def _benchmark_args(benchmark: Any) -> tuple[list[str], list[int], list[str], str, list[int]]:
    """(ids, levels, notes, file, lines) of a benchmark DataFrame, Series (index = operator ids) or path."""
    if isinstance(benchmark, (str, os.PathLike)):
        benchmark = read_benchmark(benchmark)
    if isinstance(benchmark, pd.Series):
        ids = [str(i) for i in benchmark.index]
        levels = [_code(v, f"benchmark operator {i}") for i, v in zip(ids, benchmark.tolist())]
        return ids, levels, [""] * len(ids), "", []
    if not isinstance(benchmark, pd.DataFrame):
        raise TypeError(f"a benchmark is a DataFrame (operator_id, agreed_grade[, panel_note]), a Series or a CSV path, not {type(benchmark).__name__}")
    for col in ("operator_id", "agreed_grade"):
        if col not in benchmark.columns:
            raise data_error(f"benchmark: the column {col} is missing (columns: {', '.join(map(str, benchmark.columns))})", field=col)
    ids = [str(x) for x in benchmark["operator_id"].tolist()]
    levels = []
    for i, v in zip(ids, benchmark["agreed_grade"].tolist()):
        c = _code(v, f"benchmark operator {i}")
        if c < 0:
            raise data_error(f"benchmark operator {i}: an agreed grade is required (5A … 1A or unrated)", field="agreed_grade", operator_id=i)
        levels.append(c)
    notes = ["" if (n is None or (isinstance(n, float) and math.isnan(n))) else str(n) for n in benchmark["panel_note"].tolist()] if "panel_note" in benchmark.columns else [""] * len(ids)
    file = str(benchmark["source"].iloc[0]) if "source" in benchmark.columns and len(benchmark) else ""
    lines = [int(x) for x in benchmark["line"].tolist()] if "line" in benchmark.columns else []
    return ids, levels, notes, file, lines


# ---------------------------------------------------------------------------------------------
# Agreement


@dataclass(eq=False)
class Agreement:
    """Agreement of predicted with agreed grades. ``confusion``: agreed (rows) × predicted (columns),
    5A first. ``disagreements``: one row per operator whose grade differs, with why (the gates
    between it and the agreed grade, or its margins above it) and the panel's note."""

    n: int
    not_graded: int
    exact: float
    within_one: float
    kappa: float
    tau_b: float
    mean_abs_error: float
    exact_count: int
    within_one_count: int
    higher: int
    lower: int
    confusion: pd.DataFrame
    disagreements: pd.DataFrame
    predicted: pd.Series | None = None

    @property
    def statistics(self) -> pd.Series:
        """The numbers as a Series (n, exact, within_one, kappa, tau_b, mean_abs_error, not_graded)."""
        return pd.Series(
            {"n": self.n, "exact": self.exact, "within_one": self.within_one, "kappa": self.kappa, "tau_b": self.tau_b,
             "mean_abs_error": self.mean_abs_error, "not_graded": self.not_graded}
        )  # fmt: skip

    def _repr_html_(self) -> str:

        return agreement_html(self)

    def __repr__(self) -> str:
        return (
            f"Agreement(n={self.n}, exact={self.exact:.3f}, within_one={self.within_one:.3f}, kappa={self.kappa:.3f}, "
            f"tau_b={self.tau_b:.3f}, disagreements={len(self.disagreements)})"
        )


def _confusion(rows: list[list[int]]) -> pd.DataFrame:
    m = np.asarray(rows, dtype=np.int64)[::-1, ::-1]  # 5A first
    return pd.DataFrame(m, index=pd.Index(_ORDER, name="agreed"), columns=pd.Index(_ORDER, name="predicted"))


def _agreement_of(d: dict[str, Any], ids: list[str] | None = None) -> Agreement:
    s = d["stats"] if "stats" in d else d
    dis = d.get("disagreements", [])
    frame = pd.DataFrame(
        {
            "operator_id": [x["operator_id"] for x in dis],
            "agreed": [_level_name(x["agreed"]) for x in dis],
            "predicted": [_level_name(x["predicted"]) for x in dis],
            "by_score": [_level_name(x["by_score"]) for x in dis],
            "difference": [x["predicted"] - x["agreed"] if x["predicted"] >= 0 else np.nan for x in dis],
            "why": [x["why"] for x in dis],
            "panel_note": [x["note"] for x in dis],
        }
    )
    predicted = None
    if ids is not None and "predicted" in d:
        predicted = pd.Series([_level_name(k) for k in d["predicted"]], index=pd.Index(ids, name="operator_id"), name="predicted")
    return Agreement(
        n=s["n"], not_graded=s["not_graded"], exact=s["exact"], within_one=s["within_one"], kappa=s["kappa"], tau_b=s["tau_b"],
        mean_abs_error=s["mean_abs_error"], exact_count=s["exact_count"], within_one_count=s["within_one_count"],
        higher=s["higher"], lower=s["lower"], confusion=_confusion(s["confusion"]), disagreements=frame, predicted=predicted,
    )  # fmt: skip


def _codes_of(x: Any, ids: list[str] | None, what: str) -> list[int]:
    if isinstance(x, Ratings):
        frame = x.to_frame().set_index("operator_id")
        series = frame["grade"].astype(object).where(frame["status"] == "active", None)
        x = series
    if isinstance(x, pd.DataFrame):
        col = "agreed_grade" if "agreed_grade" in x.columns else ("grade" if "grade" in x.columns else None)
        if col is None or "operator_id" not in x.columns:
            raise data_error(f"agreement: a {what} DataFrame needs operator_id and grade (or agreed_grade) columns", field=what)
        x = pd.Series(x[col].tolist(), index=[str(i) for i in x["operator_id"]])
    if isinstance(x, pd.Series) and ids is not None:
        index = [str(i) for i in x.index]
        lookup = dict(zip(index, x.tolist()))
        missing = [i for i in ids if i not in lookup]
        if missing:
            raise data_error(f"agreement: operator {missing[0]} has an agreed grade but no {what} grade", field=what, operator_id=missing[0])
        return [_code(lookup[i], f"{what} operator {i}") for i in ids]
    values = x.tolist() if isinstance(x, (pd.Series, np.ndarray)) else list(x)
    return [_code(v, f"{what} grade {k}") for k, v in enumerate(values)]


def agreement(predicted: Ratings | pd.Series | pd.DataFrame | Sequence[Any], agreed: pd.DataFrame | pd.Series | Sequence[Any]) -> Agreement:
    """Exact and within-one rates, Cohen's quadratic-weighted kappa, Kendall's tau-b, the
    confusion matrix and the disagreements.

    `predicted`: :class:`Ratings` (then each disagreement lists the operator's gates), a Series of
    grades by operator id, a frame with ``operator_id`` and ``grade``, or a sequence. `agreed`: a
    benchmark frame (``operator_id``, ``agreed_grade``, ``panel_note``), a Series by operator id
    or a sequence in the same order as `predicted`. Grades: "5A" … "1A", "unrated", levels 0 … 5,
    and None / NaN / "not graded" for operators without a grade (left out, counted).

    kappa_w = 1 − Σ w O / Σ w E with w_ij = (i − j)² over the six levels (Cohen 1968; Fleiss &
    Cohen 1973); tau-b = (n_c − n_d) / √((n₀ − n₁)(n₀ − n₂)) (Kendall 1945)."""
    if isinstance(predicted, Ratings) and isinstance(agreed, (pd.DataFrame, pd.Series, str, os.PathLike)):
        ids, levels, notes, file, lines = _benchmark_args(agreed)
        d = _core.compare_benchmark(predicted._core, ids, levels, notes, file, lines)
        return _agreement_of(d, ids)
    if isinstance(agreed, (pd.DataFrame, pd.Series)):
        a_ids, a_levels, notes, _, _ = _benchmark_args(agreed) if isinstance(agreed, pd.DataFrame) else (
            [str(i) for i in agreed.index], [_code(v, f"agreed operator {i}") for i, v in agreed.items()], [""] * len(agreed), "", [])
        p_codes = _codes_of(predicted, a_ids if isinstance(predicted, (pd.Series, pd.DataFrame, Ratings)) else None, "predicted")
        d = _core.agreement(p_codes, a_levels)
        dis = [
            {"operator_id": i, "agreed": a, "predicted": p, "by_score": _NOT_GRADED, "why": "", "note": n}
            for i, a, p, n in zip(a_ids, a_levels, p_codes, notes)
            if a != p
        ]
        return _agreement_of({"stats": d, "disagreements": dis, "predicted": p_codes}, a_ids)
    p_codes = _codes_of(predicted, None, "predicted")
    a_codes = _codes_of(agreed, None, "agreed")
    d = _core.agreement(p_codes, a_codes)
    dis = [
        {"operator_id": str(k), "agreed": a, "predicted": p, "by_score": _NOT_GRADED, "why": "", "note": ""}
        for k, (a, p) in enumerate(zip(a_codes, p_codes))
        if a != p
    ]
    return _agreement_of({"stats": d, "disagreements": dis})


# ---------------------------------------------------------------------------------------------
# Fits


@dataclass(eq=False)
class FitReport:
    """What a fit did: the objective and its trace, agreement before and after (exact, in-sample),
    every fitted parameter (``moved`` marks the ones that changed), the cases left out and why."""

    method: str
    objective: str
    trace: pd.DataFrame
    before: Agreement
    after: Agreement
    parameters: pd.DataFrame
    excluded: pd.DataFrame
    warnings: list[str]
    cases: int
    converged: bool
    iterations: int
    parent_fingerprint: str

    @property
    def moved(self) -> pd.DataFrame:
        """The parameters that changed."""
        return self.parameters[self.parameters["moved"]]

    def _repr_html_(self) -> str:

        return fit_report_html(self)

    def __repr__(self) -> str:
        return (
            f"FitReport({self.method}, {self.cases} cases, exact {self.before.exact:.3f} -> {self.after.exact:.3f}, "
            f"kappa {self.before.kappa:.3f} -> {self.after.kappa:.3f}, {int(self.parameters['moved'].sum())} parameters moved)"
        )


class Fit(NamedTuple):
    """A fitted model and its report (unpacks: ``model, report = fit_weights(...)``)."""

    model: Model
    report: FitReport


def _report(d: dict[str, Any], ids: list[str]) -> FitReport:
    trace = pd.DataFrame(d["trace"], columns=["round", "step", "iteration", "objective", "data", "penalty"])
    params = pd.DataFrame(d["parameters"], columns=["parameter", "before", "after"])
    params["change"] = params["after"] - params["before"]
    params["moved"] = params["before"] != params["after"]
    excluded = pd.DataFrame(d["excluded"], columns=["operator_id", "reason"])
    return FitReport(
        method=d["method"], objective=d["objective"], trace=trace, before=_agreement_of(d["before"], ids),
        after=_agreement_of(d["after"], ids), parameters=params, excluded=excluded, warnings=list(d["warnings"]),
        cases=d["cases"], converged=d["converged"], iterations=d["iterations"], parent_fingerprint=d["parent_fingerprint"],
    )  # fmt: skip


def _options(**kw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in kw.items():
        if v is None:
            continue
        if k == "bounds":
            rows = []
            for leaf, b in dict(v).items():
                lo, hi = b
                rows.append((str(leaf), float(lo), float(hi)))
            out["bounds"] = rows
        elif k in ("id", "version"):
            out[k] = str(v)
        else:
            out[k] = v
    return out


def _scored(model: Model, dataset: Dataset, as_of: DateLike) -> Any:
    date_to_days(as_of)  # a clear error for a bad date before scoring
    return model.score(dataset, as_of=as_of)


def _run_fit(model: Model, dataset: Dataset, benchmark: Any, as_of: DateLike, method: str, options: dict[str, Any]) -> Fit:

    ids, levels, notes, file, lines = _benchmark_args(benchmark)
    s = _scored(model, dataset, as_of)
    core, rep = _core.fit(s._core, ids, levels, notes, method, options, file, lines)
    return Fit(Model(core), _report(rep, ids))


def fit_weights(
    model: Model,
    dataset: Dataset,
    benchmark: Any,
    *,
    as_of: DateLike,
    lam: float = 0.02,
    margin: float = 2.0,
    smoothing: float = 1.0,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    lower: float = 0.0,
    upper: float = 1.0,
    fixed_dimension_totals: bool = False,
    max_iterations: int = 400,
    id: str | None = None,
    version: str | None = None,
) -> Fit:
    """Fit the leaf weights to the benchmark: non-negative, summing to one (the model's total kept;
    each dimension's too with ``fixed_dimension_totals``), within ``bounds`` (global weights by
    indicator id; others in [lower, upper]), pulled toward the current weights by ``lam`` per
    point² of change.

    Objective: the smoothed all-threshold ordinal loss — for every case and every grade threshold
    it must pass (fail), the squared shortfall of each gate's margin below ``margin`` points (of the
    soft minimum, temperature ``smoothing``, of the gates' margins above −margin), on the
    unrounded totals — minimised from the current weights by spectral projected gradient; the
    fitted weights are the point on the way from the current weights to that minimiser with the
    fewest exact ordinal errors (ties: the nearest to the current weights). Points are rounded to
    0.01 by largest remainder, so the total is exact. Returns ``Fit(model, report)``."""
    opts = _options(lambda_=None, margin=margin, smoothing=smoothing, bounds=bounds, lower=lower, upper=upper,
                    fixed_dimension_totals=fixed_dimension_totals, max_iterations=max_iterations, id=id, version=version)  # fmt: skip
    opts["lambda"] = float(lam)
    return _run_fit(model, dataset, benchmark, as_of, "weights", opts)


def fit_cutoffs(
    model: Model, dataset: Dataset, benchmark: Any, *, as_of: DateLike, margin: float = 1.0, penalty: float = 0.02,
    id: str | None = None, version: str | None = None,
) -> Fit:  # fmt: skip
    """Fit the minimum totals of 1A … 5A (monotone, on the points scale) exactly: the fewest
    all-threshold ordinal errors on the exact totals plus ``penalty`` errors per point a cut-off
    moves; each cut-off ``margin`` points from the nearest benchmark total when possible; ties:
    nearest to the current cut-offs. Returns ``Fit(model, report)``."""
    return _run_fit(model, dataset, benchmark, as_of, "cutoffs", _options(cutoff_margin=margin, cutoff_penalty=penalty, id=id, version=version))


def fit_floors(
    model: Model, dataset: Dataset, benchmark: Any, *, as_of: DateLike, margin: float = 0.005, penalty: float = 0.1,
    dimension_minimums: bool = True, id: str | None = None, version: str | None = None,
) -> Fit:  # fmt: skip
    """Fit each grade's ``min_dimension_ratio`` and (``dimension_minimums``) the per-dimension
    minimums the model has, monotone over grades, exactly as :func:`fit_cutoffs` does (``penalty``
    errors per 0.01 moved). Returns ``Fit(model, report)``."""
    opts = _options(ratio_margin=margin, floor_penalty=penalty, fit_dimension_minimums=dimension_minimums, id=id, version=version)
    return _run_fit(model, dataset, benchmark, as_of, "floors", opts)


_OPTION_NAMES = {
    "lam": "lambda", "margin": "margin", "smoothing": "smoothing", "bounds": "bounds", "lower": "lower", "upper": "upper",
    "fixed_dimension_totals": "fixed_dimension_totals", "max_iterations": "max_iterations", "cutoff_margin": "cutoff_margin",
    "cutoff_penalty": "cutoff_penalty", "ratio_margin": "ratio_margin", "floor_penalty": "floor_penalty",
    "dimension_minimums": "fit_dimension_minimums", "rounds": "rounds", "id": "id", "version": "version",
}  # fmt: skip


def _joint_options(kw: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in kw.items():
        if k not in _OPTION_NAMES:
            raise TypeError(f"unknown option {k!r} (known: {', '.join(sorted(_OPTION_NAMES))})")
        out.update(_options(**{k: v}))
        if k in out and _OPTION_NAMES[k] != k:
            out[_OPTION_NAMES[k]] = out.pop(k)
    return out


def fit(model: Model, dataset: Dataset, benchmark: Any, *, as_of: DateLike, method: str = "joint", **options: Any) -> Fit:
    """Any fit by name: ``method`` = "weights", "cutoffs", "floors" or "joint" (default: rounds of
    weights → cut-offs → floors while the exact ordinal errors fall; the best round wins). Options:
    lam, margin, smoothing, bounds, lower, upper, fixed_dimension_totals, max_iterations,
    cutoff_margin, cutoff_penalty, ratio_margin, floor_penalty, dimension_minimums, rounds, id,
    version."""
    return _run_fit(model, dataset, benchmark, as_of, str(method), _joint_options(options))


# ---------------------------------------------------------------------------------------------
# Cross-validation


@dataclass(eq=False)
class CrossValidation:
    """A fit method cross-validated: the current model, the fit judged on its own cases
    (in-sample) and each case predicted by the fit without its fold (cross-validated), side by side
    in :attr:`summary`; per-parameter spread over the folds; warnings when in-sample and
    cross-validated agreement diverge. ``model``/``report``: the fit on every case."""

    method: str
    scheme: str
    folds: int
    fold_of: pd.Series
    current: Agreement
    in_sample: Agreement
    cross_validated: Agreement
    parameters: pd.DataFrame
    warnings: list[str]
    model: Model
    report: FitReport
    benchmark_file: str = ""
    as_of: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def summary(self) -> pd.DataFrame:
        """Agreement of the current model, the fit in-sample and cross-validated (rows) by statistic."""
        rows = {"current model": self.current, "fitted, in-sample": self.in_sample, "fitted, cross-validated": self.cross_validated}
        return pd.DataFrame({k: v.statistics for k, v in rows.items()}).T

    def _repr_html_(self) -> str:
        return report_html(self)

    def __repr__(self) -> str:
        return (
            f"CrossValidation(method={self.method!r}, scheme={self.scheme!r}, exact: current {self.current.exact:.3f}, "
            f"in-sample {self.in_sample.exact:.3f}, cross-validated {self.cross_validated.exact:.3f}; "
            f"kappa: {self.current.kappa:.3f}, {self.in_sample.kappa:.3f}, {self.cross_validated.kappa:.3f})"
        )


def cross_validate(
    model: Model,
    dataset: Dataset,
    benchmark: Any,
    *,
    as_of: DateLike,
    method: str = "weights",
    folds: int | str = "loo",
    seed: int = 1,
    divergence: float = 0.10,
    **options: Any,
) -> CrossValidation:
    """Leave-one-out (``folds="loo"``) or stratified k-fold (``folds=k``, shuffled within each agreed
    grade with ``seed``) cross-validation of a fit ``method`` ("weights", "cutoffs", "floors",
    "joint"): each fold is fitted from `model` on the other folds' cases and predicts its own by
    exact regrade. About 20 parameters on about 40 cases overfit: compare the in-sample and the
    cross-validated agreement (a warning says when they are more than ``divergence`` apart, or
    when the fit does worse than the current model). Fit options as :func:`fit`."""

    if folds == "loo":
        k = 0
    elif isinstance(folds, (int, np.integer)) and not isinstance(folds, bool):
        k = int(folds)
    else:
        raise data_error(f'cross_validate: folds must be "loo" or a number of folds >= 2, got {folds!r}', field="folds")
    ids, levels, notes, file, lines = _benchmark_args(benchmark)
    s = _scored(model, dataset, as_of)
    d = _core.cross_validate(s._core, ids, levels, notes, str(method), k, int(seed), float(divergence), _joint_options(options), file, lines)
    params = pd.DataFrame(d["parameters"], columns=["parameter", "current", "in_sample", "cv_mean", "cv_min", "cv_max"])
    return CrossValidation(
        method=d["method"], scheme=d["scheme"], folds=d["folds"],
        fold_of=pd.Series(d["fold_of"], index=pd.Index(ids, name="operator_id"), name="fold"),
        current=_agreement_of(d["current"], ids), in_sample=_agreement_of(d["in_sample"], ids),
        cross_validated=_agreement_of(d["cross_validated"], ids), parameters=params, warnings=list(d["warnings"]),
        model=Model(d["model"]), report=_report(d["report"], ids), benchmark_file=file, as_of=str(as_of),
    )  # fmt: skip


def report_html(cv: CrossValidation) -> str:
    """The calibration report as HTML (also ``cv._repr_html_()``): agreement tables, confusion heat
    maps, weights before/after, cross-validated spread, the disagreements and the trace."""

    return calibration_html(cv)
