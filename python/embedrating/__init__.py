"""embedrating — grades operators of community-embedded service facilities 1A–5A.

A thin, pandas-friendly layer over the C++ core (``embedrating._core``)::

    import embedrating as er
    model = er.default_model()                      # wuhan-2024
    sample = er.load_sample()                       # the shipped synthetic sample
    ratings = model.rate(sample, as_of="2025-12-31")
    ratings.to_frame()                              # one row per operator
    print(ratings.explain("WH-JA-0015", lang="zh"))
    ratings.explanation("WH-JA-0015")               # the same as an object; HTML in Jupyter
    er.plot.grade_distribution(ratings)             # matplotlib, imported on first use

Shipped data (models, catalogue, calendars, sample) lives in this package's ``data/`` directory.
The C++ core looks it up through the environment variable ``EMBEDRATING_DATA_DIR``: importing
this package sets it to that directory **only when it is unset**, so an explicit setting (for
example a directory with an updated holiday calendar) wins.
"""

from __future__ import annotations

import os as _os
from pathlib import Path as _Path

# The package directory that holds data/ (an editable install spreads the package over two
# directories, listed in __path__: the sources and the installed module and data).
for _entry in __path__:
    _DATA_DIR = _Path(_entry).resolve() / "data"
    if (_DATA_DIR / "models").is_dir():
        break
if not _os.environ.get("EMBEDRATING_DATA_DIR") and (_DATA_DIR / "models").is_dir():
    _os.environ["EMBEDRATING_DATA_DIR"] = str(_DATA_DIR)

try:
    from . import _core
except ImportError as _exc:  # pragma: no cover - depends on the installation
    raise ImportError(
        "embedrating's compiled module (embedrating._core) is missing or does not load: "
        f"{_exc}. Install the package with `pip install .` from the source tree (it builds the "
        "C++ extension; see python/README.md); running from a source checkout without building "
        "does not work."
    ) from _exc

from . import calibrate, reviews, sensitivity, weights
from ._aggregator import ReviewAggregator
from ._dataset import Dataset, load_sample
from ._errors import ArchiveError, DataError, Error, ModelError, RatingWarning
from ._model import Model, default_model
from ._explanation import Explanation
from ._ratings import GRADES, OperatorRating, Ratings
from ._scored import Scored
from ._calendar import HolidayCalendar
from ._history import roll_forward, with_history
from ._publish import GradeDirectory

__version__: str = _core.version
"""The package version; the same number as the C++ library's EMBEDRATING_VERSION_STRING."""


def __getattr__(name: str) -> object:
    # embedrating.plot imports matplotlib: only when first used, not with the package.
    if name == "plot":
        import importlib

        return importlib.import_module(".plot", __name__)
    raise AttributeError(f"module 'embedrating' has no attribute {name!r}")


def __dir__() -> list[str]:
    # the public API only: not the modules and names imported to build it (annotations, os, …)
    return sorted(set(__all__) | {"plot"})


def data_directory() -> str:
    """Where the shipped data is looked up (``$EMBEDRATING_DATA_DIR`` first)."""
    return _core.data_directory()


def rule_actions() -> list[dict[str, object]]:
    """The rule actions a model can use, from the C++ action table: name, Chinese name, phase,
    parameters (TOML keys) and which are required, the gate a fired rule reports, and the effect
    text (docs/model-format.md "Rules")."""
    return _core.rule_actions()


__all__ = [
    "GRADES",
    "ArchiveError",
    "DataError",
    "Dataset",
    "Error",
    "Explanation",
    "GradeDirectory",
    "HolidayCalendar",
    "Model",
    "ModelError",
    "OperatorRating",
    "RatingWarning",
    "Ratings",
    "ReviewAggregator",
    "Scored",
    "__version__",
    "calibrate",
    "data_directory",
    "default_model",
    "load_sample",
    "reviews",
    "roll_forward",
    "rule_actions",
    "sensitivity",
    "weights",
    "with_history",
]
