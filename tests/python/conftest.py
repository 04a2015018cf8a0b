"""Shared fixtures: the shipped model and sample, their rating, and the C++ CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

import embedrating as er
from _helpers import SAMPLE_AS_OF, cli_path


@pytest.fixture(scope="session")
def cli() -> Path:
    path = cli_path()
    if path is None:
        pytest.skip(
            "no embedrating CLI binary: set EMBEDRATING_CLI or build it (cmake --build build-ci); "
            "looked in build-ci/ and build/"
        )
    return path


@pytest.fixture(scope="session")
def model() -> er.Model:
    return er.default_model()


@pytest.fixture(scope="session")
def sample(model: er.Model) -> er.Dataset:
    return er.load_sample(model)


@pytest.fixture(scope="session")
def ratings(model: er.Model, sample: er.Dataset) -> er.Ratings:
    return model.rate(sample, as_of=SAMPLE_AS_OF)


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    return Path(er.data_directory()) / "sample"
