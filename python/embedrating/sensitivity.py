"""How stable is each grade, and who moves under a new model (SPEC §6–§7; C++ ``sensitivity.hpp``).

Monte Carlo over the weights (the grades of every draw from the C++ engine, counted as they come;
no draws × operators matrix)::

    import embedrating as er
    mc = er.sensitivity.monte_carlo(model, sample, draws=1000, seed=1, as_of="2025-12-31")
    mc.operators            # per operator: grade, modal grade, stability, P(each grade), total quantiles
    mc.distribution         # operators per grade: now, expected over the draws, 95 % interval
    mc.fragile(0.1)         # operators whose grade changed in at least 10 % of the draws, and why

One-at-a-time swings (each leaf weight, dimension total and cut-off ±δ), the operators near a
line, and a comparison of two models (transition matrix, who moved and why, kappa)::

    er.sensitivity.one_at_a_time(model, sample, as_of="2025-12-31").summary
    er.sensitivity.near_the_line(model, sample, as_of="2025-12-31", points=5)
    er.sensitivity.compare(model, new_model, sample, as_of="2025-12-31").moved

Plots: :func:`embedrating.plot.stability`, :func:`embedrating.plot.tornado`,
:func:`embedrating.plot.transitions`. Methods, sources and error bounds: ``docs/sensitivity.md``.
Every function raises :class:`embedrating.DataError` (a ValueError) naming the parameter at fault.
"""

from __future__ import annotations

import html
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from . import _core
from ._convert import DateLike
from ._errors import data_error
from ._ratings import GRADE_DTYPE, GRADES, STATUS_DTYPE, Ratings, _grades
from ._dataset import Dataset
from ._model import Model
from ._scored import Scored


__all__ = [
    "Comparison",
    "MonteCarloResult",
    "OATResult",
    "cohen_kappa",
    "compare",
    "draw_weights",
    "monte_carlo",
    "near_the_line",
    "one_at_a_time",
]

Method = Literal["dirichlet", "uniform", "none"]
Progress = bool | Callable[[int, int], object] | None

_LONG_RUN = 5e7
"""Draws × operators from which an automatic progress bar is shown (on a terminal)."""
_DESCENDING = ("5A", "4A", "3A", "2A", "1A", "unrated")


def _scored(model: Model | Scored, dataset: Dataset | None, as_of: DateLike | None, fn: str) -> Scored:
    """The Scored of (model, dataset, as_of), or `model` itself when it is a Scored."""

    if isinstance(model, Scored):
        if dataset is not None or as_of is not None:
            raise TypeError(f"{fn}(scored): a Scored already holds its dataset and as_of; pass neither")
        return model
    if not isinstance(model, Model):
        raise TypeError(f"{fn}() takes an embedrating.Model (or a Scored), not {type(model).__name__}")
    if dataset is None:
        raise TypeError(f"{fn}() needs a dataset")
    if as_of is None:
        raise TypeError(f"{fn}() needs as_of= (the evaluation date; the clock is never read)")
    return model.score(dataset, as_of=as_of)


def _quantile_name(q: float) -> str:
    return f"total_q{100.0 * q:g}"


def _labels(model: Model, lang: str) -> dict[str, str]:
    nodes = model.indicators
    col = "label_zh" if lang == "zh" else "label"
    return {str(i): (str(t) if isinstance(t, str) and t else str(i)) for i, t in zip(nodes["id"], nodes[col])}


# ---------------------------------------------------------------------------------------------
# Progress


def _progress(progress: Progress, total: int, work: float, desc: str) -> tuple[Callable[[int, int], object] | None, Any]:
    """The callback handed to C++ and the bar to close: a callable is used as is; True shows a tqdm
    bar; None (default) shows one only for long runs on a terminal (never in a notebook or a pipe)."""
    if progress is False:
        return None, None
    if callable(progress) and progress is not True:
        return progress, None
    if progress is None and not (work >= _LONG_RUN and sys.stderr is not None and sys.stderr.isatty()):
        return None, None
    try:
        from tqdm import tqdm
    except ImportError:
        if progress is True:
            raise ImportError('progress=True needs tqdm: pip install "embedrating[progress]" (or pip install tqdm)') from None
        return None, None
    bar = tqdm(total=total, desc=desc, unit="draw", file=sys.stderr)

    def update(done: int, _total: int) -> None:
        bar.update(done - bar.n)

    return update, bar


# ---------------------------------------------------------------------------------------------
# Monte Carlo


