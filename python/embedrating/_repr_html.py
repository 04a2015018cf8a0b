"""Jupyter display (``_repr_html_``) of models, ratings and explanations, as pure functions.

Every text is escaped with :func:`html.escape`; the output is deterministic (same object, same
string: no ids, no clocks, fixed number formats) and self-contained (inline styles only, no
scripts, no external resources). tests/python/test_repr.py compares it with golden files.
"""

from __future__ import annotations

import datetime
import html
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from . import _core
from ._grades import GRADES

# Annotations only: this module sits below the classes it takes (tests/python/test_layering.py);
# they are the embedrating classes of these names.
Explanation = Model = Ratings = Any

_BOX = "font-family:sans-serif;font-size:0.9em;line-height:1.35"
_TABLE = "border-collapse:collapse;margin:0.3em 0 0.6em 0"
_TH = "text-align:left;padding:2px 8px;border-bottom:1px solid #999"
_TH_NUM = "text-align:right;padding:2px 8px;border-bottom:1px solid #999"
_TD = "text-align:left;padding:1px 8px"
_NUM = "text-align:right;padding:1px 8px;font-variant-numeric:tabular-nums"
_DIM = "font-weight:bold;background:#f2f2f2"
_MUTED = "color:#777"
_BAR_BG = "background:#e6e6e6;width:8em;height:0.75em"
_BAR_FG = "background:#4c8c6c;height:0.75em"
_GRADE_COLOURS = {
    "5A": "#1b7837",
    "4A": "#5aae61",
    "3A": "#a6a6a6",
    "2A": "#e08214",
    "1A": "#b35806",
    "unrated": "#762a83",
}

_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "model": "Model",
        "fingerprint": "fingerprint",
        "effective": "effective",
        "total": "Total",
        "points": "points",
        "weight": "weight",
        "grades": "Grades (minimum total)",
        "indicator": "indicator",
        "label": "label",
        "rules": "rules",
        "ratings": "Ratings",
        "operators": "operators",
        "as_of": "as of",
        "input_hash": "input hash",
        "distribution": "Grade distribution",
        "not_graded": "not graded",
        "first_rows": "First {n} of {total} operators",
        "more": "… {n} more operators",
        "operator": "Operator",
        "final_grade": "final grade",
        "by_score": " (by score {grade})",
        "colon": ": ",
        "status": "Status",
        "terminate": "the contract is to be terminated (Art. 16)",
        "not_active": "Not graded: only active operators are graded (Art. 14: suspension or termination needs 60 days' notice).",
        "not_graded": "not graded (status: {status})",
        "available": "available",
        "score": "score",
        "not_applicable": "not applicable (points re-allocated to its siblings)",
        "nominal": "nominal",
        "rules_fired": "Rules fired",
        "none": "none",
        "rule": "rule",
        "action": "action",
        "source": "source",
        "basis": "basis",
        "lapses_on": "lapses on",
        "to_reach": "To reach {grade}",
        "top": "Already at the highest grade, 5A.",
        "gate": "gate",
        "grade": "grade",
        "required": "required",
        "actual": "actual",
        "shortfall": "shortfall",
        "until": "until",
    },
    "zh": {
        "model": "模型",
        "fingerprint": "指纹",
        "effective": "有效期",
        "total": "总分",
        "points": "分值",
        "weight": "权重",
        "grades": "等级（总分下限）",
        "indicator": "指标",
        "label": "名称",
        "rules": "规则",
        "ratings": "评定结果",
        "operators": "家运营商",
        "as_of": "评定日期",
        "input_hash": "输入哈希",
        "distribution": "等级分布",
        "not_graded": "未参评",
        "first_rows": "前 {n} 家（共 {total} 家）",
        "more": "… 另有 {n} 家",
        "operator": "运营商",
        "final_grade": "最终等级",
        "by_score": "（按得分 {grade}）",
        "colon": "：",
        "status": "状态",
        "terminate": "依第十六条应终止运营协议",
        "not_active": "未参评：仅正常运营的运营商参加等级评定（第十四条：暂停、终止服务须提前60日报告）。",
        "not_graded": "未参评（状态：{status}）",
        "available": "可得分",
        "score": "得分率",
        "not_applicable": "不适用（分值按比例分配给同级指标）",
        "nominal": "原分值",
        "rules_fired": "触发的规则",
        "none": "无",
        "rule": "规则",
        "action": "措施",
        "source": "依据",
        "basis": "数值来源",
        "lapses_on": "失效日期",
        "to_reach": "升至 {grade} 需满足",
        "top": "已是最高等级 5A。",
        "gate": "条件",
        "grade": "等级",
        "required": "要求",
        "actual": "现值",
        "shortfall": "差额",
        "until": "至",
    },
}
_STATUS_ZH = {"active": "正常运营", "suspending": "暂停中", "suspended": "已暂停", "terminated": "已终止"}
_GATE_ZH = {
    "status": "状态",
    "veto": "一票否决",
    "total": "总分",
    "dimension_ratio": "维度得分率",
    "dimension_minimum": "维度最低得分率",
    "prerequisite": "前提条件",
    "cap": "封顶规则",
    "history": "历史限制",
    "downgrade": "降级规则",
}


