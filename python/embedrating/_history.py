"""Rolling the rating history forward: this cycle's ratings → the next cycle's history columns
(``previous_grade``, ``previous_rated_on``, ``last_downgrade_on``), by the C++ ``roll_forward``
(include/embedrating/history.hpp), so the CLI and Python apply the same rules."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from . import _core
from ._convert import date_to_days, days_to_date
from ._grades import GRADE_DTYPE

# Annotations only: this module sits below the classes it takes (tests/python/test_layering.py);
# they are the embedrating classes of these names.
Ratings = Any

HISTORY_COLUMNS = ("previous_grade", "previous_rated_on", "last_downgrade_on")
_LEVEL = {"unrated": 0, "不予评级": 0, "1A": 1, "2A": 2, "3A": 3, "4A": 4, "5A": 5}
_NAME = {v: k for k, v in _LEVEL.items() if k != "不予评级"}


def _days(v: Any) -> int | None:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return date_to_days(v)


def roll_forward(ratings: Ratings, history: pd.DataFrame | None = None) -> pd.DataFrame:
    """The history of the next cycle after `ratings`: one row per operator with ``operator_id``,
    ``previous_grade`` (this cycle's final grade; earlier history kept for operators not graded
    now), ``previous_rated_on`` (this cycle's as_of for graded operators) and
    ``last_downgrade_on`` (as_of when the grade fell, else carried over).

    `history` is the previous cycle's history (the last ``roll_forward`` result, or an operator
    table with history columns); by default the history the rated dataset carried (its
    ``previous_grade``, ``previous_rated_on``, ``last_downgrade_on`` columns). Operators only in
    `history` are kept at the end. Merge the result into the next cycle's operators
    (replacing their history columns) and rate again: the history rules of the model (at most
    one level up per cycle, no rise for N months after a downgrade, a first rating at most 3A)
    then apply."""
    if history is None:
        history = ratings.dataset.operators
    if "operator_id" not in history.columns and history.index.name == "operator_id":
        history = history.reset_index()
    if "operator_id" not in history.columns:
        raise KeyError("roll_forward: the history table needs an operator_id column")
    n = len(history)

    def col(name: str) -> list[Any]:
        return history[name].tolist() if name in history.columns else [None] * n

    grades = []
    for v in col("previous_grade"):
        if v is None or (isinstance(v, float) and np.isnan(v)) or (not isinstance(v, str) and pd.isna(v)):
            grades.append(None)
        elif str(v).strip() == "":
            grades.append(None)
        elif str(v).strip() in _LEVEL:
            grades.append(_LEVEL[str(v).strip()])
        else:
            raise ValueError(f'roll_forward: "{v}" is not a grade (5A..1A, unrated, or empty) in the history table')
    core = ratings._core
    status = core.status.astype(np.int64).tolist()
    final = core.final_grade.astype(np.int64).tolist()
    ids, g, rated, down = _core.roll_forward(
        [str(x) for x in history["operator_id"].tolist()],
        grades,
        [_days(v) for v in col("previous_rated_on")],
        [_days(v) for v in col("last_downgrade_on")],
        list(ratings.operator_ids),
        status,
        final,
        int(core.as_of),
    )
    return pd.DataFrame(
        {
            "operator_id": ids,
            "previous_grade": pd.Categorical([_NAME[x] if x is not None else None for x in g], dtype=GRADE_DTYPE),
            "previous_rated_on": pd.to_datetime([days_to_date(x) if x is not None else None for x in rated]),
            "last_downgrade_on": pd.to_datetime([days_to_date(x) if x is not None else None for x in down]),
        }
    )


def with_history(operators: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """`operators` with their history columns replaced by `history`'s (operators absent from it:
    a first rating). The next cycle's operator table after :func:`roll_forward`."""
    base = operators.drop(columns=[c for c in HISTORY_COLUMNS if c in operators.columns])
    hist = history.loc[:, ["operator_id", *HISTORY_COLUMNS]].copy()
    hist["previous_grade"] = hist["previous_grade"].astype(object).where(hist["previous_grade"].notna(), None)
    return base.merge(hist, on="operator_id", how="left")
