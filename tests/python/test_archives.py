"""Archives (docs/archives.md): the golden archives of this release in tests/data/archives/ load
and equal a fresh computation; model pickles are the model archive (protocols 0–5) and the
previous pickle state (the TOML) still loads; bad archives raise ArchiveError naming the source."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

import embedrating as er
from embedrating import _core

ARCHIVES = Path(__file__).resolve().parents[1] / "data" / "archives"
SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


@pytest.fixture(scope="module")
def first_2000_reviews(tmp_path_factory: pytest.TempPathFactory) -> Path:
    lines = (SAMPLE / "reviews.csv").read_bytes().split(b"\n")[:2001]
    path = tmp_path_factory.mktemp("reviews") / "reviews.csv"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_golden_model_archive_loads(model: er.Model) -> None:
    core = _core.Model.from_bytes((ARCHIVES / "model-v1.erarchive").read_bytes(), "model-v1.erarchive")
    assert core.fingerprint == model.fingerprint
    assert core.to_toml() == model.to_toml()


@pytest.mark.parametrize("name", ["review_state-v2.erarchive", "review_state-v1.errevagg"])
def test_golden_review_states_load(name: str, sample: er.Dataset, model: er.Model, first_2000_reviews: Path) -> None:
    fresh = er.ReviewAggregator(sample, model).add_csv(first_2000_reviews)
    loaded = er.ReviewAggregator.load(ARCHIVES / name)
    assert loaded == fresh
    assert loaded.events_seen == 2000
    # either format is written again in the current one, byte for byte as the golden file
    assert loaded.serialize() == (ARCHIVES / "review_state-v2.erarchive").read_bytes()


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_model_pickles_are_archives(protocol: int, model: er.Model) -> None:
    data = pickle.dumps(model, protocol=protocol)
    assert b"ERMODEL_" in data
    again = pickle.loads(data)
    assert again.fingerprint == model.fingerprint and again.to_toml() == model.to_toml()


def test_previous_model_pickle_state_loads(model: er.Model) -> None:
    fresh = er.Model.__new__(er.Model)
    fresh.__setstate__({"version": 1, "toml": model.to_toml()})
    assert fresh.fingerprint == model.fingerprint


def test_bad_model_archives_raise(model: er.Model) -> None:
    good = model._core.to_bytes()
    with pytest.raises(er.ArchiveError, match=r"m\.bin: checksum mismatch"):
        _core.Model.from_bytes(good[:-1] + bytes([good[-1] ^ 1]), "m.bin")
    with pytest.raises(er.ArchiveError, match=r"m\.bin: a review archive, not a model archive"):
        _core.Model.from_bytes((ARCHIVES / "review_state-v2.erarchive").read_bytes(), "m.bin")
    with pytest.raises(er.ArchiveError, match=r"m\.bin: model archive format version 9 is newer"):
        _core.Model.from_bytes(good[:8] + bytes([9]) + good[9:], "m.bin")
    with pytest.raises(er.ArchiveError, match="shorter than the 64-byte header"):
        _core.Model.from_bytes(good[:20], "m.bin")
