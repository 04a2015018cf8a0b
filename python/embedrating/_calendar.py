"""Which working-day calendar counts the bad-review deadlines: China's official calendar shipped
with the package (default; 2024–2026), a calendar file for other years (the format of
docs/calendar-format.md), or — only when asked for, with a warning — the weekends-only fallback
(Saturdays and Sundays off, no public holidays, no make-up workdays)."""

from __future__ import annotations

import os
import warnings
from typing import Any

from . import _core
from ._errors import RatingWarning

HolidayCalendar = _core.HolidayCalendar
CalendarLike = str | os.PathLike | _core.HolidayCalendar | None
_FALLBACK = ("weekends-only", "weekends_only", "weekdays-only", "weekdays_only")


def resolve(calendar: Any, encoding: str = "auto") -> _core.HolidayCalendar | None:
    """None (the official calendar), a HolidayCalendar, a path to a calendar CSV, or
    "weekends-only" (warns :class:`RatingWarning`)."""
    if calendar is None or isinstance(calendar, _core.HolidayCalendar):
        return calendar
    if isinstance(calendar, str) and calendar in _FALLBACK:
        warnings.warn(
            "calendar='weekends-only': bad-review deadlines are counted Monday to Friday with no public holidays and "
            "no make-up workdays (调休) — not the official calendar; deadlines around holidays come out too early",
            RatingWarning,
            stacklevel=3,
        )
        return _core.HolidayCalendar.weekdays_only()
    if isinstance(calendar, (str, os.PathLike)):
        return _core.HolidayCalendar.load(os.fspath(calendar), encoding)
    raise TypeError(
        "calendar must be None (China's official calendar), a path to a calendar CSV, a HolidayCalendar or "
        f'"weekends-only", not {type(calendar).__name__}'
    )
