"""Conversions at the edge: dates, text, numbers and flags from pandas/numpy to the arrays the
core takes. Dates cross into C++ as int32 days since 1970-01-01 (``MISSING_DATE`` = missing)."""

from __future__ import annotations

import datetime as _dt
import re
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


def column_names(table: Any) -> list[str]:
    if isinstance(table, pd.DataFrame):
        return [str(c) for c in table.columns]
    if isinstance(table, Mapping):
        return [str(c) for c in table.keys()]
    raise TypeError(f"expected a pandas DataFrame or a mapping of columns, not {type(table).__name__}")


def get_column(table: Any, name: str) -> Any:
    return table[name]


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


def float_array(col: Any, name: str, ids: Sequence[str], source: str) -> np.ndarray:
    """float64, NaN for missing. A float64 numpy-backed column is returned as is (no copy)."""
    if isinstance(col, pd.Series):
        if col.dtype == np.float64:
            return col.to_numpy()
        if pd.api.types.is_bool_dtype(col.dtype) or pd.api.types.is_numeric_dtype(col.dtype):
            return col.to_numpy(dtype=np.float64, na_value=np.nan)
        values = col.to_numpy(dtype=object)
    else:
        arr = np.asarray(col)
        if arr.dtype == np.float64 and arr.ndim == 1:
            return arr
        if arr.dtype.kind in "biuf":
            return arr.astype(np.float64)
        values = arr.astype(object)
    out = np.empty(len(values), dtype=np.float64)
    for i, v in enumerate(values):
        if is_missing_scalar(v) or (isinstance(v, str) and not v.strip()):
            out[i] = np.nan
            continue
        try:
            if isinstance(v, bool):
                raise ValueError
            if isinstance(v, str) and not _DECIMAL.match(v.strip()):
                raise ValueError  # decimal only, as the C++ readers: no hex, inf, nan, "1_000"
            out[i] = float(v.strip() if isinstance(v, str) else v)
        except (TypeError, ValueError):
            text = str(v)
            shown = text if len(text) <= 60 else f"{text[:60]}… ({len(text)} characters)"
            raise data_error(f'"{shown}" is not a finite decimal number', file=source, field=name, operator_id=ids[i]) from None
    return out


_FLAG_TRUE = {"1", "true", "TRUE", "True", "是"}
_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d{1,4})?\Z")
_FLAG_FALSE = {"0", "false", "FALSE", "False", "否", ""}


def flag_array(col: Any, name: str, ids: Sequence[str], source: str) -> np.ndarray:
    """uint8 0/1: booleans, 0/1 numbers, or the CSV reader's texts (1/0, true/false, 是/否);
    missing → 0 as an empty CSV cell."""
    if isinstance(col, pd.Series):
        if pd.api.types.is_bool_dtype(col.dtype) and not col.hasnans:
            return col.to_numpy(dtype=np.uint8)
        values = col.to_numpy(dtype=object)
    else:
        arr = np.asarray(col)
        if arr.dtype == np.bool_:
            return arr.astype(np.uint8)
        values = arr.astype(object)
    out = np.zeros(len(values), dtype=np.uint8)
    for i, v in enumerate(values):
        if is_missing_scalar(v):
            continue
        if isinstance(v, str):
            t = v.strip(" \t")
            if t in _FLAG_TRUE:
                out[i] = 1
                continue
            if t in _FLAG_FALSE:
                continue
        elif isinstance(v, (bool, np.bool_, int, np.integer, float, np.floating)) and v in (0, 1):
            out[i] = 1 if v else 0
            continue
        raise data_error(f'a flag is 0 or 1 (true/false), got "{v}"', file=source, field=name, operator_id=ids[i])
    return out