def _action_zh() -> dict[str, str]:
    """Chinese action names, from the C++ action table (one declaration of every action)."""
    return {a["name"]: a["name_zh"] for a in _core.rule_actions()}


def _esc(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _words(lang: str) -> dict[str, str]:
    return _WORDS["zh" if lang == "zh" else "en"]


def _grade_text(g: str | None, lang: str) -> str:
    if g is None:
        return "—"
    return "不予评级" if (lang == "zh" and g == "unrated") else g


def _num(x: float, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{x:.{digits}f}"


def _date(d: datetime.date | None) -> str:
    return "—" if d is None else d.isoformat()


def _cell(text: str, style: str = _TD, raw: bool = False, title: str | None = None) -> str:
    t = f' title="{_esc(title)}"' if title is not None else ""
    return f'<td style="{style}"{t}>{text if raw else _esc(text)}</td>'


def _table(header: Sequence[tuple[str, bool]], rows: Iterable[str]) -> str:
    """header: (text, numeric) per column; rows: ready <tr> elements."""
    head = "".join(f'<th style="{_TH_NUM if numeric else _TH}">{_esc(h)}</th>' for h, numeric in header)
    body = "\n".join(rows)
    return f'<table style="{_TABLE}">\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>\n'


def _tr(style: str) -> str:
    return f'<tr style="{style}">' if style else "<tr>"


def _bar(fraction: float) -> str:
    f = 0.0 if not (fraction == fraction) else min(max(fraction, 0.0), 1.0)
    return f'<div style="{_BAR_BG}"><div style="{_BAR_FG};width:{100.0 * f:.1f}%"></div></div>'


def _badge(grade: str | None, lang: str) -> str:
    colour = _GRADE_COLOURS.get(grade or "", "#777")
    return (
        f'<span style="background:{colour};color:white;padding:0 0.4em;border-radius:3px;font-weight:bold">'
        f"{_esc(_grade_text(grade, lang))}</span>"
    )


def tree_order(ids: Sequence[str], parents: Sequence[Any]) -> list[int]:
    """Row positions of an indicator tree depth-first (each dimension followed by its groups and
    indicators), siblings in file order."""
    children: dict[Any, list[int]] = {}
    for k, p in enumerate(parents):
        key = None if (p is None or (isinstance(p, float) and p != p)) else p
        children.setdefault(key, []).append(k)
    out: list[int] = []

    def walk(k: int) -> None:
        out.append(k)
        for c in children.get(ids[k], []):
            walk(c)

    for k in children.get(None, []):
        walk(k)
    return out


# ---------------------------------------------------------------------------------------------
# Model


def model_html(model: Model) -> str:
    """The model's identity, its indicator tree (id, label, label_zh, points, weight; nested
    dimensions → groups → indicators) and its grade cut-offs."""
    w = _WORDS["en"]
    eff_from, eff_to = model.effective_from, model.effective_to
    head = (
        f"<div><strong>{_esc(w['model'])} {_esc(model.id)} {_esc(model.version)}</strong> — {_esc(model.label)}"
        f" / {_esc(model.label_zh)}</div>"
        f'<div style="{_MUTED}">{_esc(w["fingerprint"])} <code title="{_esc(model.fingerprint)}">'
        f"{_esc(model.fingerprint[:16])}…</code>; {_esc(w['effective'])} {_esc(_date(eff_from))} – "
        f"{_esc(_date(eff_to))}; {_esc(w['total'])} {_num(model.total_points)} {_esc(w['points'])}; "
        f"{len(model.weights)} indicators; {len(model.rules)} {_esc(w['rules'])}</div>"
    )
    nodes = model.indicators
    nodes = nodes.iloc[tree_order(nodes["id"].tolist(), nodes["parent"].tolist())]
    rows = []
    for r in nodes.itertuples(index=False):
        depth = int(r.depth)
        style = _DIM if r.kind == "dimension" else ""
        pad = f"padding:1px 8px 1px {0.5 + 1.5 * depth:.1f}em"
        rows.append(
            _tr(style)
            + _cell(str(r.id), pad)
            + _cell(str(r.label))
            + _cell(str(r.label_zh))
            + _cell(_num(float(r.points)), _NUM)
            + _cell(_num(float(r.weight), 3), _NUM)
            + "</tr>"
        )
    tree = _table(
        [("id", False), ("label", False), ("label_zh", False), (w["points"], True), (w["weight"], True)], rows
    )
    cut = model.cutoffs
    cutoffs = "; ".join(f"{_esc(g)} ≥ {_num(float(t))}" for g, t in cut.items())
    return f'<div style="{_BOX}">\n{head}\n{tree}<div>{_esc(w["grades"])}: {cutoffs}</div>\n</div>\n'


# ---------------------------------------------------------------------------------------------
# Ratings


def _format_value(v: Any) -> tuple[str, bool]:
    """(text, numeric) of a frame value."""
    if v is None or v is pd.NA or v is pd.NaT:
        return "—", False
    if isinstance(v, (bool, np.bool_)):
        return ("yes" if v else "no"), False
    if isinstance(v, (float, np.floating)):
        return (_num(float(v)) if v == v else "—"), True
    if isinstance(v, (int, np.integer)):
        return str(int(v)), True
    return str(v), False


def ratings_html(ratings: Ratings, rows: int = 10) -> str:
    """Header (model id, version and fingerprint, as_of, input hash), the grade distribution and
    the first `rows` operators of :meth:`Ratings.to_frame`."""
    w = _WORDS["en"]
    model = ratings.model
    n = len(ratings)
    head = (
        f"<div><strong>{_esc(w['ratings'])}</strong> — {n} {_esc(w['operators'])}, {_esc(w['as_of'])} "
        f"{_esc(ratings.as_of.isoformat())}</div>"
        f'<div style="{_MUTED}">{_esc(w["model"])} {_esc(model.id)} {_esc(model.version)}, '
        f'{_esc(w["fingerprint"])} <code title="{_esc(ratings.fingerprint)}">{_esc(ratings.fingerprint[:16])}…</code>; '
        f'{_esc(w["input_hash"])} <code title="{_esc(ratings.input_hash)}">{_esc(ratings.input_hash[:16])}…</code></div>'
    )
    dist = ratings.distribution()
    assert isinstance(dist, pd.Series)
    graded = int(dist.drop("not_graded").sum())
    cells = []
    for g, count in dist.items():
        label = w["not_graded"] if g == "not_graded" else str(g)
        share = f"{100.0 * int(count) / n:.1f}%" if n else "—"
        cells.append((label, int(count), share))
    dist_table = _table(
        [(label, True) for label, _, _ in cells],
        [
            "<tr>" + "".join(_cell(str(c), _NUM) for _, c, _ in cells) + "</tr>",
            f'<tr style="{_MUTED}">' + "".join(_cell(s, _NUM) for _, _, s in cells) + "</tr>",
        ],
    )
    k = min(rows, n)
    frame = ratings.to_frame().head(k)
    columns = [c for c in frame.columns if c not in ("history_limit", "previous_grade")]
    body = []
    for rec in frame[columns].itertuples(index=False):
        tds = []
        for col, v in zip(columns, rec):
            text, numeric = _format_value(v)
            if col == "grade" and text != "—":
                tds.append(_cell(_badge(text, "en"), raw=True))
            else:
                tds.append(_cell(text, _NUM if numeric else _TD))
        body.append("<tr>" + "".join(tds) + "</tr>")
    numeric_cols = {c for c in columns if pd.api.types.is_float_dtype(frame[c].dtype)}
    preview = _table([(c, c in numeric_cols) for c in columns], body)
    more = f'<div style="{_MUTED}">{_esc(w["more"].format(n=n - k))}</div>\n' if n > k else ""
    return (
        f'<div style="{_BOX}">\n{head}\n<div><strong>{_esc(w["distribution"])}</strong> ({graded} graded)</div>\n'
        f"{dist_table}<div><strong>{_esc(w['first_rows'].format(n=k, total=n))}</strong></div>\n{preview}{more}</div>\n"
    )


# ---------------------------------------------------------------------------------------------
# Explanation


def _gate_text(kind: str, lang: str) -> str:
    return _GATE_ZH.get(kind, kind) if lang == "zh" else kind.replace("_", " ")


def _gate_about(e: Explanation, kind: str, gate_id: str) -> str:
    """The gate's id with its label (dimension, prerequisite or rule) in the explanation's language."""
    if kind in ("dimension_ratio", "dimension_minimum"):
        c = e.contributions
        hit = c.loc[c["id"] == gate_id, "label"]
        if len(hit):
            return f"{gate_id} {hit.iloc[0]}"
    labels = e._labels()
    if kind in ("prerequisite", "cap", "downgrade", "veto") and gate_id in labels:
        return f"{gate_id} {labels[gate_id]}"
    return gate_id


def _gate_values(kind: str, required: float, actual: float, shortfall: float, lang: str) -> tuple[str, str, str]:
    """(required, actual, shortfall) texts: totals in points, dimension gates as ratios with the
    shortfall in points, caps and history limits as the grade they allow, downgrades as levels."""
    if kind == "total":
        return _num(required), _num(actual), _num(shortfall)
    if kind in ("dimension_ratio", "dimension_minimum"):
        return _num(required, 3), _num(actual, 3), _num(shortfall)
    if kind in ("cap", "history"):
        level = int(actual)
        return "", (_grade_text(GRADES[level], lang) if 0 <= level < len(GRADES) else ""), ""
    if kind == "downgrade":
        return "", f"-{int(actual)}", ""
    return "", "", ""


def explanation_html(e: Explanation) -> str:
    """The grade and its provenance, contributions per dimension and indicator (points earned /
    available, score, a bar), the rules that fired (action, label, source, lapse date) and the
    gates to the next grade (required, actual, shortfall, until)."""
    lang = e.lang
    w = _words(lang)
    status = _STATUS_ZH.get(e.status, e.status) if lang == "zh" else e.status
    if e.status == "active":
        outcome = f"{_esc(w['final_grade'])} {_badge(e.grade, lang)}{_esc(w['by_score'].format(grade=_grade_text(e.grade_by_score, lang)))}"
    else:  # not active (Art. 14): not graded, which is not the grade "unrated"
        outcome = f"<strong>{_esc(w['not_graded'].format(status=status))}</strong>"
    head = (
        f"<div><strong>{_esc(w['operator'])} {_esc(e.operator_id)}</strong> — {outcome}</div>"
        f'<div style="{_MUTED}">{_esc(w["model"])} {_esc(e.model_id)} {_esc(e.model_version)}, {_esc(w["fingerprint"])} '
        f'<code title="{_esc(e.fingerprint)}">{_esc(e.fingerprint[:16])}…</code>; {_esc(w["as_of"])} '
        f"{_esc(e.as_of.isoformat())}; {_esc(w['input_hash'])} "
        f'<code title="{_esc(e.input_hash)}">{_esc(e.input_hash[:16] or "-")}…</code></div>'
        f"<div>{_esc(w['status'])}{_esc(w['colon'])}{_esc(status)}"
        + (f"{'；' if lang == 'zh' else '; '}<strong>{_esc(w['terminate'])}</strong>" if e.terminate else "")
        + "</div>"
    )
    if e.status != "active":
        return f'<div style="{_BOX}">\n{head}\n<div>{_esc(w["not_active"])}</div>\n</div>\n'

    rows = []
    for r in e.contributions.itertuples(index=False):
        depth = int(r.depth)
        style = _DIM if r.kind == "dimension" else ""
        pad = f"padding:1px 8px 1px {0.5 + 1.5 * depth:.1f}em"
        if r.available == 0 and r.nominal > 0:
            rows.append(
                _tr(style)
                + _cell(str(r.id), pad)
                + _cell(str(r.label))
                + f'<td colspan="4" style="{_TD};{_MUTED}">{_esc(w["not_applicable"])}</td>'
                + _cell(str(r.source))
                + _cell(str(r.basis))
                + "</tr>"
            )
            continue
        available = _num(float(r.available))
        title = None if r.available == r.nominal else f"{w['nominal']} {_num(float(r.nominal))}"
        rows.append(
            _tr(style)
            + _cell(str(r.id), pad)
            + _cell(str(r.label))
            + _cell(_num(float(r.points)), _NUM)
            + _cell(available + ("*" if title else ""), _NUM, title=title)
            + _cell(_num(float(r.score), 3), _NUM)
            + _cell(_bar(float(r.points) / float(r.available) if r.available else float("nan")), _TD, raw=True)
            + _cell(str(r.source))
            + _cell(str(r.basis))
            + "</tr>"
        )
    rows.append(
        f'<tr style="border-top:1px solid #999;font-weight:bold">'
        + _cell(w["total"])
        + _cell("")
        + _cell(_num(e.total), _NUM)
        + _cell(_num(e.total_available), _NUM)
        + _cell("")
        + _cell(_bar(e.total / e.total_available if e.total_available else float("nan")), _TD, raw=True)
        + _cell("")
        + _cell("")
        + "</tr>"
    )
    contributions = _table(
        [
            (w["indicator"], False),
            (w["label"], False),
            (w["points"], True),
            (w["available"], True),
            (w["score"], True),
            ("", False),
            (w["source"], False),
            (w["basis"], False),
        ],
        rows,
    )

    if len(e.rules):
        rule_rows = []
        for r in e.rules.itertuples(index=False):
            action = _action_zh().get(r.action, r.action) if lang == "zh" else r.action
            if r.action == "cap" and r.cap is not None:
                action += " " + _grade_text(str(r.cap), lang)
            if r.action == "downgrade" and r.levels is not None:
                action += f" -{int(r.levels)}"
            rule_rows.append(
                "<tr>"
                + _cell(str(r.rule))
                + _cell(action)
                + _cell(str(r.label))
                + _cell(str(r.source))
                + _cell(str(r.basis))
                + _cell(_date(r.lapses_on))
                + "</tr>"
            )
        rules = _table(
            [(w["rule"], False), (w["action"], False), (w["label"], False), (w["source"], False), (w["basis"], False), (w["lapses_on"], False)],
            rule_rows,
        )
    else:
        rules = f"<div>{_esc(w['none'])}</div>\n"

    if e.next_grade is None:
        gates = f"<div>{_esc(w['top'])}</div>\n"
    else:
        gate_rows = []
        for g in e.gates.itertuples(index=False):
            req, act, short = _gate_values(str(g.kind), float(g.required), float(g.actual), float(g.shortfall), lang)
            gate_rows.append(
                "<tr>"
                + _cell(_gate_text(str(g.kind), lang))
                + _cell(_grade_text(str(g.grade), lang))
                + _cell(_gate_about(e, str(g.kind), str(g.id)))
                + _cell(req, _NUM)
                + _cell(act, _NUM)
                + _cell(short, _NUM)
                + _cell(_date(g.lapses_on))
                + _cell(str(g.source))
                + _cell(str(g.basis))
                + "</tr>"
            )
        gates = _table(
            [
                (w["gate"], False),
                (w["grade"], False),
                ("id", False),
                (w["required"], True),
                (w["actual"], True),
                (w["shortfall"], True),
                (w["until"], False),
                (w["source"], False),
                (w["basis"], False),
            ],
            gate_rows,
        )
        gates = f"<div><strong>{_esc(w['to_reach'].format(grade=e.next_grade))}</strong></div>\n{gates}"
    return (
        f'<div style="{_BOX}">\n{head}\n{contributions}<div><strong>{_esc(w["rules_fired"])}</strong></div>\n{rules}'
        f"{gates}</div>\n"
    )


# ---------------------------------------------------------------------------------------------
# AHP results (embedrating.weights)


def _judgement(v: float) -> str:
    """A judgement as the 1–9 scale writes it: an integer, a reciprocal 1/k, or 3 significant digits."""
    for k in range(1, 10):
        if abs(v - k) <= 1e-9 * k:
            return str(k)
        if abs(v - 1.0 / k) <= 1e-9:
            return f"1/{k}"
    return f"{v:.3g}"


def ahp_html(result: Any, title: str | None = None) -> str:
    """An AHP result: the pairwise matrix with the weights beside it, λmax/CI/RI/CR and whether it
    is consistent, and the judgement whose revision most lowers the inconsistency."""
    ids = list(result.ids)
    m = result.matrix.to_numpy()
    worst = result.worst
    mark = "background:#fde0c5;font-weight:bold"
    rows = []
    order = np.argsort(-np.asarray(result.weights), kind="stable")
    rank = {int(k): r + 1 for r, k in enumerate(order)}
    for i, rid in enumerate(ids):
        cells = [_cell(rid)]
        for j in range(len(ids)):
            hit = worst is not None and {i, j} == {worst.i, worst.j}
            cells.append(_cell(_judgement(float(m[i, j])), f"{_NUM};{mark}" if hit else _NUM))
        w = float(result.weights[i])
        cells.append(_cell(f"{w:.4f}", _NUM))
        cells.append(_cell(_bar(w / max(float(np.max(result.weights)), 1e-300)), raw=True))
        cells.append(_cell(str(rank[i]), _NUM))
        rows.append(_tr("") + "".join(cells) + "</tr>")
    header = [("", False)] + [(i, True) for i in ids] + [("weight", True), ("", False), ("rank", True)]
    # the threshold the result was computed with (ahp(..., threshold=...)), Saaty's 0.1 by default
    threshold = float(getattr(result, "options", {}).get("threshold", 0.1))
    verdict = (
        '<span style="color:#1b7837;font-weight:bold">consistent</span>'
        if result.consistent
        else '<span style="color:#b35806;font-weight:bold">not consistent</span>'
    )
    stats = (
        f"λmax = {result.lambda_max:.4f} · CI = {result.ci:.4f} · RI = {result.ri:.4g} "
        f"({_esc(result.ri_table)}) · CR = {result.cr:.4f} · {verdict} (CR &lt; {threshold:g})"
    )
    head = title or f"AHP ({len(ids)} × {len(ids)}, method {result.method})"
    parts = [f'<div style="{_BOX}">', f"<b>{_esc(head)}</b>", _table(header, rows), f"<div>{stats}</div>"]
    if worst is not None:
        parts.append(
            "<div>Worst judgement: "
            f"({_esc(worst.row)}, {_esc(worst.column)}) = {_esc(_judgement(worst.value))}; "
            f"revising it to {worst.suggested:.3g} (weights ratio {worst.ratio:.3g}) "
            f"lowers CR from {result.cr:.4f} to {worst.cr_after:.4f}.</div>"
        )
    parts.append("</div>")
    return "\n".join(parts)


# ---------------------------------------------------------------------------------------------
# Calibration (issue 12): agreement, fit reports, the calibration report

_GRADE_ORDER = ["5A", "4A", "3A", "2A", "1A", "unrated"]


def _heat(confusion: pd.DataFrame, title: str) -> str:
    """A confusion matrix as a heat map: agreement on the diagonal in green, the rest in red,
    shade by count."""
    m = confusion.to_numpy()
    top = max(int(m.max()), 1)
    rows = []
    for i, agreed in enumerate(confusion.index):
        cells = [_cell(str(agreed), _TH)]
        for j in range(m.shape[1]):
            x = int(m[i, j])
            hue = "30,120,60" if i == j else "200,60,40"
            alpha = 0.0 if x == 0 else 0.15 + 0.7 * x / top
            cells.append(_cell("" if x == 0 else str(x), f"{_NUM};background:rgba({hue},{alpha:.2f})"))
        rows.append(_tr("") + "".join(cells) + "</tr>")
    header = [("agreed \\ model", False)] + [(str(c), True) for c in confusion.columns]
    return f'<div style="display:inline-block;vertical-align:top;margin-right:1.5em"><b>{_esc(title)}</b>{_table(header, rows)}</div>'


def _stats_rows(named: Sequence[tuple[str, Any]]) -> str:
    rows = []
    for name, a in named:
        cells = [_cell(name)] + [
            _cell(v, _NUM)
            for v in (str(a.n), _num(a.exact, 3), _num(a.within_one, 3), _num(a.kappa, 3), _num(a.tau_b, 3), _num(a.mean_abs_error, 3))
        ]
        rows.append(_tr("") + "".join(cells) + "</tr>")
    header = [("", False), ("n", True), ("exact", True), ("within one", True), ("kappa (quadratic)", True), ("tau-b", True), ("mean |error|", True)]
    return _table(header, rows)


def _disagreements(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "<div>No disagreement.</div>"
    rows = []
    for r in frame.itertuples(index=False):
        rows.append(
            _tr("")
            + "".join([_cell(r.operator_id), _cell(_badge(r.agreed, "en"), raw=True), _cell(_badge(r.predicted, "en"), raw=True),
                       _cell(r.why), _cell(r.panel_note)])  # fmt: skip
            + "</tr>"
        )
    return _table([("operator", False), ("agreed", False), ("model", False), ("why not the agreed grade", False), ("panel note", False)], rows)


def agreement_html(a: Any) -> str:
    """An Agreement: the statistics, the confusion heat map and the disagreements."""
    parts = [f'<div style="{_BOX}">', f"<b>Agreement with the agreed grades</b> ({a.n} operators compared, {a.not_graded} not graded)",
             _stats_rows([("model", a)]), _heat(a.confusion, "confusion (agreed × model)"), "<div><b>Disagreements</b></div>",
             _disagreements(a.disagreements), "</div>"]  # fmt: skip
    return "\n".join(parts)


def _parameter_rows(frame: pd.DataFrame, total: float, cv: bool) -> str:
    rows = []
    for r in frame.itertuples(index=False):
        name = str(r.parameter)
        weight = name.startswith("weights.")
        scale = total if weight else 1.0
        digits = 2 if (weight or name.endswith("min_total")) else 4
        before = r.current if cv else r.before
        after = r.in_sample if cv else r.after
        change = "" if after == before else _num((after - before) * scale, digits)
        cells = [_cell(name + (" (points)" if weight else "")), _cell(_num(before * scale, digits), _NUM), _cell(_num(after * scale, digits), _NUM), _cell(change, _NUM)]
        if cv:
            cells += [_cell(_num(v * scale, digits), _NUM) for v in (r.cv_mean, r.cv_min, r.cv_max)]
        rows.append(_tr("") + "".join(cells) + "</tr>")
    header = [("parameter", False), ("before", True), ("after", True), ("change", True)]
    if cv:
        header += [("CV mean", True), ("CV min", True), ("CV max", True)]
    return _table(header, rows)


def _trace_rows(trace: pd.DataFrame) -> str:
    rows = []
    n = len(trace)
    for k, r in enumerate(trace.itertuples(index=False)):
        last = k + 1 == n or trace["step"].iloc[k + 1] != r.step or trace["round"].iloc[k + 1] != r.round
        if r.step == "weights" and r.iteration >= 5 and r.iteration % 25 != 0 and not last:
            continue
        cells = [_cell(str(r.round), _NUM), _cell(str(r.step)), _cell(str(r.iteration), _NUM)]
        cells += [_cell(_num(float(v), 4), _NUM) for v in (r.objective, r.data, r.penalty)]
        rows.append(_tr("") + "".join(cells) + "</tr>")
    return _table([("round", True), ("step", False), ("iteration", True), ("objective", True), ("data", True), ("penalty", True)], rows)


def fit_report_html(report: Any, total: float = 1000.0) -> str:
    """A FitReport: objective, agreement before/after, the parameters that moved, excluded cases, trace."""
    moved = report.parameters[report.parameters["moved"]]
    parts = [f'<div style="{_BOX}">', f"<b>{_esc(report.method)}</b> on {report.cases} benchmark cases",
             f"<div>Objective: {_esc(report.objective)}</div>",
             _stats_rows([("before", report.before), ("after (in-sample)", report.after)]),
             f"<div><b>Parameters that moved</b> ({len(moved)} of {len(report.parameters)})</div>",
             _parameter_rows(moved, total, cv=False)]  # fmt: skip
    for w in report.warnings:
        parts.append(f'<div style="color:#b35806">⚠ {_esc(w)}</div>')
    if len(report.excluded):
        rows = [_tr("") + _cell(r.operator_id) + _cell(r.reason) + "</tr>" for r in report.excluded.itertuples(index=False)]
        parts += ["<div><b>Cases the fit cannot move</b></div>", _table([("operator", False), ("reason", False)], rows)]
    parts += ["<div><b>Objective trace</b></div>", _trace_rows(report.trace), "</div>"]
    return "\n".join(parts)


def calibration_html(cv: Any) -> str:
    """The calibration report of a CrossValidation: agreement (current, in-sample, cross-validated),
    confusion heat maps, parameters before/after with their spread over the folds, the fitted
    model's disagreements with the panel's notes, excluded cases and the objective trace."""
    m = cv.model
    prov = m.provenance
    parts = [f'<div style="{_BOX}">', "<b>Calibration report 模型校准报告</b>",
             f"<div>Model <b>{_esc(m.id)}</b> version {_esc(m.version)} (fingerprint <code>{_esc(m.fingerprint[:16])}</code>), "
             f"fitted from <code>{_esc(prov['parent_fingerprint'][:16])}</code> by {_esc(cv.report.method)} on "
             f"{cv.report.cases} benchmark cases ({len(cv.report.excluded)} excluded); cross-validation: {_esc(cv.scheme)}.</div>",
             f"<div>Objective: {_esc(cv.report.objective)}</div>"]  # fmt: skip
    for w in list(cv.warnings) + list(cv.report.warnings):
        parts.append(f'<div style="color:#b35806">⚠ {_esc(w)}</div>')
    parts += ["<div><b>Agreement 一致性</b></div>",
              _stats_rows([("current model", cv.current), ("fitted, in-sample", cv.in_sample), ("fitted, cross-validated", cv.cross_validated)]),
              "<div><b>Confusion matrices 混淆矩阵</b></div>",
              "<div>" + _heat(cv.current.confusion, "current model") + _heat(cv.in_sample.confusion, "fitted, in-sample")
              + _heat(cv.cross_validated.confusion, "fitted, cross-validated") + "</div>",
              "<div><b>Parameters 参数</b> (weights as points)</div>", _parameter_rows(cv.parameters, m.total_points, cv=True),
              "<div><b>Disagreements of the fitted model 不一致的运营商</b></div>", _disagreements(cv.in_sample.disagreements)]  # fmt: skip
    if len(cv.report.excluded):
        rows = [_tr("") + _cell(r.operator_id) + _cell(r.reason) + "</tr>" for r in cv.report.excluded.itertuples(index=False)]
        parts += ["<div><b>Cases the fit cannot move 无法通过参数调整的案例</b></div>", _table([("operator", False), ("reason", False)], rows)]
    parts += ["<div><b>Objective trace 目标函数轨迹</b></div>", _trace_rows(cv.report.trace),
              f"<div>Provenance: {_esc(prov['note'])}</div>", "</div>"]  # fmt: skip
    return "\n".join(parts)
