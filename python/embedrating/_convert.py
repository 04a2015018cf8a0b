"""Conversions at the edge: dates, text, numbers and flags from pandas/numpy to the arrays the
core takes. Dates cross into C++ as int32 days since 1970-01-01 (``MISSING_DATE`` = missing)."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from . import _core
from ._errors import data_error

MISSING_DATE: int = _core.MISSING_DATE
_EPOCH = _dt.date(1970, 1, 1)
_CST = _dt.timezone(_dt.timedelta(hours=8))

DateLike = _dt.date | str | np.datetime64


def date_to_days(value: Any, what: str = "as_of") -> int:
    """Days since 1970-01-01 of a date: ``datetime.date``, ``"YYYY-MM-DD"``, ``numpy.datetime64``
    or a datetime. A datetime is a calendar day: its own date, whatever its time; a timezone-aware
    one must fall on the same calendar day in China Standard Time (UTC+8), else it is ambiguous and
    raises :class:`DataError` naming both days (``2025-12-31T20:00Z`` is 2026-01-01 in UTC+8).
    Missing values (None, ``pd.NaT``, NaT, NaN) are never "today": None raises TypeError, the
    others DataError."""
    if value is None:
        raise TypeError(f"{what} is required: a datetime.date, 'YYYY-MM-DD' or numpy.datetime64 (the clock is never read)")
    if value is pd.NaT or (isinstance(value, float) and value != value):
        raise data_error("is missing (NaT/NaN), not a date; the clock is never read", field=what)
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None and value.utcoffset() is not None:
            local = value.astimezone(_CST).date()
            if local != value.date():
                raise data_error(
                    f"{value.isoformat()} is {value.date().isoformat()} where it was written but "
                    f"{local.isoformat()} in China Standard Time (UTC+8): pass a date, or a datetime in UTC+8",
                    field=what,
                )
        return (value.date() - _EPOCH).days
    if isinstance(value, _dt.date):
        return (value - _EPOCH).days
    if isinstance(value, str):
        days = _core.parse_date(value.strip())
        if days is None:
            raise data_error(f'"{value[:60]}" is not a date YYYY-MM-DD', field=what)
        return days
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            raise data_error("is NaT, not a date", field=what)
        return int(value.astype("datetime64[D]").astype(np.int64))
    raise TypeError(f"{what} must be a datetime.date, 'YYYY-MM-DD' or numpy.datetime64, not {type(value).__name__}")


def days_to_date(days: int | None) -> _dt.date | None:
    if days is None or days == MISSING_DATE:
        return None
    return _EPOCH + _dt.timedelta(days=int(days))


def days_to_datetime64(days: np.ndarray) -> np.ndarray:
    """int32 days (MISSING_DATE = NaT) → datetime64[s] (pandas' own resolution for dates)."""
    out = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    out[np.asarray(days) == MISSING_DATE] = np.datetime64("NaT")
    return out.astype("datetime64[s]")


# ---------------------------------------------------------------------------------------------
# columns


def n_rows(table: Any) -> int:
    if isinstance(table, pd.DataFrame):
        return len(table)
    lengths = {len(v) for v in table.values()}
    if len(lengths) > 1:
        raise data_error("the columns of a mapping differ in length: " + ", ".join(str(n) for n in sorted(lengths)))
    return lengths.pop() if lengths else 0


def is_missing_scalar(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, float) and v != v


def text_list(col: Any) -> list[str]:
    """Strings, trimmed of spaces and tabs as the CSV reader does; missing → ""."""
    if isinstance(col, pd.Series) and isinstance(col.dtype, pd.CategoricalDtype):
        col = col.astype(object)
    values = col.tolist() if hasattr(col, "tolist") else list(col)
    out = []
    for v in values:
        if is_missing_scalar(v):
            out.append("")
        else:
            out.append(str(v).strip(" \t"))
    return out


def exact(values: Any, dtype: Any, name: str) -> np.ndarray:
    """A 1-D C-contiguous array of exactly `dtype`: the input itself when it already is one (no
    copy, read-only arrays included), else a checked conversion (integers must fit)."""
    arr = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)
    if arr.ndim != 1:
        raise data_error(f"must be one-dimensional, got shape {arr.shape}", field=name)
    target = np.dtype(dtype)
    if arr.dtype == target and arr.flags.c_contiguous:
        return arr
    if target.kind in "iu":
        if arr.dtype.kind == "b":
            return arr.astype(target)
        if arr.dtype.kind not in "iu":
            if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.floor(arr)):
                pass
            else:
                raise data_error(f"must hold whole numbers of dtype {target}, got dtype {arr.dtype}", field=name)
        if arr.size:
            info = np.iinfo(target)
            lo, hi = arr.min(), arr.max()
            if lo < info.min or hi > info.max:
                raise data_error(f"values {lo}..{hi} do not fit {target}", field=name)
    return np.ascontiguousarray(arr, dtype=target)


