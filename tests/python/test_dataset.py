"""Dataset: DataFrames and arrays in, the same C++ dataset as the CSV readers build, errors."""

from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import embedrating as er
from _helpers import SAMPLE_AS_OF


@pytest.fixture(scope="module")
def csv_hash(model: er.Model, sample_dir: Path) -> str:
    return er.Dataset.from_csv(sample_dir / "operators.csv", sample_dir / "facilities.csv", model=model).input_hash(model)


def _rebuilt(sample: er.Dataset, operators=None, indicators=None, facilities=None, **kw) -> er.Dataset:  # type: ignore[no-untyped-def]
    return er.Dataset(
        sample.operators if operators is None else operators,
        sample.indicators if indicators is None else indicators,
        None,
        sample.facilities if facilities is None else facilities,
        **kw,
    )


def test_frames_build_the_dataset_the_csv_readers_build(sample: er.Dataset, model: er.Model, csv_hash: str) -> None:
    assert sample.input_hash(model) == csv_hash
    assert len(sample) == 300
    assert {"operator_id", "status", "scenarios", "district"} <= set(sample.operators.columns)
    assert {"stars_1", "funds_audit"} <= set(sample.indicators.columns)
    assert isinstance(sample.reviews, pd.DataFrame) and len(sample.reviews) == 41313
    assert sample.benchmark is not None and len(sample.benchmark) == 40


def test_one_wide_frame_or_a_mapping_of_arrays(sample: er.Dataset, model: er.Model, csv_hash: str) -> None:
    wide = sample.operators.merge(sample.indicators, on="operator_id")
    assert er.Dataset(wide, wide, facilities=sample.facilities).input_hash(model) == csv_hash
    assert er.Dataset(wide, facilities=sample.facilities).input_hash(model) == csv_hash
    as_arrays = {c: wide[c].to_numpy() for c in wide.columns}
    assert er.Dataset(as_arrays, facilities=sample.facilities).input_hash(model) == csv_hash
    indexed = sample.operators.set_index("operator_id")
    assert _rebuilt(sample, operators=indexed).input_hash(model) == csv_hash


def test_indicators_are_aligned_by_operator_id(sample: er.Dataset, model: er.Model, csv_hash: str) -> None:
    shuffled = sample.indicators.sample(frac=1.0, random_state=7)
    assert _rebuilt(sample, indicators=shuffled).input_hash(model) == csv_hash


def test_column_types_are_read_alike(sample: er.Dataset, model: er.Model, csv_hash: str) -> None:
    ops = sample.operators.copy()
    veto = er._core.catalogue()["veto_flags"]
    ops[veto[0]] = ops[veto[0]].astype(bool)  # bool flags
    ops[veto[1]] = ops[veto[1]].map({0: "否", 1: "是"})  # text flags
    ops["opened_on"] = pd.to_datetime(ops["opened_on"])  # datetime64
    ops["last_penalty_on"] = [None if pd.isna(x) else datetime.date.fromisoformat(x) for x in ops["last_penalty_on"]]
    ops["scenarios"] = ops["scenarios"].str.split(";")  # lists of codes
    ops["status"] = ops["status"].astype("category")
    ops["previous_grade"] = pd.Categorical(ops["previous_grade"], categories=list(er.GRADES), ordered=True)
    ind = sample.indicators.copy()
    ind["stars_5"] = ind["stars_5"].astype("Int64")  # nullable integers
    ind["funds_audit"] = ind["funds_audit"].astype("category")
    assert _rebuilt(sample, operators=ops, indicators=ind).input_hash(model) == csv_hash


def test_missing_required_columns_are_listed(sample: er.Dataset, model: er.Model) -> None:
    ops = sample.operators.drop(columns=["fire_auto_fail", "scenarios"])
    ind = sample.indicators.drop(columns=["funds_audit"])
    ds = _rebuilt(sample, operators=ops, indicators=ind)
    with pytest.raises(er.DataError) as info:
        model.rate(ds, as_of=SAMPLE_AS_OF)
    msg = str(info.value)
    assert msg.startswith("DataFrame: missing required columns for model wuhan-2024: ")
    for name in ("flag.fire_auto_fail", "raw.funds_audit", "scenarios"):
        assert name in msg