@dataclass(frozen=True, eq=False)
class MonteCarloResult:
    """Monte Carlo over the weights of a model (:func:`monte_carlo`).

    - ``operators``: one row per operator (index ``operator_id``): status, grade (the model's own),
      modal_grade, stability (the share of draws that gave the current grade), p_down / p_up, the
      probability of each grade (``p_unrated``, ``p_1A`` … ``p_5A``), the current total, and over
      the draws the total's mean, sd, min, quantiles (``total_q5`` … ``total_q95``) and max, the
      quantiles' resolution (each is within one bin of the empirical quantile of the draws) and
      how many draws fell outside the operator's histogram window (``clipped``).
    - ``distribution``: per grade (5A … unrated, not_graded), the operators now, the expected
      number over the draws and its central ``interval``.
    - ``per_draw``: operators per grade in each draw; ``weights``: the weights of each draw;
      ``cutoffs``: the cut-offs of each draw (with cut-off jitter).
    - ``memory``: bytes held by the run, by part (accumulators, draws, tile and engine buffers).
    """

    operators: pd.DataFrame
    distribution: pd.DataFrame
    per_draw: pd.DataFrame
    weights: pd.DataFrame
    cutoffs: pd.DataFrame | None
    counts: np.ndarray = field(repr=False)
    """operators × 6 draws per grade level (0 = unrated … 5 = 5A)."""
    levels: np.ndarray = field(repr=False)
    """The current grade level of each operator (0 = unrated … 5 = 5A)."""
    memory: dict[str, int] = field(repr=False)
    options: dict[str, Any] = field(repr=False)
    scored: Scored = field(repr=False)

    @property
    def draws(self) -> int:
        return int(self.options["draws"])

    @property
    def model(self) -> Model:
        return self.scored.model

    def fragile(self, share: float = 0.1) -> pd.DataFrame:
        """Operators whose grade changed in at least `share` of the draws (least stable first),
        with the gate that decides a move in the more frequent direction (:func:`near_the_line`'s
        columns): share in (0, 1]."""
        if not (0.0 < share <= 1.0):
            raise data_error(f"fragile: share must be in (0, 1], got {share}", field="share")
        ops = self.operators
        grade = np.asarray(self.levels, dtype=np.int64)
        kept = self.counts[np.arange(len(grade)), grade]
        moved = self.draws - kept
        rows = np.flatnonzero(moved >= share * self.draws - 1e-9)
        up = ops["p_up"].to_numpy()[rows] > ops["p_down"].to_numpy()[rows]
        directions = ["up" if u else "down" for u in up]
        ratings = self._ratings()
        gates = _core.deciding_gates(ratings._core, rows.tolist(), directions)
        frame = _gates_frame(gates, ratings, self.model)
        moved_share = pd.Series(moved / self.draws, index=pd.Index(ratings.operator_ids, name="operator_id"))
        frame.insert(2, "moved_share", moved_share.loc[frame["operator_id"]].to_numpy())
        return frame.sort_values("moved_share", ascending=False, kind="stable").reset_index(drop=True)

    def _ratings(self) -> Ratings:
        cache = self.__dict__.setdefault("_cache", {})
        if "ratings" not in cache:
            cache["ratings"] = self.scored.regrade(self.model)
        return cache["ratings"]

    def summary(self) -> dict[str, Any]:
        """Operators, draws, method, the share of active operators whose grade changed in more
        than 10 % of the draws, the mean stability, and the memory held (MB)."""
        ops = self.operators
        active = ops["status"] == "active"
        st = ops.loc[active, "stability"]
        return {
            "operators": len(ops),
            "active": int(active.sum()),
            "draws": self.draws,
            "method": self.options["method"],
            "seed": self.options["seed"],
            "unstable_share": float((st < 0.9).mean()) if len(st) else float("nan"),
            "mean_stability": float(st.mean()) if len(st) else float("nan"),
            "memory_MB": self.memory["total"] / 1e6,
        }

    def __repr__(self) -> str:
        s = self.summary()
        return (
            f"MonteCarloResult({s['operators']} operators, {s['draws']} draws, {s['method']}; "
            f"{100 * s['unstable_share']:.1f}% of active operators change grade in more than 10% of the draws)"
        )

    def _repr_html_(self) -> str:
        return monte_carlo_html(self)


