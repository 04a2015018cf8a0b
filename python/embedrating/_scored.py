"""Score once, re-grade many: the weight-independent part of a rating (C++ ``embedrating::scored``)."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import _core, _ratings
from ._convert import date_to_days, days_to_date
from ._errors import RatingWarning, check_state, model_error
from ._ratings import GRADES, Ratings

if TYPE_CHECKING:
    import datetime

    from ._dataset import Dataset

# Annotations only: Model (embedrating.Model, _model.py) imports this module.
Model = Any


class Scored:
    """A dataset scored under a model at one date: leaf scores, not-applicable patterns, every rule
    that reads no points, history limits and the input hash — everything of a rating that does not
    depend on points. Make one with :meth:`Model.score`.

    :meth:`regrade` rates a *variant* of the model — one that differs only in indicator and
    dimension points, cut-offs, dimension floors and minimums, and the values rules compare total,
    ``dim.*`` and group scores with — and gives exactly ``variant.rate(dataset, as_of)``; any other
    difference is refused with a :class:`ModelError` naming it. :meth:`regrade_many` grades many
    weight vectors at once in C++ (tiles, no variants × operators matrix of doubles).
    """

    _STATE_VERSION = 2

    def __init__(self) -> None:
        raise TypeError("Scored data comes from Model.score(dataset, as_of=...)")

    @classmethod
    def _from_core(cls, core: _core.Scored, model: Model, dataset: Dataset) -> Scored:
        self = object.__new__(cls)
        self._core = core
        self._model = model
        self._dataset = dataset
        return self

    # -- identity ----------------------------------------------------------------------------
    @property
    def model(self) -> Model:
        """The model the data was scored with."""
        return self._model

    @property
    def dataset(self) -> Dataset:
        return self._dataset

    @property
    def as_of(self) -> datetime.date:
        d = days_to_date(self._core.as_of)
        assert d is not None
        return d

    @property
    def input_hash(self) -> str:
        return self._core.input_hash

    @property
    def operator_ids(self) -> list[str]:
        return self._core.operator_ids

    @property
    def structure_fingerprint(self) -> str:
        """Hex SHA-256 of the scored model's structure: a variant with the same structure
        fingerprint can be re-graded."""
        return self._core.structure_fingerprint

    def __len__(self) -> int:
        return len(self._core)

    def __repr__(self) -> str:
        return f"Scored({len(self)} operators, as_of={self.as_of.isoformat()}, model={self._model.id!r})"

    # -- arrays ------------------------------------------------------------------------------
    @property
    def leaf_scores(self) -> pd.DataFrame:
        """Scores in [0, 1] per operator (rows, by operator id) and leaf indicator (columns, by
        indicator id), after set_score rules; NaN where a leaf is not applicable. The values are a
        read-only view of the C++ matrix (no copy)."""
        return pd.DataFrame(
            self._core.leaf_scores,
            index=pd.Index(self._core.operator_ids, name="operator_id"),
            columns=pd.Index(self._model._core.leaf_ids, name="indicator"),
            copy=False,
        )

    @property
    def leaf_score_array(self) -> np.ndarray:
        """The leaf scores as a read-only operators × leaves float64 array (a view)."""
        return self._core.leaf_scores

    @property
    def patterns(self) -> np.ndarray:
        """Not-applicable pattern of each operator (uint32 view; 0: every leaf applies)."""
        return self._core.patterns

    def leaf_available(self, model: Model | None = None) -> pd.DataFrame:
        """Points each leaf indicator can earn under `model` (default: the scored model; a variant of
        the same structure), one row per not-applicable pattern (``patterns`` gives each
        operator's row): an operator's total is the sum over leaves of round-half-up(score ×
        points) at 0.01 — without the rounding, linear in the weights."""
        m = model if model is not None else self._model
        a = self._core.leaf_available(m._core) / 100.0
        return pd.DataFrame(a, index=pd.RangeIndex(a.shape[0], name="pattern"),
                            columns=pd.Index(self._model._core.leaf_ids, name="indicator"))

    @property
    def status(self) -> np.ndarray:
        """Status codes (uint8 view: 0 active, 1 suspending, 2 suspended, 3 terminated)."""
        return self._core.status

    @property
    def warnings(self) -> list[str]:
        """Run warnings (e.g. as_of outside the model's effective period)."""
        return list(self._core.run_warnings)

    @property
    def graded(self) -> np.ndarray:
        """True for operators that get a grade (active and not vetoed)."""
        return self._core.graded()

    # -- re-grading --------------------------------------------------------------------------
    def regrade(self, model: Model) -> Ratings:
        """The ratings of `model` on the scored data — identical to ``model.rate(dataset, as_of)``
        for a variant of the scored model (see the class docstring). Without the GIL."""
        if not isinstance(model, type(self._model)):  # an embedrating.Model
            raise TypeError(f"regrade() takes an embedrating.Model, not {type(model).__name__}")
        result = self._core.regrade(model._core)
        for text in result.run_warnings:
            warnings.warn(text, RatingWarning, stacklevel=2)
        return Ratings._from_core(result, model, self._dataset)

    def regrade_many(
        self,
        weights: pd.DataFrame | pd.Series | np.ndarray | Any,
        *,
        cutoffs: pd.DataFrame | np.ndarray | None = None,
        totals: bool = False,
        threads: int = 1,
        labels: bool = False,
        as_frame: bool = True,
    ) -> pd.DataFrame | tuple[np.ndarray, np.ndarray | None]:
        """Final grades of many weight vectors at once.

        `weights`: one row per variant and one column per leaf indicator — a DataFrame with
        indicator ids as columns (any order; every leaf required), a Series (one variant), or an
        array in ``model.weights`` order. Each row holds global weights (points ÷ total) that sum
        to 1; leaf points become weight × total rounded to 0.01, as :meth:`Model.with_weights`
        sets them. `cutoffs`: optional minimum totals per variant (columns 1A … 5A, or an array
        variants × 5). `totals`: also return total points (exact; slower). `threads`: worker
        threads (the result does not depend on it).

        Returns a DataFrame variants × operators (index: the weights' index or 0 … K-1; columns:
        operator ids) of final grade *levels* (int8: 0 unrated, 1 = 1A … 5 = 5A; ``GRADES[level]``
        names them), or of grade names as an ordered categorical with ``labels=True`` (slower for
        many operators). With ``totals=True`` the frame has a second column level: ``"grade"`` and
        ``"total"`` (points). ``as_frame=False`` gives the raw arrays (K × n int8 levels, K × n
        int32 totals in centi-points or None)."""
        ids = list(self._model._core.leaf_ids)
        index: pd.Index | None = None
        if isinstance(weights, pd.Series):
            weights = weights.to_frame().T
        if isinstance(weights, pd.DataFrame):
            missing = [x for x in ids if x not in weights.columns]
            extra = [str(x) for x in weights.columns if x not in ids]
            if missing or extra:
                raise model_error(
                    "regrade_many: weight columns must be the model's leaf indicators"
                    + (f"; missing: {', '.join(missing)}" if missing else "")
                    + (f"; unknown: {', '.join(extra)}" if extra else ""),
                    field="weights",
                )
            index = weights.index
            w = np.ascontiguousarray(weights[ids].to_numpy(dtype=np.float64))
        else:
            w = np.asarray(weights, dtype=np.float64)
            if w.ndim == 1:
                w = w[None, :]
            if w.ndim != 2 or w.shape[1] != len(ids):
                raise model_error(
                    f"regrade_many: an array of weights needs shape (variants, {len(ids)}), got {w.shape}", field="weights"
                )
        cut = None
        if cutoffs is not None:
            if isinstance(cutoffs, pd.DataFrame):
                cut = cutoffs[["1A", "2A", "3A", "4A", "5A"]].to_numpy(dtype=np.float64)
            else:
                cut = np.asarray(cutoffs, dtype=np.float64)
        grades, tot = self._core.regrade_many(w, cut, totals, threads)
        if not as_frame:
            return grades, tot
        columns = pd.Index(self._core.operator_ids, name="operator_id")
        rows = index if index is not None else pd.RangeIndex(grades.shape[0], name="variant")
        if labels:
            dtype = pd.CategoricalDtype(GRADES, ordered=True)
            frame = pd.DataFrame(
                {j: pd.Categorical.from_codes(grades[:, j], dtype=dtype) for j in range(grades.shape[1])}, index=rows
            )
            frame.columns = columns
        else:
            frame = pd.DataFrame(grades, index=rows, columns=columns, copy=False)
        if tot is not None:
            frame = pd.concat({"grade": frame, "total": pd.DataFrame(tot / 100.0, index=rows, columns=columns)}, axis=1)
        return frame

    # -- python protocol ---------------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        """Versioned state (2): the scored archive (docs/archives.md: the model, as_of, input hash,
        leaf scores, patterns, rule masks — nothing is scored again on loading) and the dataset.
        State version 1 (model, dataset and as_of, scored again on loading) still loads."""
        return {"version": self._STATE_VERSION, "archive": self._core.to_bytes(), "dataset": self._dataset}

    def __setstate__(self, state: dict[str, Any]) -> None:
        if isinstance(state, dict) and state.get("version") == 1:
            state = check_state("Scored", state, 1)
            other = state["model"].score(state["dataset"], as_of=state["as_of"])
            self._core = other._core
            self._model = other._model
            self._dataset = other._dataset
            return
        state = check_state("Scored", state, self._STATE_VERSION)
        self._core = _core.Scored.from_bytes(state["archive"], "<pickle>")
        if _ratings._model_class is None:  # pragma: no cover - importing embedrating imports _model
            raise RuntimeError("embedrating._model is not imported: import embedrating")
        self._model = _ratings._model_class(self._core.model)  # registered by _model (imports run one way)
        self._dataset = state["dataset"]

    def __copy__(self) -> Scored:
        return Scored._from_core(self._core, self._model, self._dataset)

    def __deepcopy__(self, memo: dict) -> Scored:
        return self.__copy__()


def _as_pairs(params: Mapping[str, float] | None, kwargs: dict[str, float]) -> list[tuple[str, float]]:
    out = [(str(k), float(v)) for k, v in dict(params or {}).items()]
    out += [(k, float(v)) for k, v in kwargs.items()]
    return out
