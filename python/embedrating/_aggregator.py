"""Resident reviews (好差评): the event-level aggregation state (C++ ``review_aggregator``)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from . import _core
from ._asof import as_of_days
from ._convert import DateLike, date_to_days, days_to_date, exact, text_list
from ._errors import check_state, data_error

from ._calendar import resolve
from ._interfaces import HasCoreModel, HasOperatorIds, core_model

NO_TIME: int = _core.NO_TIME
EVENT_COLUMNS = (
    "review_id",
    "revision",
    "operator_id",
    "reviewer_id",
    "time",
    "level",
    "scenario",
    "status",
    "rectified_at",
    "followed_up_at",
    "service_record_id",
)
# Batch array names, their dtypes, and whether they are required.
BATCH_ARRAYS: dict[str, tuple[Any, bool]] = {
    "review_key": (np.uint64, True),
    "operator_index": (np.uint32, True),
    "reviewer_key": (np.uint64, True),
    "time": (np.int64, True),
    "level": (np.int8, True),
    "revision": (np.uint32, False),
    "status": (np.uint8, False),
    "rectified_at": (np.int64, False),
    "followed_up_at": (np.int64, False),
    "has_service_record": (np.uint8, False),
}


def review_keys(ids: Any) -> np.ndarray:
    """The 64-bit keys of text ids (``_core.review_key`` semantics, vectorised): a decimal
    number below 2^63 is its own value, other text a hash. Integer arrays map directly."""
    arr = ids.to_numpy() if isinstance(ids, pd.Series) else np.asarray(ids)
    if arr.dtype.kind in "iu" and (arr.size == 0 or arr.min() >= 0):
        return arr.astype(np.uint64)
    return _core.review_keys(text_list(arr) if arr.dtype != object else arr.tolist())


class ReviewAggregator:
    """The review aggregation state for a fixed list of operators with a model's review settings
    (SPEC §5): the latest revision of every review, one effective review per (reviewer, operator,
    period), void reviews nowhere. It never depends on the evaluation date; ``summary(as_of)``
    applies the window, decay, working-day deadlines and estimators. States built on any split
    of the events, merged, equal the state built on all of them.

    Parameters
    ----------
    operators:
        The operator ids (a sequence, Series or Index), a :class:`Dataset`, or a DataFrame with
        an ``operator_id`` column.
    model:
        Whose ``[reviews]`` settings apply (default: the shipped model).
    """

    _STATE_VERSION = 1

    def __init__(self, operators: HasOperatorIds | pd.DataFrame | Sequence[str] | Any, model: HasCoreModel | None = None) -> None:
        if isinstance(operators, pd.DataFrame):
            if "operator_id" not in operators.columns:
                raise data_error("missing required column", field="operator_id")
            ids = text_list(operators["operator_id"])
        elif isinstance(operators, str):
            raise TypeError("operators must be a sequence of operator ids, a Dataset or a DataFrame, not one str")
        elif isinstance(getattr(operators, "operator_ids", None), list):  # a Dataset
            ids = operators.operator_ids
        else:
            ids = text_list(pd.Series(list(operators), dtype=object))
        self._core = _core.ReviewAggregator(ids, core_model(model, "model"))
        self._index: pd.Index | None = None

    @classmethod
    def _wrap(cls, core: _core.ReviewAggregator) -> ReviewAggregator:
        self = cls.__new__(cls)
        self._core = core
        self._index = None
        return self

    # -- ingestion ---------------------------------------------------------------------------
    def add(self, events: pd.DataFrame | None = None, /, **arrays: Any) -> ReviewAggregator:
        """Adds review events; returns self.

        ``add(events)`` takes a DataFrame with the SPEC §5 columns (``review_id``, ``revision``,
        ``operator_id``, ``reviewer_id``, ``time``, ``level`` (1–5 or good/bad), ``scenario``,
        ``status`` (valid | pending | void), ``rectified_at``, ``followed_up_at``,
        ``service_record_id``), read like the CSV reader reads the same columns. Rows it cannot
        take (missing or unknown ids, bad level, time, status or revision) are rejected — counted
        by kind with examples naming the row in :attr:`rejects` — never dropped silently.

        ``add(review_key=…, operator_index=…, reviewer_key=…, time=…, level=…, [revision=…,
        status=…, rectified_at=…, followed_up_at=…, has_service_record=…])`` takes parallel
        arrays (uint64, uint32, uint64, int64 Unix seconds, int8, uint32, uint8, int64, int64,
        uint8). Arrays of exactly these dtypes, C-contiguous, are read in place by the C++ core
        (no copy; read-only arrays are fine); others are converted once (integers must fit).
        Keys come from :func:`review_keys`, operator indices index :attr:`operator_ids`.
        The C++ ingestion runs without the GIL.
        """
        if events is not None:
            if arrays:
                raise TypeError("add() takes an events DataFrame or keyword arrays, not both")
            self._add_frame(events)
        elif arrays:
            self._core.add_batch(**self._batch_arrays(arrays))
        else:
            raise TypeError("add() needs an events DataFrame or the keyword arrays of a batch")
        return self

    def add_csv(self, path: str | os.PathLike[str], encoding: str = "auto") -> ReviewAggregator:
        """Adds every row of a review-event CSV (UTF-8 or GB18030) with the C++ reader; bad rows
        are rejected with "file:line" examples. Returns self."""
        self._core.add_csv(os.fspath(path), encoding)
        return self

    @staticmethod
    def _batch_arrays(arrays: dict[str, Any]) -> dict[str, np.ndarray]:
        unknown = sorted(set(arrays) - set(BATCH_ARRAYS))
        if unknown:
            raise TypeError("unknown batch arrays: " + ", ".join(unknown) + " (known: " + ", ".join(BATCH_ARRAYS) + ")")
        out = {}
        for name, (dtype, required) in BATCH_ARRAYS.items():
            if name not in arrays or arrays[name] is None:
                if required:
                    raise TypeError(f"add(): the batch array {name!r} is required")
                continue
            out[name] = exact(arrays[name], dtype, name)
        return out

    def _operator_index(self) -> pd.Index:
        if self._index is None:
            self._index = pd.Index(self._core.operator_ids)
        return self._index

    def _add_frame(self, df: pd.DataFrame) -> None:
        """Events of a DataFrame through the core's ingestion path (the CSV reader's checks and
        reject examples, rows named by their index label)."""
        if not isinstance(df, pd.DataFrame):
            raise TypeError(f"events must be a pandas DataFrame, not {type(df).__name__}")
        self._core.add_frame(df, "DataFrame")

    def merge(self, other: ReviewAggregator) -> ReviewAggregator:
        """Adds another state built for the same operators and ingest mode (DataError
        otherwise); returns self. Merging is order-independent."""
        if not isinstance(other, ReviewAggregator):
            raise TypeError(f"merge() takes a ReviewAggregator, not {type(other).__name__}")
        self._core.merge(other._core)
        return self

    def summary(self, as_of: DateLike, *, calendar: Any = None) -> pd.DataFrame:
        """Per-operator measures at `as_of` (required; the clock is never read), one row per
        operator, ``operator_id`` first: ``stars_1``…``stars_5`` (the review columns a rating
        uses: decayed counts rescaled to Kish's effective n; equal to the counts without decay),
        ``count_1``…``count_5`` (effective reviews in the window), ``valid_n``, ``effective_n``,
        ``satisfaction_index``, ``satisfaction_rate``, ``wilson_lower``, ``jeffreys_lower``,
        ``jeffreys_upper``, ``bayes_rate``, ``bayes_index``, ``eb_rate``, ``bad_open``,
        ``bad_closed_in_time``, ``bad_overdue``, ``bad_followed_up``, ``low_volume``.
        ``df.attrs`` holds as_of, the empirical-Bayes fit (eb_alpha, eb_beta, eb_pooled,
        eb_note), events_seen and records_kept. Deadlines use China's official working-day
        calendar (2024–2026), or `calendar`: a calendar CSV path (docs/calendar-format.md), a
        ``HolidayCalendar``, or ``"weekends-only"`` (a warned fallback)."""
        s = self._core.summary(as_of_days(as_of), resolve(calendar))
        data: dict[str, Any] = {"operator_id": s["operator_ids"]}
        for k in range(5):
            data[f"stars_{k + 1}"] = s["stars"][f"stars_{k + 1}"]
        counts = s["counts"]
        for k in range(5):
            data[f"count_{k + 1}"] = counts[:, k]
        for name in (
            "valid_n", "effective_n", "satisfaction_index", "satisfaction_rate", "wilson_lower", "jeffreys_lower",
            "jeffreys_upper", "bayes_rate", "bayes_index", "eb_rate", "bad_open", "bad_closed_in_time", "bad_overdue",
            "bad_followed_up",
        ):  # fmt: skip
            data[name] = s[name]
        data["low_volume"] = s["low_volume"].astype(bool)
        df = pd.DataFrame(data)
        df.attrs.update(
            as_of=days_to_date(s["as_of"]),
            eb_alpha=s["eb_alpha"],
            eb_beta=s["eb_beta"],
            eb_pooled=s["eb_pooled"],
            eb_note=s["eb_note"],
            events_seen=s["events_seen"],
            records_kept=s["records_kept"],
        )
        return df

    def save(self, path: str | os.PathLike[str]) -> None:
        """Writes the binary archive (docs/review-archive.md) atomically."""
        self._core.save(os.fspath(path))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ReviewAggregator:
        """Reads an archive written by :meth:`save` (any released format version);
        :class:`ArchiveError` for anything wrong with it."""
        return cls._wrap(_core.ReviewAggregator.load(os.fspath(path)))

    def serialize(self) -> bytes:
        """The archive bytes (the same as :meth:`save` writes)."""
        return self._core.serialize()

    @classmethod
    def deserialize(cls, data: bytes, source_name: str = "<bytes>") -> ReviewAggregator:
        return cls._wrap(_core.ReviewAggregator.deserialize(bytes(data), source_name))

    # -- properties --------------------------------------------------------------------------
    @property
    def operator_ids(self) -> list[str]:
        return self._core.operator_ids

    @property
    def events_seen(self) -> int:
        """Events added, rejected ones included."""
        return self._core.events_seen

    @property
    def records_kept(self) -> int:
        """Review records in the state (the latest revision of each review)."""
        return self._core.records_kept

    @property
    def memory_bytes(self) -> int:
        return self._core.memory_bytes

    @property
    def rejects(self) -> pd.DataFrame:
        """Rejected events by the kinds that occurred (of missing_id, unknown_operator,
        bad_level, bad_time, bad_status, bad_revision, bad_date_order): ``count`` and up to 5
        ``examples``. Empty (no rows) when nothing was rejected."""
        rows = [r for r in self._core.rejects if r[1] > 0]
        return pd.DataFrame(
            {"count": [r[1] for r in rows], "examples": [list(r[2]) for r in rows]},
            index=pd.Index([r[0] for r in rows], name="kind"),
        )

    def same_settings(self, model: HasCoreModel) -> bool:
        """True when this state's review settings are `model`'s."""
        return self._core.same_settings(model._core)

    # -- python protocol ---------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ReviewAggregator):
            return NotImplemented
        return self._core == other._core

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return (
            f"ReviewAggregator({len(self.operator_ids)} operators, {self.events_seen} events seen, "
            f"{self.records_kept} records kept)"
        )

    def __copy__(self) -> ReviewAggregator:
        return self._wrap(self._core.copy())

    def __deepcopy__(self, memo: dict) -> ReviewAggregator:
        return self._wrap(self._core.copy())

    def __getstate__(self) -> dict[str, Any]:
        """Versioned state: the archive bytes (``serialize()``, format with header and checksum)."""
        return {"version": self._STATE_VERSION, "archive": self.serialize()}

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = check_state("ReviewAggregator", state, self._STATE_VERSION)
        self._core = _core.ReviewAggregator.deserialize(state["archive"], "<pickle>")
        self._index = None