def monte_carlo(
    model: Model | Scored,
    dataset: Dataset | None = None,
    *,
    draws: int = 1000,
    seed: int = 0,
    as_of: DateLike | None = None,
    method: Method = "dirichlet",
    concentration: float = 200.0,
    spread: float = 0.1,
    cutoff_jitter: float = 0.0,
    quantiles: Sequence[float] = (0.05, 0.25, 0.5, 0.75, 0.95),
    resolution: float = 0.5,
    bins: int = 128,
    interval: float = 0.95,
    threads: int = 1,
    progress: Progress = None,
) -> MonteCarloResult:
    """Monte Carlo over the model's weights: `draws` weight vectors around the model's global
    weights — ``method="dirichlet"`` (mean the weights, concentration `concentration`: Var(w_j) =
    w_j (1 − w_j) / (concentration + 1)) or ``"uniform"`` (each weight × U(1 − spread, 1 + spread),
    renormalised) or ``"none"`` — and optionally every cut-off + U(−cutoff_jitter,
    +cutoff_jitter) points. Each draw is graded exactly (as ``rate()`` of that variant).

    Draws come from a counter-based generator keyed by (seed, draw index): the same seed gives the
    same result for any `threads`, on any machine. `quantiles`: of each operator's total over the
    draws (an empty tuple skips them, which is faster); estimated from a histogram of `bins` bins
    per operator no finer than `resolution` points, spanning its mean ± 6 sd — each quantile is
    within one bin (column ``resolution``) of the empirical quantile of the draws. `progress`:
    None shows a tqdm bar for long runs on a terminal only; True always; False never; or a
    callable ``(done, total)``. `model` may also be a :class:`Scored` (then no dataset/as_of)."""
    s = _scored(model, dataset, as_of, "monte_carlo")
    n = len(s)
    callback, bar = _progress(progress, int(draws), float(n) * float(draws), "monte_carlo")
    try:
        r = _core.monte_carlo(
            s._core,
            draws=int(draws),
            seed=int(seed),
            method=str(method),
            concentration=float(concentration),
            spread=float(spread),
            cutoff_jitter=float(cutoff_jitter),
            quantiles=[float(q) for q in quantiles],
            resolution=float(resolution),
            bins=int(bins),
            interval=float(interval),
            threads=int(threads),
            progress=callback,
        )
    finally:
        if bar is not None:
            bar.close()
    return _monte_carlo_result(
        s, r, draws=int(draws), seed=int(seed), method=str(method), concentration=float(concentration),
        spread=float(spread), cutoff_jitter=float(cutoff_jitter), quantiles=[float(q) for q in quantiles],
        resolution=float(resolution), bins=int(bins), interval=float(interval), threads=int(threads),
    )


def _monte_carlo_result(
    s: Scored, r: dict[str, Any], *, draws: int, seed: int, method: str, concentration: float, spread: float,
    cutoff_jitter: float, quantiles: list[float], resolution: float, bins: int, interval: float, threads: int,
) -> MonteCarloResult:
    """The result of a run from the core's dict (also built by embedrating.dask from split runs)."""
    m = s.model
    ids = pd.Index(s.operator_ids, name="operator_id")
    active = r["active"].astype(bool)
    grade = r["grade"]
    counts = r["counts"]
    k = int(draws)
    data: dict[str, Any] = {
        "status": pd.Categorical.from_codes(np.asarray(s.status, dtype=np.int64), dtype=STATUS_DTYPE),
        "grade": _grades(grade, active),
        "modal_grade": _grades(r["modal"], active),
        "stability": r["stability"],
        "p_down": r["probability_down"],
        "p_up": r["probability_up"],
    }
    for lvl, g in enumerate(GRADES):
        data[f"p_{g}"] = counts[:, lvl] / k
    data["total"] = r["total"]
    if len(quantiles):
        data["total_mean"] = r["total_mean"]
        data["total_sd"] = r["total_sd"]
        data["total_min"] = r["total_min"]
        for j, q in enumerate(quantiles):
            data[_quantile_name(float(q))] = r["total_quantiles"][:, j]
        data["total_max"] = r["total_max"]
        data["resolution"] = r["resolution"]
        data["clipped"] = r["clipped"]
    operators = pd.DataFrame(data, index=ids)
    pop = r["population"]
    rows = []
    for g in _DESCENDING:
        p = pop[GRADES.index(g)]
        rows.append([p["current"], p["expected"], p["low"], p["high"]])
    ng = float(r["not_graded"])
    rows.append([ng, ng, ng, ng])
    distribution = pd.DataFrame(
        rows, index=pd.Index([*_DESCENDING, "not_graded"], name="grade"), columns=["current", "expected", "low", "high"]
    )
    distribution.attrs["interval"] = float(interval)
    per_draw = pd.DataFrame(
        r["per_draw"][:, ::-1].astype(np.int64),
        index=pd.RangeIndex(k, name="draw"),
        columns=pd.Index(list(_DESCENDING), name="grade"),
    )
    per_draw["unrated"] -= int(r["not_graded"])
    per_draw["not_graded"] = int(r["not_graded"])
    leaf_ids = list(m._core.leaf_ids)
    weights = pd.DataFrame(r["weights"], index=pd.RangeIndex(k, name="draw"), columns=pd.Index(leaf_ids, name="indicator"))
    cutoffs = None
    if r["cutoffs"] is not None:
        cutoffs = pd.DataFrame(r["cutoffs"], index=pd.RangeIndex(k, name="draw"), columns=["1A", "2A", "3A", "4A", "5A"])
    options = {
        "draws": k,
        "seed": int(seed),
        "method": str(method),
        "concentration": float(concentration),
        "spread": float(spread),
        "cutoff_jitter": float(cutoff_jitter),
        "quantiles": [float(q) for q in quantiles],
        "resolution": float(resolution),
        "bins": int(bins),
        "interval": float(interval),
        "threads": int(threads),
        "kernel_isa": r["kernel_isa"],
        "model_fingerprint": r["model_fingerprint"],
        "as_of": s.as_of,
    }
    result = MonteCarloResult(
        operators=operators,
        distribution=distribution,
        per_draw=per_draw,
        weights=weights,
        cutoffs=cutoffs,
        counts=counts,
        levels=grade,
        memory=dict(r["memory"]),
        options=options,
        scored=s,
    )
    return result


