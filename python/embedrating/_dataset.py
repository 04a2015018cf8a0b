"""Inputs of a rating run: operators, indicators, review events and facilities.

A :class:`Dataset` keeps the tables it was given and turns them into the C++ dataset for a model
when it is rated (the model says which column is a measure, a flag, a date…, exactly as the C++
CSV reader classifies header names), caching one C++ dataset per model fingerprint.

Copies: every column is copied once into the C++ dataset (``std::vector``; the core owns its
inputs). float64 columns (numpy-backed, C-contiguous) reach that copy directly, without a
temporary; other dtypes are converted first. Text columns are converted to Python strings. A
separate ``indicators`` frame is aligned to the operators' order by ``operator_id`` (one pandas
copy); a wide frame passed as both (or ``indicators=None``) is not.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import _core
from ._convert import (
    MISSING_DATE,
    FirstRowIds,
    column_names,
    date_array,
    days_to_datetime64,
    factorized,
    flag_array,
    float_array,
    item_text,
    level_codes,
    n_rows,
    object_values,
    text_list,
)
from ._errors import check_state, data_error

if TYPE_CHECKING:
    from ._aggregator import ReviewAggregator
    from ._model import Model

_STATUS = {"active": 0, "suspending": 1, "suspended": 2, "terminated": 3}
_STATUS_NAMES = list(_STATUS)
_GRADE_LEVEL = {"unrated": 0, "不予评级": 0, "1A": 1, "2A": 2, "3A": 3, "4A": 4, "5A": 5}
_GRADE_LEVEL.update({k.lower(): v for k, v in list(_GRADE_LEVEL.items()) if k.endswith("A")})
_GRADE_NAME = {0: "unrated", 1: "1A", 2: "2A", 3: "3A", 4: "4A", 5: "5A"}
_HISTORY = ("previous_grade", "previous_rated_on", "last_downgrade_on")
_FACILITY_TEXT = {"name", "name_zh", "street", "community", "address"}

_catalogue_cache: dict[str, Any] = {}


def _catalogue() -> dict[str, Any]:
    key = _core.data_directory()
    if key not in _catalogue_cache:
        _catalogue_cache[key] = _core.catalogue()
    return _catalogue_cache[key]


def _frame(table: Any, what: str) -> pd.DataFrame | Mapping[str, Any]:
    """A DataFrame (an index named operator_id becomes a column) or a mapping of columns."""
    if isinstance(table, pd.DataFrame):
        if "operator_id" not in table.columns and table.index.name == "operator_id":
            table = table.reset_index()
        return table
    if isinstance(table, Mapping):
        return table
    raise TypeError(f"{what} must be a pandas DataFrame or a mapping of columns, not {type(table).__name__}")


def _ids(table: Any, what: str, source: str, column: str = "operator_id") -> list[str]:
    if column not in column_names(table):
        raise data_error("missing required column", file=source, field=column)
    ids = text_list(table[column])
    if not ids:
        raise data_error(f"the {what} table has no rows", file=source, field=column)
    return ids


def _id_values(table: Any, source: str) -> Any:
    """The operator_id column as the C++ text reader takes it (an object array read in place)."""
    if "operator_id" not in column_names(table):
        raise data_error("missing required column", file=source, field="operator_id")
    values = object_values(table["operator_id"])
    if len(values) == 0:
        raise data_error("the operator table has no rows", file=source, field="operator_id")
    return values


class _LazyIds:
    """The dataset's operator ids, made a Python list only when an error message needs one."""

    def __init__(self, ds: Dataset, core: _core.Dataset) -> None:
        self._ds, self._core = ds, core

    def __getitem__(self, i: int) -> str:
        if self._ds._ids_list is None:
            self._ds._ids_list = self._core.operator_ids
        return self._ds._ids_list[i]

    def __len__(self) -> int:
        return len(self._ds)


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

    _STATE_VERSION = 1

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
        from ._aggregator import ReviewAggregator

        from ._codes import normalise_operators

        # Chinese names of status, mode and scenarios (运营中, 公建民营, 养老服务) → catalogue codes
        self.operators = normalise_operators(_frame(operators, "operators"))
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
        from ._aggregator import ReviewAggregator
        from ._model import default_model

        model = model if model is not None else default_model()
        core = _core.read_operators_csv(os.fspath(operators_csv), model._core, encoding)
        if facilities_csv is not None:
            _core.read_facilities_csv_into(core, os.fspath(facilities_csv), model._core, encoding)
        operators, indicators, facilities = _export(core)
        reviews = None
        if reviews_csv is not None:
            reviews = ReviewAggregator(core.operator_ids, model)
            reviews._core.add_csv(os.fspath(reviews_csv), encoding)
        ds = cls(operators, indicators, reviews, facilities, source_name=core.source_name)
        ds._cores[model.fingerprint] = core
        return ds

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
        from ._excel import read_excel_dataset

        return read_excel_dataset(cls, path, operators, facilities, reviews, indicators, model)

    @staticmethod
    def template(model: Model | None = None, operators: int | Sequence[str] = 1, **values: Any) -> pd.DataFrame:
        """An operator table to fill in: one row per operator (`operators`: a count, ids
        "OP-0001"…, or the ids) with every input column `model` (default: the shipped one) reads
        and explicit values — see :meth:`Model.blank_operator`; keyword arguments set columns.
        Write it with ``.to_excel(...)``, fill it in Excel, read it back with
        :meth:`Dataset.from_excel`."""
        from ._model import default_model
        from ._whatif import template

        ids = [f"OP-{k + 1:04d}" for k in range(operators)] if isinstance(operators, int) else [str(x) for x in operators]
        return template(model if model is not None else default_model(), ids, values)

    # -- operator ids --------------------------------------------------------------------------
    # The ids are read once, by C++, into a C++ dataset that checks them (non-empty, unique) at
    # once; that dataset becomes the first model's C++ dataset. The Python list is made on demand.
    def _init_ids(self) -> None:
        self._id_column = _id_values(self.operators, self.source_name)
        self._template: _core.Dataset | None = _core.Dataset.from_ids(self._id_column, self.source_name)
        self._ids_list: list[str] | None = None
        self._rows: dict[str, int] | None = None

    def _take_template(self) -> _core.Dataset:
        """A C++ dataset holding only the operator ids, for a model's columns to be set on."""
        template, self._template = self._template, None
        if template is None:
            template = _core.Dataset.from_ids(self._id_column, self.source_name)
        return template

    @property
    def _operator_ids(self) -> list[str]:
        if self._ids_list is None:
            core = self._template if self._template is not None else next(iter(self._cores.values()), None)
            if core is None:
                core = _core.Dataset.from_ids(self._id_column, self.source_name)
            self._ids_list = core.operator_ids
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
        return len(self._id_column)

    def __repr__(self) -> str:
        parts = [f"{len(self)} operators"]
        if self.facilities is not None:
            parts.append(f"{n_rows(self.facilities)} facilities")
        if isinstance(self.reviews, pd.DataFrame):
            parts.append(f"{len(self.reviews)} review events")
        elif self.reviews is not None:
            parts.append("a review aggregator")
        return f"Dataset({', '.join(parts)})"

    def validate(self, model: Model | None = None) -> Dataset:
        """Builds (and caches) the C++ dataset for `model` (default: the shipped model), raising
        DataError for unknown columns or bad values. Returns self."""
        from ._model import default_model

        self._core_for(model if model is not None else default_model())
        return self

    def input_hash(self, model: Model | None = None) -> str:
        """SHA-256 of the inputs as the C++ dataset holds them (review columns from events are
        applied at rating time and show in ``Ratings.input_hash`` instead)."""
        from ._model import default_model

        return self._core_for(model if model is not None else default_model()).input_hash()

    def to_frame(self, model: Model | None = None) -> pd.DataFrame:
        """The operator-level columns the C++ dataset holds for `model`, as one wide frame
        (dates as datetime64, flags as bool, scenarios as "a;b" text)."""
        from ._model import default_model

        core = self._core_for(model if model is not None else default_model())
        operators, indicators, _ = _export(core)
        return operators.merge(indicators, on="operator_id", how="left", validate="one_to_one")

    # -- the C++ dataset for a model ---------------------------------------------------------
    def _core_for(self, model: Model) -> _core.Dataset:
        key = model.fingerprint
        core = self._cores.get(key)
        if core is None:
            core = _build(self, model)
            self._cores[key] = core
        return core

    def _aggregator_for(self, model: Model) -> ReviewAggregator | None:
        from ._aggregator import ReviewAggregator

        if self.reviews is None:
            return None
        if isinstance(self.reviews, ReviewAggregator):
            return self.reviews
        settings = repr(sorted(model.review_settings.items()))
        agg = self._aggregators.get(settings)
        if agg is None:
            agg = ReviewAggregator(self._operator_ids, model)
            agg.add(self.reviews)
            self._aggregators[settings] = agg
        return agg

    # -- pickling and copies -----------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        """Versioned state: the tables as given (DataFrames pickle themselves; an aggregator its
        archive bytes). The C++ datasets are rebuilt on first use."""
        return {
            "version": self._STATE_VERSION,
            "operators": self.operators,
            "indicators": self.indicators,
            "reviews": self.reviews,
            "facilities": self.facilities,
            "benchmark": self.benchmark,
            "source_name": self.source_name,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = check_state("Dataset", state, self._STATE_VERSION)
        self.operators = state["operators"]
        self.indicators = state["indicators"]
        self.reviews = state["reviews"]
        self.facilities = state["facilities"]
        self.benchmark = state["benchmark"]
        self.source_name = state["source_name"]
        self._cores = {}
        self._aggregators = {}
        self._init_ids()

    def __copy__(self) -> Dataset:
        new = Dataset.__new__(Dataset)
        new.__dict__.update(self.__dict__)
        new._cores = dict(self._cores)
        new._aggregators = dict(self._aggregators)
        new._template = None  # a template is set on by the model that takes it: never shared
        return new


# ---------------------------------------------------------------------------------------------
# DataFrames → C++ dataset


def _indicator_table(ds: Dataset) -> Mapping[str, Any] | pd.DataFrame | None:
    """The indicators aligned to the operators' order, or None when the operators frame is wide."""
    ind = ds.indicators
    if ind is None or ind is ds.operators:
        return None
    source = ds.source_name
    ind_ids = _ids(ind, "indicator", source)
    overlap = sorted((set(column_names(ind)) & set(column_names(ds.operators))) - {"operator_id"})
    if overlap:
        raise data_error(
            "columns given in both the operators and the indicators table: " + ", ".join(overlap), file=source
        )
    if ind_ids == ds._operator_ids:
        return ind
    seen: dict[str, int] = {}
    for i, x in enumerate(ind_ids):
        if x in seen:
            raise data_error(
                f"duplicate operator id in the indicators table (rows {seen[x] + 1} and {i + 1})",
                file=source,
                field="operator_id",
                operator_id=x,
            )
        seen[x] = i
    ops = set(ds._operator_ids)
    unknown = [x for x in ind_ids if x not in ops]
    if unknown:
        raise data_error(
            "operators in the indicators table but not in the operators table: " + ", ".join(unknown[:10])
            + (" …" if len(unknown) > 10 else ""),
            file=source,
            field="operator_id",
        )
    absent = [x for x in ds._operator_ids if x not in seen]
    if absent:
        raise data_error(
            "operators without a row in the indicators table: " + ", ".join(absent[:10])
            + (" …" if len(absent) > 10 else ""),
            file=source,
            field="operator_id",
        )
    order = np.fromiter((seen[x] for x in ds._operator_ids), dtype=np.int64, count=len(ds._operator_ids))
    if isinstance(ind, pd.DataFrame):
        return ind.iloc[order].reset_index(drop=True)
    return {k: (v.iloc[order] if isinstance(v, pd.Series) else np.asarray(v)[order]) for k, v in ind.items()}


