"""The evaluation date ``as_of`` from what analysts have at hand: a ``datetime.date``,
``"YYYY-MM-DD"``, the string form of a pandas Timestamp (``"2025-12-31 00:00:00"``), a
``pandas.Timestamp``/naive ``datetime`` (its date) or a ``numpy.datetime64``. A time-zone-aware
datetime is refused with a message: which calendar day it means is the caller's decision, never
a silent shift to China Standard Time."""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

from ._convert import date_to_days
from ._errors import data_error

_TIMESTAMP_TEXT = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?\s*$")


def as_of_days(value: Any, what: str = "as_of") -> int:
    """Days since 1970-01-01 of an evaluation date (see the module docstring)."""
    if isinstance(value, _dt.datetime) and value.tzinfo is not None:
        raise data_error(
            f"{value!r} is time-zone-aware: give the evaluation date itself (e.g. "
            f"{value.date().isoformat()!r} or value.tz_convert('Asia/Shanghai').date()) — the day is not shifted silently",
            field=what,
        )
    if isinstance(value, str):
        m = _TIMESTAMP_TEXT.match(value)
        if m:
            if m.group(4):
                raise data_error(
                    f'"{value}" carries a time zone: give the evaluation date itself ("{m.group(1)}") — the day is not shifted silently',
                    field=what,
                )
            value = m.group(1)
    return date_to_days(value, what)