def date_array(col: Any, name: str, ids: Sequence[str], source: str) -> np.ndarray:
    """int32 days, MISSING_DATE for missing: datetime64 columns (tz-aware ones in UTC+8),
    datetime.date objects, or strict 'YYYY-MM-DD' texts."""
    if isinstance(col, pd.Series) and isinstance(col.dtype, pd.DatetimeTZDtype):
        col = col.dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
    arr = col.to_numpy() if isinstance(col, pd.Series) else np.asarray(col)
    if arr.dtype.kind == "M":
        days = arr.astype("datetime64[D]")
        out = days.astype(np.int64)
        out[np.isnat(days)] = MISSING_DATE
        return out.astype(np.int32)
    values = arr.astype(object).tolist()
    if any(isinstance(v, _dt.date) for v in values):
        values = [
            (v.astimezone(_CST) if isinstance(v, _dt.datetime) and v.tzinfo else v).strftime("%Y-%m-%d")
            if isinstance(v, _dt.date)
            else v
            for v in values
        ]
    days, bad = _core.parse_dates(values)
    if bad:
        i = bad[0]
        raise data_error(f'"{values[i]}" is not a date YYYY-MM-DD', file=source, field=name, operator_id=ids[i])
    return days


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


def factorized(col: Any) -> tuple[np.ndarray, list[str]] | None:
    """A text column as (int64 codes, -1 where missing; the distinct values as texts trimmed of
    spaces and tabs, as :func:`text_list` trims them), or None when the column does not hold only
    texts (the caller then converts it item by item). Categoricals are read from their codes;
    string and object columns are factorised by pandas (one hash pass, no per-item Python)."""
    if isinstance(col, pd.Series | pd.Index):
        dtype = col.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            if dtype.categories.inferred_type not in ("string", "empty"):
                return None
            codes = np.asarray(col.cat.codes if isinstance(col, pd.Series) else col.codes, dtype=np.int64)
            return codes, [str(c).strip(" \t") for c in dtype.categories]
        if not isinstance(dtype, pd.StringDtype):
            if dtype != object or pd.api.types.infer_dtype(col, skipna=True) not in ("string", "empty"):
                return None
        values: Any = col
    elif isinstance(col, pd.Categorical):
        if col.categories.inferred_type not in ("string", "empty"):
            return None
        return np.asarray(col.codes, dtype=np.int64), [str(c).strip(" \t") for c in col.categories]
    else:
        values = np.asarray(col) if not isinstance(col, np.ndarray) else col
        if values.ndim != 1:
            return None
        if values.dtype.kind != "U" and (
            values.dtype != object or pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty")
        ):
            return None
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return np.asarray(codes, dtype=np.int64), [str(u).strip(" \t") for u in uniques]


def object_values(col: Any) -> Any:
    """The items of a column for the C++ text readers: a 1-D numpy object array when one is at
    hand without a Python loop, else the column as a sequence."""
    if isinstance(col, pd.Series | pd.Index):
        return col.to_numpy(dtype=object)
    if isinstance(col, np.ndarray):
        return col if col.dtype == object else col.astype(object)
    return col if isinstance(col, list | tuple) else list(col)


class FirstRowIds:
    """ids[k] → the operator id of the first row whose code is k (for error messages about a
    distinct value of a factorised column)."""

    def __init__(self, codes: np.ndarray, ids: Sequence[str]) -> None:
        self._codes, self._ids = codes, ids

    def __getitem__(self, k: int) -> str:
        return self._ids[int(np.argmax(self._codes == k))]


def level_codes(col: Any, levels: Sequence[str]) -> tuple[np.ndarray, int]:
    """int64 codes of a text column among `levels` (-1 where empty or missing; items trimmed as
    :func:`text_list` trims them) and the row of the first item that is not a level (-1: none).
    Categoricals map their categories once; other columns are read by C++ in one pass."""
    cats: Any = None
    if isinstance(col, pd.Series) and isinstance(col.dtype, pd.CategoricalDtype):
        cats, codes = col.dtype.categories, np.asarray(col.cat.codes, dtype=np.int64)
    elif isinstance(col, pd.Categorical):
        cats, codes = col.categories, np.asarray(col.codes, dtype=np.int64)
    if cats is None:
        return _core.codes_of(object_values(col), list(levels))
    index = {v: k for k, v in enumerate(levels)}
    texts = [str(c).strip(" \t") for c in cats]
    lut = np.array([index.get(t, -1 if not t else -2) for t in texts] + [-1], dtype=np.int64)
    out = lut[codes]
    bad = np.flatnonzero(out == -2)
    if bad.size:
        return out, int(bad[0])
    return out, -1


def item_text(col: Any, i: int) -> str:
    """The text of row `i` of a column, as :func:`text_list` reads it (for error messages)."""
    return text_list(col.iloc[i : i + 1] if isinstance(col, pd.Series) else [col[i]])[0]