def _column_of(tables: list[Any], name: str) -> Any:
    for t in tables:
        if name in column_names(t):
            col = t[name]
            if isinstance(col, pd.DataFrame):
                raise data_error("column name appears twice", field=name)
            return col
    raise KeyError(name)


def _scenario_rows(col: Any, ids: Sequence[str], source: str, known: set[str]) -> list[list[str]]:
    values = col.tolist() if hasattr(col, "tolist") else list(col)
    rows: list[list[str]] = []
    for i, v in enumerate(values):
        if v is None or (isinstance(v, float) and v != v) or v is pd.NA:
            codes: list[str] = []
        elif isinstance(v, str):
            codes = [c.strip(" \t") for c in v.replace("|", ";").split(";")]
            codes = [c for c in codes if c]
        elif isinstance(v, (list, tuple, set, frozenset, np.ndarray, pd.Series)):
            codes = [str(c).strip(" \t") for c in (sorted(v) if isinstance(v, (set, frozenset)) else v)]
            codes = [c for c in codes if c]
        else:
            raise data_error(
                f"scenarios are 'code;code' text or a list of codes, got {type(v).__name__}",
                file=source,
                field="scenarios",
                operator_id=ids[i],
            )
        row: list[str] = []
        for c in codes:
            if c in row:
                raise data_error(f'scenario "{c}" listed twice', file=source, field="scenarios", operator_id=ids[i])
            if c not in known:
                raise data_error(
                    f'unknown scenario "{c}" (not in the scenario catalogue, catalogue/scenarios.csv)',
                    file=source,
                    field="scenarios",
                    operator_id=ids[i],
                )
            row.append(c)
        rows.append(row)
    return rows