def draw_weights(model: Model, draws: int, *, seed: int = 0, method: Method = "dirichlet", concentration: float = 200.0,
                 spread: float = 0.1, start: int = 0) -> pd.DataFrame:  # fmt: skip
    """The weights :func:`monte_carlo` uses for draws ``start … start + draws − 1`` (each depends
    only on the seed and its index) as a DataFrame draws × leaf indicators."""
    w = _core.draw_weights(list(model.weights.to_numpy()), int(start), int(start) + int(draws), int(seed), str(method),
                           float(concentration), float(spread))  # fmt: skip
    return pd.DataFrame(
        w, index=pd.RangeIndex(int(start), int(start) + int(draws), name="draw"), columns=pd.Index(model._core.leaf_ids, name="indicator")
    )


# ---------------------------------------------------------------------------------------------
# Near the line


def _gates_frame(g: dict[str, Any], ratings: Ratings, model: Model) -> pd.DataFrame:
    ids = np.asarray(ratings.operator_ids, dtype=object)
    rows = np.asarray(g["row"], dtype=np.int64)
    frame = pd.DataFrame(
        {
            "operator_id": ids[rows] if len(rows) else np.asarray([], dtype=object),
            "grade": pd.Categorical.from_codes(np.asarray(g["from"], dtype=np.int64), dtype=GRADE_DTYPE),
            "direction": pd.Categorical(g["direction"], categories=["down", "up"]),
            "to": pd.Categorical.from_codes(np.asarray(g["to"], dtype=np.int64), dtype=GRADE_DTYPE),
            "gate": pd.Categorical(g["kind"], categories=["total", "dimension_ratio", "dimension_minimum"]),
            "id": list(g["id"]),
            "level": pd.Categorical.from_codes(np.asarray(g["level"], dtype=np.int64), dtype=GRADE_DTYPE),
            "required": np.asarray(g["required"], dtype=np.float64),
            "actual": np.asarray(g["actual"], dtype=np.float64),
            "distance": np.asarray(g["distance"], dtype=np.float64),
        }
    )
    return frame


def near_the_line(
    model: Model | Ratings,
    dataset: Dataset | None = None,
    *,
    as_of: DateLike | None = None,
    points: float = 5.0,
) -> pd.DataFrame:
    """Operators within `points` of the line that decides their grade, closest first: one row per
    (operator, direction). ``down``: the operator keeps its grade while it stays above the gate
    (``distance`` = points above it); ``up``: it rises one grade when it gains ``distance`` points
    on that gate and nothing but points holds it (no cap, prerequisite or history limit). ``gate``
    is the minimum total (``total``), a dimension's ratio floor (``dimension_ratio``) or a
    dimension minimum (``dimension_minimum``, ``id`` the dimension), ``level`` the grade whose gate
    it is, ``required``/``actual`` points (total) or ratios (dimensions). `model` may also be a
    :class:`Ratings` (then no dataset/as_of)."""
    if isinstance(model, Ratings):
        ratings = model
    else:

        if not isinstance(model, Model):
            raise TypeError(f"near_the_line() takes an embedrating.Model or Ratings, not {type(model).__name__}")
        if dataset is None or as_of is None:
            raise TypeError("near_the_line(model, dataset, as_of=...) needs the dataset and as_of")
        ratings = model.rate(dataset, as_of=as_of)
    return _gates_frame(_core.near_the_line(ratings._core, float(points)), ratings, ratings.model)


# ---------------------------------------------------------------------------------------------
# One at a time


@dataclass(frozen=True, eq=False)
class OATResult:
    """One-at-a-time swings (:func:`one_at_a_time`).

    - ``summary``: one row per parameter (kind ``weight``, ``dimension`` or ``cutoff``; ``id``;
      ``label``), its value in the model and at −δ and +δ, and for each side the operators that
      moved up and down, the mean change of the total and the mean |change|; ``moved`` is the
      share of active operators whose grade changes on either side (largest first: the order of a
      tornado chart).
    - ``total_change`` / ``grade_change``: variants × operators (index: kind, id, sign) in points
      and grade levels.
    """

    summary: pd.DataFrame
    total_change: pd.DataFrame | None
    grade_change: pd.DataFrame | None
    options: dict[str, Any] = field(repr=False)
    model: Model = field(repr=False)

    def operator(self, operator_id: str) -> pd.DataFrame:
        """One operator's change of total and grade for every swing."""
        if self.total_change is None:
            raise data_error("one_at_a_time ran with per_operator=False", field="per_operator")
        if operator_id not in self.total_change.columns:
            raise data_error("no such operator in this analysis", operator_id=operator_id)
        return pd.DataFrame({"total_change": self.total_change[operator_id], "grade_change": self.grade_change[operator_id]})  # type: ignore[index]

    def __repr__(self) -> str:
        top = self.summary.head(3)
        lead = ", ".join(f"{k} {i}" for k, i in zip(top["kind"], top["id"]))
        return f"OATResult({len(self.summary)} parameters, ±{self.options['delta']:g}; most influential: {lead})"

    def _repr_html_(self) -> str:
        return oat_html(self)


