"""The installed package: one version number, shipped data, typing marker, public names."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

import embedrating as er
from embedrating import _core

from _helpers import REPO


def test_one_version_number_for_cpp_and_python() -> None:
    version = (REPO / "VERSION").read_text().strip()
    assert er.__version__ == version
    assert _core.version == version  # C++ EMBEDRATING_VERSION_STRING
    assert importlib.metadata.version("embedrating") == version  # scikit-build-core's regex provider


def test_ratings_record_the_library_version(ratings: er.Ratings) -> None:
    assert ratings.library_version == er.__version__


def test_shipped_data_is_found_in_the_installed_package() -> None:
    data = Path(er.data_directory())
    for sub in ("models/wuhan-2024.toml", "catalogue/scenarios.csv", "calendars", "sample/operators.csv",
                "sample/reviews.csv", "examples/operators.csv"):  # fmt: skip
        assert (data / sub).exists(), sub
    # the package points the C++ core at its own data, not at a source tree
    assert Path(er.__file__).resolve().parent.name == "embedrating"
    assert any(Path(p).resolve() / "data" == data.resolve() for p in er.__path__)


def test_an_explicit_data_directory_wins(tmp_path: Path) -> None:
    code = "import embedrating as er; print(er.data_directory())"
    env = dict(os.environ, EMBEDRATING_DATA_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(tmp_path)
    env.pop("EMBEDRATING_DATA_DIR")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert Path(out.stdout.strip()).name == "data"


def test_typing_marker_and_stubs_are_installed() -> None:
    # an editable install spreads the package over its sources and the installed module
    found = {f.name for p in er.__path__ for f in Path(p).iterdir()}
    assert {"py.typed", "_core.pyi", "__init__.py"} <= found
    assert any(n.startswith("_core.") and n.endswith(".so") for n in found)


def test_public_names() -> None:
    for name in er.__all__:
        assert hasattr(er, name), name
    for name in ("wilson_lower_bound", "bayesian_average", "fit_beta_prior", "jeffreys_interval"):
        assert callable(getattr(er.reviews, name))
    assert er.reviews.ReviewAggregator is er.ReviewAggregator