def _check_range(values: np.ndarray, name: str, roles: dict[str, Any], owners: Sequence[str], source: str,
                 field: str, facility_ids: Sequence[str] | None = None) -> None:  # fmt: skip
    """Numbers within the measure's range, as the CSV readers check every cell."""
    lo, hi, unit = roles["ranges"][name]
    where = (lambda i: f'facility "{facility_ids[i]}": ') if facility_ids is not None else (lambda i: "")
    inf = np.flatnonzero(np.isinf(values))
    if inf.size:
        i = int(inf[0])
        raise data_error(f"{where(i)}value is {'+inf' if values[i] > 0 else '-inf'}", file=source, field=field,
                         operator_id=owners[i])  # fmt: skip
    bad = np.zeros(values.shape, dtype=bool)
    if lo is not None:
        bad |= values < lo
    if hi is not None:
        bad |= values > hi
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise data_error(
            f"{where(i)}value {values[i]:g} is outside the allowed range [{'-inf' if lo is None else f'{lo:g}'}, "
            f"{'inf' if hi is None else f'{hi:g}'}]" + (f" ({unit})" if unit else ""),
            file=source,
            field=field,
            operator_id=owners[i],
        )


def _check_levels(values: list[str], name: str, levels: list[str], owners: Sequence[str], source: str,
                  field: str, facility_ids: Sequence[str] | None = None) -> None:  # fmt: skip
    allowed = set(levels)
    for i, v in enumerate(values):
        if v and v not in allowed:
            where = f'facility "{facility_ids[i]}": ' if facility_ids is not None else ""
            raise data_error(
                f'{where}"{v}" is not a level of {name} (allowed: {", ".join(levels)})',
                file=source,
                field=field,
                operator_id=owners[i],
            )