def one_at_a_time(
    model: Model | Scored,
    dataset: Dataset | None = None,
    *,
    as_of: DateLike | None = None,
    delta: float = 0.1,
    cutoff_delta: float = 10.0,
    parameters: Sequence[str] = ("weight", "dimension", "cutoff"),
    per_operator: bool = True,
    threads: int = 1,
    lang: str = "en",
) -> OATResult:
    """Moves each leaf weight and each dimension total by ±`delta` (relative; the other weights
    renormalised to keep the total), and each cut-off by ±`cutoff_delta` points (kept between its
    neighbours), one at a time (Saltelli et al. 2008, ch. 1), and grades every variant exactly.
    `parameters`: which kinds to swing. `lang`: labels of the summary ("en" or "zh")."""
    kinds = set(parameters)
    unknown = kinds - {"weight", "dimension", "cutoff"}
    if unknown:
        raise data_error(f"one_at_a_time: unknown parameter kind(s) {sorted(unknown)} (weight, dimension, cutoff)", field="parameters")
    s = _scored(model, dataset, as_of, "one_at_a_time")
    r = _core.one_at_a_time(
        s._core, float(delta), float(cutoff_delta), "weight" in kinds, "dimension" in kinds, "cutoff" in kinds,
        bool(per_operator), int(threads),
    )  # fmt: skip
    m = s.model
    labels = _labels(m, lang)
    variants = pd.DataFrame(r["variants"])
    active = r["active"].astype(bool)
    n_active = max(int(active.sum()), 1)
    rows = []
    for (kind, pid), group in variants.groupby(["kind", "id"], sort=False):
        lo = group[group["sign"] < 0].iloc[0]
        hi = group[group["sign"] > 0].iloc[0]
        moved_low = int(lo["moved_up"] + lo["moved_down"])
        moved_high = int(hi["moved_up"] + hi["moved_down"])
        rows.append(
            {
                "kind": kind,
                "id": pid,
                "label": labels.get(pid, pid) if kind != "cutoff" else (f"{pid} 分数线" if lang == "zh" else f"{pid} cut-off"),
                "base": lo["base"],
                "low": lo["value"],
                "high": hi["value"],
                "moved_up_low": int(lo["moved_up"]),
                "moved_down_low": int(lo["moved_down"]),
                "moved_up_high": int(hi["moved_up"]),
                "moved_down_high": int(hi["moved_down"]),
                "moved_low": moved_low / n_active,
                "moved_high": moved_high / n_active,
                "mean_change_low": lo["mean_change"],
                "mean_change_high": hi["mean_change"],
                "mean_abs_change_low": lo["mean_abs_change"],
                "mean_abs_change_high": hi["mean_abs_change"],
                "max_abs_change": max(lo["max_abs_change"], hi["max_abs_change"]),
                "moved": (moved_low + moved_high) / n_active,
            }
        )
    summary = pd.DataFrame(rows)
    summary = summary.sort_values(["moved", "mean_abs_change_high"], ascending=False, kind="stable").reset_index(drop=True)
    total_change = grade_change = None
    if per_operator:
        index = pd.MultiIndex.from_frame(variants[["kind", "id", "sign"]])
        columns = pd.Index(s.operator_ids, name="operator_id")
        total_change = pd.DataFrame(r["total_change"] / 100.0, index=index, columns=columns)
        grade_change = pd.DataFrame(r["grade_change"], index=index, columns=columns, copy=False)
    options = {"delta": float(delta), "cutoff_delta": float(cutoff_delta), "parameters": sorted(kinds), "lang": lang}
    return OATResult(summary=summary, total_change=total_change, grade_change=grade_change, options=options, model=m)


# ---------------------------------------------------------------------------------------------
# Comparison


