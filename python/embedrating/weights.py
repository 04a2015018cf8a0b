"""Indicator weights from expert judgement and from data (SPEC §6–§7; C++ ``weights.hpp``).

Expert judgement (层次分析法)::

    import embedrating as er
    r = er.weights.ahp(matrix)            # DataFrame (ids as index and columns) or square array
    r.weights, r.series, r.lambda_max, r.ci, r.cr, r.consistent, r.worst
    er.weights.group_ahp([m1, m2, m3])    # AIJ (default) or AIP
    er.weights.hierarchical_ahp(model, {"": dims, "safety": safety, ...})

Data (熵权法, CRITIC, standard deviation, coefficient of variation) over a decision matrix —
operators × indicators as a DataFrame or 2-D array, or the leaf scores of a :class:`Ratings`::

    er.weights.entropy(ratings)           # Series by indicator id
    er.weights.critic(df, types={"price": -1})

Blending (组合赋权), cross-check ranking (normalisation, weighted sum, weighted product, TOPSIS)
and a model with the new weights (:func:`to_model`).

**Not-applicable cells and operators that are not graded** (decision matrices from data):

- ``operators="active"`` (default) keeps the operators whose status is active (Art. 14: the ones
  that are graded, including vetoed or unrated ones, whose indicators were measured); ``"all"``
  keeps every row. Only :class:`Ratings` carry a status; other inputs keep every row.
- ``na="drop_rows"`` (default) drops every operator with a not-applicable (NaN) score in one of the
  chosen indicators, so every weight is computed over the same operators (listwise deletion;
  the numbers dropped are in ``decision_matrix(...).attrs``); ``"error"`` raises
  :class:`DataError` naming the first operator and indicator without a value. (Indicators that
  are often not applicable, such as food safety without meals, can be left out with
  ``indicators=``, or weighted over the operators where they apply in a separate call.)
- Weights are never NaN: a constant indicator gets weight 0 (documented per method), and too few
  operators, negative values or all-constant data raise :class:`DataError`.

Every function raises :class:`embedrating.DataError` (a ValueError) naming what is at fault.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from os import PathLike
from typing import Any, Literal

import numpy as np
import pandas as pd

from . import _core
from ._errors import DataError
from ._model import Model
from ._ratings import Ratings
from ._repr_html import ahp_html
from ._scored import Scored


__all__ = [
    "RANDOM_INDEX_TABLES",
    "AHPResult",
    "GroupAHPResult",
    "HierarchyResult",
    "Worst",
    "ahp",
    "combine",
    "critic",
    "cv",
    "decision_matrix",
    "entropy",
    "group_ahp",
    "hierarchical_ahp",
    "normalize",
    "rank",
    "read_pairwise_csv",
    "std_dev",
    "to_model",
    "topsis",
    "weighted_product",
    "weighted_sum",
]

RANDOM_INDEX_TABLES: dict[str, tuple[list[float], str]] = dict(_core.random_index_tables())
"""Random-index tables by name → (RI values indexed by n − 1, source). ``saaty1980`` is the default."""

Method = Literal["eigen", "rgmm", "colmean"]
NAPolicy = Literal["drop_rows", "error"]


def _data_error(message: str, field: str | None = None) -> DataError:
    err = DataError(message)
    err.message = message
    err.file = err.line = err.column = err.operator_id = None
    err.field = field
    return err


# ---------------------------------------------------------------------------------------------
# Pairwise matrices


def _parse_judgement(value: Any, where: str) -> float:
    if isinstance(value, str):
        text = value.strip()
        try:
            return float(Fraction(text)) if "/" in text else float(text)
        except (ValueError, ZeroDivisionError):
            raise _data_error(f"{where}: {value!r} is not a number or a fraction like 1/3") from None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise _data_error(f"{where}: {value!r} is not a number or a fraction like 1/3") from None


def _pairwise(matrix: Any, ids: Sequence[str] | None) -> tuple[np.ndarray, list[str]]:
    """A float matrix and its ids from a DataFrame (index and columns the same ids), a nested list
    or an array (ids given, or 0..n-1). Cells may be fractions as text ("1/3")."""
    if isinstance(matrix, pd.DataFrame):
        cols = [str(c) for c in matrix.columns]
        rows = [str(r) for r in matrix.index]
        if sorted(rows) != sorted(cols) or len(set(cols)) != len(cols):
            raise _data_error(
                f"ahp: the DataFrame's index ({', '.join(rows)}) and columns ({', '.join(cols)}) must be the same ids"
            )
        frame = matrix.copy()
        frame.index = rows
        frame.columns = cols
        frame = frame.loc[cols, cols]
        values = frame.to_numpy()
        names = cols
    else:
        values = np.asarray(matrix, dtype=object if _has_text(matrix) else np.float64)
        names = [str(i) for i in ids] if ids is not None else [str(i) for i in range(values.shape[0] if values.ndim else 0)]
    if values.ndim != 2:
        raise _data_error(f"ahp: a square matrix is required, got {values.ndim} dimension(s)")
    if values.dtype == object:
        out = np.empty(values.shape, dtype=np.float64)
        for (i, j), v in np.ndenumerate(values):
            out[i, j] = _parse_judgement(v, f"ahp: judgement ({names[i] if i < len(names) else i}, {names[j] if j < len(names) else j})")
        values = out
    values = np.asarray(values, dtype=np.float64)
    if ids is not None and len(names) != values.shape[0]:
        raise _data_error(f"ahp: {len(names)} ids for a {values.shape[0]} x {values.shape[1]} matrix")
    return values, names


def _has_text(x: Any) -> bool:
    try:
        return any(isinstance(v, str) for row in x for v in row)
    except TypeError:
        return False


def read_pairwise_csv(path: str | PathLike[str]) -> pd.DataFrame:
    """A pairwise comparison matrix from the CSV format of ``embedrating weights ahp``: a header
    row with an empty (or any) first cell and the element ids, then one row per element with its
    id first; cells are numbers or fractions such as ``1/3`` (docs/weights.md)."""
    frame = pd.read_csv(path, index_col=0, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame.index = [str(i).strip() for i in frame.index]
    frame.columns = [str(c).strip() for c in frame.columns]
    values, names = _pairwise(frame, None)
    return pd.DataFrame(values, index=pd.Index(names, name="id"), columns=names)


@dataclass(frozen=True)
class Worst:
    """The judgement whose revision most lowers the inconsistency (λmax), and the revision."""

    row: str
    column: str
    i: int
    j: int
    value: float
    """The judgement as given (how much more important ``row`` is than ``column``)."""
    suggested: float
    """The value that lowers λmax most (the rest of the matrix unchanged)."""
    ratio: float
    """w_row / w_column: the value consistent with the current weights."""
    cr_after: float
    """CR (same method) with the suggested value."""


@dataclass(frozen=True, eq=False)
class AHPResult:
    """An AHP result: ``weights`` (numpy, sum 1, in ``ids`` order), ``series`` (the same as a
    pandas Series by id), ``lambda_max``, ``ci``, ``cr``, ``ri`` (and ``ri_table``), ``method``,
    ``consistent`` (CR < the ``threshold`` given to :func:`ahp`, 0.1 by default; always for
    n <= 2) and ``worst`` (:class:`Worst` or None). Displays as HTML in Jupyter (with that
    threshold)."""

    ids: list[str]
    matrix: pd.DataFrame
    weights: np.ndarray
    lambda_max: float
    ci: float
    cr: float
    ri: float
    ri_table: str
    method: str
    consistent: bool
    worst: Worst | None
    options: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def series(self) -> pd.Series:
        return pd.Series(self.weights, index=pd.Index(self.ids, name="indicator"), name="weight")

    def repaired(self) -> AHPResult:
        """The AHP of the matrix with the worst judgement replaced by its suggested value (and its
        reciprocal); the same result when there is nothing to repair."""
        if self.worst is None:
            return self
        m = self.matrix.to_numpy(copy=True)
        m[self.worst.i, self.worst.j] = self.worst.suggested
        m[self.worst.j, self.worst.i] = 1.0 / self.worst.suggested
        return ahp(pd.DataFrame(m, index=self.ids, columns=self.ids), **self.options)

    def _repr_html_(self) -> str:

        return ahp_html(self)


def _ahp_result(d: dict[str, Any], values: np.ndarray, ids: list[str], options: dict[str, Any]) -> AHPResult:
    w = d["worst"]
    worst = None
    if w is not None:
        worst = Worst(ids[w["i"]], ids[w["j"]], int(w["i"]), int(w["j"]), w["value"], w["suggested"], w["ratio"], w["cr_after"])
    return AHPResult(
        ids=list(ids),
        matrix=pd.DataFrame(values, index=pd.Index(ids), columns=list(ids)),
        weights=np.asarray(d["weights"], dtype=np.float64),
        lambda_max=d["lambda_max"],
        ci=d["ci"],
        cr=d["cr"],
        ri=d["ri"],
        ri_table=d["ri_table"],
        method=d["method"],
        consistent=d["consistent"],
        worst=worst,
        options=options,
    )


def _ri_arg(ri: str | Sequence[float] | np.ndarray) -> Any:
    return ri if isinstance(ri, str) else [float(v) for v in np.asarray(ri, dtype=np.float64).ravel()]


def ahp(
    matrix: Any,
    method: Method = "eigen",
    ri: str | Sequence[float] = "saaty1980",
    *,
    ids: Sequence[str] | None = None,
    tolerance: float = 0.01,
    threshold: float = 0.1,
    find_worst: bool = True,
) -> AHPResult:
    """AHP priorities of a pairwise comparison matrix (a_ij: how much more important i is than
    j; a_ji = 1/a_ij). ``matrix``: a DataFrame with the ids as index and columns (any row order),
    or a square array / nested list (``ids`` optional); cells may be fractions as text ("1/3").

    ``method``: ``eigen`` (principal eigenvector; Saaty 1980), ``rgmm`` (row geometric mean) or
    ``colmean`` (normalised column mean); for the approximate methods λmax = mean((A·w)/w).
    ``ri``: a table name (:data:`RANDOM_INDEX_TABLES`: ``saaty1980`` default, ``saaty2005``,
    ``alonso_lamata2006``, ``donegan_dodd1991``) or an array of RI values indexed by n − 1.
    CR = CI/RI with CI = (λmax − n)/(n − 1); ``consistent`` = CR < ``threshold``.
    ``worst``: the judgement whose revision most lowers λmax and the value that lowers it most.
    Raises :class:`DataError` for a matrix that is not square, not positive and finite, or not
    reciprocal within ``tolerance`` (naming the first pair and both values)."""
    values, names = _pairwise(matrix, ids)
    options = {"method": method, "ri": ri, "tolerance": tolerance, "threshold": threshold, "find_worst": find_worst}
    d = _core.ahp(values, method, _ri_arg(ri), float(tolerance), float(threshold), bool(find_worst), names)
    return _ahp_result(d, values, names, options)


@dataclass(frozen=True, eq=False)
class GroupAHPResult:
    """Group AHP: ``weights``/``series`` of the group, ``experts`` (one :class:`AHPResult` each),
    ``aggregate`` (AIJ: the :class:`AHPResult` of the aggregated matrix, with its CR and worst
    judgement; None for AIP), ``matrix`` (AIJ: the aggregated matrix), ``expert_weights``."""

    ids: list[str]
    aggregation: str
    weights: np.ndarray
    expert_weights: np.ndarray
    experts: list[AHPResult]
    aggregate: AHPResult | None
    matrix: pd.DataFrame | None

    @property
    def series(self) -> pd.Series:
        return pd.Series(self.weights, index=pd.Index(self.ids, name="indicator"), name="weight")

    @property
    def consistent(self) -> bool:
        """AIJ: the aggregated matrix is consistent; AIP: every expert is."""
        if self.aggregate is not None:
            return self.aggregate.consistent
        return all(e.consistent for e in self.experts)

    def _repr_html_(self) -> str:

        if self.aggregate is not None:
            return ahp_html(self.aggregate, title=f"Group AHP (AIJ, {len(self.experts)} experts)")
        return self.series.to_frame()._repr_html_()  # type: ignore[operator]


def group_ahp(
    matrices: Sequence[Any],
    expert_weights: Sequence[float] | None = None,
    aggregation: Literal["aij", "aip"] = "aij",
    *,
    aip_mean: Literal["geometric", "arithmetic"] = "geometric",
    method: Method = "eigen",
    ri: str | Sequence[float] = "saaty1980",
    ids: Sequence[str] | None = None,
    tolerance: float = 0.01,
    threshold: float = 0.1,
    find_worst: bool = True,
) -> GroupAHPResult:
    """Group AHP over one matrix per expert (same ids; DataFrames are aligned on the first one's
    ids). ``aggregation="aij"``: weighted geometric mean of the judgements (Aczél & Saaty 1983),
    then AHP; ``"aip"``: weighted mean of the experts' priorities (geometric by default, or
    arithmetic; Forman & Peniwati 1998). ``expert_weights``: one per expert (normalised; default
    equal). AIJ with rgmm equals geometric AIP with rgmm."""
    if not matrices:
        raise _data_error("group_ahp: no matrices (one per expert)")
    first, names = _pairwise(matrices[0], ids)
    values = [first]
    for k, m in enumerate(matrices[1:], start=1):
        if isinstance(m, pd.DataFrame):
            v, n = _pairwise(m, None)
            if sorted(n) != sorted(names):
                raise _data_error(f"group_ahp: expert {k} compares {', '.join(n)}, expert 0 compares {', '.join(names)}")
            order = [n.index(x) for x in names]
            v = v[np.ix_(order, order)]
        else:
            v, _ = _pairwise(m, names if ids is not None else None)
        values.append(v)
    if aip_mean not in ("geometric", "arithmetic"):
        raise _data_error(f'group_ahp: aip_mean must be "geometric" or "arithmetic", got {aip_mean!r}')
    ew = [] if expert_weights is None else [float(x) for x in expert_weights]
    d = _core.group_ahp(
        values, aggregation, ew, aip_mean == "geometric", method, _ri_arg(ri), float(tolerance), float(threshold),
        bool(find_worst), names,
    )  # fmt: skip
    options = {"method": method, "ri": ri, "tolerance": tolerance, "threshold": threshold, "find_worst": find_worst}
    experts = [_ahp_result(e, v, names, options) for e, v in zip(d["experts"], values)]
    agg = None
    matrix = None
    if d["aggregate"] is not None:
        mat = np.asarray(d["matrix"])
        agg = _ahp_result(d["aggregate"], mat, names, options)
        matrix = agg.matrix
    return GroupAHPResult(names, d["aggregation"], np.asarray(d["weights"]), np.asarray(d["expert_weights"]), experts, agg, matrix)


@dataclass(frozen=True, eq=False)
class HierarchyResult:
    """Hierarchical AHP over a model's tree: ``weights`` (global leaf weights, a Series by
    indicator id in ``model.weights`` order, sum 1), ``local`` (node → Series of its children's
    local weights; "" is the dimensions), ``results`` (node → :class:`AHPResult` for the nodes
    with a matrix), ``origin`` (node → "ahp", "given", "kept" or "single")."""

    model: Model
    weights: pd.Series
    local: dict[str, pd.Series]
    results: dict[str, AHPResult]
    origin: dict[str, str]

    def to_model(self, keep_dimension_totals: bool = False) -> tuple[Model, pd.DataFrame]:
        """:func:`to_model` with these global weights (by default the dimension totals follow
        the judgements too)."""
        return to_model(self.model, self.weights, keep_dimension_totals=keep_dimension_totals)

    @property
    def consistent(self) -> bool:
        return all(r.consistent for r in self.results.values())


def hierarchical_ahp(
    model: Model,
    judgements: Mapping[str, Any],
    *,
    keep_missing: bool = False,
    method: Method = "eigen",
    ri: str | Sequence[float] = "saaty1980",
    tolerance: float = 0.01,
    threshold: float = 0.1,
) -> HierarchyResult:
    """Hierarchical AHP over ``model``'s tree (dimensions → groups → indicators): global weight
    of an indicator = product of the local weights on its path (Saaty 1980). ``judgements`` maps a
    node id ("" for the dimensions) to a pairwise matrix (DataFrame by child id), a list of
    matrices (one per expert: aggregated by AIJ), or a Series of local weights by child id. A node
    with two or more children and no judgements is an error unless ``keep_missing`` (then it keeps
    the model's local weights)."""
    items: list[tuple[str, list[str], np.ndarray | None, np.ndarray | None]] = []
    results_from_group: dict[str, AHPResult] = {}
    for node, j in judgements.items():
        node = str(node)
        if isinstance(j, pd.Series):
            items.append((node, [str(i) for i in j.index], None, j.to_numpy(dtype=np.float64)))
        elif isinstance(j, (list, tuple)) and j and isinstance(j[0], pd.DataFrame):
            g = group_ahp(list(j), method=method, ri=ri, tolerance=tolerance, threshold=threshold)
            assert g.aggregate is not None and g.matrix is not None
            results_from_group[node] = g.aggregate
            items.append((node, g.ids, g.matrix.to_numpy(), None))
        else:
            values, names = _pairwise(j, None)
            items.append((node, names, values, None))
    d = _core.hierarchical_ahp(model._core, items, bool(keep_missing), method, _ri_arg(ri), float(tolerance), float(threshold))
    options = {"method": method, "ri": ri, "tolerance": tolerance, "threshold": threshold, "find_worst": True}
    local: dict[str, pd.Series] = {}
    results: dict[str, AHPResult] = {}
    origin: dict[str, str] = {}
    by_node = {i[0]: i for i in items}
    for n in d["nodes"]:
        node = n["node"]
        local[node] = pd.Series(np.asarray(n["local"]), index=pd.Index(n["ids"], name="indicator"), name=node or "dimensions")
        origin[node] = n["origin"]
        if n["result"] is not None:
            _, ids, values, _ = by_node[node]
            results[node] = _ahp_result(n["result"], np.asarray(values), ids, options)
    weights = pd.Series(np.asarray(d["global"]), index=pd.Index(d["leaf_ids"], name="indicator"), name="weight")
    return HierarchyResult(model, weights, local, results, origin)


# ---------------------------------------------------------------------------------------------
# Decision matrices and objective weights


def _leaf_scores(x: Ratings | Scored) -> tuple[np.ndarray, list[str], list[str], np.ndarray]:
    """The one place the leaf scores of a rating or a scored dataset are read (operators ×
    leaves, NaN = not applicable; a read-only view of the C++ matrix), with operator ids, leaf ids
    and the active mask."""

    scores = x.leaf_score_array if isinstance(x, Scored) else np.asarray(x.indicator_score)
    active = np.asarray(x.status) == 0
    return scores, list(x.operator_ids), list(x.model.weights.index), active


def decision_matrix(
    x: Any,
    *,
    indicators: Sequence[str] | None = None,
    na: NAPolicy = "drop_rows",
    operators: Literal["active", "all"] = "active",
) -> pd.DataFrame:
    """The decision matrix the objective weights use, as a DataFrame (operators × indicators):
    from a :class:`Ratings` (its leaf scores; rows of non-active operators dropped unless
    ``operators="all"``), a DataFrame (index = operators, columns = indicators) or a 2-D array.
    ``indicators`` selects columns. ``na``: ``"drop_rows"`` (default) drops operators with a NaN
    in a chosen column, ``"error"`` raises on the first NaN. ``attrs`` records ``dropped_na`` and
    ``dropped_inactive`` (counts)."""

    # the options are checked for every input, even where they change nothing (an array has no status)
    if operators not in ("active", "all"):
        raise _data_error(f'decision_matrix: operators must be "active" or "all", got {operators!r}', "operators")
    if na not in ("drop_rows", "error"):
        raise _data_error(f'decision_matrix: na must be "drop_rows" or "error", got {na!r}', "na")
    dropped_inactive = 0
    if isinstance(x, (Ratings, Scored)):
        scores, ops, leaves, active = _leaf_scores(x)
        frame = pd.DataFrame(scores, index=pd.Index(ops, name="operator_id"), columns=pd.Index(leaves, name="indicator"))
        if operators == "active":
            dropped_inactive = int((~active).sum())
            frame = frame.loc[active]
    elif isinstance(x, pd.DataFrame):
        frame = x.copy()
        frame.columns = [str(c) for c in frame.columns]
        bad = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
        if bad:
            raise _data_error(f"decision_matrix: column {bad[0]!r} is not numeric", bad[0])
        frame = frame.astype(np.float64)
    else:
        arr = np.asarray(x, dtype=np.float64)
        if arr.ndim != 2:
            raise _data_error(f"decision_matrix: a 2-D matrix (operators × indicators) is required, got {arr.ndim} dimension(s)")
        frame = pd.DataFrame(arr)
        frame.columns = [str(c) for c in frame.columns]
    if indicators is not None:
        missing = [i for i in indicators if i not in frame.columns]
        if missing:
            raise _data_error(f"decision_matrix: unknown indicator(s): {', '.join(missing)}", missing[0])
        frame = frame[list(indicators)]
    nan = frame.isna().to_numpy()
    dropped_na = 0
    if na == "error":
        if nan.any():
            i, j = np.argwhere(nan)[0]
            raise _data_error(
                f"decision_matrix: operator {frame.index[i]!s} has no value (not applicable) for indicator "
                f"{frame.columns[j]} (na='error'; na='drop_rows' drops such operators)",
                str(frame.columns[j]),
            )
    else:
        keep = ~nan.any(axis=1)
        dropped_na = int((~keep).sum())
        frame = frame.loc[keep]
    frame.attrs["dropped_na"] = dropped_na
    frame.attrs["dropped_inactive"] = dropped_inactive
    return frame


def _labels(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    return [str(i) for i in frame.index], [str(c) for c in frame.columns]


def _objective(name: str, fn: Any, x: Any, indicators: Sequence[str] | None, na: NAPolicy, operators: str) -> pd.Series | np.ndarray:
    labelled = not isinstance(x, (np.ndarray, list, tuple))
    frame = decision_matrix(x, indicators=indicators, na=na, operators=operators)  # type: ignore[arg-type]
    if frame.shape[0] < 2:
        raise _data_error(
            f"{name}: {frame.shape[0]} operator(s) left after dropping {frame.attrs.get('dropped_na', 0)} with a "
            f"not-applicable (NaN) score and {frame.attrs.get('dropped_inactive', 0)} not active; at least 2 are needed"
        )
    rows, cols = _labels(frame)
    # column-major, as the CLI passes its leaf scores: the same one-pass sums, bit for bit
    data = np.asfortranarray(frame.to_numpy(dtype=np.float64))
    out = np.asarray(fn(data, rows, cols), dtype=np.float64)
    if labelled:
        return pd.Series(out, index=pd.Index(cols, name="indicator"), name=name)
    return out


def entropy(
    x: Any, *, indicators: Sequence[str] | None = None, na: NAPolicy = "drop_rows", operators: Literal["active", "all"] = "active"
) -> pd.Series | np.ndarray:
    """Entropy weights (熵权法): p = x/Σx, e = −Σ p ln p / ln m (0·ln 0 = 0), w ∝ 1 − e. Values
    must be >= 0; a constant column gets weight 0. Series by indicator for labelled input
    (DataFrame, Ratings), array for an array. NA policy: see the module docstring."""
    return _objective("entropy", _core.entropy_weights, x, indicators, na, operators)


def critic(
    x: Any,
    types: Any = None,
    *,
    indicators: Sequence[str] | None = None,
    na: NAPolicy = "drop_rows",
    operators: Literal["active", "all"] = "active",
) -> pd.Series | np.ndarray:
    """CRITIC weights (Diakoulaki et al. 1995): min-max scaling honouring ``types`` (+1 benefit,
    −1 cost; a list, or a mapping/Series by indicator; default all benefit), Pearson correlation,
    C_j = σ_j Σ_k (1 − r_jk), w ∝ C. A constant column gets weight 0 and is left out of the
    others' sums."""
    frame_cols: list[str] | None = None
    if isinstance(x, pd.DataFrame):
        frame_cols = [str(c) for c in (indicators or x.columns)]
    elif indicators is not None:
        frame_cols = list(indicators)
    else:

        if isinstance(x, Ratings):
            frame_cols = list(x.model.weights.index)
    t = _types(types, frame_cols, "critic")
    return _objective(
        "critic", lambda data, rows, cols: _core.critic_weights(data, t if t is not None else _all_benefit(cols), rows, cols),
        x, indicators, na, operators,
    )  # fmt: skip


def _all_benefit(cols: list[str]) -> list[int]:
    return [1] * len(cols)


def std_dev(
    x: Any, *, indicators: Sequence[str] | None = None, na: NAPolicy = "drop_rows", operators: Literal["active", "all"] = "active"
) -> pd.Series | np.ndarray:
    """Standard-deviation weights: w ∝ σ (population). Use on comparable scales (leaf scores in
    [0, 1], or normalised data). A constant column gets weight 0."""
    return _objective("std_dev", _core.std_weights, x, indicators, na, operators)


def cv(
    x: Any, *, indicators: Sequence[str] | None = None, na: NAPolicy = "drop_rows", operators: Literal["active", "all"] = "active"
) -> pd.Series | np.ndarray:
    """Coefficient-of-variation weights: w ∝ σ/x̄ (values >= 0; scale-free). A constant or
    all-zero column gets weight 0."""
    return _objective("cv", _core.cv_weights, x, indicators, na, operators)


def _types(types: Any, cols: list[str] | None, fn: str) -> list[int] | None:
    if types is None:
        return None
    def one(v: Any, where: str) -> int:
        if isinstance(v, str):
            if v in ("benefit", "max", "+"):
                return 1
            if v in ("cost", "min", "-"):
                return -1
            raise _data_error(f"{fn}: types[{where}] = {v!r} must be 1/'benefit' or -1/'cost'")
        return int(v)
    if isinstance(types, (Mapping, pd.Series)):
        if cols is None:
            raise _data_error(f"{fn}: types by indicator need labelled columns (a DataFrame or Ratings)")
        d = dict(types)
        unknown = [k for k in d if k not in cols]
        if unknown:
            raise _data_error(f"{fn}: types name unknown indicator(s): {', '.join(map(str, unknown))}")
        return [one(d.get(c, 1), c) for c in cols]
    return [one(v, str(k)) for k, v in enumerate(types)]


# ---------------------------------------------------------------------------------------------
# Combination, ranking


def combine(
    weight_list: Sequence[Any], method: Literal["linear", "multiplicative"] = "linear", alpha: float | Sequence[float] = 0.5
) -> pd.Series | np.ndarray:
    """Combines weight vectors of the same indicators (组合赋权), each normalised to sum 1 first:
    ``linear``: w = α·a + (1 − α)·b for two vectors (``alpha`` a number), or Σ α_k w_k (one alpha
    per vector); ``multiplicative``: w ∝ a·b. Series are aligned on the first one's index."""
    if not weight_list:
        raise _data_error("combine: no weight vectors")
    first = weight_list[0]
    index = first.index if isinstance(first, pd.Series) else None
    arrays = []
    for k, w in enumerate(weight_list):
        if isinstance(w, pd.Series):
            if index is None or sorted(map(str, w.index)) != sorted(map(str, index)):
                raise _data_error(f"combine: weight vector {k} has other indicators than vector 0")
            w = w.reindex(index)
        arrays.append(np.asarray(w, dtype=np.float64))
    alphas = [float(alpha)] if np.ndim(alpha) == 0 else [float(a) for a in alpha]  # type: ignore[union-attr]
    out = np.asarray(_core.combine_weights(arrays, method, alphas))
    if index is not None:
        return pd.Series(out, index=pd.Index(index, name="indicator"), name="weight")
    return out


def _matrix_and_labels(x: Any) -> tuple[np.ndarray, list[str] | None, list[str] | None]:
    if isinstance(x, pd.DataFrame):
        return x.to_numpy(dtype=np.float64), [str(i) for i in x.index], [str(c) for c in x.columns]
    return np.asarray(x, dtype=np.float64), None, None


def _weights_for(weights: Any, cols: list[str] | None, fn: str) -> np.ndarray:
    if isinstance(weights, (pd.Series, Mapping)):
        if cols is None:
            raise _data_error(f"{fn}: weights by indicator need a DataFrame whose columns are those indicators", "weights")
        s = pd.Series(weights)
        missing = [c for c in cols if c not in s.index]
        if missing:
            raise _data_error(f"{fn}: no weight for indicator(s): {', '.join(missing)}", missing[0])
        return s.reindex(cols).to_numpy(dtype=np.float64)
    return np.asarray(weights, dtype=np.float64)


def normalize(x: Any, how: Literal["minmax", "vector", "max", "sum"] = "minmax", types: Any = None) -> pd.DataFrame | np.ndarray:
    """Cost-aware column normalisation (higher is better afterwards): minmax, vector, max or sum.
    A constant (minmax) or all-zero column normalises to 1."""
    arr, rows, cols = _matrix_and_labels(x)
    out = np.asarray(_core.normalize_matrix(arr, how, _types(types, cols, "normalize") or [], cols or []))
    return pd.DataFrame(out, index=x.index, columns=x.columns) if isinstance(x, pd.DataFrame) else out


def weighted_sum(x: Any, weights: Any, types: Any = None, how: Literal["minmax", "vector", "max", "sum"] = "minmax") -> pd.Series | np.ndarray:
    """Weighted sum (SAW) of the cost-aware normalised matrix (minmax by default)."""
    arr, rows, cols = _matrix_and_labels(x)
    out = np.asarray(_core.weighted_sum(arr, _weights_for(weights, cols, "weighted_sum"), _types(types, cols, "weighted_sum") or [], how, cols or []))
    return pd.Series(out, index=x.index, name="weighted_sum") if isinstance(x, pd.DataFrame) else out


def weighted_product(x: Any, weights: Any, types: Any = None) -> pd.Series | np.ndarray:
    """Weighted product (WPM) on the raw values (> 0): Π x^(±w)."""
    arr, rows, cols = _matrix_and_labels(x)
    out = np.asarray(_core.weighted_product(arr, _weights_for(weights, cols, "weighted_product"), _types(types, cols, "weighted_product") or [], cols or []))
    return pd.Series(out, index=x.index, name="weighted_product") if isinstance(x, pd.DataFrame) else out


def topsis(x: Any, weights: Any, types: Any = None, how: Literal["minmax", "vector", "max", "sum"] = "vector") -> pd.DataFrame:
    """TOPSIS (Hwang & Yoon 1981): a DataFrame with ``closeness`` (1 = the ideal), ``d_plus``,
    ``d_minus`` and ``rank`` (1 = best) per row; vector normalisation by default."""
    arr, rows, cols = _matrix_and_labels(x)
    d = _core.topsis(arr, _weights_for(weights, cols, "topsis"), _types(types, cols, "topsis") or [], how, cols or [])
    closeness = np.asarray(d["closeness"])
    frame = pd.DataFrame(
        {"closeness": closeness, "d_plus": np.asarray(d["d_plus"]), "d_minus": np.asarray(d["d_minus"]),
         "rank": np.asarray(_core.rank_scores(closeness))},
        index=x.index if isinstance(x, pd.DataFrame) else None,
    )  # fmt: skip
    frame.attrs["ideal"] = np.asarray(d["ideal"])
    frame.attrs["anti_ideal"] = np.asarray(d["anti_ideal"])
    return frame


def rank(scores: Any) -> pd.Series | np.ndarray:
    """Ranks of scores, 1 = the highest, ties averaged."""
    out = np.asarray(_core.rank_scores(np.asarray(scores, dtype=np.float64)))
    return pd.Series(out, index=scores.index, name="rank") if isinstance(scores, pd.Series) else out


# ---------------------------------------------------------------------------------------------
# Weights → model


def to_model(model: Model, weights: Any, *, keep_dimension_totals: bool = True) -> tuple[Model, pd.DataFrame]:
    """A model with points from ``weights``: a Series/mapping by indicator id (every leaf) or by
    dimension id (every dimension), or an array in ``model.weights`` order. Points keep the
    model's total (1000 for wuhan-2024) and, for indicator weights, each dimension's total unless
    ``keep_dimension_totals=False``; they are rounded to centi-points by largest remainder so they
    add up exactly. Returns the new model and the before/after table (one row per node: id,
    parent, kind, points_before, points_after, weight_before, weight_after, target)."""

    if isinstance(weights, (pd.Series, Mapping)):
        pairs = [(str(k), float(v)) for k, v in dict(weights).items()]
    else:
        arr = np.asarray(weights, dtype=np.float64).ravel()
        ids = list(model.weights.index)
        if arr.shape[0] != len(ids):
            raise _data_error(f"to_model: an array of weights needs one per indicator ({len(ids)}), got {arr.shape[0]}")
        pairs = list(zip(ids, arr.tolist()))
    core, mapping = _core.apply_weights(model._core, pairs, bool(keep_dimension_totals))
    table = pd.DataFrame(mapping)
    table["kind"] = pd.Categorical(table["kind"], categories=["dimension", "group", "indicator"])
    table.insert(5, "change", table["points_after"] - table["points_before"])
    return Model(core), table