def _status_codes(col: Any, ids: Any, source: str) -> np.ndarray:
    codes, _ = level_codes(col, _STATUS_NAMES)
    if codes.size and codes.min() < 0:  # not a status, or missing: the first such row
        bad = int(np.argmax(codes < 0))
        raise data_error(
            f'unknown status "{item_text(col, bad)}" (active, suspending, suspended, terminated)',
            file=source,
            field="status",
            operator_id=ids[bad],
        )
    return codes.astype(np.uint8)


_GRADE_TEXTS = list(_GRADE_LEVEL)
_GRADE_LUT = np.array([_GRADE_LEVEL[t] for t in _GRADE_TEXTS] + [-1], dtype=np.int8)


def _grade_levels(col: Any, name: str, ids: Any, source: str) -> np.ndarray:
    """Grade levels (int8; -1 where empty) of a previous_grade column."""
    codes, bad = level_codes(col, _GRADE_TEXTS)
    if bad >= 0:
        raise data_error(
            f'"{item_text(col, bad)}" is not a grade (5A..1A, unrated, or empty)',
            file=source,
            field=name,
            operator_id=ids[bad],
        )
    return _GRADE_LUT[codes]


def _build(ds: Dataset, model: Model) -> _core.Dataset:
    source = ds.source_name
    n = len(ds)
    roles = model._core.input_columns()
    cat = _catalogue()
    numbers = set(roles["numbers"])
    categories: dict[str, list[str]] = roles["categories"]
    reviews = set(roles["reviews"])
    flags = set(roles["flags"])
    dates = set(roles["dates"])
    attributes = set(roles["attributes"])

    tables: list[Any] = [ds.operators]
    ind = _indicator_table(ds)
    if ind is not None:
        tables.append(ind)
    names: list[str] = []
    for t in tables:
        names += [c for c in column_names(t) if c != "operator_id"]
    dup = sorted({c for c in names if names.count(c) > 1})
    if dup:
        raise data_error("columns given twice: " + ", ".join(dup), file=source)
    facility_measures: set[str] = set()
    if ds.facilities is not None:
        facility_measures = set(column_names(ds.facilities)) & (numbers | set(categories))

    unknown = [
        c
        for c in names
        if c not in ("status", "scenarios", *_HISTORY)
        and c not in numbers
        and c not in categories
        and c not in reviews
        and c not in flags
        and c not in dates
        and not (len(c) > 3 and c.endswith("_on"))
        and c not in attributes
    ]
    if unknown:
        raise data_error(
            "unknown column" + ("s " if len(unknown) > 1 else " ") + ", ".join(f'"{c}"' for c in unknown)
            + f" (not a measure, flag, date, review column or attribute of model {model.id})",
            file=source,
        )
    both = sorted(set(names) & facility_measures)
    if both:
        raise data_error(
            "measures given both per operator and per facility (give each in one table): " + ", ".join(both),
            file=source,
        )

    core = ds._take_template()
    ids: Any = _LazyIds(ds, core)
    history: dict[str, Any] = {}
    for name in names:
        col = _column_of(tables, name)
        if name == "status":
            core.set_status(_status_codes(col, ids, source))
        elif name == "scenarios":
            f = factorized(col)
            if f is None:
                core.set_scenarios(_scenario_rows(col, ids, source, set(cat["scenarios"])))
            else:  # parse each distinct text once
                codes, texts = f
                core.set_scenarios_codes(codes, _scenario_rows(texts, FirstRowIds(codes, ids), source, set(cat["scenarios"])))
        elif name == "previous_grade":
            history[name] = _grade_levels(col, name, ids, source)
        elif name in ("previous_rated_on", "last_downgrade_on"):
            history[name] = date_array(col, name, ids, source)
        elif name in numbers:
            values = float_array(col, name, ids, source)
            _check_range(values, name, roles, ids, source, name)
            core.set_number(name, values, True)
        elif name in categories:
            codes, bad = level_codes(col, categories[name])
            if bad >= 0:
                _check_levels([item_text(col, bad)], name, categories[name], [ids[bad]], source, name)
            core.set_category_codes(name, codes, categories[name])
        elif name in reviews:
            core.set_review_column(name, float_array(col, name, ids, source))
        elif name in flags:
            core.set_flag(name, flag_array(col, name, ids, source))
        elif name in dates or name.endswith("_on"):
            core.set_date(name, date_array(col, name, ids, source))
        elif name != "mode":  # attributes
            core.set_attribute_texts(name, object_values(col))
        else:
            values = text_list(col)
            if name == "mode":
                modes = set(cat["modes"])
                for i, v in enumerate(values):
                    if v and v not in modes:
                        raise data_error(
                            f'unknown operating mode "{v}" (allowed: {", ".join(cat["modes"])})',
                            file=source,
                            field=name,
                            operator_id=ids[i],
                        )
            core.set_attribute(name, values)
    if history:
        core.set_history(
            history.get("previous_grade", np.full(n, -1, dtype=np.int8)),
            history.get("previous_rated_on", np.full(n, MISSING_DATE, dtype=np.int32)),
            history.get("last_downgrade_on", np.full(n, MISSING_DATE, dtype=np.int32)),
        )
    if ds.facilities is not None:
        _set_facilities(core, ds.facilities, model, source, roles)
    return core


