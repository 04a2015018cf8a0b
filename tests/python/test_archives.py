"""Archives (docs/archives.md): the golden archives of this release in tests/data/archives/ load
and equal a fresh computation; model pickles are the model archive (protocols 0–5) and the
previous pickle state (the TOML) still loads; bad archives raise ArchiveError naming the source."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import embedrating as er
from embedrating import _core
from _helpers import SAMPLE_AS_OF

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


# -- scored data and ratings (issue 10 item 5): pickles are the archives; a loaded ratings explains


def _explanations(r: er.Ratings, lang: str = "en") -> list[str]:
    return [r.explain(op, lang) for op in r.operator_ids[::13]]


def test_golden_scored_and_ratings_v2_archives_explain(model: er.Model, ratings: er.Ratings) -> None:
    scored = _core.Scored.from_bytes((ARCHIVES / "scored-v1.erarchive").read_bytes(), "scored-v1.erarchive")
    assert scored.model.fingerprint == model.fingerprint and scored.input_hash == ratings.input_hash
    regraded = scored.regrade(model._core)
    for loaded in (regraded, _core.Ratings.from_bytes((ARCHIVES / "ratings-v2.erarchive").read_bytes(), "v2")):
        assert list(loaded.final_grade) == list(ratings._core.final_grade)
        assert list(loaded.total_centi) == list(ratings._core.total_centi)
        for op in ratings.operator_ids[::29]:
            assert loaded.explain(op, "en") == ratings._core.explain(op, "en")
            assert loaded.explain(op, "zh") == ratings._core.explain(op, "zh")


def test_golden_ratings_v1_archive_loads_but_cannot_explain(ratings: er.Ratings) -> None:
    loaded = _core.Ratings.from_bytes((ARCHIVES / "ratings-v1.erarchive").read_bytes(), "v1")
    assert list(loaded.final_grade) == list(ratings._core.final_grade)
    with pytest.raises(RuntimeError, match="no rating behind this object"):
        loaded.explain(ratings.operator_ids[0], "en")


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_ratings_pickles_are_archives(protocol: int, ratings: er.Ratings) -> None:
    data = pickle.dumps(ratings, protocol=protocol)
    assert b"ERRATING" in data
    again = pickle.loads(data)
    pd.testing.assert_frame_equal(again.to_frame(), ratings.to_frame())
    assert again.model.fingerprint == ratings.model.fingerprint
    assert _explanations(again) == _explanations(ratings)
    assert _explanations(again, "zh") == _explanations(ratings, "zh")
    op = ratings.operator_ids[5]
    pd.testing.assert_frame_equal(again.gates(op), ratings.gates(op))


@pytest.mark.parametrize("protocol", [0, pickle.HIGHEST_PROTOCOL])
def test_scored_pickles_are_archives(protocol: int, model: er.Model, sample: er.Dataset) -> None:
    scored = model.score(sample, as_of=SAMPLE_AS_OF)
    data = pickle.dumps(scored, protocol=protocol)
    assert b"ERSCORED" in data
    again = pickle.loads(data)
    assert again.input_hash == scored.input_hash and again.as_of == scored.as_of
    np.testing.assert_array_equal(again.leaf_score_array, scored.leaf_score_array)
    a, b = scored.regrade(model), again.regrade(model)
    pd.testing.assert_frame_equal(b.to_frame(), a.to_frame())
    assert _explanations(b) == _explanations(a)


def test_previous_ratings_and_scored_pickle_states_load(model: er.Model, sample: er.Dataset, ratings: er.Ratings) -> None:
    # state version 1 of both: the model, the dataset and as_of (rated or scored again on loading)
    r = er.Ratings.__new__(er.Ratings)
    r.__setstate__({"version": 1, "model": model.to_toml(), "dataset": sample, "as_of": SAMPLE_AS_OF})
    pd.testing.assert_frame_equal(r.to_frame(), ratings.to_frame())
    s = er.Scored.__new__(er.Scored)
    s.__setstate__({"version": 1, "model": model, "dataset": sample, "as_of": SAMPLE_AS_OF})
    pd.testing.assert_frame_equal(s.regrade(model).to_frame(), ratings.to_frame())
    blank = er.Ratings.__new__(er.Ratings)
    with pytest.raises(er.ArchiveError, match="Ratings pickle state version 7 is not supported"):
        blank.__setstate__({"version": 7})


def test_bad_scored_and_ratings_archives_raise(model: er.Model, sample: er.Dataset, ratings: er.Ratings) -> None:
    good = model.score(sample, as_of=SAMPLE_AS_OF)._core.to_bytes()
    with pytest.raises(er.ArchiveError, match=r"s\.bin: the archive is truncated or has trailing bytes"):
        _core.Scored.from_bytes(good[:-1], "s.bin")
    with pytest.raises(er.ArchiveError, match=r"s\.bin: a ratings archive, not a scored archive"):
        _core.Scored.from_bytes(ratings._core.to_bytes(), "s.bin")
    with pytest.raises(er.ArchiveError, match=r"r\.bin: a scored archive, not a ratings archive"):
        _core.Ratings.from_bytes(good, "r.bin")
    with pytest.raises(er.ArchiveError, match=r"s\.bin: checksum mismatch"):
        _core.Scored.from_bytes(good[:-1] + bytes([good[-1] ^ 1]), "s.bin")
