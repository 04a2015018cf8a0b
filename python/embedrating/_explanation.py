"""Why one operator got its grade, as data: :meth:`Ratings.explanation` returns an
:class:`Explanation` (text, tables, and HTML for Jupyter)."""

from __future__ import annotations

import datetime
from typing import Any

import numpy as np
import pandas as pd

from . import _core
from ._convert import days_to_date
from ._grades import GRADES
from ._grades import STATUS_NAMES as _STATUS_NAMES
from ._repr_html import explanation_html, tree_order

# Annotations only: this module sits below the classes it takes (tests/python/test_layering.py);
# they are the embedrating classes of these names.
Model = Ratings = Any


def _gate_citations(model: Model) -> dict[tuple[str, str, str], tuple[str, str]]:
    """(kind, grade, id) → (source, basis) of what sets a gate: the grade's entry for the total
    and the dimension floors, the prerequisite, the rule (veto, cap, downgrade; any grade), the
    [history] settings (any grade). The grade and history citations are read from the model's
    TOML, the one place the bindings give them."""
    import tomllib

    out: dict[tuple[str, str, str], tuple[str, str]] = {}
    doc = tomllib.loads(model.to_toml())
    for g in doc.get("grades", []):
        grade = str(g.get("grade", ""))
        pair = (str(g.get("source", "")), str(g.get("basis", "")))
        for kind in ("total", "dimension_ratio", "dimension_minimum"):
            out[(kind, grade, "")] = pair  # whatever the gate's id (the dimension)
        for p in g.get("prerequisites", []):
            out[("prerequisite", grade, str(p.get("id", "")))] = (str(p.get("source", "")), str(p.get("basis", "")))
    history = doc.get("history", {})
    for x in ("max_rise", "no_rise_after_downgrade", "first_rating"):
        out[("history", "", x)] = (str(history.get("source", "")), str(history.get("basis", "")))
    rules = model._core.rules()
    for rid, source, basis in zip(rules["id"], rules["source"], rules["basis"]):
        for kind in ("veto", "cap", "downgrade"):
            out[(kind, "", rid)] = (source, basis)
    return out


