"""What-if rows and review settings without boilerplate: ``Model.blank_operator``,
``Dataset.template`` and ``Model.with_review_settings``."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from . import _core
from ._errors import model_error

from ._interfaces import HasCoreModel, core_model

# the names of the table of review settings (embedrating/review_fields.hpp)
_REVIEW_KEYS = tuple(f["name"] for f in _core.review_setting_fields())


def template(model: HasCoreModel | _core.Model, operator_ids: list[str], values: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Rows with every input column `model` reads, in a fixed order: operator_id, status
    ("active"), scenarios, mode, district, name_zh, the measures (missing: NaN — the indicator's
    missing policy applies), the review columns (0), every flag — the Art. 16 veto flags included —
    as an explicit False the reader sees and can change, dates (NaT, "never") and the history
    columns (empty: a first rating). `values` overrides columns by name (a scalar for every row, or
    a list); an unknown name is an error listing the columns."""
    cm = core_model(model, "model")
    roles = cm.input_columns()
    n = len(operator_ids)
    cols: dict[str, Any] = {"operator_id": list(operator_ids), "status": ["active"] * n, "scenarios": [""] * n}
    for attr in ("mode", "district", "name_zh", *sorted(a for a in roles["attributes"] if a not in ("mode", "district", "name_zh"))):
        cols[attr] = [""] * n
    for m in roles["numbers"]:
        cols[m] = [np.nan] * n
    for m in roles["categories"]:
        cols[m] = [None] * n
    for r in roles["reviews"]:
        cols[r] = [0] * n
    veto = list(_core.catalogue()["veto_flags"])
    flags = veto + sorted(f for f in roles["flags"] if f not in veto)
    for f in flags:
        cols[f] = [False] * n
    for d in roles["dates"]:
        cols[d] = [pd.NaT] * n
    cols["previous_grade"] = [None] * n
    cols["previous_rated_on"] = [pd.NaT] * n
    cols["last_downgrade_on"] = [pd.NaT] * n
    for key, value in dict(values or {}).items():
        name = key if key in cols else key.replace("flag_", "flag.", 1) if key.startswith("flag_") else key
        if name not in cols:
            raise KeyError(f"{key!r} is not an input column of model {cm.id} (columns: {', '.join(cols)})")
        if isinstance(value, (list, tuple, np.ndarray, pd.Series)) and name != "scenarios":
            if len(value) != n:
                raise ValueError(f"{key}: {len(value)} values for {n} operators")
            cols[name] = list(value)
        elif name == "scenarios" and isinstance(value, (list, tuple)) and (n != 1 or all(isinstance(v, str) for v in value)):
            cols[name] = [";".join(value)] * n if all(isinstance(v, str) for v in value) else list(value)
        else:
            cols[name] = [value] * n
    frame = pd.DataFrame(cols)
    for d in (*roles["dates"], "previous_rated_on", "last_downgrade_on"):
        frame[d] = pd.to_datetime(frame[d])
    return frame


_M = TypeVar("_M")


def with_review_settings(model: _M, settings: Mapping[str, Any]) -> _M:
    """A copy of `model` with [reviews] settings changed by name (``min_count``, ``prior_rate``,
    ``deadline_working_days``, ``service_record_only``, ``period``, ``level_values`` …), validated
    like any model file. The fingerprint changes: review settings are part of the model."""
    unknown = [k for k in settings if k not in _REVIEW_KEYS]
    if unknown:
        raise model_error(f"with_review_settings: unknown setting(s) {', '.join(unknown)} (known: {', '.join(_REVIEW_KEYS)})", field="reviews")
    text = model.to_toml()  # type: ignore[attr-defined]
    lines = text.split("\n")
    try:
        start = lines.index("[reviews]")
    except ValueError as exc:  # pragma: no cover - the canonical form always has it
        raise model_error("with_review_settings: the model has no [reviews] table", field="reviews") from exc
    end = next((k for k in range(start + 1, len(lines)) if lines[k].startswith("[")), len(lines))
    current: dict[str, str] = {}
    for line in lines[start + 1 : end]:
        if "=" in line and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            current[key.strip()] = value.strip()
    for key, value in settings.items():
        current[key] = _toml_value(key, value)
    if settings.get("period") == "month":
        current.pop("period_days", None)
    block = ["[reviews]", *(f"{k} = {v}" for k, v in current.items()), ""]
    return type(model).from_toml("\n".join(lines[:start] + block + lines[end:]))  # type: ignore[attr-defined]


def _toml_value(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(float(value)):
            raise model_error(f"with_review_settings: {key} = {value} is not a finite number", field=f"reviews.{key}")
        return repr(float(value))
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (list, tuple, np.ndarray)):
        return "[" + ", ".join(_toml_value(key, v) for v in value) + "]"
    raise model_error(f"with_review_settings: {key} = {value!r} is not a number, text, true/false or a list", field=f"reviews.{key}")
