"""Publishing results the way analysts use them: Chinese headers and names (``lang="zh"``),
Excel workbooks (openpyxl: frozen header, column widths for CJK text, grades as text), CSV that
Excel on Chinese Windows opens (UTF-8 with BOM), and the grade directory (等级评定目录, Art. 7) as
a printable HTML page. The same headers and page as the CLI (``cli/report_sheets.cpp``,
``cli/output_html.cpp``)."""

from __future__ import annotations

import html
import os
import unicodedata
from collections.abc import Mapping
from typing import Any

import pandas as pd

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


_STYLE = """
:root { --ink: #1d2733; --rule: #c9d3dd; --head: #eef3f8; }
body { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif;
       color: var(--ink); margin: 2rem auto; max-width: 68rem; padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.5rem; margin: 0 0 .3rem; }
h2 { font-size: 1.15rem; margin: 1.6rem 0 .5rem; border-bottom: 2px solid var(--ink); padding-bottom: .2rem; }
.basis { margin: 0 0 1rem; color: #4a5866; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: 0; font-size: .92rem; }
dl.meta dt { font-weight: 600; }
dl.meta dd { margin: 0; }
code { font-family: "Noto Sans Mono CJK SC", "DejaVu Sans Mono", monospace; font-size: .85em; word-break: break-all; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
th, td { border: 1px solid var(--rule); padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: var(--head); }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
td.grade { font-weight: 700; white-space: nowrap; }
table.directory td, table.directory th { white-space: nowrap; }
.summary { display: flex; gap: 2rem; flex-wrap: wrap; }
.summary table { width: auto; }
footer { margin-top: 2rem; font-size: .8rem; color: #4a5866; }
@media print {
  @page { size: A4; margin: 14mm 12mm; }
  body { margin: 0; max-width: none; font-size: 10pt; }
  table.directory { font-size: 9pt; }
  table.directory td, table.directory th { padding: .15rem .35rem; }
  h2 { break-after: avoid; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
  th { background: none; }
}
"""

_WORDS = {
    "en": {
        "title": "Grade directory of community-embedded service facility operators",
        "basis": "Published under the Wuhan measures for community-embedded service facilities (2024 trial), Art. 7 and Art. 17.",
        "as_of": "Evaluation date", "validity": "Valid", "model": "Model", "fingerprint": "Model fingerprint",
        "input_hash": "Input hash", "operators": "Graded operators", "by_district": "Grades by district",
        "by_mode": "Grades by operating mode", "list": "Operators by grade", "grade": "Grade", "id": "Operator",
        "name": "Name", "district": "District", "mode": "Operating mode", "valid_to": "Valid until", "total": "Total",
        "none": "(none)", "generated": "Generated by embedrating", "empty": "No operator holds a grade of 1A or above.",
    },
    "zh": {
        "title": "社区嵌入式服务设施运营商等级评定目录",
        "basis": "依据《武汉市社区嵌入式服务设施运营管理办法（试行）》第七条、第十七条发布。",
        "as_of": "评定日期", "validity": "有效期", "model": "评定模型", "fingerprint": "模型指纹",
        "input_hash": "输入数据哈希", "operators": "入选运营商", "by_district": "按区等级分布",
        "by_mode": "按运营模式等级分布", "list": "运营商名录（按等级）", "grade": "等级", "id": "运营商编号",
        "name": "名称", "district": "区", "mode": "运营模式", "valid_to": "有效期至", "total": "合计",
        "none": "（未填）", "generated": "由 embedrating 生成", "empty": "没有运营商获得 1A 及以上等级。",
    },
}


def _date_text(v: Any) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    return pd.Timestamp(v).strftime("%Y-%m-%d")