class Explanation:
    """Why one operator got its grade: ``str(explanation)`` is the text of
    :meth:`Ratings.explain`; in Jupyter it displays as HTML (contributions per dimension and
    indicator, rules fired with sources and lapse dates, gates to the next grade with shortfalls).

    Attributes
    ----------
    operator_id, lang:
        The operator and the language of labels ("en" or "zh").
    status:
        active, suspending, suspended or terminated.
    grade, grade_by_score:
        Final grade and grade by score ("5A" … "1A", "unrated"); None when not graded.
    terminate:
        Whether the operating agreement is to be terminated (Art. 16).
    total, total_available:
        Points earned and points available (the model's total).
    contributions:
        DataFrame, one row per node of the indicator tree, depth-first (each dimension followed
        by its groups and indicators, as the text lists them): id, parent, kind
        (dimension, group, indicator), depth, label (in ``lang``), nominal (the model's points),
        available (after re-allocation; 0 when not applicable), points (earned), score (leaves:
        the score in [0, 1], NaN when not applicable or not a leaf), source (the article the item
        implements; 第十七条 in Chinese) and basis (the standard or judgement its points and
        scoring come from), as the rules have them.
    rules:
        DataFrame of the rules that fired: rule, action, cap (grade or None), levels (downgrade
        levels or None), label (in ``lang``), source (the article it implements; 第十七条 in Chinese),
        basis (the standard or judgement behind its number), lapses_on (``datetime.date`` or None).
    gates:
        DataFrame of :meth:`Ratings.gates` (kind, grade, id, required, actual, shortfall,
        lapses_on) towards the next grade, with the source and basis of each gate (the grade's
        for a total or dimension floor, the prerequisite's, the rule's, the history settings');
        empty at 5A or when not graded.
    next_grade:
        The grade the gates lead to, or None (5A, or not graded).
    """

    __slots__ = (
        "operator_id",
        "lang",
        "status",
        "grade",
        "grade_by_score",
        "terminate",
        "total",
        "total_available",
        "contributions",
        "rules",
        "gates",
        "next_grade",
        "model_id",
        "model_version",
        "fingerprint",
        "as_of",
        "input_hash",
        "_text",
        "_model",
    )

    operator_id: str
    lang: str
    status: str
    grade: str | None
    grade_by_score: str | None
    terminate: bool
    total: float
    total_available: float
    contributions: pd.DataFrame
    rules: pd.DataFrame
    gates: pd.DataFrame
    next_grade: str | None
    model_id: str
    model_version: str
    fingerprint: str
    as_of: datetime.date
    input_hash: str
    _text: str
    _model: Model

    def __init__(self) -> None:
        raise TypeError("explanations come from Ratings.explanation(operator_id, lang=...)")

    @classmethod
    def _from_ratings(cls, ratings: Ratings, operator_id: str, lang: str) -> Explanation:
        core = ratings._core
        text = core.explain(operator_id, lang)  # checks lang and the operator (DataError)
        i = int(core.find(operator_id))
        model = ratings.model
        self = object.__new__(cls)
        self.operator_id = operator_id
        self.lang = lang
        self._text = text
        self._model = model
        status = int(core.status[i])
        graded = status == 0
        self.status = _STATUS_NAMES[status]
        self.grade = GRADES[int(core.final_grade[i])] if graded else None
        self.grade_by_score = GRADES[int(core.grade_by_score[i])] if graded else None
        self.terminate = bool(core.terminate[i])
        self.total = int(core.total_centi[i]) / 100.0
        self.total_available = float(model.total_points)
        self.model_id = model.id
        self.model_version = model.version
        self.fingerprint = model.fingerprint
        self.as_of = ratings.as_of
        self.input_hash = ratings.input_hash

        def cite(text: str) -> str:  # 第十七条, not "Art. 17", in Chinese
            return _core.cite_articles_zh(text) if lang == "zh" else text

        nodes = model.indicators
        label = nodes["label_zh"] if lang == "zh" else nodes["label"]
        label = label.where(label.astype(bool), nodes["id"])  # an empty label shows the id
        leaf_of = {x: k for k, x in enumerate(model.weights.index)}
        scores = core.indicator_score[i]
        earned, available = core.node_points(i)
        score = np.array([scores[leaf_of[x]] if x in leaf_of else np.nan for x in nodes["id"]], dtype=np.float64)
        self.contributions = pd.DataFrame(
            {
                "id": nodes["id"],
                "parent": nodes["parent"],
                "kind": nodes["kind"],
                "depth": nodes["depth"].astype(np.int64),
                "label": label,
                "nominal": nodes["points"].astype(np.float64),
                "available": available / 100.0,
                "points": earned / 100.0,
                "score": score,
                "source": [cite(x) for x in nodes["source"]],
                "basis": [cite(x) for x in nodes["basis"]],
            }
        )
        order = tree_order(nodes["id"].tolist(), nodes["parent"].tolist())
        self.contributions = self.contributions.iloc[order].reset_index(drop=True)

        offsets, rule, lapses = core.fired()

        table = model._core.rules()
        fired = [int(k) for k in rule[offsets[i] : offsets[i + 1]]]
        rule_labels = table["label_zh"] if lang == "zh" else table["label"]
        self.rules = pd.DataFrame(
            {
                "rule": [table["id"][k] for k in fired],
                "action": [table["action"][k] for k in fired],
                "cap": [table["cap"][k] for k in fired],
                "levels": [table["levels"][k] for k in fired],
                "label": [rule_labels[k] or table["id"][k] for k in fired],
                "source": [cite(table["source"][k]) for k in fired],
                "basis": [cite(table["basis"][k]) for k in fired],
                "lapses_on": [days_to_date(int(x)) for x in lapses[offsets[i] : offsets[i + 1]]],
            },
            columns=["rule", "action", "cap", "levels", "label", "source", "basis", "lapses_on"],
        )
        if graded and self.grade != "5A":
            assert self.grade is not None
            self.next_grade = GRADES[GRADES.index(self.grade) + 1]
            gates = ratings.gates(operator_id)
        else:
            self.next_grade = None
            gates = ratings.gates(operator_id).iloc[0:0]
        cited = _gate_citations(model)
        found = [
            cited.get((k, g, x)) or cited.get((k, "", x)) or cited.get((k, g, "")) or ("", "")
            for k, g, x in zip(gates["kind"], gates["grade"], gates["id"])
        ]
        gates["source"] = pd.Series([cite(c[0]) for c in found], index=gates.index, dtype=object)
        gates["basis"] = pd.Series([cite(c[1]) for c in found], index=gates.index, dtype=object)
        self.gates = gates
        return self

    def _labels(self) -> dict[str, str]:
        """Labels of rules and grade prerequisites by id, in this explanation's language."""
        zh = self.lang == "zh"
        core = self._model._core
        out: dict[str, str] = {}
        for g in core.grades():
            for p in g["prerequisite_labels"]:
                out[p["id"]] = (p["label_zh"] if zh else p["label"]) or p["id"]
        rules = core.rules()
        for rid, en, cn in zip(rules["id"], rules["label"], rules["label_zh"]):
            out[rid] = (cn if zh else en) or rid
        return out

    @property
    def text(self) -> str:
        """The text of :meth:`Ratings.explain` (the same as ``str(self)``)."""
        return self._text

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return self._text

    def _repr_html_(self) -> str:
        return explanation_html(self)
