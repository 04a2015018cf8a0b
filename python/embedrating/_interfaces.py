"""What the lower layers of the package need of the classes above them, as typing protocols.

Imports in the package run one way (tests/python/test_layering.py): ``_core`` ← ``_errors`` ←
``_convert``/``_codes``/``_grades``/``_interfaces`` ← ``_asof``/``_calendar`` ← ``_repr_html`` ←
``_publish``/``_history``/``_whatif``/``_excel`` ← ``_aggregator`` ← ``_dataset`` ←
``_explanation`` ← ``_ratings`` ← ``_scored`` ← ``_model`` ← the public modules (``reviews``,
``weights``, ``calibrate``, ``sensitivity``, ``dask``, ``plot``) ← ``__init__``. A lower module
that takes a higher object (a ``Model`` given to a ``ReviewAggregator``, a ``Dataset`` given to
it as the operator list) uses only what is named here, never the higher module.
"""

from __future__ import annotations

from typing import Any, Protocol

from . import _core


class HasCoreModel(Protocol):
    """A rating model: an ``embedrating.Model`` (anything holding the C++ model as ``_core``)."""

    @property
    def _core(self) -> _core.Model: ...


class HasOperatorIds(Protocol):
    """An operator list: an ``embedrating.Dataset`` (anything with an ``operator_ids`` list)."""

    @property
    def operator_ids(self) -> list[str]: ...


def core_model(model: Any, what: str) -> _core.Model:
    """The C++ model of `model`: the shipped one when None; `model` itself when it is a C++
    model; its ``_core`` when that is one (an ``embedrating.Model``); else TypeError naming
    `what` (the argument)."""
    if model is None:
        return _core.Model.default_model()
    if isinstance(model, _core.Model):
        return model
    inner = getattr(model, "_core", None)
    if isinstance(inner, _core.Model):
        return inner
    raise TypeError(f"{what} must be an embedrating.Model, not {type(model).__name__}")