def test_unexpected_columns_are_listed(sample: er.Dataset, model: er.Model) -> None:
    ops = sample.operators.assign(colour="red", shoe_size=42)
    with pytest.raises(er.DataError, match=r'unknown columns "colour", "shoe_size" \(not a measure, flag, date, review column or attribute of model wuhan-2024\)'):
        _rebuilt(sample, operators=ops, model=model)
    fac = sample.facilities.assign(paint="blue")
    with pytest.raises(er.DataError, match='unknown column "paint"'):
        _rebuilt(sample, facilities=fac).validate(model)
    both = sample.indicators.assign(district="x")
    with pytest.raises(er.DataError, match=r'DataFrame \(indicators\): district: column "district" is given twice \(also in DataFrame\)'):
        _rebuilt(sample, indicators=both).validate(model)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("status", "open", 'status: operator WH-JA-0001: unknown status "open"'),
        ("fire_auto_fail", 2, 'fire_auto_fail: operator WH-JA-0001: a flag is 0 or 1 (true/false), got "2"'),
        ("opened_on", "2025-02-30", 'opened_on: operator WH-JA-0001: "2025-02-30" is not a date YYYY-MM-DD'),
        ("scenarios", "elderly_care;moon_base", 'scenarios: operator WH-JA-0001: unknown scenario "moon_base"'),
        ("mode", "lottery", 'mode: operator WH-JA-0001: unknown operating mode "lottery"'),
        ("previous_grade", "6A", 'previous_grade: operator WH-JA-0001: "6A" is not a grade'),
    ],
)
def test_bad_operator_values(sample: er.Dataset, model: er.Model, column: str, value: object, message: str) -> None:
    ops = sample.operators.copy()
    ops[column] = ops[column].astype(object)
    ops.loc[0, column] = value
    with pytest.raises(er.DataError) as info:
        _rebuilt(sample, operators=ops).validate(model)
    assert message in str(info.value)
    assert info.value.operator_id == "WH-JA-0001"
    assert info.value.field == column


def test_bad_indicator_values(sample: er.Dataset, model: er.Model) -> None:
    ind = sample.indicators.copy()
    ind.loc[3, "stars_2"] = np.nan  # missing, as an empty CSV cell
    with pytest.raises(er.DataError, match=r"row 3: stars_2: operator WH-JA-0004: a review count cannot be empty \(write 0\)"):
        _rebuilt(sample, indicators=ind).validate(model)
    ind = sample.indicators.copy()
    ind["bad_open"] = ind["bad_open"].astype(np.float64)
    ind.loc[3, "bad_open"] = 1.5
    with pytest.raises(er.DataError, match='bad_open: operator WH-JA-0004: "1.5" is not a whole number'):
        _rebuilt(sample, indicators=ind).validate(model)
    ind = sample.indicators.copy()
    ind["funds_audit"] = ind["funds_audit"].astype(object)
    ind.loc[3, "funds_audit"] = "spotless"
    with pytest.raises(er.DataError, match=r'funds_audit: operator WH-JA-0004: "spotless" is not a level of funds_audit \(allowed: clean, minor, major\)'):
        _rebuilt(sample, indicators=ind).validate(model)
    fac = sample.facilities.copy()
    fac.loc[0, "fire_rectified_on_time"] = np.inf
    with pytest.raises(er.DataError, match=r'DataFrame \(facilities\): row 0: fire_rectified_on_time: operator WH-JA-0001: facility "WH-JA-0001-01": "inf" is not a decimal number'):
        _rebuilt(sample, facilities=fac).validate(model)
    fac = sample.facilities.copy()
    fac.loc[0, "fire_inspection_score"] = 130
    with pytest.raises(er.DataError, match=r'row 0: fire_inspection_score: operator WH-JA-0001: facility "WH-JA-0001-01": value 130 is outside the allowed range \[0, 100\] \(points 0-100\)'):
        model.rate(_rebuilt(sample, facilities=fac), as_of=SAMPLE_AS_OF)
    ind = sample.indicators.copy()
    ind["funds_audit"] = ind["funds_audit"].astype(object)
    fac = sample.facilities.copy()
    fac["food_grade"] = fac["food_grade"].astype(object)
    fac.loc[1, "food_grade"] = "D"
    with pytest.raises(er.DataError, match='operator WH-JA-0001: facility "WH-JA-0001-02": "D" is not a level of food_grade'):
        _rebuilt(sample, facilities=fac).validate(model)


