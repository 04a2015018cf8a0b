"""Catalogue names for display (``data/catalogue/*.csv``). Input names (公建民营, 运营中, 养老服务,
and the ``aliases`` column) are read as their codes by the core's ingestion path, for CSV and
DataFrames alike."""

from __future__ import annotations

import csv
import os
from . import _core


def _read(path: str) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def display_names(kind: str, lang: str) -> dict[str, str]:
    """{code: name} of a catalogue list in a language ("zh": name_zh; "en": the code itself)."""
    directory = os.path.join(_core.data_directory(), "catalogue")
    rows = _read(os.path.join(directory, f"{kind}.csv"))
    if lang == "zh":
        return {r["code"].strip(): r["name_zh"].strip() for r in rows}
    return {r["code"].strip(): r["code"].strip() for r in rows}
