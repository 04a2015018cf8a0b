"""Jupyter display: _repr_html_ of Model, Ratings and Explanation against golden files, escaping,
determinism; the Explanation object against the text and tables it is built from.

Regenerate the golden files after an intended change with
``EMBEDRATING_UPDATE_GOLDEN=1 python -m pytest tests/python/test_repr.py`` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import embedrating as er
from _helpers import REPO, SAMPLE_AS_OF

GOLDEN = REPO / "tests" / "python" / "golden"
UPDATE = os.environ.get("EMBEDRATING_UPDATE_GOLDEN") == "1"

# Operators of the sample at 2025-12-31 that show each part of an explanation.
CASES = {
    "WH-JA-0015": "3A (4A by score): a downgrade rule with a lapse date is the one gate to 4A",
    "WH-JA-0002": "unrated: caps, a not-applicable indicator (points re-allocated), numeric gates",
    "WH-JA-0004": "not graded (suspended)",
    "WH-JA-0008": "5A: no gates",
}


def _check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), (
        f"golden file {path.relative_to(REPO)} is missing: create it with "
        "EMBEDRATING_UPDATE_GOLDEN=1 python -m pytest tests/python/test_repr.py and review it"
    )
    expected = path.read_text(encoding="utf-8")
    assert text == expected, (
        f"{name} differs from its golden file; if the change is intended, regenerate with "
        "EMBEDRATING_UPDATE_GOLDEN=1 and review the diff"
    )


def _self_contained(html: str) -> None:
    low = html.lower()
    for bad in ("<script", "<link", "<img", "<iframe", "src=", "href=", "url(", "@import", "http:", "https:"):
        assert bad not in low, bad
    assert html.count("<table") == html.count("</table>")
    assert html.count("<tr") == html.count("</tr>")
    assert html.count("<div") == html.count("</div>")


def test_model_html_golden(model: er.Model) -> None:
    html = model._repr_html_()
    _self_contained(html)
    for row in model.indicators.itertuples():
        assert f">{row.id}<" in html and row.label_zh in html
    _check_golden("model_wuhan-2024.html", html)


def test_ratings_html_golden(ratings: er.Ratings) -> None:
    html = ratings._repr_html_()
    _self_contained(html)
    assert ratings.fingerprint[:16] in html and "2025-12-31" in html and ratings.input_hash[:16] in html
    dist = ratings.distribution()
    for count in dist.to_numpy():
        assert f">{int(count)}<" in html
    assert "… 290 more operators" in html
    _check_golden("ratings_sample.html", html)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("operator_id", list(CASES))
def test_explanation_html_golden(ratings: er.Ratings, operator_id: str, lang: str) -> None:
    html = ratings.explanation(operator_id, lang=lang)._repr_html_()
    _self_contained(html)
    assert operator_id in html
    _check_golden(f"explanation_{operator_id}_{lang}.html", html)


def test_html_is_deterministic(model: er.Model, sample: er.Dataset, ratings: er.Ratings) -> None:
    again = model.rate(sample, as_of=SAMPLE_AS_OF)
    assert again._repr_html_() == ratings._repr_html_()
    assert er.default_model()._repr_html_() == model._repr_html_()
    e1 = ratings.explanation("WH-JA-0015", "zh")._repr_html_()
    assert e1 == again.explanation("WH-JA-0015", "zh")._repr_html_()


def test_every_text_is_escaped(sample: er.Dataset) -> None:
    toml = (Path(er.data_directory()) / "models" / "wuhan-2024.toml").read_text(encoding="utf-8")
    nasty = '<b onmouseover="x">&amp; "quoted" \'single\'</b>'
    escaped = "&lt;b onmouseover=&quot;x&quot;&gt;&amp;amp; &quot;quoted&quot; &#x27;single&#x27;&lt;/b&gt;"
    quoted = '"' + nasty.replace('"', '\\"') + '"'
    for old in (
        '"Safety management"',  # a dimension's labels
        '"安全管理"',
        '"Administrative penalty in the last 12 months: one level down"',  # a rule's labels
        '"近12个月内受到行政处罚，降一级"',
    ):
        assert toml.count(old) == 1, old
        toml = toml.replace(old, quoted)
    m = er.Model.from_toml(toml)
    assert m.indicators.set_index("id").loc["safety", "label_zh"] == nasty
    assert m.rules.set_index("id").loc["downgrade_penalty_12m", "label"] == nasty
    r = m.rate(sample, as_of=SAMPLE_AS_OF)
    pages = [m._repr_html_(), r._repr_html_()] + [r.explanation("WH-JA-0015", lang)._repr_html_() for lang in ("en", "zh")]
    for html in pages:
        assert "<b " not in html and 'onmouseover="' not in html
        _self_contained(html)
    for html in pages[:1] + pages[2:]:
        assert html.count(escaped) >= 2, html


def test_explanation_object(ratings: er.Ratings, model: er.Model) -> None:
    for op in ratings.operator_ids[::10]:
        e = ratings.explanation(op, lang="zh")
        assert str(e) == e.text == repr(e) == ratings.explain(op, lang="zh")
    frame = ratings.to_frame().set_index("operator_id")
    fired = ratings.rules_fired()
    for op in ratings.operator_ids:
        e = ratings.explanation(op)
        assert str(e) == e.text == repr(e) == ratings.explain(op)
        row = frame.loc[op]
        assert e.status == row["status"]
        assert e.grade == (None if pd.isna(row["grade"]) else str(row["grade"]))
        assert e.grade_by_score == (None if pd.isna(row["grade_by_score"]) else str(row["grade_by_score"]))
        assert e.total == pytest.approx(row["total"], abs=1e-9)
        c = e.contributions.set_index("id")
        i = ratings.operator_ids.index(op)
        nodes = model.indicators["id"].tolist()
        assert c.loc[nodes, "points"].to_numpy() == pytest.approx(ratings.node_centi[i] / 100.0)
        assert c.loc[nodes, "available"].to_numpy() == pytest.approx(ratings.available_centi[i] / 100.0)
        dims = c.loc[model.dimensions, "points"].to_numpy()
        assert dims == pytest.approx(ratings.dimension_centi[i] / 100.0)
        assert e.rules["rule"].tolist() == fired.loc[fired.operator_id == op, "rule"].tolist()
        if e.next_grade is not None:
            pd.testing.assert_frame_equal(e.gates, ratings.gates(op))
        else:
            assert e.gates.empty
    e = ratings.explanation("WH-JA-0015", "zh")
    assert e.contributions["id"].tolist()[:3] == ["safety", "fire", "fire_inspection"]  # depth-first
    assert e.contributions.set_index("id").loc["safety", "label"] == "安全管理"
    assert e.rules.iloc[0].to_dict() | {"basis": None} == {
        "rule": "downgrade_penalty_12m",
        "action": "downgrade",
        "cap": None,
        "levels": 1,
        "label": "近12个月内受到行政处罚，降一级",
        "source": "第十六条、第十七条",  # the article, cited the Chinese way (issue 17)
        "basis": None,
        "lapses_on": pd.Timestamp("2026-09-26").date(),
    }
    assert e.next_grade == "4A" and e.gates["kind"].tolist() == ["downgrade"]
    leaf = e.contributions[e.contributions.kind == "indicator"]
    assert np.isfinite(leaf["score"]).all()


def test_explanation_errors(ratings: er.Ratings) -> None:
    with pytest.raises(er.DataError):
        ratings.explanation("NO-SUCH-OPERATOR")
    with pytest.raises(ValueError, match="lang"):
        ratings.explanation("WH-JA-0015", lang="fr")
    with pytest.raises(TypeError):
        er.Explanation()


def test_ahp_html_golden() -> None:
    # Saaty (1990)'s house example, as in test_weights.py: matrix, weights, CR, the worst judgement
    from test_weights import house_frame

    r = er.weights.ahp(house_frame())
    html = r._repr_html_()
    _self_contained(html)
    assert "CR = 0.1691" in html and "not consistent" in html and "(neighbourhood, condition) = 6" in html
    assert ">1/3<" in html and "background:#fde0c5" in html  # fractions; the worst pair marked
    assert html == er.weights.ahp(house_frame())._repr_html_()
    _check_golden("ahp_saaty_house.html", html)
    nasty = '<b onmouseover="x">'
    esc = er.weights.ahp([[1, 2], [0.5, 1]], ids=[nasty, "b"])._repr_html_()
    assert "<b " not in esc and "&lt;b onmouseover=&quot;x&quot;&gt;" in esc


def test_golden_directory_has_no_stray_files() -> None:
    expected = {"model_wuhan-2024.html", "ratings_sample.html", "ahp_saaty_house.html", "calibration_sample_cutoffs.html"} | {
        f"explanation_{op}_{lang}.html" for op in CASES for lang in ("en", "zh")
    }
    present = {p.name for p in Path(GOLDEN).glob("*.html")}
    assert present <= expected, f"unused golden files: {sorted(present - expected)}"


def test_calibration_report_html_golden(model: er.Model, sample: er.Dataset) -> None:
    """The calibration report (issue 12): a 5-fold cross-validation of the cut-off fit on the sample."""
    cv = er.calibrate.cross_validate(model, sample, sample.benchmark, as_of=SAMPLE_AS_OF, method="cutoffs", folds=5, seed=1)
    html = cv._repr_html_()
    _self_contained(html)
    assert "fitted, cross-validated" in html and "专家组认为服务量偏低系场地改造所致" in html
    assert html == er.calibrate.report_html(cv)
    a = er.calibrate.agreement(model.rate(sample, as_of=SAMPLE_AS_OF), sample.benchmark)
    assert "Disagreements" in a._repr_html_() and "WH-HS-0034" in a._repr_html_()
    assert "Parameters that moved" in cv.report._repr_html_()
    _check_golden("calibration_sample_cutoffs.html", html)