def test_bad_ids(sample: er.Dataset, model: er.Model) -> None:
    ops = sample.operators.copy()
    ops.loc[5, "operator_id"] = ops.loc[4, "operator_id"]
    with pytest.raises(er.DataError, match=r'DataFrame: row 5: operator_id: operator WH-JA-0005: duplicate operator id "WH-JA-0005" \(first at row 4\)'):
        er.Dataset(ops, sample.indicators, None, sample.facilities).validate(model)
    with pytest.raises(er.DataError, match=r"operator_id: operators of DataFrame without a row in DataFrame \(indicators\): WH-JA-0001"):
        _rebuilt(sample, indicators=sample.indicators.iloc[1:]).validate(model)
    with pytest.raises(er.DataError, match="operator_id: missing required column"):
        er.Dataset(sample.operators.drop(columns="operator_id")).validate(model)
    fac = sample.facilities.copy()
    fac.loc[0, "operator_id"] = "WH-XX-9999"
    with pytest.raises(er.DataError, match="operator WH-XX-9999: facility .* belongs to an operator that is not in"):
        _rebuilt(sample, facilities=fac).validate(model)
    with pytest.raises(er.DataError, match="has no operator rows"):
        er.Dataset(sample.operators.iloc[:0]).validate(model)


def test_gb18030_csv_reads_like_utf8(sample_dir: Path, tmp_path: Path, model: er.Model, csv_hash: str) -> None:
    for name in ("operators.csv", "facilities.csv"):
        (tmp_path / name).write_bytes((sample_dir / name).read_text(encoding="utf-8").encode("gb18030"))
    ds = er.Dataset.from_csv(tmp_path / "operators.csv", tmp_path / "facilities.csv")
    assert ds.input_hash(model) == csv_hash
    # the exported frames hold the same data: rebuilding from them gives the same dataset
    again = er.Dataset(ds.operators, ds.indicators, None, ds.facilities)
    assert again.input_hash(model) == csv_hash
    assert ds.to_frame(model).shape[0] == 300


def test_csv_errors_name_file_line_and_column(sample_dir: Path, tmp_path: Path) -> None:
    lines = (sample_dir / "operators.csv").read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace(",active,", ",sleeping,", 1)
    bad = tmp_path / "operators.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(er.DataError) as info:
        er.Dataset.from_csv(bad)
    assert str(info.value).startswith(f"{bad}:4:7: status: operator WH-JA-0003: unknown status")
    assert (info.value.line, info.value.column) == (4, 7)


def _as(kind: str, values: pd.Series) -> object:
    """A text column in one of the forms Dataset reads: pandas str, object, category, numpy
    unicode array, list."""
    if kind == "str":
        return values.astype("str")
    if kind == "object":
        return values.astype(object)
    if kind == "category":
        return values.astype("category")
    if kind == "numpy":
        return np.array(values.fillna("").tolist())
    return values.tolist()


TEXT_FORMS = ["str", "object", "category", "numpy", "list"]


