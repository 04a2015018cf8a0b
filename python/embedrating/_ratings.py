"""The result of a rating run (C++ ``embedrating::ratings``), with pandas views of it."""

from __future__ import annotations

import datetime
import warnings
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

from . import _core
from ._convert import days_to_date, days_to_datetime64
from ._errors import check_state

from ._explanation import Explanation
from ._grades import GRADE_DTYPE, GRADES, STATUS_DTYPE
from ._grades import STATUS_NAMES as _STATUS_NAMES
from ._grades import grade_categorical as _grades
from ._history import roll_forward
from ._publish import GradeDirectory, localise, make_directory, ratings_sheets, write_excel
from ._repr_html import ratings_html

if TYPE_CHECKING:
    from ._dataset import Dataset

# The model that made a result is an embedrating.Model (_model.py, which imports this module):
# results hold it and call its methods, but never name its class. _model.py registers the class
# here so that an old pickle (the model as TOML) can be rated again.
_model_class: Any = None
Model = Any


class OperatorRating(NamedTuple):
    """One operator's rating from :meth:`Model.rate_one` (no explanation, no input hash)."""

    operator_id: str
    status: str
    """active, suspending, suspended or terminated."""
    grade: str | None
    """Final grade ("5A" … "1A", "unrated"); None when not graded (not active)."""
    grade_by_score: str | None
    total: float
    """Total points."""
    terminate: bool
    dimension_centi: tuple[int, ...]
    """Points × 100 per dimension, in ``model.dimensions`` order."""
    rules_fired: tuple[str, ...]
    """Ids of the rules that fired, in model order."""