@dataclass(frozen=True, eq=False)
class Comparison:
    """Two models on the same operators (:func:`compare`).

    - ``transitions``: operators by grade under model A (rows) and model B (columns), 5A first,
      every operator once (not-active operators are unrated under both).
    - ``moved``: the operators whose final grade differs: grade_a, grade_b, shift (levels),
      total_a, total_b, and the first reason.
    - ``reasons``: for each moved operator, ranked: rules that fire under one model only
      (``rule_a``/``rule_b``), gates to the higher of its two grades under one model only
      (``gate_a``: model B lifted it; ``gate_b``: model B added it), and indicators whose points
      differ (``indicator``, points under A and B) — rank class 0 (rules and gates that hold a
      grade by themselves, by grade levels), then 1 (total and dimension gates, by shortfall in
      points), then 2 (indicators, by |Δ points|).
    - ``summary``: operators, active, moved (up/down), max_shift, mean_total_change, kappa and
      weighted_kappa (quadratic) over active operators, same_structure.
    """

    transitions: pd.DataFrame
    moved: pd.DataFrame
    reasons: pd.DataFrame
    summary: dict[str, Any]
    ratings_a: Ratings = field(repr=False)
    ratings_b: Ratings = field(repr=False)

    def reasons_of(self, operator_id: str) -> pd.DataFrame:
        """The ranked reasons of one moved operator."""
        return self.reasons[self.reasons["operator_id"] == operator_id].reset_index(drop=True)

    def explain(self, operator_id: str, lang: str = "en") -> str:
        """A line per reason why `operator_id` moved (an empty move: "did not move")."""
        zh = lang == "zh"
        row = self.moved[self.moved["operator_id"] == operator_id]
        if row.empty:
            if operator_id not in self.ratings_a.operator_ids:
                raise data_error("no such operator in this comparison", operator_id=operator_id)
            return f"{operator_id}: {'等级未变' if zh else 'did not move'}"
        r = row.iloc[0]
        head = f"{operator_id}: {r['grade_a']} → {r['grade_b']} ({r['total_a']:.2f} → {r['total_b']:.2f})"
        lines = [head]
        for k, why in enumerate(self.reasons_of(operator_id).itertuples(index=False), start=1):
            lines.append(f"  {k}. {_reason_text(why, zh)}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        s = self.summary
        return (
            f"Comparison({s['operators']} operators: {s['moved']} moved ({s['moved_up']} up, {s['moved_down']} down); "
            f"kappa {s['kappa']:.3f}, weighted {s['weighted_kappa']:.3f})"
        )

    def _repr_html_(self) -> str:
        return comparison_html(self)


_GATE_EN = {
    "total": "the minimum total of {target}",
    "dimension_ratio": "the {target} floor of dimension {id}",
    "dimension_minimum": "the {target} minimum of dimension {id}",
    "prerequisite": "prerequisite {id} of {target}",
    "cap": "cap {id} (below {target})",
    "history": "history limit {id} (below {target})",
    "downgrade": "downgrade {id}",
    "veto": "veto {id}",
    "status": "status {id}",
}
_GATE_ZH = {
    "total": "{target} 总分线",
    "dimension_ratio": "{target} 维度 {id} 得分率下限",
    "dimension_minimum": "{target} 维度 {id} 最低要求",
    "prerequisite": "{target} 前提条件 {id}",
    "cap": "封顶规则 {id}（低于 {target}）",
    "history": "历史限制 {id}（低于 {target}）",
    "downgrade": "降级规则 {id}",
    "veto": "一票否决 {id}",
    "status": "状态 {id}",
}


def _reason_text(why: Any, zh: bool) -> str:
    """One reason of a move as a sentence (the columns of :attr:`Comparison.reasons`)."""
    if why.kind == "indicator":
        return f"指标 {why.id}：{why.a:.2f} → {why.b:.2f} 分" if zh else f"indicator {why.id}: {why.a:.2f} → {why.b:.2f} points"
    which = "A" if why.kind in ("rule_a", "gate_a") else "B"
    if why.kind in ("rule_a", "rule_b"):
        return f"规则 {why.id}（{why.action}）仅在模型 {which} 下触发" if zh else f"rule {why.id} ({why.action}) fires under model {which} only"
    what = (_GATE_ZH if zh else _GATE_EN).get(str(why.gate), "{id}").format(id=why.id, target=why.target)
    if zh:
        short = f"，差 {why.magnitude:.2f} 分" if why.rank_class == 1 else ""
        return f"仅在模型 {which} 下未达到{what}{short}" if why.rank_class == 1 else f"仅在模型 {which} 下受{what}限制"
    if why.rank_class == 1:
        return f"below {what} under model {which} only ({why.magnitude:.2f} points short)"
    return f"held by {what} under model {which} only"


def compare(
    model_a: Model,
    model_b: Model,
    dataset: Dataset,
    *,
    as_of: DateLike,
    max_reasons: int | None = None,
) -> Comparison:
    """Rates `dataset` under both models at `as_of` (scored once when B differs from A only in
    points and thresholds) and compares the gradings: the transition matrix, the operators that
    moved with their ranked reasons, and agreement (Cohen's kappa; quadratic-weighted kappa,
    Cohen 1968). Each model reads the data its own way (its own review settings)."""

    for name, m in (("model_a", model_a), ("model_b", model_b)):
        if not isinstance(m, Model):
            raise TypeError(f"compare(): {name} must be an embedrating.Model, not {type(m).__name__}")
    if as_of is None:
        raise TypeError("compare() needs as_of= (the evaluation date; the clock is never read)")
    if model_a.structure_fingerprint == model_b.structure_fingerprint:
        s = model_a.score(dataset, as_of=as_of)
        ra, rb = s.regrade(model_a), s.regrade(model_b)
    else:
        ra, rb = model_a.rate(dataset, as_of=as_of), model_b.rate(dataset, as_of=as_of)
    if max_reasons is not None and max_reasons < 1:
        raise data_error(f"compare: max_reasons must be at least 1 (or None for all), got {max_reasons}", field="max_reasons")
    c = _core.compare(ra._core, rb._core, int(max_reasons or 0))
    labels = list(_DESCENDING)
    t = np.asarray(c["transitions"], dtype=np.int64)[::-1, ::-1]
    transitions = pd.DataFrame(
        t, index=pd.Index(labels, name="model A"), columns=pd.Index(labels, name="model B")
    )
    ids = np.asarray(ra.operator_ids, dtype=object)
    rows = np.asarray(c["moved"], dtype=np.int64)
    ga, gb = ra._core.final_grade.astype(np.int64), rb._core.final_grade.astype(np.int64)
    reasons_raw = c["reasons"]
    rr = np.asarray(reasons_raw["row"], dtype=np.int64)
    reasons = pd.DataFrame(
        {
            "operator_id": ids[rr] if len(rr) else np.asarray([], dtype=object),
            "kind": pd.Categorical(reasons_raw["kind"], categories=["rule_a", "rule_b", "gate_a", "gate_b", "indicator"]),
            "id": list(reasons_raw["id"]),
            "action": list(reasons_raw["action"]),
            "gate": list(reasons_raw["gate"]),
            "target": pd.Categorical.from_codes(np.asarray(reasons_raw["target"], dtype=np.int64), dtype=GRADE_DTYPE),
            "a": np.asarray(reasons_raw["a"], dtype=np.float64),
            "b": np.asarray(reasons_raw["b"], dtype=np.float64),
            "rank_class": np.asarray(reasons_raw["rank_class"], dtype=np.int64),
            "magnitude": np.asarray(reasons_raw["magnitude"], dtype=np.float64),
        }
    )
    reasons.insert(1, "rank", reasons.groupby("operator_id", sort=False).cumcount() + 1 if len(reasons) else np.asarray([], dtype=np.int64))
    first = reasons.drop_duplicates("operator_id").set_index("operator_id")
    moved = pd.DataFrame(
        {
            "operator_id": ids[rows] if len(rows) else np.asarray([], dtype=object),
            "grade_a": pd.Categorical.from_codes(ga[rows], dtype=GRADE_DTYPE),
            "grade_b": pd.Categorical.from_codes(gb[rows], dtype=GRADE_DTYPE),
            "shift": gb[rows] - ga[rows],
            "total_a": ra.total[rows],
            "total_b": rb.total[rows],
        }
    )
    moved["total_change"] = moved["total_b"] - moved["total_a"]
    main = []
    for op in moved["operator_id"]:
        main.append(_reason_text(first.loc[op], False) if op in first.index else "")
    moved["reason"] = main
    summary = dict(c["summary"])
    summary["model_a"] = model_a.fingerprint
    summary["model_b"] = model_b.fingerprint
    summary["as_of"] = ra.as_of
    return Comparison(transitions=transitions, moved=moved, reasons=reasons, summary=summary, ratings_a=ra, ratings_b=rb)


def cohen_kappa(table: Any, weights: Literal["none", "linear", "quadratic"] = "none") -> float:
    """Cohen's kappa of a square contingency table (two gradings of the same items): κ = (p_o −
    p_e) / (1 − p_e) (Cohen 1960), or weighted with disagreement weights |i − j| / (k − 1)
    (linear) or its square (quadratic; Cohen 1968). 1 when both put every item in one category."""
    t = np.asarray(table, dtype=np.float64)
    if t.ndim != 2 or t.shape[0] != t.shape[1]:
        raise data_error(f"cohen_kappa: a square table is required, got shape {t.shape}", field="table")
    return float(_core.cohen_kappa(t.tolist(), str(weights)))


# ---------------------------------------------------------------------------------------------
# HTML (Jupyter)

_BOX = "font-family:sans-serif;font-size:0.9em;line-height:1.35"
_TABLE = "border-collapse:collapse;margin:0.3em 0 0.6em 0"
_TH = "text-align:left;padding:2px 8px;border-bottom:1px solid #999"
_TH_NUM = "text-align:right;padding:2px 8px;border-bottom:1px solid #999"
_TD = "text-align:left;padding:1px 8px"
_NUM = "text-align:right;padding:1px 8px;font-variant-numeric:tabular-nums"
_MUTED = "color:#777"


def _esc(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _table(header: Sequence[tuple[str, bool]], rows: Sequence[Sequence[tuple[str, bool]]]) -> str:
    head = "".join(f'<th style="{_TH_NUM if num else _TH}">{_esc(h)}</th>' for h, num in header)
    body = "\n".join("<tr>" + "".join(f'<td style="{_NUM if num else _TD}">{_esc(v)}</td>' for v, num in row) + "</tr>" for row in rows)
    return f'<table style="{_TABLE}">\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>\n'


def _f(x: float, digits: int = 2) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def monte_carlo_html(r: MonteCarloResult, rows: int = 10) -> str:
    """The run (draws, method, seed, memory), the distribution with intervals, and the least
    stable active operators."""
    o = r.options
    s = r.summary()
    how = {"dirichlet": f"Dirichlet, concentration {o['concentration']:g}", "uniform": f"uniform ±{100 * o['spread']:g}%",
           "none": "weights fixed"}[o["method"]]  # fmt: skip
    if o["cutoff_jitter"] > 0:
        how += f", cut-offs ±{o['cutoff_jitter']:g} points"
    head = (
        f"<div><strong>Monte Carlo over weights</strong> — {s['operators']} operators × {s['draws']} draws ({_esc(how)}; "
        f"seed {o['seed']}), as of {_esc(o['as_of'].isoformat())}</div>"
        f'<div style="{_MUTED}">{100 * s["unstable_share"]:.1f}% of active operators change grade in more than 10% of the '
        f"draws; mean stability {s['mean_stability']:.3f}; memory {s['memory_MB']:.1f} MB</div>"
    )
    pct = round(100 * o["interval"])
    d = r.distribution
    dist = _table(
        [("grade", False), ("now", True), ("expected", True), (f"{pct}% interval", True)],
        [[(g, False), (f"{d.loc[g, 'current']:.0f}", True), (f"{d.loc[g, 'expected']:.1f}", True),
          (f"{d.loc[g, 'low']:.0f} – {d.loc[g, 'high']:.0f}", True)] for g in d.index],
    )  # fmt: skip
    ops = r.operators[r.operators["status"] == "active"].sort_values("stability", kind="stable").head(rows)
    qcols = [c for c in ops.columns if c.startswith("total_q")]
    lo_q, hi_q = (qcols[0], qcols[-1]) if qcols else (None, None)
    body = []
    for op, x in ops.iterrows():
        row = [(str(op), False), (str(x["grade"]), False), (str(x["modal_grade"]), False), (_f(x["stability"], 3), True),
               (_f(x["p_down"], 3), True), (_f(x["p_up"], 3), True), (_f(x["total"]), True)]  # fmt: skip
        if lo_q is not None:
            row.append((f"{_f(x[lo_q])} – {_f(x[hi_q])}", True))
        body.append(row)
    header = [("operator", False), ("grade", False), ("modal", False), ("stability", True), ("P(down)", True),
              ("P(up)", True), ("total", True)]  # fmt: skip
    if lo_q is not None:
        header.append((f"{lo_q[len('total_q'):]}–{hi_q[len('total_q'):]}% of total", True))
    return (
        f'<div style="{_BOX}">\n{head}\n<div><strong>Operators per grade</strong></div>\n{dist}'
        f"<div><strong>Least stable operators</strong></div>\n{_table(header, body)}</div>\n"
    )


def oat_html(r: OATResult, rows: int = 12) -> str:
    """The most influential parameters of a one-at-a-time analysis."""
    o = r.options
    head = (
        f"<div><strong>One at a time</strong> — weights and dimension totals ±{100 * o['delta']:g}%, cut-offs "
        f"±{o['cutoff_delta']:g} points; {len(r.summary)} parameters</div>"
    )
    body = []
    for x in r.summary.head(rows).itertuples(index=False):
        body.append([(x.kind, False), (x.label, False), (f"{100 * x.moved_low:.1f}%", True), (f"{100 * x.moved_high:.1f}%", True),
                     (_f(x.mean_abs_change_low), True), (_f(x.mean_abs_change_high), True)])  # fmt: skip
    header = [("kind", False), ("parameter", False), ("moved at −δ", True), ("moved at +δ", True), ("mean |Δ total| −δ", True),
              ("mean |Δ total| +δ", True)]  # fmt: skip
    return f'<div style="{_BOX}">\n{head}\n{_table(header, body)}</div>\n'


def comparison_html(c: Comparison, rows: int = 10) -> str:
    """Summary, transition matrix and the first moved operators with their first reason."""
    s = c.summary
    head = (
        f"<div><strong>Model comparison</strong> — {s['operators']} operators, {s['moved']} moved "
        f"({s['moved_up']} up, {s['moved_down']} down, at most {s['max_shift']} level(s)); kappa {s['kappa']:.3f}, "
        f"quadratic-weighted kappa {s['weighted_kappa']:.3f}</div>"
        f'<div style="{_MUTED}">A {_esc(s["model_a"][:16])}… → B {_esc(s["model_b"][:16])}…; mean total change '
        f"{s['mean_total_change']:+.2f} points</div>"
    )
    t = c.transitions
    trans = _table([("A \\ B", False)] + [(g, True) for g in t.columns],
                   [[(g, False)] + [(str(int(v)), True) for v in t.loc[g]] for g in t.index])  # fmt: skip
    body = []
    for x in c.moved.head(rows).itertuples(index=False):
        body.append([(x.operator_id, False), (f"{x.grade_a} → {x.grade_b}", False), (f"{x.total_change:+.2f}", True), (x.reason, False)])
    moved = _table([("operator", False), ("grade", False), ("Δ total", True), ("main reason", False)], body)
    more = f'<div style="{_MUTED}">… {len(c.moved) - rows} more</div>\n' if len(c.moved) > rows else ""
    return (
        f'<div style="{_BOX}">\n{head}\n<div><strong>Transitions</strong></div>\n{trans}'
        f"<div><strong>Moved</strong></div>\n{moved}{more}</div>\n"
    )
