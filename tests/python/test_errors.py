"""C++ errors arrive as embedrating.ModelError / DataError / ArchiveError with the full message."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

import embedrating as er


def test_error_hierarchy() -> None:
    assert issubclass(er.ModelError, er.Error) and issubclass(er.ModelError, ValueError)
    assert issubclass(er.DataError, er.Error) and issubclass(er.DataError, ValueError)
    assert issubclass(er.ArchiveError, er.Error) and issubclass(er.ArchiveError, OSError)
    assert not issubclass(er.ArchiveError, ValueError)
    assert issubclass(er.Error, Exception)
    for cls in (er.Error, er.ModelError, er.DataError, er.ArchiveError):
        assert cls.__module__ == "embedrating"
        assert cls.__doc__


def test_model_error_carries_its_location() -> None:
    with pytest.raises(ValueError) as info:  # catchable as the builtin it also is
        er.Model.from_toml('[model]\nid = "x"\nversion = "1"\n[model\n')
    err = info.value
    assert type(err) is er.ModelError
    assert err.file == "<string>" and err.line == 4
    assert str(err).startswith("<string>:4")
    assert err.message and err.message in str(err)


def test_data_error_from_cpp_names_field_and_operator(sample: er.Dataset, model: er.Model) -> None:
    ind = sample.indicators.copy()
    ind["stars_3"] = ind["stars_3"].astype(float)
    ind.loc[2, "stars_3"] = -1.0
    with pytest.raises(er.DataError) as info:
        er.Dataset(sample.operators, ind, None, sample.facilities).validate(model)
    err = info.value
    assert str(err) == 'DataFrame (indicators): row 2: stars_3: operator WH-JA-0003: "-1" is outside the allowed range [0, 1000000000]'
    assert (err.file, err.row, err.field, err.operator_id) == ("DataFrame (indicators)", "2", "stars_3", "WH-JA-0003")
    assert err.line is None and err.column is None
    assert err.message == '"-1" is outside the allowed range [0, 1000000000]'


def test_archive_error_is_an_oserror(tmp_path: Path) -> None:
    bad = tmp_path / "x.eragg"
    bad.write_bytes(b"\x00" * 64)
    with pytest.raises(OSError) as info:
        er.ReviewAggregator.load(bad)
    assert type(info.value) is er.ArchiveError
    assert str(info.value).startswith(str(bad))


def test_errors_pickle_with_their_message() -> None:
    with pytest.raises(er.ModelError) as info:
        er.Model.from_toml("[model\n")
    again = pickle.loads(pickle.dumps(info.value))
    assert type(again) is er.ModelError and str(again) == str(info.value)
    assert again.line == info.value.line


def test_usage_errors_are_python_builtins(model: er.Model, ratings: er.Ratings) -> None:
    with pytest.raises(TypeError):
        model.rate("not a dataset", as_of="2025-12-31")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match='lang must be "en" or "zh"'):
        ratings.explain("WH-JA-0008", lang="fr")
    with pytest.raises(TypeError):
        er.Ratings()