class Ratings:
    """Grades and points of every operator of a dataset at one evaluation date.

    Array properties (``total_centi``, ``dimension_centi``, ``final_grade``, …) are read-only
    numpy views of the C++ result: no copy, and they keep it alive. Points are held as integer
    centi-points (1/100 point), exactly as the C++ core and the CLI compute them.

    Grade order: ``unrated`` < ``1A`` < … < ``5A`` (an ordered categorical, :data:`GRADES`).
    Operators that are not graded because they are not active (Art. 14) have a missing grade
    (NaN) and their ``status`` says why; pandas sorts them last and every comparison with them is
    False. An unrated operator *was* graded and fell below 1A, was vetoed (Art. 16) or capped.
    """

    _STATE_VERSION = 2

    def __init__(self) -> None:
        raise TypeError("Ratings come from Model.rate(dataset, as_of=...)")

    @classmethod
    def _from_core(cls, core: _core.Ratings, model: Model, dataset: Dataset) -> Ratings:
        self = object.__new__(cls)
        self._core = core
        self._model = model
        self._dataset = dataset
        return self

    # -- identity ----------------------------------------------------------------------------
    @property
    def model(self) -> Model:
        return self._model

    @property
    def dataset(self) -> Dataset:
        return self._dataset

    @property
    def fingerprint(self) -> str:
        """The fingerprint of the model that made these ratings."""
        return self._model.fingerprint

    @property
    def as_of(self) -> datetime.date:
        d = days_to_date(self._core.as_of)
        assert d is not None
        return d

    @property
    def input_hash(self) -> str:
        """SHA-256 of the inputs rated (review columns from events included)."""
        return self._core.input_hash

    @property
    def library_version(self) -> str:
        return self._core.library_version

    @property
    def warnings(self) -> list[str]:
        """Run warnings (also issued as RatingWarning when rating)."""
        return list(self._core.run_warnings)

    @property
    def operator_ids(self) -> list[str]:
        return self._core.operator_ids

    def __len__(self) -> int:
        return len(self._core)

    def __repr__(self) -> str:
        return f"Ratings({len(self)} operators, as_of={self.as_of.isoformat()}, model={self._model.id!r})"

    # -- zero-copy arrays --------------------------------------------------------------------
    @property
    def total_centi(self) -> np.ndarray:
        """Total points × 100 (int32 view)."""
        return self._core.total_centi

    @property
    def dimension_centi(self) -> np.ndarray:
        """Points × 100 per dimension (int32 view, operators × dimensions, ``model.dimensions``)."""
        return self._core.dimension_centi

    def _node_matrices(self) -> tuple[np.ndarray, np.ndarray]:
        cached = self.__dict__.get("_nodes")
        if cached is None:
            earned, available = self._core.node_matrices()
            for a in (earned, available):
                a.setflags(write=False)
            cached = self.__dict__["_nodes"] = (earned, available)
        return cached

    @property
    def node_centi(self) -> np.ndarray:
        """Points × 100 earned per node (int64, operators × ``model.indicators`` rows). Computed on
        first use from the leaf scores (the result keeps only totals and dimension points), then kept."""
        return self._node_matrices()[0]

    @property
    def available_centi(self) -> np.ndarray:
        """Points × 100 available per node after re-allocation (int64, computed on first use)."""
        return self._node_matrices()[1]

    @property
    def dimension_available(self) -> np.ndarray:
        """Points × 100 available per dimension after re-allocation (int64, operators × dimensions)."""
        return self._core.dimension_available()

    @property
    def indicator_score(self) -> np.ndarray:
        """Scores in [0, 1] per leaf indicator (float64 view, operators × ``model.weights``
        index); NaN when not applicable."""
        return self._core.indicator_score

    @property
    def final_grade(self) -> np.ndarray:
        """Final grade levels (int8 view: unrated 0, 1A 1 … 5A 5)."""
        return self._core.final_grade

    @property
    def grade_by_score(self) -> np.ndarray:
        """Grade-by-score levels (int8 view)."""
        return self._core.grade_by_score

    @property
    def status(self) -> np.ndarray:
        """Status codes (uint8 view: 0 active, 1 suspending, 2 suspended, 3 terminated)."""
        return self._core.status

    @property
    def terminate(self) -> np.ndarray:
        """Terminate-contract flags (uint8 view)."""
        return self._core.terminate

    # -- computed arrays (new) ---------------------------------------------------------------
    @property
    def total(self) -> np.ndarray:
        """Total points (float64, a new array: total_centi / 100)."""
        return self._core.total_centi / 100.0

    @property
    def dimension_points(self) -> np.ndarray:
        """Points per dimension (float64, a new array: dimension_centi / 100)."""
        return self._core.dimension_centi / 100.0

    # -- frames ------------------------------------------------------------------------------
    def _graded(self) -> np.ndarray:
        return self._core.status == 0

    def _attribute(self, name: str) -> list[str] | None:
        core = self._dataset._core_for(self._model)
        return core.attribute(name)

    def _rules_fired(self) -> np.ndarray:
        """Per operator, the ids of the rules that fired joined by ";" (model order; "" when
        none), as an object array. No work per operator in Python: each operator's set of fired
        rules becomes a bit mask (one uint64 word per 64 rules), the distinct masks — a few
        hundred at most in practice — are joined once, and the rows take theirs."""
        offsets, rule, _ = self._core.fired()
        ids = self._model._core.rules()["id"]
        n = len(self)
        if n == 0:
            return np.empty(0, dtype=object)
        counts = np.diff(offsets.astype(np.int64))
        rows = np.repeat(np.arange(n, dtype=np.int64), counts)
        rule = rule.astype(np.int64)
        words = max(1, (len(ids) + 63) // 64)
        masks = np.zeros((n, words), dtype=np.uint64)
        np.bitwise_or.at(masks, (rows, rule // 64), np.left_shift(np.uint64(1), (rule % 64).astype(np.uint64)))
        # the distinct masks: word by word (np.unique on rows of a 2-D array is ~7x slower)
        _, which = np.unique(masks[:, 0], return_inverse=True)
        for w in range(1, words):
            _, rank = np.unique(masks[:, w], return_inverse=True)
            _, which = np.unique(which.reshape(-1) * (int(rank.max()) + 1) + rank.reshape(-1), return_inverse=True)
        which = which.reshape(-1)
        first = np.zeros(int(which.max()) + 1, dtype=np.int64)
        first[which] = np.arange(n, dtype=np.int64)  # a row of each distinct set
        texts = np.empty(len(first), dtype=object)
        for k, row in enumerate(first):  # per distinct set of fired rules, not per operator
            m = masks[row]
            texts[k] = ";".join(ids[j] for j in range(len(ids)) if (int(m[j // 64]) >> (j % 64)) & 1)
        return texts[which]

    def to_frame(self, lang: str = "en") -> pd.DataFrame:
        """One row per operator (dataset order): operator_id, name, district, mode (when the
        dataset has them), status, total, grade_by_score, grade (ordered categoricals, NaN when
        not graded), terminate, ``<dimension>_points`` per dimension, rules_fired (rule ids
        joined by ";", "" when none; ``.str.split(";")`` for lists), history_limit,
        previous_grade.

        ``lang="zh"`` gives the same table for reading and publishing: Chinese headers
        (运营商编号, 评定等级 …), operating mode and status names (公建民营模式, 正常运营), grades
        as text with 不予评级 and 未参评 (not graded)."""
        frame = self._frame_en()
        if lang == "en":
            return frame
        return localise(frame, lang, self._dimension_labels())

    def _dimension_labels(self) -> dict[str, str]:
        nodes = self._model.indicators.set_index("id")
        return {d: str(nodes.at[d, "label_zh"] or d) for d in self._model.dimensions}

    def _published_frame(self) -> pd.DataFrame:
        """to_frame() with the provenance columns of the CLI's CSV (as_of, model, input hash)."""
        frame = self._frame_en()
        frame["as_of"] = self.as_of.isoformat()
        frame["model_id"] = self._model.id
        frame["model_version"] = self._model.version
        frame["model_fingerprint"] = self.fingerprint
        frame["input_hash"] = self.input_hash
        ops = self._dataset.operators
        for col in ("previous_rated_on", "last_downgrade_on"):  # what roll-forward needs besides the grade
            if col in ops.columns:
                frame[col] = pd.to_datetime(ops[col]).dt.strftime("%Y-%m-%d").fillna("").to_numpy()
            else:
                frame[col] = ""
        return frame

    def to_csv(self, path: Any = None, *, lang: str = "en", encoding: str = "utf-8-sig", **kwargs: Any) -> str | None:
        """The ratings as the CLI's ``--format csv`` writes them (provenance columns included).
        UTF-8 with a byte-order mark by default, so Excel on Chinese Windows opens the file
        correctly; ``encoding="gb18030"`` (or "utf-8") to choose; Chinese headers and names with
        ``lang="zh"``. Without `path`, returns the text."""
        frame = localise(self._published_frame(), lang, self._dimension_labels() if lang == "zh" else None)
        if path is None:
            return frame.to_csv(index=False, **kwargs)
        frame.to_csv(path, index=False, encoding=encoding, **kwargs)
        return None

    def to_excel(self, path: Any, *, lang: str = "en", valid_months: int = 12) -> None:
        """An Excel workbook (pandas + openpyxl) with three sheets — ratings, the grade directory
        and the grade distribution — a frozen header row, column widths fitted to CJK text and
        grades stored as text (5A never becomes a number or a date). ``lang="zh"`` for Chinese
        sheet names, headers and names."""
        write_excel(path, ratings_sheets(self, lang, valid_months))

    def _frame_en(self) -> pd.DataFrame:
        graded = self._graded()
        data: dict[str, Any] = {"operator_id": self.operator_ids}
        name = self._attribute("name_zh") or self._attribute("name")
        if name is not None:
            data["name"] = name
        for attr in ("district", "mode"):
            values = self._attribute(attr)
            if values is not None:
                data[attr] = values
        data["status"] = pd.Categorical.from_codes(self._core.status.astype(np.int64), dtype=STATUS_DTYPE)
        data["total"] = self.total
        data["grade_by_score"] = _grades(self._core.grade_by_score, graded)
        data["grade"] = _grades(self._core.final_grade, graded)
        data["terminate"] = self._core.terminate.astype(bool)
        points = self.dimension_points
        for k, dim in enumerate(self._model.dimensions):
            data[f"{dim}_points"] = points[:, k]
        data["rules_fired"] = self._rules_fired()
        limit = self._core.history_limit
        data["history_limit"] = _grades(limit, graded & (limit < 5))
        prev = self._core.previous_grade
        data["previous_grade"] = _grades(np.maximum(prev, 0), prev >= 0)
        return pd.DataFrame(data)

    def explain(self, operator_id: str, lang: str = "en") -> str:
        """Why `operator_id` got its grade: points, rules with sources and lapse dates, gates to
        the next grade. ``lang`` is "en" or "zh"."""
        return self._core.explain(operator_id, lang)

    def explanation(self, operator_id: str, lang: str = "en") -> Explanation:
        """:meth:`explain` as an object: ``str()`` gives the same text; it has the data as tables
        (``contributions``, ``rules``, ``gates``) and displays as HTML in Jupyter."""
        return Explanation._from_ratings(self, operator_id, lang)

    def _repr_html_(self) -> str:
        return ratings_html(self)

    def gates(self, operator_id: str, target: str | None = None) -> pd.DataFrame:
        """Every gate between an operator and the next grade (or `target`), with shortfalls."""
        level = None if target is None else GRADES.index(target)
        rows = self._core.gates(operator_id, level)
        for row in rows:  # before the frame: a column of days and None would become float
            row["lapses_on"] = days_to_date(row["lapses_on"])
        columns = ["kind", "grade", "id", "required", "actual", "shortfall", "lapses_on"]
        return pd.DataFrame(rows, columns=columns).astype({"required": np.float64, "actual": np.float64, "shortfall": np.float64, "lapses_on": object})

    def rules_fired(self) -> pd.DataFrame:
        """Every rule that fired: operator_id, rule, action, lapses_on (NaT when not time-based)."""
        offsets, rule, lapses = self._core.fired()
        counts = np.diff(offsets.astype(np.int64))
        rules = self._model._core.rules()
        ops = np.repeat(np.asarray(self.operator_ids, dtype=object), counts)
        return pd.DataFrame(
            {
                "operator_id": ops,
                "rule": [rules["id"][int(k)] for k in rule],
                "action": [rules["action"][int(k)] for k in rule],
                "lapses_on": days_to_datetime64(lapses),
            }
        )

    def operator_warnings(self) -> pd.DataFrame:
        """Non-fatal findings per operator: operator_id, kind (missing_fixed, missing_fallback,
        missing_zero, rule_warning, low_review_volume), about (indicator or rule id)."""
        rows = self._core.warnings()
        ids = self.operator_ids
        return pd.DataFrame(
            {"operator_id": [ids[r[0]] for r in rows], "kind": [r[1] for r in rows], "about": [r[2] for r in rows]}
        )

    def distribution(self, by: str | None = None) -> pd.Series | pd.DataFrame:
        """Operators per final grade, 5A first, then ``unrated`` and ``not_graded`` (not active).
        With ``by`` (e.g. "district" or "mode"), a DataFrame: one row per value, one column per
        grade."""
        if by is None:
            by_grade, not_graded = self._core.distribution()
            index = ["5A", "4A", "3A", "2A", "1A", "unrated", "not_graded"]
            values = [by_grade[5], by_grade[4], by_grade[3], by_grade[2], by_grade[1], by_grade[0], not_graded]
            return pd.Series(values, index=pd.Index(index, name="grade"), name="operators", dtype=np.int64)
        df = self.to_frame()
        if by not in df.columns:
            raise KeyError(f"distribution(by={by!r}): the dataset has no such column (try district or mode)")
        grade = df["grade"].astype(object).where(df["grade"].notna(), "not_graded")
        table = pd.crosstab(df[by], grade)
        columns = [c for c in ["5A", "4A", "3A", "2A", "1A", "unrated", "not_graded"]]
        return table.reindex(columns=columns, fill_value=0)

    def directory(self, valid_months: int = 12) -> GradeDirectory:
        """The grade directory (等级评定目录, Art. 7) as the CLI's ``--directory`` writes it: graded
        operators 1A–5A with operator_id, name, district, mode, grade, valid_from (as_of),
        valid_to (as_of + valid_months − 1 day, never past the model's effective_to), model_id,
        model_version, model_fingerprint, input_hash.

        The result is a DataFrame that also publishes itself: ``.to_html(path, lang="zh")`` the
        printable page (grades by district and operating mode, every operator's grade and
        validity, provenance), ``.to_excel(path)`` and ``.to_csv(path)`` (UTF-8 with BOM)."""
        as_of = self._core.as_of
        valid_to = _core.directory_valid_to(self._model._core, as_of, int(valid_months))  # the CLI's rule
        frame = self.to_frame()
        keep = (self._core.status == 0) & (self._core.final_grade > 0)
        out = pd.DataFrame({"operator_id": frame["operator_id"][keep]})
        for col in ("name", "district", "mode"):
            out[col] = frame[col][keep] if col in frame.columns else ""
        out["grade"] = frame["grade"][keep]
        out["valid_from"] = days_to_datetime64(np.full(int(keep.sum()), as_of, dtype=np.int32))
        out["valid_to"] = days_to_datetime64(np.full(int(keep.sum()), valid_to, dtype=np.int32))
        out["model_id"] = self._model.id
        out["model_version"] = self._model.version
        out["model_fingerprint"] = self.fingerprint
        out["input_hash"] = self.input_hash
        meta = {
            "model_id": self._model.id,
            "model_version": self._model.version,
            "model_label": self._model.label,
            "model_label_zh": self._model.label_zh,
            "model_fingerprint": self.fingerprint,
            "input_hash": self.input_hash,
            "as_of": self.as_of,
            "valid_to": days_to_date(int(valid_to)),
            "library_version": self.library_version,
            "distribution": self._distribution_table(frame),
        }
        return make_directory(out.reset_index(drop=True), meta)

    def _distribution_table(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Operators per final grade: all, by district, by mode (the CLI's distribution sheet)."""
        grades = ["5A", "4A", "3A", "2A", "1A", "unrated"]
        grade = frame["grade"].astype(object).where(frame["grade"].notna(), "not_graded")
        rows = []

        def add(group: str, value: str, g: pd.Series) -> None:
            counts = g.value_counts()
            row = {"group": group, "value": value}
            row.update({k: int(counts.get(k, 0)) for k in [*grades, "not_graded"]})
            row["total"] = int(len(g))
            rows.append(row)

        add("all", "all operators", grade)
        for col in ("district", "mode"):
            if col in frame.columns:
                for value, g in grade.groupby(frame[col], sort=True):
                    add(col, str(value) if value else "(none)", g)
        return pd.DataFrame(rows, columns=["group", "value", *grades, "not_graded", "total"])

    def roll_forward(self, history: pd.DataFrame | None = None) -> pd.DataFrame:
        """The next cycle's history columns after these ratings (:func:`embedrating.roll_forward`)."""
        return roll_forward(self, history)

    # -- pickling and copies -----------------------------------------------------------------
    # State version 2: the ratings archive (docs/archives.md; the rating model, grades and the
    # scored data, so the copy explains without rating again) and the dataset. Version 1 (the
    # model's TOML, the dataset and as_of; unpickling rated again) still loads.
    def __getstate__(self) -> dict[str, Any]:
        return {"version": self._STATE_VERSION, "archive": self._core.to_bytes(), "dataset": self._dataset}

    def __setstate__(self, state: dict[str, Any]) -> None:
        if _model_class is None:  # pragma: no cover - importing embedrating imports _model
            raise RuntimeError("embedrating._model is not imported: import embedrating")
        if isinstance(state, dict) and state.get("version") == 1:
            state = check_state("Ratings", state, 1)
            model = _model_class(_core.Model.from_toml(state["model"], "<pickle>"))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                again = model.rate(state["dataset"], as_of=state["as_of"])
            self._core, self._model, self._dataset = again._core, again._model, again._dataset
            return
        state = check_state("Ratings", state, self._STATE_VERSION)
        self._core = _core.Ratings.from_bytes(state["archive"], "<pickle>")
        self._model = _model_class(self._core.model)
        self._dataset = state["dataset"]

    # Immutable: copies share the C++ result.
    def __copy__(self) -> Ratings:
        return Ratings._from_core(self._core, self._model, self._dataset)

    def __deepcopy__(self, memo: dict) -> Ratings:
        import copy

        return Ratings._from_core(self._core, self._model, copy.deepcopy(self._dataset, memo))
