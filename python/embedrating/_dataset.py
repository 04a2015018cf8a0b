"""Inputs of a rating run: operators, indicators, review events and facilities.

A :class:`Dataset` keeps the tables it was given and turns them into the C++ dataset for a model
when it is rated, caching one C++ dataset per model fingerprint. The tables go through the core's
one ingestion path (the same code that reads CSV files): the core classifies the columns for the
model, parses and checks every cell, and aligns a separate ``indicators`` table by
``operator_id``. A bad cell gets the message the CSV reader gives for it, located by the table's
name, row label and column.

Copies: the DataFrame's arrays are read in place by the core (float64, int64, bool, datetime64,
categorical codes; text as the Python strings' UTF-8 or Arrow buffers) and copied once into the
C++ dataset, which owns its inputs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from . import _core
from ._convert import days_to_datetime64, n_rows
from ._aggregator import ReviewAggregator
from ._errors import DataError, check_state, data_error
from ._errors import archive_error as _archive_error
from ._excel import read_excel_dataset
from ._interfaces import HasCoreModel, core_model
from ._whatif import template as _template

# Annotations only: Model (embedrating.Model, _model.py) imports this module; here a model is
# anything holding the C++ model (_interfaces.HasCoreModel).
Model = HasCoreModel

_STATUS = {"active": 0, "suspending": 1, "suspended": 2, "terminated": 3}
_STATUS_NAMES = list(_STATUS)
_GRADE_NAME = {0: "unrated", 1: "1A", 2: "2A", 3: "3A", 4: "4A", 5: "5A"}

def _frame(table: Any, what: str) -> pd.DataFrame | Mapping[str, Any]:
    """A DataFrame (an index named operator_id becomes a column) or a mapping of columns."""
    if isinstance(table, pd.DataFrame):
        if "operator_id" not in table.columns and table.index.name == "operator_id":
            table = table.reset_index()
        return table
    if isinstance(table, Mapping):
        return table
    raise TypeError(f"{what} must be a pandas DataFrame or a mapping of columns, not {type(table).__name__}")


class Dataset:
    """The inputs of a rating run.

    Parameters
    ----------
    operators:
        One row per operator: ``operator_id`` and any of ``status`` (active | suspending |
        suspended | terminated), ``scenarios`` ("code;code" text or a list per row), ``mode``,
        ``district``, ``street``, ``community``, ``name``, ``name_zh``, ``address``, history
        (``previous_grade``, ``previous_rated_on``, ``last_downgrade_on``), flags (the Art. 16
        veto flags and every ``flag.<name>`` the model reads: bool, 0/1 or true/false/是/否), dates
        (every ``months_since.<name>`` the model reads and any column ending in ``_on``:
        datetime64, ``datetime.date`` or "YYYY-MM-DD"). A DataFrame or a mapping of columns.
    indicators:
        ``operator_id`` and operator-level measures of the model (numbers; categories by level)
        and review columns (``stars_1``…``stars_5``, ``bad_open``, ``bad_closed_in_time``,
        ``bad_overdue``, ``bad_followed_up``). Aligned to ``operators`` by ``operator_id``. Pass
        the same wide frame as both (or None) when one frame holds everything.
    reviews:
        Review events (a DataFrame with the SPEC §5 columns) or a :class:`ReviewAggregator`. At
        rating time their summary at ``as_of`` replaces the review columns. Events are aggregated
        with the settings of the model that rates; an aggregator keeps its own settings.
    facilities:
        One row per site: ``facility_id``, ``operator_id``, ``volume`` and per-site measures,
        rolled up to operators by the model (descriptive ``name``, ``name_zh``, ``street``,
        ``community``, ``address`` are kept out of the rating).
    model:
        When given, the tables are checked against it at once (otherwise when first rated).

    The tables are kept as given (not copied): change a table and build a new Dataset, since the
    C++ dataset built for a model is cached. Unknown columns are an error listing them all;
    missing required columns are an error of the rating (naming them all). Missing values: NaN/None/pd.NA in a measure is "missing" (the
    indicator's missing policy applies); in a flag it is 0, in a date "never".
    """

    _STATE_VERSION = 2

    def __init__(
        self,
        operators: pd.DataFrame | Mapping[str, Any],
        indicators: pd.DataFrame | Mapping[str, Any] | None = None,
        reviews: pd.DataFrame | ReviewAggregator | None = None,
        facilities: pd.DataFrame | Mapping[str, Any] | None = None,
        *,
        model: Model | None = None,
        source_name: str = "DataFrame",
    ) -> None:
        # Chinese names of status, mode and scenarios (运营中, 公建民营, 养老服务) are read by the core
        self.operators = _frame(operators, "operators")
        self.indicators = None if indicators is None else _frame(indicators, "indicators")
        if reviews is not None and not isinstance(reviews, (pd.DataFrame, ReviewAggregator)):
            raise TypeError(f"reviews must be an events DataFrame or a ReviewAggregator, not {type(reviews).__name__}")
        self.reviews = reviews
        self.facilities = None if facilities is None else _frame(facilities, "facilities")
        self.benchmark: pd.DataFrame | None = None
        self.source_name = source_name
        self._cores: dict[str, _core.Dataset] = {}
        self._aggregators: dict[str, ReviewAggregator] = {}
        self._init_ids()
        if model is not None:
            self._core_for(model)

    # -- alternative constructors ------------------------------------------------------------
    @classmethod
    def from_csv(
        cls,
        operators_csv: str | os.PathLike[str],
        facilities_csv: str | os.PathLike[str] | None = None,
        reviews_csv: str | os.PathLike[str] | None = None,
        model: Model | None = None,
        *,
        encoding: str = "auto",
    ) -> Dataset:
        """Reads the CSV files with the C++ readers (UTF-8 with or without BOM, GB18030/GBK;
        errors name file, line and column) for `model` (default: the shipped one). The review
        events become a :class:`ReviewAggregator` with the model's settings (its ``rejects`` list
        rejected rows). The tables are available as DataFrames (``operators``, ``indicators``,
        ``facilities``) exported from what the readers read."""
        cm = core_model(model, "model")
        core = _core.read_operators_csv(os.fspath(operators_csv), cm, encoding)
        if facilities_csv is not None:
            _core.read_facilities_csv_into(core, os.fspath(facilities_csv), cm, encoding)
        operators, indicators, facilities = _export(core)
        reviews = None
        if reviews_csv is not None:
            reviews = ReviewAggregator(core.operator_ids, cm)
            reviews._core.add_csv(os.fspath(reviews_csv), encoding)
        ds = cls(operators, indicators, reviews, facilities, source_name=core.source_name)
        ds._cores[cm.fingerprint] = core
        return ds

    @classmethod
    def from_parquet(
        cls,
        operators: str | os.PathLike[str],
        facilities: str | os.PathLike[str] | None = None,
        reviews: str | os.PathLike[str] | None = None,
        *,
        indicators: str | os.PathLike[str] | None = None,
        source_name: str | None = None,
    ) -> Dataset:
        """Reads Parquet files with pyarrow (``pip install embedrating[arrow]``) as Arrow-backed
        DataFrames: the core reads their columns in place (text straight from the Arrow buffers)
        through the same path and checks as CSV files and DataFrames. Columns as in
        :class:`Dataset`; ``reviews`` holds review events. Messages name the file and the row."""
        read = _parquet_reader()
        name = source_name if source_name is not None else os.fspath(operators)
        return cls(
            read(operators),
            None if indicators is None else read(indicators),
            None if reviews is None else read(reviews),
            None if facilities is None else read(facilities),
            source_name=name,
        )

    @classmethod
    def from_arrow(
        cls,
        operators: Any,
        indicators: Any = None,
        reviews: Any = None,
        facilities: Any = None,
        *,
        source_name: str = "Arrow table",
    ) -> Dataset:
        """The same from ``pyarrow.Table`` objects (or anything with ``to_pandas``), kept
        Arrow-backed."""

        def frame(t: Any) -> Any:
            return None if t is None else t.to_pandas(types_mapper=pd.ArrowDtype)

        return cls(frame(operators), frame(indicators), frame(reviews), frame(facilities), source_name=source_name)

    @classmethod
    def from_excel(
        cls,
        path: str | os.PathLike[str],
        *,
        operators: str | int | None = None,
        facilities: str | int | None = None,
        reviews: str | int | None = None,
        indicators: str | int | None = None,
        model: Model | None = None,
    ) -> Dataset:
        """Reads an Excel workbook (.xlsx, with pandas and openpyxl) and validates it like any
        DataFrame (``Dataset(...)``): the same checks and messages as CSV input, naming the file
        and sheet, the column and the operator. Sheets are found by name — operators
        (``operators``/运营商, else the first sheet), ``facilities``/设施, ``reviews``/好差评 (events),
        ``indicators``/指标 — or given by name or index. Chinese headers of the descriptive
        columns (运营商编号, 区, 运营模式, 状态, 服务场景 …) and Chinese names of status, mode and
        scenarios (运营中, 公建民营, 养老服务) are accepted; ids typed as numbers in Excel are read
        as text ("1001", not 1001.0). The workbook :meth:`Dataset.template` writes reads back."""
        return read_excel_dataset(cls, path, operators, facilities, reviews, indicators, model)

    @staticmethod
    def template(model: Model | None = None, operators: int | Sequence[str] = 1, **values: Any) -> pd.DataFrame:
        """An operator table to fill in: one row per operator (`operators`: a count, ids
        "OP-0001"…, or the ids) with every input column `model` (default: the shipped one) reads
        and explicit values — see :meth:`Model.blank_operator`; keyword arguments set columns.
        Write it with ``.to_excel(...)``, fill it in Excel, read it back with
        :meth:`Dataset.from_excel`."""
        ids = [f"OP-{k + 1:04d}" for k in range(operators)] if isinstance(operators, int) else [str(x) for x in operators]
        return _template(model if model is not None else _core.Model.default_model(), ids, values)

    # -- operator ids ------------------------------------------------------------------------
    # The ids are read and checked (non-empty, unique) by the core with the rest of the tables,
    # when a model first reads them; the Python list is made on demand.
    def _init_ids(self) -> None:
        self._ids_list: list[str] | None = None
        self._rows: dict[str, int] | None = None

    @property
    def _operator_ids(self) -> list[str]:
        if self._ids_list is None:
            core = next(iter(self._cores.values()), None)
            self._ids_list = (core if core is not None else self._core_for(None)).operator_ids
        return self._ids_list

    def _row_of(self, operator_id: str) -> int:
        if self._rows is None:
            self._rows = {x: i for i, x in enumerate(self._operator_ids)}
        row = self._rows.get(operator_id)
        if row is None:
            raise data_error("no such operator in this dataset", file=self.source_name, operator_id=str(operator_id))
        return row

    # -- basic properties --------------------------------------------------------------------
    @property
    def operator_ids(self) -> list[str]:
        return list(self._operator_ids)

    def __len__(self) -> int:
        return n_rows(self.operators)

    def __repr__(self) -> str:
        parts = [f"{len(self)} operators"]
        if self.facilities is not None:
            parts.append(f"{n_rows(self.facilities)} facilities")
        if isinstance(self.reviews, pd.DataFrame):
            parts.append(f"{len(self.reviews)} review events")
        elif self.reviews is not None:
            parts.append("a review aggregator")
        return f"Dataset({', '.join(parts)})"

    def validate(self, model: Model | None = None, *, lang: str = "en") -> Dataset:
        """Builds (and caches) the C++ dataset for `model` (default: the shipped model), raising
        DataError for unknown columns or bad values. Returns self. With ``lang="zh"`` the error's
        text and ``message`` are in Chinese, as ``embedrating validate --lang zh`` prints them
        (its other attributes are unchanged); another `lang` is a ValueError."""
        _check_lang(lang)
        try:
            self._core_for(model)
        except _core.Error as e:
            if lang == "en":
                raise
            raise _core.translate_error(e, lang) from None
        return self

    def problems(self, model: Model | None = None, *, lang: str = "en") -> list[DataError]:
        """Every problem of the tables for `model` (default: the shipped model) as a list of
        :class:`DataError` (empty when the tables are fine), instead of raising the first: unknown
        columns, bad cells (each naming the table, row label, column and operator), duplicate
        ids, facilities of unknown operators. Rating checks more (missing columns a model needs,
        roll-ups); run it after this is empty.

        ``lang="zh"``: each problem's text and ``message`` in Chinese, translated by the same code
        as ``embedrating validate --lang zh`` (include/embedrating/messages.hpp); file, row,
        field and operator_id are unchanged. Another `lang` is a ValueError."""
        if _check_lang(lang) != "en":
            return [_core.translate_error(p, lang) for p in self.problems(model)]
        cm = core_model(model, "model")
        core, found = _core.read_operators(_tables(self), cm, collect=True)
        problems = list(found)
        if core is not None and self.facilities is not None and not problems:
            problems += _core.read_facilities(core, self.facilities, f"{self.source_name} (facilities)", cm,
                                              collect=True)  # fmt: skip
        return problems

    def input_hash(self, model: Model | None = None) -> str:
        """SHA-256 of the inputs as the C++ dataset holds them (review columns from events are
        applied at rating time and show in ``Ratings.input_hash`` instead)."""
        return self._core_for(model).input_hash()

    def to_frame(self, model: Model | None = None) -> pd.DataFrame:
        """The operator-level columns the C++ dataset holds for `model`, as one wide frame
        (dates as datetime64, flags as bool, scenarios as "a;b" text)."""
        core = self._core_for(model)
        operators, indicators, _ = _export(core)
        return operators.merge(indicators, on="operator_id", how="left", validate="one_to_one")

    # -- the C++ dataset for a model ---------------------------------------------------------
    def _core_for(self, model: Model | _core.Model | None) -> _core.Dataset:
        """The C++ dataset for `model` (an embedrating.Model, a C++ model, or None: the shipped
        model), built on first use and cached by the model's fingerprint."""
        cm = core_model(model, "model")
        key = cm.fingerprint
        core = self._cores.get(key)
        if core is None:
            core = _build(self, cm)
            self._cores[key] = core
        return core

    def _aggregator_for(self, model: Model) -> ReviewAggregator | None:
        if self.reviews is None:
            return None
        if isinstance(self.reviews, ReviewAggregator):
            return self.reviews
        cm = core_model(model, "model")
        settings = repr(sorted(cm.review_settings().items()))
        agg = self._aggregators.get(settings)
        if agg is None:
            agg = ReviewAggregator(self._operator_ids, cm)
            agg.add(self.reviews)
            self._aggregators[settings] = agg
        return agg

    # -- pickling and copies -----------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        """Versioned state (version 2): the core's dataset archive (docs/archives.md: header,
        checksum, every column in a portable byte order) of the C++ dataset of the first model
        that read the tables, or of the shipped model when none has yet, with that model's
        fingerprint; review events (a DataFrame) or an aggregator (its archive bytes), the
        benchmark, the source name, and the facility columns the archive does not hold
        (descriptive ones the rating ignores, e.g. ``name_zh``). Tables that no model has read
        and the shipped model cannot read are kept as given instead (``archive`` None), so
        nothing is lost. State version 1 (the tables as given) still loads."""
        state: dict[str, Any] = {
            "version": self._STATE_VERSION,
            "archive": None,
            "fingerprint": None,
            "tables": None,
            "facility_extra": None,
            "reviews": self.reviews,
            "benchmark": self.benchmark,
            "source_name": self.source_name,
        }
        core = None
        if self._cores:
            state["fingerprint"], core = next(iter(self._cores.items()))
        else:
            default = _core.Model.default_model()
            try:
                core = self._core_for(default)
                state["fingerprint"] = default.fingerprint
            except _core.Error:  # tables for another model: kept as given
                core = None
        if core is None:
            state["tables"] = {"operators": self.operators, "indicators": self.indicators, "facilities": self.facilities}
            return state
        state["archive"] = core.to_bytes()
        if isinstance(self.facilities, pd.DataFrame):
            f = core.columns()["facilities"] or {"numbers": {}, "categories": {}}
            held = {"facility_id", "operator_id", "volume"} | set(f["numbers"]) | set(f["categories"])
            extra = [c for c in self.facilities.columns if c not in held]
            if extra:
                state["facility_extra"] = self.facilities[extra].reset_index(drop=True)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        if isinstance(state, dict) and state.get("version") == 1 and "operators" in state:
            state = {**state, "tables": state, "archive": None, "fingerprint": None, "facility_extra": None}
        else:
            state = check_state("Dataset", state, self._STATE_VERSION)
        self.reviews = state["reviews"]
        self.benchmark = state["benchmark"]
        self.source_name = state["source_name"]
        self._cores = {}
        self._aggregators = {}
        self._init_ids()
        if state["archive"] is None:
            tables = state["tables"]
            if not isinstance(tables, dict):
                raise _archive_error("Dataset pickle state holds neither a dataset archive nor tables")
            self.operators = tables["operators"]
            self.indicators = tables["indicators"]
            self.facilities = tables["facilities"]
            return
        archive = state["archive"]
        if not isinstance(archive, bytes):
            raise _archive_error(f"Dataset pickle state: the dataset archive is {type(archive).__name__}, not bytes")
        core = _core.Dataset.from_bytes(archive, "Dataset pickle")
        self.operators, self.indicators, self.facilities = _export(core)
        extra = state["facility_extra"]
        if extra is not None and self.facilities is not None:
            self.facilities = pd.concat([self.facilities, extra], axis=1)
        self._cores[state["fingerprint"]] = core

    def __copy__(self) -> Dataset:
        new = Dataset.__new__(Dataset)
        new.__dict__.update(self.__dict__)
        new._cores = dict(self._cores)
        new._aggregators = dict(self._aggregators)
        return new


def _parquet_reader() -> Any:
    try:
        import pyarrow.parquet as pq
    except ImportError as e:  # pragma: no cover - the arrow extra is installed in CI
        raise ImportError("reading Parquet needs pyarrow: pip install 'embedrating[arrow]'") from e

    def read(path: str | os.PathLike[str]) -> pd.DataFrame:
        return pq.read_table(os.fspath(path)).to_pandas(types_mapper=pd.ArrowDtype)

    return read


# ---------------------------------------------------------------------------------------------
# DataFrames → C++ dataset: the core's one ingestion path (embedrating::read_operators); nothing
# here classifies or checks a column.


def _tables(ds: Dataset) -> list[tuple[Any, str]]:
    tables = [(ds.operators, ds.source_name)]
    if ds.indicators is not None and ds.indicators is not ds.operators:
        tables.append((ds.indicators, f"{ds.source_name} (indicators)"))
    return tables


def _build(ds: Dataset, model: _core.Model) -> _core.Dataset:
    core, _ = _core.read_operators(_tables(ds), model)
    if ds.facilities is not None:
        _core.read_facilities(core, ds.facilities, f"{ds.source_name} (facilities)", model)
    return core


# ---------------------------------------------------------------------------------------------
# C++ dataset → DataFrames


def _export(core: _core.Dataset) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """(operators, indicators, facilities) frames holding exactly what the C++ dataset holds;
    building a dataset from them for the same model gives the same input hash."""
    c = core.columns()
    ids = c["operator_ids"]
    ops: dict[str, Any] = {"operator_id": ids}
    if c["status"] is not None:
        ops["status"] = [_STATUS_NAMES[int(x)] for x in c["status"]]
    if c["scenarios"] is not None:
        ops["scenarios"] = [";".join(row) for row in c["scenarios"]]
    for name, values in c["attributes"].items():
        ops[name] = values
    for name, values in c["flags"].items():
        ops[name] = values.astype(bool)
    history_dates = {}
    for name, values in c["dates"].items():
        if name.startswith("history."):
            history_dates[name.removeprefix("history.")] = values
        else:
            ops[name] = days_to_datetime64(values)
    if c["previous_grade"] is not None:
        ops["previous_grade"] = [None if int(x) < 0 else _GRADE_NAME[int(x)] for x in c["previous_grade"]]
        for name in ("previous_rated_on", "last_downgrade_on"):
            ops[name] = days_to_datetime64(history_dates[name])
    ind: dict[str, Any] = {"operator_id": ids}
    for name, values in c["numbers"].items():
        ind[name] = values
    for name, values in c["categories"].items():
        ind[name] = [v if v else None for v in values]
    for name, values in c["reviews"].items():
        ind[name] = values
    facilities = None
    if c["facilities"] is not None:
        f = c["facilities"]
        fd: dict[str, Any] = {"facility_id": f["facility_ids"], "operator_id": f["operator_ids"]}
        if f["volume"] is not None:
            fd["volume"] = f["volume"]
        fd.update(f["numbers"])
        for name, values in f["categories"].items():
            fd[name] = [v if v else None for v in values]
        facilities = pd.DataFrame(fd)
    return pd.DataFrame(ops), pd.DataFrame(ind), facilities


# ---------------------------------------------------------------------------------------------
# The shipped sample


def _read_csv(path: Path, **kwargs: Any) -> pd.DataFrame:
    # Empty cells are missing; no other text (e.g. "NA") is. (pandas 3 parses floats exactly.)
    return pd.read_csv(path, keep_default_na=False, na_values=[""], **kwargs)


def _check_lang(lang: str) -> str:
    """`lang` when it is "en" or "zh", else the ValueError the C++ core gives for it."""
    if lang not in ("en", "zh"):
        raise ValueError(f'lang must be "en" or "zh", got {lang!r}')
    return lang


def load_sample(model: Model | None = None) -> Dataset:
    """The shipped synthetic sample (data/sample/, ~300 Wuhan operators, their sites, 41k review
    events, benchmark grades), meant to be rated at ``as_of = 2025-12-31``.

    Attributes: ``operators`` (descriptive, status, scenarios, history, flags, dates),
    ``indicators`` (operator-level measures and the review columns of operators.csv),
    ``facilities`` (per-site measures), ``reviews`` (the review events; at rating time their
    summary replaces the review columns — equal to those columns at 2025-12-31) and
    ``benchmark`` (the expert panel's agreed grades)."""
    cm = core_model(model, "model")
    root = Path(_core.data_directory()) / "sample"
    text = {"operator_id": str, "facility_id": str}
    operators = _read_csv(root / "operators.csv", dtype=text)
    roles = cm.input_columns()
    measures = set(roles["numbers"]) | set(roles["categories"]) | set(roles["reviews"])
    ind_cols = ["operator_id"] + [c for c in operators.columns if c in measures]
    indicators = operators[ind_cols]
    operators = operators[[c for c in operators.columns if c not in measures or c == "operator_id"]]
    facilities = _read_csv(root / "facilities.csv", dtype=text)
    reviews = _read_csv(
        root / "reviews.csv",
        dtype={
            "review_id": str,
            "operator_id": str,
            "reviewer_id": str,
            "level": str,
            "time": str,
            "rectified_at": str,
            "followed_up_at": str,
            "service_record_id": str,
            "scenario": str,
            "status": str,
        },
    )
    ds = Dataset(operators, indicators, reviews, facilities, source_name=str(root / "operators.csv"))
    ds.benchmark = _read_csv(root / "benchmark.csv", dtype={"operator_id": str}, parse_dates=["reviewed_on"])
    return ds
