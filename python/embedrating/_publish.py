"""Publishing results the way analysts use them: Chinese headers and names (``lang="zh"``),
Excel workbooks (openpyxl: frozen header, column widths for CJK text, grades as text), CSV that
Excel on Chinese Windows opens (UTF-8 with BOM), and the grade directory (等级评定目录, Art. 7) as
a printable HTML page. The same headers as the CLI (``cli/report_sheets.cpp``); the page is the
library's (``include/embedrating/directory.hpp``), which the CLI writes too."""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Mapping
from typing import Any

import pandas as pd

from . import _core
from ._codes import display_names

# Annotations only: this module sits below the classes it takes (tests/python/test_layering.py);
# they are the embedrating classes of these names.
Ratings = Any

#: Chinese headers of the published columns (English keys as in the CSV/DataFrame outputs).
HEADERS_ZH: dict[str, str] = {
    "operator_id": "运营商编号",
    "name": "名称",
    "district": "区",
    "street": "街道",
    "community": "社区",
    "mode": "运营模式",
    "status": "状态",
    "total": "总分",
    "grade_by_score": "按得分等级",
    "grade": "评定等级",
    "terminate": "终止协议",
    "rules_fired": "触发规则",
    "history_limit": "历史限制",
    "previous_grade": "上期等级",
    "previous_rated_on": "上期评定日期",
    "last_downgrade_on": "最近降级日期",
    "as_of": "评定日期",
    "valid_from": "有效期起",
    "valid_to": "有效期止",
    "model_id": "模型",
    "model_version": "模型版本",
    "model_fingerprint": "模型指纹",
    "input_hash": "输入哈希",
    "group": "分组",
    "value": "名称",
    "unrated": "不予评级",
    "not_graded": "未参评",
    "operators": "运营商数",
}
_GRADE_ZH = {"unrated": "不予评级"}
_EXCEL_MAX_WIDTH = 70


def _check_lang(lang: str) -> str:
    if lang not in ("en", "zh"):
        raise ValueError(f'lang must be "en" or "zh", not {lang!r}')
    return lang


