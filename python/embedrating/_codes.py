"""Chinese (and other) names on input → catalogue codes: 公建民营 → ``public_built_private_run``,
运营中 → ``active``, 养老服务 → ``elderly_care``. The names come from the catalogue files
(``data/catalogue/*.csv``: ``name_zh``, ``name_en`` and the optional ``aliases`` column), the same
files the C++ readers use, so a CSV and a DataFrame with the same text give the same codes."""

from __future__ import annotations

import csv
import os
from typing import Any

import pandas as pd

from . import _core

_cache: dict[str, dict[str, dict[str, str]]] = {}


def _read(path: str) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def names() -> dict[str, dict[str, str]]:
    """{"scenarios"|"modes"|"statuses": {name or alias or code: code}} of the catalogue in use."""
    directory = os.path.join(_core.data_directory(), "catalogue")
    if directory not in _cache:
        out: dict[str, dict[str, str]] = {}
        for kind in ("scenarios", "modes", "statuses"):
            table: dict[str, str] = {}
            rows = _read(os.path.join(directory, f"{kind}.csv"))
            for row in rows:
                code = row["code"].strip()
                for name in (row.get("name_zh", ""), row.get("name_en", ""), *(row.get("aliases") or "").replace("|", ";").split(";")):
                    name = (name or "").strip()
                    if name:
                        table.setdefault(name, code)
            for row in rows:  # a code always means itself
                table[row["code"].strip()] = row["code"].strip()
            out[kind] = table
        _cache[directory] = out
    return _cache[directory]


def display_names(kind: str, lang: str) -> dict[str, str]:
    """{code: name} of a catalogue list in a language ("zh": name_zh; "en": the code itself)."""
    directory = os.path.join(_core.data_directory(), "catalogue")
    rows = _read(os.path.join(directory, f"{kind}.csv"))
    if lang == "zh":
        return {r["code"].strip(): r["name_zh"].strip() for r in rows}
    return {r["code"].strip(): r["code"].strip() for r in rows}


def _map_text(values: pd.Series, table: dict[str, str]) -> pd.Series | None:
    """The column with names replaced by codes, or None when nothing needs replacing."""
    if not (values.dtype == object or isinstance(values.dtype, (pd.StringDtype, pd.CategoricalDtype))):
        return None
    uniques = pd.unique(values.dropna().astype(str))
    change = {u: table[u.strip()] for u in uniques if u.strip() in table and table[u.strip()] != u}
    if not change:
        return None
    return values.astype(object).map(lambda v: change.get(v, v) if isinstance(v, str) else v)


def _map_scenarios(values: pd.Series, table: dict[str, str]) -> pd.Series | None:
    def one(v: Any) -> Any:
        if isinstance(v, str):
            parts = [p.strip() for p in v.replace("|", ";").replace("；", ";").replace("、", ";").split(";")]
            return ";".join(table.get(p, p) for p in parts if p)
        if isinstance(v, (list, tuple)):
            return [table.get(str(p).strip(), p) if isinstance(p, str) else p for p in v]
        return v

    if values.dtype != object and not isinstance(values.dtype, pd.StringDtype):
        return None
    sample = values.dropna()
    if not any(isinstance(v, (list, tuple)) or (isinstance(v, str) and not v.isascii()) for v in sample):
        return None
    return values.astype(object).map(one)


def normalise_operators(frame: Any) -> Any:
    """An operator table with Chinese names of status, mode and scenarios replaced by codes (a new
    DataFrame when something changed; the same object otherwise)."""
    if not isinstance(frame, pd.DataFrame):
        return frame
    table = names()
    changed: dict[str, pd.Series] = {}
    for column, kind in (("status", "statuses"), ("mode", "modes")):
        if column in frame.columns:
            mapped = _map_text(frame[column], table[kind])
            if mapped is not None:
                changed[column] = mapped
    if "scenarios" in frame.columns:
        mapped = _map_scenarios(frame["scenarios"], table["scenarios"])
        if mapped is not None:
            changed["scenarios"] = mapped
    if not changed:
        return frame
    out = frame.copy()
    for column, values in changed.items():
        out[column] = values
    return out