def directory_html(frame: pd.DataFrame, meta: Mapping[str, Any], lang: str) -> str:
    """The grade directory page (pure function of the directory frame and its provenance)."""
    w = _WORDS[lang]
    e = html.escape
    modes = display_names("modes", lang)
    rows = []
    for r in frame.itertuples(index=False):
        mode = getattr(r, "mode", "") or ""
        rows.append(
            {
                "id": str(r.operator_id),
                "name": str(getattr(r, "name", "") or ""),
                "district": str(getattr(r, "district", "") or ""),
                "mode": modes.get(mode, mode),
                "grade": str(r.grade),
                "valid_to": _date_text(r.valid_to),
            }
        )
    rows.sort(key=lambda x: (-int(x["grade"][0]), x["district"], x["id"]))
    as_of = _date_text(meta["as_of"])
    label = meta.get("model_label_zh") if lang == "zh" and meta.get("model_label_zh") else meta.get("model_label", "")
    out = [
        f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{e(w['title'])} · {as_of}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n",
        f"<header>\n<h1>{e(w['title'])}</h1>\n<p class=\"basis\">{e(w['basis'])}</p>\n<dl class=\"meta\">\n",
    ]

    def meta_row(k: str, v: str) -> None:
        out.append(f"<dt>{e(k)}</dt><dd>{v}</dd>\n")

    meta_row(w["as_of"], as_of)
    meta_row(w["validity"], f"{as_of} – {_date_text(meta['valid_to'])}")
    meta_row(w["model"], e(f"{meta['model_id']} {meta['model_version']}" + (f" · {label}" if label else "")))
    meta_row(w["fingerprint"], f"<code>{e(meta['model_fingerprint'])}</code>")
    meta_row(w["input_hash"], f"<code>{e(meta['input_hash'])}</code>")
    meta_row(w["operators"], str(len(rows)))
    out.append("</dl>\n</header>\n<div class=\"summary\">\n")
    for key, heading, first in (("district", w["by_district"], w["district"]), ("mode", w["by_mode"], w["mode"])):
        counts: dict[str, list[int]] = {}
        for r in rows:
            counts.setdefault(r[key], [0] * 6)[int(r["grade"][0])] += 1
        out.append(f"<section>\n<h2>{e(heading)}</h2>\n<table>\n<thead><tr><th>{e(first)}</th>")
        out.extend(f'<th class="n">{g}A</th>' for g in range(5, 0, -1))
        out.append(f'<th class="n">{e(w["total"])}</th></tr></thead>\n<tbody>\n')
        total = [0] * 6
        for k in sorted(counts):
            c = counts[k]
            out.append(f"<tr><td>{e(k or w['none'])}</td>")
            out.extend(f'<td class="n">{c[g]}</td>' for g in range(5, 0, -1))
            out.append(f'<td class="n">{sum(c)}</td></tr>\n')
            total = [a + b for a, b in zip(total, c)]
        out.append(f"<tr><th>{e(w['total'])}</th>")
        out.extend(f'<th class="n">{total[g]}</th>' for g in range(5, 0, -1))
        out.append(f'<th class="n">{len(rows)}</th></tr>\n</tbody>\n</table>\n</section>\n')
    out.append(f"</div>\n<section>\n<h2>{e(w['list'])}</h2>\n")
    if not rows:
        out.append(f"<p>{e(w['empty'])}</p>\n")
    else:
        out.append(
            f'<table class="directory">\n<thead><tr><th class="n">#</th><th>{e(w["grade"])}</th><th>{e(w["id"])}</th>'
            f"<th>{e(w['name'])}</th><th>{e(w['district'])}</th><th>{e(w['mode'])}</th><th>{e(w['valid_to'])}</th></tr></thead>\n<tbody>\n"
        )
        for k, r in enumerate(rows, start=1):
            out.append(
                f'<tr><td class="n">{k}</td><td class="grade">{e(r["grade"])}</td><td class="id">{e(r["id"])}</td><td class="name">{e(r["name"])}</td>'
                f"<td>{e(r['district'] or w['none'])}</td><td>{e(r['mode'] or w['none'])}</td><td class=\"date\">{e(r['valid_to'])}</td></tr>\n"
            )
        out.append("</tbody>\n</table>\n")
    out.append("</section>\n")
    out.append(
        f"<footer>{e(w['generated'])} {e(meta.get('library_version', ''))} · {e(w['model'])} "
        f"{e(str(meta['model_id']) + ' ' + str(meta['model_version']))} · {e(w['as_of'])} {as_of}</footer>\n</body>\n</html>\n"
    )
    return "".join(out)


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