def localise(frame: pd.DataFrame, lang: str, dimension_labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """`frame` with Chinese headers, status and mode names and grade names when ``lang="zh"``
    (a copy); unchanged for "en". Not-graded operators show 未参评 in the grade columns."""
    if _check_lang(lang) == "en":
        return frame
    out = frame.copy()
    modes = display_names("modes", "zh")
    statuses = display_names("statuses", "zh")
    if "mode" in out.columns:
        out["mode"] = out["mode"].map(lambda v: modes.get(v, v) if isinstance(v, str) else v)
    if "status" in out.columns:
        out["status"] = out["status"].astype(object).map(lambda v: statuses.get(v, v) if isinstance(v, str) else v)
    for col in ("grade", "grade_by_score", "history_limit", "previous_grade"):
        if col in out.columns:
            not_graded = "未参评" if col in ("grade", "grade_by_score") else ""
            out[col] = out[col].astype(object).map(lambda v, ng=not_graded: _GRADE_ZH.get(v, v) if isinstance(v, str) else ng)
    if "group" in out.columns and "value" in out.columns:  # a distribution table
        is_mode = out["group"] == "mode"
        out.loc[is_mode, "value"] = out.loc[is_mode, "value"].map(lambda v: modes.get(v, v))
        out["value"] = out["value"].replace({"all operators": "全部运营商", "(none)": "（未填）"})
        out["group"] = out["group"].replace({"all": "全部", "district": "区", "mode": "运营模式"})
    names = dict(HEADERS_ZH)
    for dim, label in (dimension_labels or {}).items():
        names[f"{dim}_points"] = f"{label}得分"
    return out.rename(columns={c: names.get(c, c) for c in out.columns})


def _display_width(text: str) -> int:
    """Columns taken by `text` in a fixed-width font: East Asian wide and full-width count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def write_excel(path: str | os.PathLike[str], sheets: Mapping[str, pd.DataFrame], text_columns: set[str] | None = None) -> None:
    """Writes DataFrames to an .xlsx workbook with pandas and openpyxl, one sheet each: a bold,
    frozen and filterable header row, column widths from the display width of the text (CJK
    characters count double), and every non-numeric column — grades included — stored as text."""
    try:
        import openpyxl  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ImportError("writing .xlsx needs openpyxl: pip install openpyxl") from exc
    from openpyxl.styles import Font, PatternFill

    path = os.fspath(path)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            sheet_name = str(name)[:31]
            out = frame.copy()
            for col in out.columns:
                if not pd.api.types.is_numeric_dtype(out[col]) or pd.api.types.is_bool_dtype(out[col]):
                    if pd.api.types.is_datetime64_any_dtype(out[col]):
                        out[col] = out[col].dt.strftime("%Y-%m-%d")
                    out[col] = out[col].astype(object).map(lambda v: "" if v is None or (isinstance(v, float) and v != v) else str(v))
            out.to_excel(writer, sheet_name=sheet_name, index=False)
            ws = writer.sheets[sheet_name]
            ws.freeze_panes = "A2"
            if len(out.columns):
                ws.auto_filter.ref = ws.dimensions
            fill = PatternFill("solid", fgColor="DDE7F0")
            for cell in ws[1]:
                cell.font = Font(bold=True)
                cell.fill = fill
            for k, col in enumerate(out.columns, start=1):
                texts = [str(col)] + [str(v) for v in out[col].tolist()]
                width = min(max(_display_width(t) for t in texts) + 2, _EXCEL_MAX_WIDTH)
                letter = ws.cell(row=1, column=k).column_letter
                ws.column_dimensions[letter].width = width
                if out[col].dtype == object:
                    for row in ws.iter_rows(min_row=2, min_col=k, max_col=k):
                        row[0].number_format = "@"


class GradeDirectory(pd.DataFrame):
    """The grade directory (等级评定目录, Art. 7): a DataFrame of graded operators (1A–5A) with
    their validity and provenance, as :meth:`Ratings.directory` returns it. Besides being a
    DataFrame it publishes itself: :meth:`to_html` (the printable page; ``pd.DataFrame(d).to_html()``
    gives pandas' plain table), :meth:`to_excel` and :meth:`to_csv` (Chinese headers with
    ``lang="zh"``; CSV in UTF-8 with BOM by default, for Excel)."""

    _metadata = ["_publish"]

    @property
    def _constructor(self) -> type[pd.DataFrame]:
        return pd.DataFrame  # a slice or a computed frame is a plain DataFrame

    @property
    def meta(self) -> dict[str, Any]:
        """model_id, model_version, model_label(_zh), model_fingerprint, input_hash, as_of,
        valid_to, the distribution frames and the library version."""
        return dict(self._publish)

    def localised(self, lang: str = "zh") -> pd.DataFrame:
        """A plain DataFrame with Chinese headers and mode names (``lang="zh"``)."""
        return localise(pd.DataFrame(self), lang)

    def to_html(self, path: str | os.PathLike[str] | None = None, *, lang: str = "zh") -> str | None:  # type: ignore[override]
        """The published page (a self-contained HTML document with a print stylesheet): grades by
        district and operating mode, each operator's grade and validity, the model id, version and
        fingerprint, the input hash and the evaluation date. Written to `path` (UTF-8) when given,
        else returned."""
        page = directory_html(pd.DataFrame(self), self._publish, _check_lang(lang))
        if path is None:
            return page
        with open(os.fspath(path), "w", encoding="utf-8") as f:
            f.write(page)
        return None

    def to_excel(self, path: str | os.PathLike[str], *, lang: str = "zh") -> None:  # type: ignore[override]
        """An .xlsx workbook: the directory and the distribution by district and mode."""
        zh = _check_lang(lang) == "zh"
        sheets = {("等级评定目录" if zh else "directory"): self.localised(lang)}
        dist = self._publish.get("distribution")
        if dist is not None:
            sheets["等级分布" if zh else "distribution"] = localise(dist, lang)
        write_excel(path, sheets)

    def to_csv(self, path: Any = None, *, lang: str = "en", encoding: str = "utf-8-sig", **kwargs: Any) -> str | None:  # type: ignore[override]
        """CSV of the directory; UTF-8 with BOM by default (Excel on Chinese Windows opens it
        correctly); ``encoding="gb18030"`` for older tools; Chinese headers with ``lang="zh"``."""
        frame = localise(pd.DataFrame(self), lang)
        for col in ("valid_from", "valid_to"):
            key = HEADERS_ZH[col] if lang == "zh" else col
            if key in frame.columns and pd.api.types.is_datetime64_any_dtype(frame[key]):
                frame[key] = frame[key].dt.strftime("%Y-%m-%d")
        if path is None:
            return frame.to_csv(index=False, **kwargs)
        frame.to_csv(path, index=False, encoding=encoding, **kwargs)
        return None


def make_directory(frame: pd.DataFrame, meta: dict[str, Any]) -> GradeDirectory:
    d = GradeDirectory(frame)
    d._publish = meta
    return d


def _days(v: Any) -> int:
    return int((pd.Timestamp(v) - pd.Timestamp("1970-01-01")).days)


def directory_html(frame: pd.DataFrame, meta: Mapping[str, Any], lang: str) -> str:
    """The grade directory page: the library's page (include/embedrating/directory.hpp, the
    same one ``embedrating rate --format html`` writes) over the directory frame's rows."""
    modes = display_names("modes", lang)

    def texts(col: str) -> list[str]:
        if col not in frame.columns:
            return [""] * len(frame)
        return ["" if v is None or (isinstance(v, float) and v != v) else str(v) for v in frame[col].tolist()]

    grades = []
    for op, g in zip(frame["operator_id"].tolist(), frame["grade"].tolist()):
        text = str(g)
        if len(text) != 2 or text[1] != "A" or text[0] not in "12345":
            raise ValueError(f'directory: operator "{op}" has grade {g!r}; the directory lists 1A … 5A')
        grades.append(int(text[0]))
    label = meta.get("model_label_zh") if lang == "zh" and meta.get("model_label_zh") else meta.get("model_label", "")
    page_meta = {
        "as_of": _days(meta["as_of"]), "valid_to": _days(meta["valid_to"]), "model_id": meta["model_id"],
        "model_version": meta["model_version"], "model_label": label or "", "model_fingerprint": meta["model_fingerprint"],
        "input_hash": meta["input_hash"], "library_version": meta.get("library_version", ""),
    }
    return _core.directory_page_html(
        [str(v) for v in frame["operator_id"].tolist()], texts("name"), texts("district"),
        [modes.get(m, m) for m in texts("mode")], grades, [_days(v) for v in frame["valid_to"].tolist()], page_meta, lang,
    )


def ratings_sheets(ratings: Ratings, lang: str, valid_months: int = 12) -> dict[str, pd.DataFrame]:
    """The workbook of :meth:`Ratings.to_excel`: ratings, directory, distribution."""
    zh = lang == "zh"
    labels = ratings._dimension_labels() if zh else None
    frame = localise(ratings._published_frame(), lang, labels)
    directory = ratings.directory(valid_months)
    return {
        ("评级结果" if zh else "ratings"): frame,
        ("等级评定目录" if zh else "directory"): directory.localised(lang) if zh else pd.DataFrame(directory),
        ("等级分布" if zh else "distribution"): localise(directory.meta["distribution"], lang),
    }
