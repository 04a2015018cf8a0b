"""Reading inputs from Excel workbooks (``Dataset.from_excel``): pandas with openpyxl reads the
sheets, Chinese headers of the descriptive columns become the English ones, and the tables go
through ``Dataset(...)`` — the same validation, Chinese names of status, mode and scenarios
included, as any DataFrame."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from ._errors import data_error

# Annotations only: this module sits below the classes it takes (tests/python/test_layering.py);
# they are the embedrating classes of these names.
Dataset = Model = Any

#: Chinese headers accepted on input (the published headers and the usual ones) → column keys.
HEADERS_IN: dict[str, str] = {
    "运营商编号": "operator_id",
    "运营商ID": "operator_id",
    "名称": "name_zh",
    "运营商名称": "name_zh",
    "区": "district",
    "所属区": "district",
    "街道": "street",
    "社区": "community",
    "地址": "address",
    "运营模式": "mode",
    "状态": "status",
    "运营状态": "status",
    "服务场景": "scenarios",
    "上期等级": "previous_grade",
    "上期评定日期": "previous_rated_on",
    "最近降级日期": "last_downgrade_on",
    "设施编号": "facility_id",
    "服务量": "volume",
}

_SHEETS = {
    "operators": ("operators", "运营商", "运营商信息"),
    "facilities": ("facilities", "设施", "设施信息"),
    "reviews": ("reviews", "好差评", "评价"),
    "indicators": ("indicators", "指标"),
}
_ID_COLUMNS = ("operator_id", "facility_id", "review_id", "reviewer_id", "service_record_id")


def _id_text(col: pd.Series) -> pd.Series:
    """Ids typed as numbers in Excel (1001 → 1001.0 in pandas) back to text "1001"."""
    def one(v: Any) -> Any:
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        if isinstance(v, (int, np.integer)):
            return str(int(v))
        return v

    return col.astype(object).map(one)


def _pick(sheets: dict[str, pd.DataFrame], want: str | int | None, kind: str, path: str, required: bool) -> tuple[str, pd.DataFrame] | None:
    names = list(sheets)
    if isinstance(want, int):
        if not 0 <= want < len(names):
            raise data_error(f"the workbook has {len(names)} sheets; sheet {want} does not exist", file=path, field=kind)
        return names[want], sheets[names[want]]
    if isinstance(want, str):
        if want not in sheets:
            raise data_error(f'no sheet "{want}" (sheets: {", ".join(names)})', file=path, field=kind)
        return want, sheets[want]
    for candidate in _SHEETS[kind]:
        if candidate in sheets:
            return candidate, sheets[candidate]
    if required:  # the operators: the first sheet when none has a known name
        return names[0], sheets[names[0]]
    return None


def _clean(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.rename(columns=lambda c: HEADERS_IN.get(str(c).strip(), str(c).strip()))
    frame = frame.dropna(how="all")  # rows Excel keeps after a deletion
    frame = frame.loc[:, [c for c in frame.columns if not c.startswith("Unnamed:")]]
    for col in _ID_COLUMNS:
        if col in frame.columns:
            frame[col] = _id_text(frame[col])
    return frame.reset_index(drop=True)


def read_excel_dataset(
    cls: type[Dataset],
    path: str | os.PathLike[str],
    operators: str | int | None,
    facilities: str | int | None,
    reviews: str | int | None,
    indicators: str | int | None,
    model: Model | None,
) -> Dataset:
    try:
        import openpyxl  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ImportError("reading .xlsx needs openpyxl: pip install openpyxl") from exc
    file = os.fspath(path)
    if not os.path.exists(file):
        raise FileNotFoundError(f"no such workbook: {file}")
    sheets = pd.read_excel(file, sheet_name=None, engine="openpyxl")
    if not sheets:
        raise data_error("the workbook has no sheets", file=file)
    picked = {}
    for kind, want in (("operators", operators), ("facilities", facilities), ("reviews", reviews), ("indicators", indicators)):
        hit = _pick(sheets, want, kind, file, required=kind == "operators")
        if hit is not None:
            picked[kind] = (hit[0], _clean(hit[1]))
    name, ops = picked["operators"]
    if ops.empty:
        raise data_error(f'sheet "{name}" has no operator rows', file=file, field="operator_id")
    ds = cls(
        ops,
        picked["indicators"][1] if "indicators" in picked else None,
        picked["reviews"][1] if "reviews" in picked else None,
        picked["facilities"][1] if "facilities" in picked else None,
        model=model,
        source_name=f"{file}[{name}]",
    )
    return ds
