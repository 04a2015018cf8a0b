"""Grade and status names and their pandas dtypes, shared by every result type."""

from __future__ import annotations

import numpy as np
import pandas as pd

GRADES: tuple[str, ...] = ("unrated", "1A", "2A", "3A", "4A", "5A")
"""Grades from lowest to highest: the categories of the ordered ``grade`` columns."""
GRADE_DTYPE = pd.CategoricalDtype(list(GRADES), ordered=True)
STATUS_NAMES = ("active", "suspending", "suspended", "terminated")
STATUS_DTYPE = pd.CategoricalDtype(list(STATUS_NAMES))


def grade_categorical(levels: np.ndarray, graded: np.ndarray) -> pd.Categorical:
    """Ordered categorical of grade levels; missing (NaN) where not graded."""
    codes = np.where(graded, levels.astype(np.int64), -1)
    return pd.Categorical.from_codes(codes, dtype=GRADE_DTYPE)
