"""Hostile and mistaken input from Python (issue 15): typed errors with their location, never a raw
TypeError, MemoryError or a shifted day."""

from __future__ import annotations

import datetime
import hashlib
import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import embedrating as er
from _helpers import SAMPLE_AS_OF

CST = datetime.timezone(datetime.timedelta(hours=8))


@pytest.mark.parametrize("missing", [pd.NaT, np.datetime64("NaT"), float("nan")])
def test_missing_as_of_is_a_data_error(model: er.Model, sample: er.Dataset, missing: object) -> None:
    # regression: as_of=pd.NaT raised a raw TypeError
    with pytest.raises(er.DataError, match="as_of: is"):
        model.rate(sample, as_of=missing)


def test_aware_datetimes_never_shift_the_day(model: er.Model, sample: er.Dataset, ratings: er.Ratings) -> None:
    # regression: a UTC-aware datetime moved the evaluation day. Which day an aware datetime means is
    # the caller's choice (issue 17): it is refused with the date to give instead, never shifted.
    for when in [
        datetime.datetime(2025, 12, 31, 0, 0, tzinfo=datetime.timezone.utc),
        datetime.datetime(2025, 12, 31, 23, 0, tzinfo=CST),
        pd.Timestamp("2025-12-31T10:00", tz="UTC"),
        datetime.datetime(2025, 12, 31, 20, 0, tzinfo=datetime.timezone.utc),
    ]:
        with pytest.raises(er.DataError, match="time-zone-aware: give the evaluation date itself") as e:
            model.rate(sample, as_of=when)
        assert e.value.field == "as_of"
    with pytest.raises(er.DataError, match=r'carries a time zone: give the evaluation date itself \("2025-12-31"\)'):
        model.rate(sample, as_of="2025-12-31T20:00:00+00:00")
    # naive datetimes and Timestamps are their own calendar day, whatever the time
    for when in [datetime.datetime(2025, 12, 31, 23, 59), pd.Timestamp("2025-12-31 23:00"), "2025-12-31 00:00:00"]:
        r = model.rate(sample, as_of=when)
        assert r.as_of == datetime.date(2025, 12, 31), when
        assert r.to_frame()["grade"].tolist() == ratings.to_frame()["grade"].tolist()


def test_from_toml_text_that_is_not_a_path_is_a_syntax_error() -> None:
    # regression: from_toml("[[[") said "cannot open model file"
    with pytest.raises(er.ModelError, match=r"<string>:1:\d+: TOML syntax error") as info:
        er.Model.from_toml("[[[")
    assert "cannot open" not in str(info.value)
    with pytest.raises(er.ModelError, match="cannot open model file"):
        er.Model.from_toml("no-such-model.toml")


def test_model_path_that_is_a_directory(tmp_path: Path) -> None:
    with pytest.raises(er.ModelError, match="model file is a directory, not a file"):
        er.Model.load(tmp_path)


def _with_payload(archive: bytes, payload: bytes) -> bytes:
    header = bytearray(archive[:64])
    header[16:24] = struct.pack("<Q", len(payload))
    header[24:56] = hashlib.sha256(payload).digest()
    return bytes(header) + payload


def test_crafted_archive_is_an_archive_error_not_memory_error(tmp_path: Path, sample: er.Dataset) -> None:
    # regression: a huge length inside Boost's header (format 1) behind a valid checksum gave
    # MemoryError
    from _helpers import REPO

    path = tmp_path / "s.eragg"
    v1 = (REPO / "tests" / "golden" / "reviews-v1.eragg").read_bytes()
    payload = bytearray(v1[64:])
    payload[0:8] = struct.pack("<Q", 1 << 40)
    path.write_bytes(_with_payload(v1, bytes(payload)))
    with pytest.raises(er.ArchiveError, match="Boost archive header is missing or damaged"):
        er.ReviewAggregator.load(path)
    # format 2 (portable): a huge operator count after the class version
    agg = er.ReviewAggregator(sample.operator_ids)
    agg.save(path)
    good = path.read_bytes()
    payload = bytearray(good[64:])
    payload[4:12] = struct.pack("<Q", 1 << 40)
    path.write_bytes(_with_payload(good, bytes(payload)))
    with pytest.raises(er.ArchiveError, match=r"claims 1099511627776 items \(operator count\)"):
        er.ReviewAggregator.load(path)
    version0 = bytearray(good)
    version0[8:12] = b"\0\0\0\0"
    path.write_bytes(bytes(version0))
    with pytest.raises(er.ArchiveError, match="format version 0 does not exist"):
        er.ReviewAggregator.load(path)


def test_save_onto_a_directory_is_an_archive_error(tmp_path: Path, sample: er.Dataset) -> None:
    agg = er.ReviewAggregator(sample.operator_ids)
    with pytest.raises(er.ArchiveError, match="is a directory, not a regular file"):
        agg.save(tmp_path)


def test_csv_with_nul_and_hex_numbers_names_line_and_column(tmp_path: Path, sample_dir: Path) -> None:
    text = (sample_dir / "operators.csv").read_text(encoding="utf-8").splitlines()
    header = text[0].split(",")
    col = header.index("stars_5")
    row = text[2].split(",")
    row[col] = "0x10"
    bad = tmp_path / "operators.csv"
    bad.write_text("\n".join([text[0], text[1], ",".join(row)] + text[3:]) + "\n", encoding="utf-8")
    with pytest.raises(er.DataError, match=rf'operators.csv:3:{col + 1}: stars_5: operator \S+: "0x10" is not a decimal number'):
        er.Dataset.from_csv(bad)
    row[col] = "9\0"
    bad.write_bytes(("\n".join([text[0], text[1], ",".join(row)] + text[3:]) + "\n").encode())
    with pytest.raises(er.DataError, match=r"operators.csv:3:\d+: forbidden character \\x00"):
        er.Dataset.from_csv(bad)


def test_sample_as_of_still_rates(model: er.Model, sample: er.Dataset) -> None:
    assert model.rate(sample, as_of=SAMPLE_AS_OF).as_of == datetime.date(2025, 12, 31)