@pytest.mark.parametrize("kind", TEXT_FORMS)
def test_text_columns_in_every_form_build_the_same_dataset(sample: er.Dataset, model: er.Model, csv_hash: str,
                                                           kind: str) -> None:  # fmt: skip
    ops = {c: sample.operators[c] for c in sample.operators.columns}
    ind = {c: sample.indicators[c] for c in sample.indicators.columns}
    for name in ("operator_id", "status", "scenarios", "previous_grade", "district", "mode"):
        ops[name] = _as(kind, sample.operators[name])
    for name in ("funds_audit", "supervision_cooperation"):
        ind[name] = _as(kind, sample.indicators[name])
    ind["operator_id"] = ops["operator_id"]
    assert _rebuilt(sample, operators=ops, indicators=ind).input_hash(model) == csv_hash
    padded = {k: v for k, v in ops.items()}
    padded["status"] = _as(kind, " " + sample.operators["status"] + "\t")  # trimmed as the CSV reader trims
    padded["operator_id"] = _as(kind, sample.operators["operator_id"] + " ")
    assert _rebuilt(sample, operators=padded, indicators=ind).input_hash(model) == csv_hash


@pytest.mark.parametrize("kind", TEXT_FORMS)
@pytest.mark.parametrize(
    ("table", "column", "value", "message"),
    [
        ("operators", "status", "open", 'unknown status "open"'),
        ("operators", "status", None, 'unknown status ""'),
        ("operators", "scenarios", "elderly_care;moon_base", 'unknown scenario "moon_base"'),
        ("operators", "scenarios", "meals;meals", 'scenario "meals" listed twice'),
        ("operators", "previous_grade", "6A", '"6A" is not a grade'),
        ("indicators", "funds_audit", "spotless", '"spotless" is not a level of funds_audit'),
    ],
)
def test_bad_text_values_name_the_first_operator_with_them(sample: er.Dataset, model: er.Model, kind: str, table: str,
                                                           column: str, value: object, message: str) -> None:  # fmt: skip
    frames = {"operators": sample.operators.copy(), "indicators": sample.indicators.copy()}
    col = frames[table][column].astype(object)
    col[[7, 11]] = "" if (value is None and kind == "numpy") else value  # numpy text has no None: "" is missing
    frames[table][column] = _as(kind, col) if kind in ("str", "object", "category") else col
    if kind in ("numpy", "list"):
        frames[table] = {c: frames[table][c] for c in frames[table].columns} | {column: _as(kind, col)}
    with pytest.raises(er.DataError) as info:
        _rebuilt(sample, operators=frames["operators"], indicators=frames["indicators"]).validate(model)
    assert message in str(info.value)
    assert info.value.operator_id == sample.operators["operator_id"][7]
    assert info.value.field == column


def test_operator_ids_are_checked_with_the_model_and_listed_lazily(sample: er.Dataset, model: er.Model) -> None:
    ops = sample.operators.copy()
    ops.loc[9, "operator_id"] = "  "
    with pytest.raises(er.DataError, match="DataFrame: row 9: operator_id: empty operator id"):
        er.Dataset(ops, model=model)  # a model given: checked at once
    ds = er.Dataset(sample.operators.merge(sample.indicators, on="operator_id"), facilities=sample.facilities)
    assert ds._ids_list is None  # not made until needed
    ds.validate(model)
    assert ds.operator_ids == sample.operators["operator_id"].tolist()
    again = er.Dataset(ds.operators, facilities=sample.facilities)
    assert again.validate(model).input_hash(model) == ds.input_hash(model)
    other = er.default_model().with_cutoffs({"5A": 910})  # a second model: a second C++ dataset
    assert again.validate(other).input_hash(other) == ds.input_hash(model)


def test_the_first_bad_status_is_named_missing_or_unknown(sample: er.Dataset, model: er.Model) -> None:
    ops = sample.operators.copy()
    status = ops["status"].astype(object)
    status[[5, 9]] = ["open", None]
    for col, row, text in ((status, 5, "open"), (status.where(status.index != 5, None).where(status.index != 3, None), 3, "")):
        for form in (col, col.astype("category"), col.astype("str")):
            with pytest.raises(er.DataError, match=f'unknown status "{text}"') as info:
                _rebuilt(sample, operators=ops.assign(status=form)).validate(model)
            assert info.value.operator_id == ops["operator_id"][row]


# ---------------------------------------------------------------------------------------------
# One ingestion path: a DataFrame gets the CSV reader's message for the same bad cell


