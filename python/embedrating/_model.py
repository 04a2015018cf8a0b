"""The rating model: a validated, immutable TOML specification (C++ ``embedrating::model``)."""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import _core
from ._asof import as_of_days
from ._convert import DateLike, days_to_date
from . import _ratings  # noqa: I001 - the module, to register Model in it
from ._calendar import resolve
from ._dataset import Dataset
from ._errors import RatingWarning, check_state, model_error
from ._ratings import GRADES, OperatorRating, Ratings
from ._repr_html import model_html
from ._scored import Scored
from ._whatif import template, with_review_settings

if TYPE_CHECKING:
    import datetime

_GRADE_LEVEL = {"5A": 5, "4A": 4, "3A": 3, "2A": 2, "1A": 1}
_STATUS_NAMES = ("active", "suspending", "suspended", "terminated")


class Model:
    """A rating model: indicator tree with points, scoring functions, grade table, rules and
    review settings. Immutable and cheap to share; every ``with_*`` method returns a new model.

    Build one with :func:`default_model`, :meth:`Model.from_toml` or :meth:`Model.load`.
    """

    __slots__ = ("_core",)
    _STATE_VERSION = 2

    def __init__(self, core: _core.Model) -> None:
        if not isinstance(core, _core.Model):
            raise TypeError("use default_model(), Model.from_toml(text_or_path) or Model.load(path)")
        self._core = core

    # -- construction ------------------------------------------------------------------------
    @classmethod
    def from_toml(cls, text_or_path: str | os.PathLike[str]) -> Model:
        """A model from TOML text, or from a file: a ``pathlib.Path`` (any ``os.PathLike``) is
        always a file; a ``str`` is a file name when such a file exists or when it looks like no
        TOML (no newline, no ``=``, no ``[``), else TOML text — so ``"[[["`` is a TOML syntax
        error with its line and column, not "cannot open". Errors are :class:`ModelError` with
        file:line."""
        if isinstance(text_or_path, os.PathLike):
            return cls.load(text_or_path)
        if not isinstance(text_or_path, str):
            raise TypeError(f"from_toml takes TOML text or a path, not {type(text_or_path).__name__}")
        looks_like_toml = "\n" in text_or_path or "=" in text_or_path or text_or_path.lstrip().startswith("[")
        if not looks_like_toml or (len(text_or_path) < 4096 and "\0" not in text_or_path and os.path.isfile(text_or_path)):
            return cls.load(text_or_path)
        return cls(_core.Model.from_toml(text_or_path, "<string>"))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Model:
        """Reads a TOML model file (the file name appears in error messages)."""
        return cls(_core.Model.load(os.fspath(path)))

    def save(self, path: str | os.PathLike[str]) -> None:
        """Writes :meth:`to_toml` to a file atomically (the C++ CLI and library load it)."""
        self._core.save(os.fspath(path))

    def to_toml(self) -> str:
        """The canonical TOML: loading it gives a model with the same fingerprint."""
        return self._core.to_toml()

    # -- identity ----------------------------------------------------------------------------
    @property
    def fingerprint(self) -> str:
        """Hex SHA-256 of the model's meaning (labels excluded; docs/fingerprint.md)."""
        return self._core.fingerprint

    @property
    def id(self) -> str:
        return self._core.id

    @property
    def version(self) -> str:
        return self._core.version

    @property
    def label(self) -> str:
        return self._core.label

    @property
    def label_zh(self) -> str:
        return self._core.label_zh

    @property
    def effective_from(self) -> datetime.date | None:
        return days_to_date(self._core.effective_from)

    @property
    def effective_to(self) -> datetime.date | None:
        return days_to_date(self._core.effective_to)

    @property
    def total_points(self) -> float:
        return self._core.total_points

    @property
    def dimensions(self) -> list[str]:
        """Dimension ids in file order (the ``<id>_points`` columns of ``Ratings.to_frame``)."""
        return list(self._core.dimension_ids)

    # -- tables ------------------------------------------------------------------------------
    @property
    def indicators(self) -> pd.DataFrame:
        """The indicator tree, one row per node in file order: id, parent, kind (dimension, group,
        indicator), depth, dimension, label, label_zh, points, weight (global: points / total),
        local_weight (points / parent's points), input (field), scoring kind, missing policy,
        not_applicable condition, source."""
        t = self._core.nodes()
        df = pd.DataFrame(t)
        df["kind"] = pd.Categorical(df["kind"], categories=["dimension", "group", "indicator"])
        return df

    @property
    def weights(self) -> pd.Series:
        """Global weights of the leaf indicators (points / total), indexed by indicator id; they
        sum to 1. ``model.with_weights(model.weights)`` keeps the fingerprint."""
        return pd.Series(self._core.weights(), index=pd.Index(self._core.leaf_ids, name="indicator"), name="weight")

    @property
    def rules(self) -> pd.DataFrame:
        """The rules in file order: id, action, when (condition text), cap, levels, terminate,
        target, lapses, label, label_zh, source, line."""
        return pd.DataFrame(self._core.rules())

    @property
    def cutoffs(self) -> pd.Series:
        """Minimum total per grade (5A first)."""
        g = self._core.grades()
        return pd.Series([x["min_total"] for x in g], index=pd.Index([x["grade"] for x in g], name="grade"), name="min_total")

    @property
    def grades(self) -> pd.DataFrame:
        """The grade table: grade, min_total, min_dimension_ratio, dimension_minimums, prerequisites."""
        return pd.DataFrame(self._core.grades()).drop(columns=["level", "prerequisite_labels"])

    @property
    def review_settings(self) -> dict[str, Any]:
        """The model's [reviews] settings (period, window, half-life, deadline, priors, …)."""
        return self._core.review_settings()

    # -- derived models ----------------------------------------------------------------------
    def with_weights(self, weights: pd.Series | Mapping[str, float] | Any, *, total: str = "keep") -> Model:
        """A copy with new global leaf weights: a Series or mapping by leaf indicator id (leaves
        not named keep their points), or an array in ``model.weights`` order (one per leaf).
        Leaf points become weight × total, rounded to 0.01; groups and dimensions follow.

        The model's total is never changed silently: with ``total="keep"`` (default) the weights —
        with the current weights of leaves not named — must sum to 1, else :class:`ModelError`
        says so; ``"normalize"`` divides them by their sum (the total is kept); ``"rescale"``
        makes the total sum × the current total (explicit; cut-offs are not changed). The result
        records its parent (:attr:`provenance`) and gets a version of its own unless nothing
        changed."""
        if isinstance(weights, pd.Series):
            pairs = [(str(k), float(v)) for k, v in weights.items()]
        elif isinstance(weights, Mapping):
            pairs = [(str(k), float(v)) for k, v in weights.items()]
        else:
            arr = np.asarray(weights, dtype=np.float64)
            ids = self._core.leaf_ids
            if arr.ndim != 1 or arr.shape[0] != len(ids):
                raise model_error(
                    f"with_weights: an array of weights needs one per leaf indicator ({len(ids)}), got shape {arr.shape}"
                )
            pairs = list(zip(ids, arr.tolist()))
        if total == "keep":
            return Model(self._core.with_weights(pairs))
        return Model(_core.model_with_leaf_weights(self._core, pairs, str(total)))

    def with_cutoffs(self, cutoffs: Mapping[str, float] | pd.Series) -> Model:
        """A copy with new minimum totals per grade, e.g. ``{"5A": 920, "4A": 820}``."""
        pairs = []
        for g, t in dict(cutoffs).items():
            if g not in _GRADE_LEVEL:
                raise model_error(f'with_cutoffs: "{g}" is not a grade (5A, 4A, 3A, 2A, 1A)', field="grades")
            pairs.append((_GRADE_LEVEL[g], float(t)))
        return Model(self._core.with_cutoffs(pairs))

    def with_params(self, params: Mapping[str, float] | None = None, **kwargs: float) -> Model:
        """A copy with grade-table numbers changed by name, e.g.
        ``with_params({"5A.min_total": 880, "4A.min_dimension_ratio": 0.75,
        "5A.dimension_minimums.residents": 0.92})`` (an optional ``grades.`` prefix is accepted).
        Keyword arguments take the names with ``_`` for ``.``: ``with_params(a5_min_total=880)`` is
        not supported — use the mapping. The result is validated like any model (cut-offs must not
        decrease with the grade, ratios in [0, 1])."""
        if kwargs:
            raise TypeError("with_params takes a mapping of names such as {\"5A.min_total\": 880}")
        pairs = [(str(k), float(v)) for k, v in dict(params or {}).items()]
        return Model(self._core.with_params(pairs))

    def with_info(
        self, *, id: str | None = None, version: str | None = None, label: str | None = None,
        label_zh: str | None = None, source: str | None = None, rationale: str | None = None,
    ) -> Model:  # fmt: skip
        """A copy with a new id, version, labels, source or rationale (metadata: the fingerprint is
        unchanged)."""
        fields = {k: v for k, v in dict(id=id, version=version, label=label, label_zh=label_zh, source=source, rationale=rationale).items() if v is not None}
        return Model(_core.model_with_info(self._core, fields))

    @property
    def rationale(self) -> str:
        """Why the model is as it is (the [model] rationale; documentation, not meaning)."""
        return _core.model_info(self._core)["rationale"]

    @property
    def provenance(self) -> dict[str, str]:
        """How the model was made from another one (a fitted or edited model): parent_id,
        parent_version, parent_fingerprint, method and note; empty strings for a model written by
        hand. Metadata: not part of the fingerprint (docs/fingerprint.md)."""
        return dict(_core.model_info(self._core)["provenance"])

    @property
    def parent_fingerprint(self) -> str:
        """The fingerprint of the model this one was made from ("" if none)."""
        return self.provenance["parent_fingerprint"]

    def diff(self, other: Model) -> pd.DataFrame:
        """Every difference from this model (before) to `other` (after), one row each: section
        (model, reviews, history, measures, indicators, grades, rules), item (an id, or "" for a
        setting), field, before, after — points and weights, cut-offs, floors, prerequisites,
        rules, settings, labels, sources, rationales and provenance. Empty when nothing differs.
        The CLI prints the same table: ``embedrating model diff A.toml B.toml``."""
        if not isinstance(other, Model):
            raise TypeError(f"diff() takes an embedrating.Model, not {type(other).__name__}")
        return pd.DataFrame(_core.model_diff(self._core, other._core), columns=["section", "item", "field", "before", "after"])
    def with_review_settings(self, settings: Mapping[str, Any] | None = None, **kwargs: Any) -> Model:
        """A copy with [reviews] settings changed by name, as a mapping or keywords, e.g.
        ``with_review_settings(min_count=20, deadline_working_days=10)`` or
        ``with_review_settings({"service_record_only": True})``. Names: level_values, min_count,
        prior_index, prior_rate, prior_closure, period ("month" | "days"), period_days,
        window_months, half_life_days, deadline_working_days, service_record_only, dedup,
        wilson_z, eb_method — the table of review settings in C++ (embedrating/review_fields.hpp;
        ``embedrating._core.review_setting_fields()`` lists each with its kind, range and doc).
        Validated like a model file; the fingerprint changes."""
        return with_review_settings(self, {**dict(settings or {}), **kwargs})

    def blank_operator(self, operator_id: str = "WHAT-IF", **values: Any) -> pd.DataFrame:
        """One operator row with every input column this model reads, for a what-if: status
        "active", measures missing (NaN) and review counts 0 unless given, and every flag — the
        Art. 16 veto flags included — present as an explicit False you can see and override.
        Keyword arguments set columns by name (``flag.x`` as ``flag_x``), e.g.
        ``model.blank_operator(fire_inspection_score=92, scenarios=["elderly_care", "meals", "housekeeping"])``.
        ``model.rate(model.blank_operator(...), as_of=...)`` rates it."""
        return template(self, [operator_id], values)

    @property
    def structure_fingerprint(self) -> str:
        """Hex SHA-256 of the model's structure: everything but points and thresholds. Two models
        with the same structure fingerprint can re-grade each other's :class:`Scored` data."""
        return self._core.structure_fingerprint

    def structure_difference(self, other: Model) -> str:
        """The first difference in structure from `other` (e.g. ``"rules.food_c_cap.when"``), or
        ``""`` when only points and thresholds differ."""
        return self._core.structure_difference(other._core)

    # -- rating ------------------------------------------------------------------------------
    def score(self, dataset: Dataset | pd.DataFrame, as_of: DateLike, *, calendar: Any = None) -> Scored:
        """Scores every operator of `dataset` at `as_of`: the part of :meth:`rate` that does not
        depend on points (leaf scores, rules, history, input hash), computed once in C++ without
        the GIL. Re-grade the result under model variants with :meth:`Scored.regrade` and
        :meth:`Scored.regrade_many`; ``model.score(d, as_of).regrade(model)`` equals
        ``model.rate(d, as_of)``."""
        if isinstance(dataset, pd.DataFrame):
            dataset = Dataset(dataset)
        if not isinstance(dataset, Dataset):
            raise TypeError(f"score() takes an embedrating.Dataset or a DataFrame, not {type(dataset).__name__}")
        days = as_of_days(as_of)
        core = dataset._core_for(self)
        reviews = dataset._aggregator_for(self)
        result = _core.score(self._core, core, days, reviews._core if reviews is not None else None, True, resolve(calendar))
        return Scored._from_core(result, self, dataset)

    def rate(self, dataset: Dataset | pd.DataFrame, as_of: DateLike, *, calendar: Any = None) -> Ratings:
        """Rates every operator of `dataset` at the evaluation date `as_of` (a ``datetime.date``,
        ``"YYYY-MM-DD"``, the string form of a pandas Timestamp or ``numpy.datetime64``; a
        time-zone-aware datetime is refused rather than shifted; required — the clock is never
        read). Runs in C++ without the GIL. Warnings of the run (e.g. as_of outside the model's
        effective period) are issued as :class:`RatingWarning`.

        `calendar` counts the deadlines of bad reviews when the dataset has review *events*: None
        (China's official calendar, 2024–2026), a calendar CSV path (docs/calendar-format.md) or
        a ``HolidayCalendar`` for other years, or ``"weekends-only"`` (a warned fallback)."""
        if isinstance(dataset, pd.DataFrame):
            dataset = Dataset(dataset)
        if not isinstance(dataset, Dataset):
            raise TypeError(f"rate() takes an embedrating.Dataset or a DataFrame, not {type(dataset).__name__}")
        days = as_of_days(as_of)
        core = dataset._core_for(self)
        reviews = dataset._aggregator_for(self)
        result = _core.rate(self._core, core, days, reviews._core if reviews is not None else None, True, resolve(calendar))
        for text in result.run_warnings:
            warnings.warn(text, RatingWarning, stacklevel=2)
        return Ratings._from_core(result, self, dataset)

    def rate_one(self, dataset: Dataset, operator: str | int, as_of: DateLike) -> OperatorRating:
        """Rates one operator of `dataset` (by id or row) alone — the fast path for services that
        rate one operator at a time: no :class:`Ratings`, no input hash, no explanation (use
        :meth:`rate` for those). Same grade, total, dimension points and fired rules as that
        operator's row of ``rate(dataset, as_of)``. The dataset is validated for this model on
        first use (cached); later calls cost one C++ ``rate_one`` and a tuple. With review
        *events* in the dataset, their summary over every operator is computed each call (slow):
        give review columns, or rate the whole dataset."""
        days = as_of_days(as_of)
        row = operator if type(operator) is int else dataset._row_of(operator)
        if row < 0 or row >= len(dataset):
            raise IndexError(f"operator row {row} is out of range ({len(dataset)} operators)")
        core = dataset._cores.get(self._core.fingerprint)
        if core is None:
            core = dataset._core_for(self)
        reviews = dataset._aggregator_for(self) if dataset.reviews is not None else None
        op, status, by_score, final, total, terminate, dims, fired = _core.rate_one(
            self._core, core, row, days, reviews._core if reviews is not None else None
        )
        graded = status == 0
        return OperatorRating(
            op,
            _STATUS_NAMES[status],
            GRADES[final] if graded else None,
            GRADES[by_score] if graded else None,
            total / 100.0,
            terminate,
            dims,
            fired,
        )

    # -- python protocol ---------------------------------------------------------------------
    def _repr_html_(self) -> str:
        return model_html(self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Model):
            return NotImplemented
        return self.fingerprint == other.fingerprint

    def __hash__(self) -> int:
        return hash(self.fingerprint)

    def __repr__(self) -> str:
        return f"Model(id={self.id!r}, version={self.version!r}, fingerprint={self.fingerprint[:16]!r}…)"

    # Immutable: copies share the core object.
    def __copy__(self) -> Model:
        return Model(self._core)

    def __deepcopy__(self, memo: dict) -> Model:
        return Model(self._core)

    def __getstate__(self) -> dict[str, Any]:
        """Versioned state: the model archive (docs/archives.md; canonical TOML and fingerprints
        behind a checked header). State version 1 (the TOML alone) still loads."""
        return {"version": self._STATE_VERSION, "archive": self._core.to_bytes()}

    def __setstate__(self, state: dict[str, Any]) -> None:
        if isinstance(state, dict) and state.get("version") == 1 and "toml" in state:
            self._core = _core.Model.from_toml(state["toml"], "<pickle>")
            return
        state = check_state("Model", state, self._STATE_VERSION)
        self._core = _core.Model.from_bytes(state["archive"], "<pickle>")


_ratings._model_class = Model  # results re-rate old pickles and rebuild loaded ones with it (_ratings.py, _scored.py)


def default_model() -> Model:
    """The shipped model ``wuhan-2024`` (data/models/wuhan-2024.toml)."""
    return Model(_core.Model.default_model())