def _set_facilities(
    core: _core.Dataset,
    fac: Any,
    model: Model,
    source: str,
    roles: dict[str, Any],
) -> None:
    numbers = set(roles["numbers"])
    categories: dict[str, list[str]] = roles["categories"]
    names = column_names(fac)
    for required in ("facility_id", "operator_id"):
        if required not in names:
            raise data_error("missing required column", file=source, field=f"facilities.{required}")
    fids = text_list(fac["facility_id"])
    owners = text_list(fac["operator_id"])
    if not fids:
        raise data_error("the facility table has no rows", file=source, field="facilities")
    seen: dict[str, int] = {}
    for i, f in enumerate(fids):
        if not f:
            raise data_error(f"empty facility id in row {i + 1}", file=source, field="facilities.facility_id")
        if f in seen:
            raise data_error(
                f'duplicate facility id "{f}" (rows {seen[f] + 1} and {i + 1})', file=source, field="facilities.facility_id"
            )
        seen[f] = i
    ops = set(core.operator_ids)
    for i, o in enumerate(owners):
        if not o:
            raise data_error(f'facility "{fids[i]}": empty operator id', file=source, field="facilities.operator_id")
        if o not in ops:
            raise data_error(
                f'facility "{fids[i]}" belongs to an operator that is not in the operator table',
                file=source,
                field="facilities.operator_id",
                operator_id=o,
            )
    unknown = [
        c
        for c in names
        if c not in ("facility_id", "operator_id", "volume") and c not in _FACILITY_TEXT and c not in numbers
        and c not in categories
    ]
    if unknown:
        raise data_error(
            "unknown column" + ("s " if len(unknown) > 1 else " ") + ", ".join(f'"{c}"' for c in unknown)
            + " (a facility table has facility_id, operator_id, volume, descriptive text "
            f"name/name_zh/street/community/address, and measures of model {model.id})",
            file=source,
            field="facilities",
        )
    volume = None
    if "volume" in names:
        volume = float_array(fac["volume"], "facilities.volume", owners, source)
        bad = np.flatnonzero(~(volume >= 0))
        if bad.size:
            i = int(bad[0])
            raise data_error(
                f'facility "{fids[i]}": volume must be a number >= 0 (write 1 for equal weights)',
                file=source,
                field="facilities.volume",
                operator_id=owners[i],
            )
    fnumbers = {c: float_array(fac[c], f"facilities.{c}", owners, source) for c in names if c in numbers}
    for c, values in fnumbers.items():
        _check_range(values, c, roles, owners, source, f"facilities.{c}", fids)
    fcats = {c: text_list(fac[c]) for c in names if c in categories}
    for c, values in fcats.items():
        _check_levels(values, c, categories[c], owners, source, f"facilities.{c}", fids)
    core.set_facilities(fids, owners, volume, fnumbers, fcats)


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


def load_sample(model: Model | None = None) -> Dataset:
    """The shipped synthetic sample (data/sample/, ~300 Wuhan operators, their sites, 41k review
    events, benchmark grades), meant to be rated at ``as_of = 2025-12-31``.

    Attributes: ``operators`` (descriptive, status, scenarios, history, flags, dates),
    ``indicators`` (operator-level measures and the review columns of operators.csv),
    ``facilities`` (per-site measures), ``reviews`` (the review events; at rating time their
    summary replaces the review columns — equal to those columns at 2025-12-31) and
    ``benchmark`` (the expert panel's agreed grades)."""
    from ._model import default_model

    model = model if model is not None else default_model()
    root = Path(_core.data_directory()) / "sample"
    text = {"operator_id": str, "facility_id": str}
    operators = _read_csv(root / "operators.csv", dtype=text)
    roles = model._core.input_columns()
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