def _broken_cells() -> list[tuple[int, str, str, str]]:
    path = Path(__file__).resolve().parents[1] / "data" / "broken_cells.tsv"
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()[1:]]
    return [(int(r), c, v, m) for r, c, v, m in rows]


@pytest.mark.parametrize(("row", "column", "value", "message"), _broken_cells())
def test_a_frame_gets_the_csv_message_for_each_broken_cell(model: er.Model, row: int, column: str, value: str,
                                                            message: str) -> None:  # fmt: skip
    """The broken-cell cases of tests/cpp/cli_test.cpp (tests/data/broken_cells.tsv), in a frame
    read by pandas as a user would: the same message; the row label instead of file:line:column."""
    path = Path(er._core.data_directory()) / "examples" / "operators.csv"
    frame = pd.read_csv(path, dtype={"operator_id": str}, keep_default_na=False, na_values=[""])
    label = row - 1  # data row `row` of the file is frame row label row - 1
    if value == "":
        frame.loc[label, column] = np.nan if frame[column].dtype.kind == "f" else None
    else:
        frame[column] = frame[column].astype(object)
        frame.loc[label, column] = value
    expected = message
    if "first at line" in expected:  # the first occurrence is named by its row label
        line = int(expected.rsplit("first at line ", 1)[1].rstrip(")"))
        expected = expected.replace(f"first at line {line}", f"first at row {line - 2}")
    with pytest.raises(er.DataError) as info:
        er.Dataset(frame).validate(model)
    err = info.value
    assert str(err).startswith(f"DataFrame: row {label}: {column}: "), str(err)
    assert expected in str(err)
    assert (err.row, err.field, err.line) == (str(label), column, None)
    # all problems at once, as `embedrating validate` lists them
    problems = er.Dataset(frame).problems(model)
    assert [str(p) for p in problems] == [str(err)]


@pytest.mark.parametrize(("row", "column", "value", "message"), _broken_cells())
def test_problems_in_chinese_are_the_cli_validate_lang_zh_texts(cli: Path, model: er.Model, tmp_path: Path, row: int,
                                                                 column: str, value: str, message: str) -> None:  # fmt: skip
    """Issue 17: ``problems(model, lang="zh")`` gives the Chinese text ``embedrating validate --lang
    zh`` prints for the same broken cell (one translation, include/embedrating/messages.hpp): the
    same field, operator and message; the row label instead of file, line and column."""
    import csv

    from _helpers import run_cli

    source = Path(er._core.data_directory()) / "examples" / "operators.csv"
    with source.open(encoding="utf-8", newline="") as f:
        lines = list(csv.reader(f))
    lines[row][lines[0].index(column)] = value
    path = tmp_path / "bad.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(lines)
    done = run_cli(cli, "validate", "--operators", str(path), "--lang", "zh", check=False)
    assert done.returncode == 1, done.stderr
    cli_lines = done.stderr.splitlines()
    assert cli_lines[-1] == "发现 1 个问题"
    where = f"文件 {path} 第 {row + 1} 行第 {lines[0].index(column) + 1} 列，"
    assert cli_lines[0].startswith(where), cli_lines[0]

    frame = pd.read_csv(source, dtype={"operator_id": str}, keep_default_na=False, na_values=[""])
    label = row - 1
    if value == "":
        frame.loc[label, column] = np.nan if frame[column].dtype.kind == "f" else None
    else:
        frame[column] = frame[column].astype(object)
        frame.loc[label, column] = value
    problems = er.Dataset(frame).problems(model, lang="zh")
    assert len(problems) == 1
    zh = problems[0]
    assert isinstance(zh, er.DataError)
    assert str(zh).startswith(f"文件 DataFrame，行 {label}，"), str(zh)
    expected = cli_lines[0][len(where):]  # "字段 X，运营商 Y：message"
    if "（首次出现在第 " in expected:  # the first occurrence is named by its row label
        line = int(expected.rsplit("（首次出现在第 ", 1)[1].split(" ", 1)[0])
        expected = expected.replace(f"首次出现在第 {line} 行", f"首次出现在行 {line - 2}")
    assert str(zh)[len(f"文件 DataFrame，行 {label}，"):] == expected
    assert zh.message == expected.split("：", 1)[1]
    # attributes other than the text are those of the English problem
    en = er.Dataset(frame).problems(model)[0]
    assert (zh.file, zh.row, zh.field, zh.operator_id, zh.line) == (en.file, en.row, en.field, en.operator_id, en.line)
    assert en.message != zh.message
    # validate raises the same Chinese error
    with pytest.raises(er.DataError) as info:
        er.Dataset(frame).validate(model, lang="zh")
    assert str(info.value) == str(zh)


