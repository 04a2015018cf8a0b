"""Publishing and everyday use (issue 17): Excel in and out, CSV for Excel (BOM, GB18030),
Chinese headers and names, the grade directory page rendered to PDF, explanations of operators
that are not graded, gates without numbers, roll-forward over three cycles, calendars."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import unicodedata
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import embedrating as er
from embedrating import _core
from _helpers import SAMPLE_AS_OF, run_cli

openpyxl = pytest.importorskip("openpyxl")

BOM = b"\xef\xbb\xbf"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


# -- Excel out --------------------------------------------------------------------------------
def test_ratings_to_excel_read_back_with_openpyxl(ratings: er.Ratings, tmp_path: Path) -> None:
    path = tmp_path / "ratings.xlsx"
    ratings.to_excel(path, lang="zh")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["评级结果", "等级评定目录", "等级分布"]
    ws = wb["评级结果"]
    header = [c.value for c in ws[1]]
    assert header[:4] == ["运营商编号", "名称", "区", "运营模式"]
    assert "评定等级" in header and "安全管理得分" in header
    assert ws.freeze_panes == "A2"
    assert all(c.font.bold for c in ws[1])
    frame = ratings.to_frame()
    assert ws.max_row == len(frame) + 1
    # the grade is text, never a number or a date; names are the Chinese ones
    grade_col = header.index("评定等级") + 1
    grades = [ws.cell(row=r, column=grade_col) for r in range(2, ws.max_row + 1)]
    assert {c.data_type for c in grades} == {"s"}
    assert {c.value for c in grades} <= {"5A", "4A", "3A", "2A", "1A", "不予评级", "未参评"}
    # widths fit the widest CJK text of each column (CJK counted double)
    name_col = ws.cell(row=1, column=2).column_letter
    longest = max(_width(str(v)) for v in frame["name"])
    assert ws.column_dimensions[name_col].width >= longest
    total_col = header.index("总分") + 1
    assert isinstance(ws.cell(row=2, column=total_col).value, float)
    directory = wb["等级评定目录"]
    assert [c.value for c in directory[1]][:5] == ["运营商编号", "名称", "区", "运营模式", "评定等级"]
    assert directory.max_row == len(ratings.directory()) + 1


def test_cli_xlsx_read_back_with_openpyxl(cli: Path, sample_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "cli.xlsx"
    run_cli(cli, "rate", "--as-of", SAMPLE_AS_OF, "--format", "xlsx", "--lang", "zh", "-o", str(path))
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["评级结果", "等级评定目录", "等级分布"]
    ws = wb["评级结果"]
    header = [c.value for c in ws[1]]
    assert header[:3] == ["运营商编号", "名称", "区"]
    assert ws.freeze_panes == "A2"
    grade_col = header.index("评定等级") + 1
    cells = [ws.cell(row=r, column=grade_col) for r in range(2, ws.max_row + 1)]
    assert {c.data_type for c in cells} == {"s"}
    assert "5A" in {c.value for c in cells}
    name_col = ws.cell(row=1, column=2).column_letter
    longest = max(_width(str(ws.cell(row=r, column=2).value or "")) for r in range(2, ws.max_row + 1))
    assert ws.column_dimensions[name_col].width >= longest
    assert isinstance(ws.cell(row=2, column=header.index("总分") + 1).value, (int, float))
    # English: the same cells with English headers and codes
    en = tmp_path / "en.xlsx"
    run_cli(cli, "rate", "--as-of", SAMPLE_AS_OF, "--format", "xlsx", "-o", str(en))
    ws_en = openpyxl.load_workbook(en)["ratings"]
    assert [c.value for c in ws_en[1]][:3] == ["operator_id", "name", "district"]
    assert ws_en.max_row == ws.max_row


# -- CSV for Excel ----------------------------------------------------------------------------
def test_csv_with_bom_and_gb18030_read_back_by_pandas(ratings: er.Ratings, tmp_path: Path) -> None:
    bom = tmp_path / "bom.csv"
    ratings.to_csv(bom, lang="zh")
    assert bom.read_bytes().startswith(BOM)
    back = pd.read_csv(bom, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(back.columns[:3]) == ["运营商编号", "名称", "区"]
    gb = tmp_path / "gb.csv"
    ratings.to_csv(gb, lang="zh", encoding="gb18030")
    assert not gb.read_bytes().startswith(BOM)
    with pytest.raises(UnicodeDecodeError):
        gb.read_bytes().decode("utf-8")
    back_gb = pd.read_csv(gb, encoding="gb18030", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(back, back_gb)
    assert back["名称"].tolist() == ratings.to_frame()["name"].tolist()


def test_cli_csv_encodings_read_back_by_pandas(cli: Path, tmp_path: Path) -> None:
    auto, gb = tmp_path / "auto.csv", tmp_path / "gb.csv"
    run_cli(cli, "rate", "--as-of", SAMPLE_AS_OF, "--format", "csv", "--lang", "zh", "-o", str(auto))
    run_cli(cli, "rate", "--as-of", SAMPLE_AS_OF, "--format", "csv", "--lang", "zh", "-o", str(gb), "--output-encoding", "gb18030")
    assert auto.read_bytes().startswith(BOM)
    a = pd.read_csv(auto, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    b = pd.read_csv(gb, encoding="gb18030", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(a, b)
    assert a.columns[0] == "运营商编号" and "评定等级" in a.columns


# -- Chinese throughout -----------------------------------------------------------------------
def test_zh_frames_have_chinese_headers_and_names(ratings: er.Ratings) -> None:
    zh = ratings.to_frame(lang="zh")
    en = ratings.to_frame()
    assert list(zh.columns[:6]) == ["运营商编号", "名称", "区", "运营模式", "状态", "总分"]
    assert set(zh["运营模式"]) <= {"公共投入模式", "公建民营模式", "民办公助模式", "公民合作模式", ""}
    assert "正常运营" in set(zh["状态"])
    not_graded = en["grade"].isna()
    assert not_graded.any()
    assert set(zh.loc[not_graded, "评定等级"]) == {"未参评"}
    assert "不予评级" in set(zh["评定等级"])
    d = ratings.directory().localised("zh")
    assert list(d.columns[:5]) == ["运营商编号", "名称", "区", "运营模式", "评定等级"]
    with pytest.raises(ValueError, match="lang"):
        ratings.to_frame(lang="fr")


def test_chinese_codes_on_input_map_to_codes(model: er.Model, sample: er.Dataset) -> None:
    ops = sample.operators.copy()
    zh = ops.copy()
    zh["mode"] = zh["mode"].map({"public_investment": "公共投入", "public_built_private_run": "公建民营",
                                 "private_run_public_aided": "民办公助模式", "public_private_cooperation": "公民合作"})  # fmt: skip
    zh["status"] = zh["status"].astype(object).map({"active": "运营中", "suspending": "暂停中", "suspended": "已暂停", "terminated": "已终止"})
    zh["scenarios"] = zh["scenarios"].str.replace("elderly_care", "养老服务").str.replace("meals", "社区助餐")
    a = model.rate(er.Dataset(ops, sample.indicators, facilities=sample.facilities), as_of=SAMPLE_AS_OF)
    b = model.rate(er.Dataset(zh, sample.indicators, facilities=sample.facilities), as_of=SAMPLE_AS_OF)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    assert a.input_hash == b.input_hash


def test_plot_axes_in_chinese(ratings: er.Ratings) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # no CJK font on some machines
        ax = er.plot.grade_distribution(ratings, by="district", lang="zh")
        assert ax.get_xlabel() == "区"
        ax2 = er.plot.grade_distribution(ratings, by="mode", lang="zh")
        assert ax2.get_xlabel() == "运营模式"
        assert "公建民营模式" in [t.get_text() for t in ax2.get_xticklabels()]
        ax3 = er.plot.grade_distribution(ratings, by="district", lang="en")
        assert ax3.get_xlabel() == "district"
    plt.close("all")


# -- the directory page -----------------------------------------------------------------------
def _chromium() -> str | None:
    for name in ("chromium-headless-shell", "chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _pdf_text(html: Path, tmp_path: Path) -> str:
    chromium = _chromium()
    if chromium is None or shutil.which("pdftotext") is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs chromium and pdftotext (scripts/install-deps.sh installs them)")
        pytest.skip("no headless Chromium or pdftotext here (scripts/install-deps.sh installs them)")
    pdf = tmp_path / (html.stem + ".pdf")
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer", f"--print-to-pdf={pdf}", html.as_uri()],
        check=True, capture_output=True, timeout=240, env={**os.environ, "HOME": str(tmp_path)},
    )  # fmt: skip
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True, timeout=60).stdout
    return re.sub(r"\s+", "", text)  # a long name may wrap inside its cell


def test_directory_page_rendered_to_pdf(ratings: er.Ratings, tmp_path: Path) -> None:
    directory = ratings.directory()
    page = tmp_path / "directory.html"
    directory.to_html(page, lang="zh")
    html = page.read_text(encoding="utf-8")
    assert "@media print" in html and ratings.fingerprint in html and ratings.input_hash in html
    text = _pdf_text(page, tmp_path)
    assert "社区嵌入式服务设施运营商等级评定目录" in text
    assert "按区等级分布" in text and "按运营模式等级分布" in text
    top = directory.sort_values("grade", ascending=False).iloc[0]
    assert top["grade"] == "5A"
    names = directory["name"].tolist()
    assert str(top["name"]) in text
    assert sum(name in text for name in names) == len(names)
    assert "5A" in text and "1A" in text
    assert "公建民营模式" in text
    assert ratings.as_of.isoformat() in text


def test_cli_directory_page_rendered_to_pdf(cli: Path, ratings: er.Ratings, tmp_path: Path) -> None:
    page = tmp_path / "cli-directory.html"
    run_cli(cli, "rate", "--as-of", SAMPLE_AS_OF, "--summary", "--lang", "zh", "--directory", str(page))
    text = _pdf_text(page, tmp_path)
    assert "社区嵌入式服务设施运营商等级评定目录" in text
    names = ratings.directory()["name"].tolist()
    assert sum(name in text for name in names) == len(names)
    assert "5A" in text and ratings.fingerprint in text


def test_python_and_cli_directory_pages_are_the_same_bytes(cli: Path, ratings: er.Ratings, tmp_path: Path) -> None:
    # one renderer (include/embedrating/directory.hpp) for both: the pages are equal byte for byte
    for lang in ("zh", "en"):
        page = tmp_path / f"cli-{lang}.html"
        run_cli(cli, "rate", "--as-of", SAMPLE_AS_OF, "--summary", "--lang", lang, "--directory", str(page))
        assert ratings.directory().to_html(lang=lang) == page.read_text(encoding="utf-8"), lang
    # and the page follows its rows: a directory cut to its 5A operators lists only them
    d = ratings.directory()
    top = d[d["grade"] == "5A"]
    page = er._publish.directory_html(top, d.meta, "en")
    assert page.count('<td class="grade">5A</td>') == len(top) > 0 and '<td class="grade">4A</td>' not in page


def test_directory_refuses_bad_months_and_rows_that_are_not_graded(ratings: er.Ratings) -> None:
    with pytest.raises(ValueError, match=r"valid_months must be >= 1, got 0"):
        ratings.directory(valid_months=0)
    d = ratings.directory()
    bad = d.copy()
    bad.loc[bad.index[0], "grade"] = "unrated"
    op = bad["operator_id"].iloc[0]
    with pytest.raises(ValueError, match=f'operator "{op}" has grade .unrated.'):
        er._publish.directory_html(bad, d.meta, "zh")
    with pytest.raises(ValueError, match=r'lang must be "en" or "zh"'):
        _core.directory_page_html([], [], [], [], [], [], {"as_of": 0, "valid_to": 0}, "fr")


# -- correctness of what is shown -------------------------------------------------------------
def test_suspended_operator_explained_as_not_graded(ratings: er.Ratings) -> None:
    frame = ratings.to_frame()
    op = frame.loc[frame["status"] == "suspended", "operator_id"].iloc[0]
    en = ratings.explain(op)
    zh = ratings.explain(op, lang="zh")
    assert f"{op} — not graded (status: suspended)" in en.splitlines()[0]
    assert "final grade" not in en
    assert f"{op} — 未参评（状态：已暂停）" in zh.splitlines()[0]
    assert "最终等级" not in zh
    html_en = ratings.explanation(op)._repr_html_()
    html_zh = ratings.explanation(op, lang="zh")._repr_html_()
    assert "not graded (status: suspended)" in html_en and "final grade" not in html_en
    assert "未参评（状态：已暂停）" in html_zh and "最终等级" not in html_zh


def test_gates_without_a_number_are_nan(ratings: er.Ratings) -> None:
    seen = False
    for op in ratings.operator_ids[:300]:
        g = ratings.gates(op)
        pre = g[g["kind"].isin(["prerequisite", "veto", "status"])]
        if len(pre):
            seen = True
            assert pre[["required", "actual", "shortfall"]].isna().all().all()
        tot = g[g["kind"] == "total"]
        assert tot["shortfall"].notna().all()
    assert seen


def test_explanation_rules_cite_articles_in_chinese_with_basis(ratings: er.Ratings) -> None:
    e = ratings.explanation("WH-JA-0015", lang="zh")
    assert len(e.rules)
    assert all(not s.startswith("Art.") for s in e.rules["source"])
    assert any("第十七条" in s for s in e.rules["source"])
    assert all(b for b in e.rules["basis"])
    en = ratings.explanation("WH-JA-0015")
    assert any("Art. 17" in s for s in en.rules["source"])


def test_explanation_indicators_and_gates_show_source_and_basis(model: er.Model, ratings: er.Ratings) -> None:
    nodes = model.indicators.set_index("id")
    for lang in ("en", "zh"):
        e = ratings.explanation("WH-JA-0015", lang=lang)
        c = e.contributions.set_index("id")
        assert list(e.contributions.columns[-2:]) == ["source", "basis"]
        for node in ("safety", "fire_inspection", "food_safety", "satisfaction_index"):
            source, basis = nodes.loc[node, "source"], nodes.loc[node, "basis"]
            assert c.loc[node, "source"] == (_core.cite_articles_zh(source) if lang == "zh" else source)
            assert c.loc[node, "basis"] == (_core.cite_articles_zh(basis) if lang == "zh" else basis)
        assert (c["source"] != "").all() and (c["basis"] != "").all()
        if lang == "zh":
            assert c.loc["fire_inspection", "source"] == "第十一条、第十七条"
        html = e._repr_html_()
        assert c.loc["food_safety", "basis"] in html
    # every gate of every operator names what sets it: the grade, prerequisite, rule or history settings
    kinds = set()
    for op in ratings.operator_ids[:120]:
        g = ratings.explanation(op).gates
        assert list(g.columns[-2:]) == ["source", "basis"]
        assert (g["source"] != "").all() and (g["basis"] != "").all(), g[g["source"] == ""]
        kinds.update(g["kind"])
    assert {"total", "dimension_ratio", "prerequisite", "history"} <= kinds
    total = next(
        g for g in (ratings.explanation(op).gates for op in ratings.operator_ids) if (g["kind"] == "total").any()
    )
    row = total[total["kind"] == "total"].iloc[0]
    import tomllib

    entry = next(g for g in tomllib.loads(model.to_toml())["grades"] if g["grade"] == row["grade"])
    assert (row["source"], row["basis"]) == (entry["source"], entry["basis"])  # the grade's, not an article's


def test_every_item_of_the_shipped_model_has_source_and_basis(model: er.Model) -> None:
    nodes = model.indicators
    assert (nodes["source"] != "").all() and (nodes["basis"] != "").all(), nodes.loc[nodes["basis"] == "", "id"].tolist()
    rules = model.rules
    assert (rules["source"] != "").all() and (rules["basis"] != "").all(), rules.loc[rules["basis"] == "", "id"].tolist()
    # an article is never the basis of a judgement number: sources cite articles only
    import re

    for s in [*nodes["source"], *rules["source"]]:
        assert re.fullmatch(r"Art\. \d+(\(\d+\))?(, Art\. \d+(\(\d+\))?)*", s), s


def test_scenario_mix_counts_only_art3_scenarios(model: er.Model) -> None:
    import csv

    with open(Path(er.data_directory()) / "catalogue" / "scenarios.csv", encoding="utf-8-sig") as f:
        marked = [r["code"] for r in csv.DictReader(f) if r["art3_scene"]]
    assert "scenarios.art3" in model.to_toml()
    toml = model.to_toml()
    block = toml[toml.index("[[scenario_sets]]") :]
    for code in marked:
        assert f'"{code}"' in block
    base = {"fire_inspection_score": 95, "service_volume_ratio": 1}
    art3 = model.blank_operator("A", scenarios=["elderly_care", "infant_care", "meals", "housekeeping"], **base)
    more = model.blank_operator("B", scenarios=["elderly_care", "infant_care", "meals", "housekeeping", "parking", "retail"], **base)
    a = model.rate(pd.concat([art3, more], ignore_index=True), as_of=SAMPLE_AS_OF)
    s = a.indicator_score[:, list(model.weights.index).index("scenario_mix")]
    assert s[0] == s[1] == 0.8  # 4 Art. 3 scenarios either way: parking and retail do not count


# -- the next cycle ---------------------------------------------------------------------------
def test_roll_forward_over_three_cycles_follows_the_history_rules(model: er.Model, sample: er.Dataset) -> None:
    ops = sample.operators.copy()
    dates = ["2025-06-30", "2025-12-31", "2026-06-30"]
    previous = None
    for k, as_of in enumerate(dates):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", er.RatingWarning)
            r = model.rate(er.Dataset(ops, sample.indicators, facilities=sample.facilities), as_of=as_of)
        frame = r.to_frame().set_index("operator_id")
        hist = r.roll_forward() if k == 0 else er.roll_forward(r, previous)
        h = hist.set_index("operator_id")
        for op, row in frame.iterrows():
            if row["status"] == "active":
                assert h.at[op, "previous_grade"] == row["grade"]
                assert h.at[op, "previous_rated_on"] == pd.Timestamp(as_of)
                prev = ops.set_index("operator_id").at[op, "previous_grade"] if "previous_grade" in ops else None
                if k > 0 and isinstance(prev, str) and prev and er.GRADES.index(str(row["grade"])) < er.GRADES.index(prev):
                    assert h.at[op, "last_downgrade_on"] == pd.Timestamp(as_of)  # a downgrade is recorded
                # the history rules held in this cycle: at most one level above the previous grade
                if k > 0 and isinstance(prev, str) and prev:
                    assert er.GRADES.index(str(row["grade"])) <= er.GRADES.index(prev) + 1
            else:  # not graded: the history is carried over unchanged
                old = previous.set_index("operator_id") if previous is not None else ops.set_index("operator_id")
                if op in old.index and "previous_grade" in old.columns:
                    a, b = old.at[op, "previous_grade"], h.at[op, "previous_grade"]
                    assert (pd.isna(a) or a == "") and pd.isna(b) or str(a) == str(b)
        previous = hist
        ops = er.with_history(ops, hist)
    # the C++ CLI gives the same history from the CSV of the same ratings
    assert list(hist.columns) == ["operator_id", "previous_grade", "previous_rated_on", "last_downgrade_on"]


def test_cli_roll_forward_matches_python(cli: Path, model: er.Model, sample: er.Dataset, tmp_path: Path) -> None:
    rated = tmp_path / "ratings.csv"
    run_cli(cli, "rate", "--as-of", SAMPLE_AS_OF, "--format", "csv", "-o", str(rated))
    out = tmp_path / "history.csv"
    run_cli(cli, "roll-forward", str(rated), "--as-of", SAMPLE_AS_OF, "-o", str(out))
    got = pd.read_csv(out, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    r = model.rate(sample, as_of=SAMPLE_AS_OF)
    want = r.roll_forward()
    assert got["operator_id"].tolist() == want["operator_id"].tolist()
    assert got["previous_grade"].tolist() == [("" if pd.isna(g) else str(g)) for g in want["previous_grade"]]
    assert got["previous_rated_on"].tolist() == [("" if pd.isna(d) else d.strftime("%Y-%m-%d")) for d in want["previous_rated_on"]]


# -- calendars --------------------------------------------------------------------------------
def _events() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "review_id": ["1", "2"], "revision": [1, 1], "operator_id": ["WH-JA-0001", "WH-JA-0001"],
            "reviewer_id": ["U1", "U2"], "time": ["2026-12-24T10:00:00+08:00", "2026-11-02T10:00:00+08:00"],
            "level": [1, 5], "status": ["valid", "valid"],
        }
    )  # fmt: skip


def test_calendar_file_and_weekends_only_fallback(model: er.Model, sample: er.Dataset, tmp_path: Path) -> None:
    agg = er.ReviewAggregator(sample, model).add(_events())
    with pytest.raises(er.DataError, match=r"covers 2024-01-01\.\.2026-12-31.*calendar=path.*weekends-only"):
        agg.summary("2027-01-31")
    cal = tmp_path / "cal.csv"
    cal.write_text("date,kind,name_zh\n2026-01-01,off,元旦\n2027-01-01,off,元旦\n", encoding="utf-8")
    s = agg.summary("2027-01-31", calendar=cal).set_index("operator_id")
    assert s.at["WH-JA-0001", "bad_overdue"] == 1
    with pytest.warns(er.RatingWarning, match="weekends-only"):
        w = agg.summary("2027-01-31", calendar="weekends-only").set_index("operator_id")
    assert w.at["WH-JA-0001", "bad_overdue"] == 1
    # 15 working days after Thu 2026-12-24: with New Year's Day off 2027-01-15, weekends only 2027-01-14
    c = er.HolidayCalendar.load(str(cal))
    assert er.HolidayCalendar.weekdays_only().add_working_days(20811, 15) == 20811 + 21
    assert c.add_working_days(20811, 15) == 20811 + 22
    bad = tmp_path / "bad.csv"
    bad.write_text("date,kind\n2027-01-01,holiday\n", encoding="utf-8")
    with pytest.raises(er.DataError, match=r"bad\.csv:2"):
        agg.summary("2027-01-31", calendar=bad)
    ds = er.Dataset(sample.operators, sample.indicators, reviews=_events(), facilities=sample.facilities)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", er.RatingWarning)
        r = model.rate(ds, as_of="2027-01-31", calendar=cal)
    assert len(r) == len(sample.operators)


# -- analyst ergonomics -----------------------------------------------------------------------
def test_with_review_settings(model: er.Model) -> None:
    m = model.with_review_settings(min_count=20, service_record_only=True)
    assert m.review_settings["min_count"] == 20 and m.review_settings["service_record_only"] is True
    assert m.fingerprint != model.fingerprint
    assert model.with_review_settings(min_count=model.review_settings["min_count"]).fingerprint == model.fingerprint
    with pytest.raises(er.ModelError, match="unknown setting"):
        model.with_review_settings(min_cnt=20)
    with pytest.raises(er.ModelError, match="reviews.period"):
        model.with_review_settings(period="week")


def test_blank_operator_and_template_are_explicit(model: er.Model, tmp_path: Path) -> None:
    row = model.blank_operator("X", fire_inspection_score=92, scenarios=["elderly_care", "meals", "housekeeping"])
    assert len(row) == 1 and row.at[0, "operator_id"] == "X" and row.at[0, "status"] == "active"
    for flag in ("credit_blacklist", "subsidy_fraud", "other_illegal_act"):
        assert flag in row.columns and row.at[0, flag] is np.False_ or row.at[0, flag] is False
    assert row.at[0, "scenarios"] == "elderly_care;meals;housekeeping"
    assert np.isnan(row.at[0, "special_equipment_on_time"])
    with pytest.raises(KeyError, match="not an input column"):
        model.blank_operator(fire_score=1)
    vetoed = model.blank_operator("V", credit_blacklist=True)
    r = model.rate(pd.concat([row, vetoed], ignore_index=True), as_of=SAMPLE_AS_OF)
    assert r.to_frame()["terminate"].tolist() == [False, True]
    t = er.Dataset.template(model, operators=3)
    assert t["operator_id"].tolist() == ["OP-0001", "OP-0002", "OP-0003"]
    assert list(t.columns) == list(row.columns)


def test_bayesian_average_on_any_scale() -> None:
    # star averages: 12 reviews averaging 4.2, prior 4.0 with weight 30
    got = er.reviews.bayesian_average(4.2 * 12, 12, prior_mean=4.0, prior_weight=30, scale=(1, 5))
    assert got == pytest.approx((4.2 * 12 + 30 * 4.0) / 42)
    idx = er.reviews.bayesian_average(np.array([85.0 * 10, 0.0]), np.array([10.0, 0.0]), 80, 30, scale=(0, 100))
    assert idx == pytest.approx([(850 + 2400) / 40, 80])
    assert er.reviews.bayesian_average(9, 10, 0.9, 30) == pytest.approx(36 / 40)  # shares as before
    with pytest.raises(er.DataError, match="prior_mean"):
        er.reviews.bayesian_average(40, 10, 6.0, 5, scale=(1, 5))
    with pytest.raises(er.DataError, match="sum of n"):
        er.reviews.bayesian_average(60, 10, 4.0, 5, scale=(1, 5))


def test_fit_beta_prior_names_both_moment_conventions() -> None:
    good = np.array([8.0, 15.0, 3.0, 40.0, 9.0, 27.0])
    n = np.array([10.0, 20.0, 10.0, 50.0, 10.0, 30.0])
    unweighted = er.reviews.fit_beta_prior(good, n, method="moments_unweighted")
    p = good / n
    mu, var = p.mean(), p.var(ddof=1)  # R's ebbr method = "mm"
    assert unweighted.method == "moments_unweighted"
    assert unweighted.alpha + unweighted.beta == pytest.approx(mu * (1 - mu) / var - 1)
    assert unweighted.mean == pytest.approx(mu)
    kleinman = er.reviews.fit_beta_prior(good, n, method="method_of_moments")
    assert er.reviews.fit_beta_prior(good, n, method="kleinman").alpha == kleinman.alpha
    assert er.reviews.fit_beta_prior(good, n, method="ebbr").alpha == unweighted.alpha
    assert kleinman.alpha != unweighted.alpha
    with pytest.raises(er.DataError, match="moments_unweighted"):
        er.reviews.fit_beta_prior(good, n, method="nope")


def test_as_of_forms(model: er.Model, sample: er.Dataset, ratings: er.Ratings) -> None:
    ts = pd.Timestamp(SAMPLE_AS_OF)
    for form in (str(ts), ts, ts.to_pydatetime(), np.datetime64(SAMPLE_AS_OF), "2025-12-31T00:00:00"):
        assert model.rate(sample, as_of=form).input_hash == ratings.input_hash
    for aware in (pd.Timestamp("2025-12-31 23:30", tz="Asia/Shanghai"), "2025-12-31 00:00:00+08:00"):
        with pytest.raises(er.DataError, match="time zone|time-zone"):
            model.rate(sample, as_of=aware)


def test_rejects_list_only_kinds_that_occurred(model: er.Model, sample: er.Dataset) -> None:
    agg = er.ReviewAggregator(sample, model).add(_events())
    assert len(agg.rejects) == 0
    bad = _events().assign(level=[9, 5])
    agg.add(bad.assign(review_id=["3", "4"]))
    assert agg.rejects.index.tolist() == ["bad_level"]


def test_dir_shows_only_the_public_api() -> None:
    for name in dir(er):
        assert name in er.__all__ or name == "plot", name
    assert "annotations" not in dir(er) and "np" not in dir(er.plot) and "annotations" not in dir(er.plot)
    assert set(dir(er.plot)) == set(er.plot.__all__)


# -- Excel in ---------------------------------------------------------------------------------
def test_dataset_from_excel_goes_through_the_same_validation(model: er.Model, sample: er.Dataset, ratings: er.Ratings, tmp_path: Path) -> None:
    path = tmp_path / "inputs.xlsx"
    ops = sample.operators.copy()
    zh_headers = ops.rename(columns={"operator_id": "运营商编号", "district": "区", "mode": "运营模式", "status": "状态"})
    zh_headers["运营模式"] = zh_headers["运营模式"].map({"public_built_private_run": "公建民营"}).fillna(zh_headers["运营模式"])
    with pd.ExcelWriter(path, engine="openpyxl") as w:
        zh_headers.to_excel(w, sheet_name="运营商", index=False)
        sample.indicators.to_excel(w, sheet_name="indicators", index=False)
        sample.facilities.to_excel(w, sheet_name="设施", index=False)
    ds = er.Dataset.from_excel(path)
    got = model.rate(ds, as_of=SAMPLE_AS_OF)
    pd.testing.assert_frame_equal(got.to_frame(), ratings.to_frame())
    # a bad cell: the same error as a DataFrame, naming the workbook and sheet
    bad = zh_headers.copy()
    bad.loc[3, "状态"] = "营业"
    bad_path = tmp_path / "bad.xlsx"
    bad.to_excel(bad_path, sheet_name="运营商", index=False)
    with pytest.raises(er.DataError, match=r"bad\.xlsx\[运营商\].*status.*营业"):
        model.rate(er.Dataset.from_excel(bad_path), as_of=SAMPLE_AS_OF)
    with pytest.raises(er.DataError, match="no sheet"):
        er.Dataset.from_excel(path, operators="nope")


def test_template_round_trips_through_excel(model: er.Model, tmp_path: Path) -> None:
    t = er.Dataset.template(model, operators=["1001", "1002"], fire_inspection_score=90)
    path = tmp_path / "template.xlsx"
    t.to_excel(path, index=False, sheet_name="operators")
    ds = er.Dataset.from_excel(path)
    assert ds.operators["operator_id"].tolist() == ["1001", "1002"]
    r = model.rate(ds, as_of=SAMPLE_AS_OF)
    assert len(r) == 2
