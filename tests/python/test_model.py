"""Model: loading, canonical TOML, fingerprint, tables, derived models, errors with file:line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import embedrating as er
from _helpers import SAMPLE_AS_OF


def test_default_model_identity(model: er.Model) -> None:
    assert model.id == "wuhan-2024"
    assert model.version
    assert len(model.fingerprint) == 64 and int(model.fingerprint, 16) >= 0
    assert str(model.effective_from) == "2024-08-23"
    assert str(model.effective_to) == "2026-08-22"
    assert model.total_points == 1000
    assert model.dimensions == ["safety", "service", "operations", "residents"]
    assert "wuhan-2024" in repr(model)


def test_to_toml_from_toml_save_load_keep_the_fingerprint(model: er.Model, tmp_path: Path) -> None:
    text = model.to_toml()
    assert er.Model.from_toml(text).fingerprint == model.fingerprint
    path = tmp_path / "m.toml"
    model.save(path)
    assert path.read_text(encoding="utf-8") == text
    for loaded in (er.Model.load(path), er.Model.load(str(path)), er.Model.from_toml(path), er.Model.from_toml(str(path))):
        assert loaded.fingerprint == model.fingerprint
        assert loaded == model
    shipped = Path(er.data_directory()) / "models" / "wuhan-2024.toml"
    assert er.Model.load(shipped) == model
    assert hash(er.Model.load(shipped)) == hash(model)


def test_indicators_table(model: er.Model) -> None:
    t = model.indicators
    for col in ("id", "parent", "label", "label_zh", "points", "weight", "input", "scoring", "kind", "depth"):
        assert col in t.columns, col
    leaves = t[t.kind == "indicator"]
    assert leaves.id.tolist() == model.weights.index.tolist()
    assert np.allclose(leaves.weight.to_numpy(), model.weights.to_numpy())
    dims = t[t.kind == "dimension"].set_index("id").points
    assert dims.to_dict() == {"safety": 300, "service": 300, "operations": 150, "residents": 250}
    assert leaves.input.notna().all() and leaves.scoring.notna().all()
    assert t.label_zh.str.len().gt(0).all()


def test_weights_are_a_series_by_leaf_summing_to_one(model: er.Model) -> None:
    w = model.weights
    assert isinstance(w, pd.Series)
    assert w.index.name == "indicator"
    assert w.sum() == pytest.approx(1.0, abs=1e-12)
    assert (w > 0).all()


def test_with_weights_keeps_the_fingerprint_for_the_same_weights(model: er.Model) -> None:
    assert model.with_weights(model.weights).fingerprint == model.fingerprint
    assert model.with_weights(model.weights.to_dict()).fingerprint == model.fingerprint
    assert model.with_weights(model.weights.to_numpy()).fingerprint == model.fingerprint


def test_with_weights_changes_points_and_grades(model: er.Model, sample: er.Dataset, ratings: er.Ratings) -> None:
    w = model.weights.copy()
    w["satisfaction_index"] += 0.05
    w["scenario_mix"] -= 0.05
    m2 = model.with_weights(w)
    assert m2.fingerprint != model.fingerprint
    assert m2.weights["satisfaction_index"] == pytest.approx(w["satisfaction_index"])
    assert m2.weights.sum() == pytest.approx(1.0)
    assert m2.indicators.set_index("id").points["residents"] == pytest.approx(300.0)
    r2 = m2.rate(sample, as_of=SAMPLE_AS_OF)
    assert not np.array_equal(r2.total_centi, ratings.total_centi)
    # only named leaves change; an array needs one weight per leaf. Naming one leaf alone would
    # change the total (issue 12: never silently): refused, or explicit with total="rescale"
    with pytest.raises(er.ModelError, match="sum to 0.95, not 1: the model's total of 1000 points would become 950"):
        model.with_weights({"scenario_mix": w["scenario_mix"]})
    partial = model.with_weights({"scenario_mix": w["scenario_mix"]}, total="rescale").indicators.set_index("id").points
    assert partial["scenario_mix"] == 10 and partial["satisfaction_index"] == 150 and partial.iloc[:4].sum() == 950
    with pytest.raises(er.ModelError, match="one per leaf indicator"):
        model.with_weights([0.5, 0.5])
    with pytest.raises(er.ModelError, match='"safety" is not a leaf indicator'):
        model.with_weights({"safety": 0.3})
    with pytest.raises(er.ModelError, match="weight must be finite and >= 0"):
        model.with_weights({"scenario_mix": -0.1})


def test_with_cutoffs(model: er.Model, sample: er.Dataset, ratings: er.Ratings) -> None:
    assert model.cutoffs.to_dict() == {"5A": 900, "4A": 800, "3A": 700, "2A": 600, "1A": 500}
    strict = model.with_cutoffs({"5A": 950})
    assert strict.cutoffs["5A"] == 950
    assert strict.fingerprint != model.fingerprint
    r = strict.rate(sample, as_of=SAMPLE_AS_OF)
    assert (r.final_grade == 5).sum() < (ratings.final_grade == 5).sum()
    with pytest.raises(er.ModelError, match='"6A" is not a grade'):
        model.with_cutoffs({"6A": 990})


def test_rules_and_grades_tables(model: er.Model) -> None:
    rules = model.rules
    assert {"id", "action", "when", "source", "label", "label_zh"} <= set(rules.columns)
    assert "cap_low_review_volume" in set(rules.id)
    assert set(rules.action) <= {"veto", "cap", "downgrade", "prerequisite", "set_score", "not_applicable", "warn"}
    grades = model.grades
    assert grades.grade.tolist() == ["5A", "4A", "3A", "2A", "1A"]
    assert model.review_settings["deadline_working_days"] == 15


BAD_TOML = """\
[model]
id = "broken"
version = "1"
this is not toml
"""


def test_bad_toml_is_a_model_error_with_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(er.ModelError) as info:
        er.Model.from_toml(BAD_TOML)
    err = info.value
    assert isinstance(err, er.Error) and isinstance(err, ValueError)
    assert str(err).startswith("<string>:4")
    assert err.file == "<string>" and err.line == 4
    path = tmp_path / "broken.toml"
    path.write_text(BAD_TOML, encoding="utf-8")
    with pytest.raises(er.ModelError, match=rf"^{path}:4(:\d+)?: ") as info:
        er.Model.load(path)
    assert info.value.file == str(path)


def test_semantic_model_errors_name_the_line(model: er.Model) -> None:
    text = model.to_toml()
    bad = text.replace("points = 300", "points = -300", 1)
    assert bad != text
    with pytest.raises(er.ModelError) as info:
        er.Model.from_toml(bad)
    assert info.value.line is not None
    assert "points" in str(info.value)


def test_missing_model_file(tmp_path: Path) -> None:
    with pytest.raises(er.ModelError, match="cannot open"):
        er.Model.load(tmp_path / "nope.toml")


# ---------------------------------------------------------------------------------------------
# Issue 10 item 5: one table of review settings (embedrating/review_fields.hpp) drives the dict
# and with_review_settings; walked here without any list of names of its own


def _other_value(field: dict, current: object) -> object:
    kind = field["kind"]
    if kind == "numbers":
        values = list(current)  # type: ignore[call-overload]
        values[-1] = (values[-2] + values[-1]) / 2
        return values
    if kind == "choice":
        return field["choices"][(field["choices"].index(current) + 1) % len(field["choices"])]
    if kind == "flag":
        return not current
    if kind == "integer":
        return current + 1 if current + 1 <= field["max"] else current - 1  # type: ignore[operator]
    return (current + field["max"]) / 2 if current < field["max"] else (field["min"] + field["max"]) / 2  # type: ignore[operator]


def test_every_review_setting_of_the_table_is_in_the_dict_and_can_be_changed(model: er.Model) -> None:
    fields = er._core.review_setting_fields()
    assert [f["name"] for f in fields] == list(model.review_settings)
    assert all(f["doc"] and f["rule"] for f in fields)
    for field in fields:
        name = field["name"]
        base = model if name != "period_days" else model.with_review_settings(period="days", period_days=7)
        new = _other_value(field, base.review_settings[name])
        extra = {"period_days": 7} if (name == "period" and new == "days") else {}
        changed = base.with_review_settings(**{name: new}, **extra)
        assert changed.review_settings[name] == new, name
        assert changed.fingerprint != base.fingerprint, name
        assert er.Model.from_toml(changed.to_toml()).review_settings == changed.review_settings
        if field["kind"] in ("number", "integer", "numbers"):
            bad = field["max"] * 2 + 1
            value = [bad] + list(base.review_settings[name])[1:] if field["kind"] == "numbers" else bad
            if field["kind"] == "integer":
                value = int(bad)
            with pytest.raises(er.ModelError, match=rf"reviews\.{name}"):
                base.with_review_settings(**{name: value})
        elif field["kind"] == "choice":
            with pytest.raises(er.ModelError, match=rf"reviews\.{name}"):
                base.with_review_settings(**{name: "no-such-choice"})