def test_problems_and_validate_refuse_an_unknown_lang(sample: er.Dataset, model: er.Model) -> None:
    for call in (lambda: sample.problems(model, lang="fr"), lambda: sample.validate(model, lang="zh-CN")):
        with pytest.raises(ValueError, match='lang must be "en" or "zh", got'):
            call()
    with pytest.raises(ValueError, match='lang must be "en" or "zh", got "de"'):
        er._core.translate_error(er.DataError("x"), "de")
    with pytest.raises(TypeError, match="not an embedrating.Error"):
        er._core.translate_error(ValueError("x"), "zh")
    assert sample.problems(model, lang="zh") == []  # a clean table has no problems in any language
    assert sample.validate(model, lang="zh") is sample


def test_problems_lists_every_bad_cell(sample: er.Dataset, model: er.Model) -> None:
    ops = sample.operators.copy()
    ops["status"] = ops["status"].astype(object)
    ops.loc[[3, 7], "status"] = "closed"
    ind = sample.indicators.copy()
    ind["funds_audit"] = ind["funds_audit"].astype(object)
    ind.loc[5, "funds_audit"] = "spotless"
    problems = _rebuilt(sample, operators=ops, indicators=ind).problems(model)
    assert [(p.row, p.field) for p in problems] == [("3", "status"), ("7", "status"), ("5", "funds_audit")]
    assert _rebuilt(sample).problems(model) == []


def test_arrow_backed_and_parquet_tables_read_like_the_csv(sample: er.Dataset, model: er.Model, csv_hash: str,
                                                           tmp_path: Path) -> None:  # fmt: skip
    pa = pytest.importorskip("pyarrow")
    wide = sample.operators.merge(sample.indicators, on="operator_id")
    arrow = pa.Table.from_pandas(wide, preserve_index=False).to_pandas(types_mapper=pd.ArrowDtype)
    assert any(isinstance(t, pd.ArrowDtype) for t in arrow.dtypes)
    assert er.Dataset(arrow, facilities=sample.facilities).input_hash(model) == csv_hash
    pd.DataFrame(wide).to_parquet(tmp_path / "operators.parquet")
    sample.facilities.to_parquet(tmp_path / "facilities.parquet")
    sample.reviews.to_parquet(tmp_path / "reviews.parquet")
    ds = er.Dataset.from_parquet(tmp_path / "operators.parquet", tmp_path / "facilities.parquet",
                                 tmp_path / "reviews.parquet")  # fmt: skip
    assert ds.input_hash(model) == csv_hash
    assert model.rate(ds, as_of=SAMPLE_AS_OF).input_hash == model.rate(sample, as_of=SAMPLE_AS_OF).input_hash
    # a bad cell in a Parquet file: the same message, the row named by its position
    bad = wide.copy()
    bad["fire_auto_fail"] = bad["fire_auto_fail"].astype(object)
    bad.loc[4, "fire_auto_fail"] = "maybe"
    bad.astype({"fire_auto_fail": str}).to_parquet(tmp_path / "bad.parquet")
    with pytest.raises(er.DataError, match=r'row 4: fire_auto_fail: operator WH-JA-0005: a flag is 0 or 1 \(true/false\), got "maybe"'):
        er.Dataset.from_parquet(tmp_path / "bad.parquet").validate(model)
