"""Error types (defined by the compiled module, so C++ errors arrive as these) and helpers."""

from __future__ import annotations

from . import _core

Error = _core.Error
ModelError = _core.ModelError
DataError = _core.DataError
ArchiveError = _core.ArchiveError


class RatingWarning(UserWarning):
    """A rating ran but something deserves attention (e.g. as_of outside the model's effective
    period, no status column); the same texts as the C++ result's run warnings."""


def _make(
    cls: type[Error],
    message: str,
    *,
    file: str | None = None,
    field: str | None = None,
    operator_id: str | None = None,
    line: int | None = None,
    column: int | None = None,
    row: str | None = None,
) -> Error:
    """An error with the C++ layout of its text: ``file: row R: field: operator X: message``."""
    prefix = ""
    if file:
        prefix += file
        if line:
            prefix += f":{line}"
            if column:
                prefix += f":{column}"
        prefix += ": "
    if row is not None:
        prefix += f"row {row}: "
    if field:
        prefix += f"{field}: "
    if operator_id:
        prefix += f"operator {operator_id}: "
    err = cls(prefix + message)
    err.file, err.line, err.column, err.row = file or None, line or None, column or None, row
    err.field, err.operator_id, err.message = field or None, operator_id or None, message
    return err


def data_error(message: str, **where: object) -> DataError:
    return _make(DataError, message, **where)  # type: ignore[arg-type]


def model_error(message: str, **where: object) -> ModelError:
    return _make(ModelError, message, **where)  # type: ignore[arg-type]


def archive_error(message: str, **where: object) -> ArchiveError:
    return _make(ArchiveError, message, **where)  # type: ignore[arg-type]


def check_state(kind: str, state: object, supported: int) -> dict:
    """The versioned pickle state of `kind`, or ArchiveError for an unknown layout or version."""
    if not isinstance(state, dict) or "version" not in state:
        raise archive_error(f"{kind} pickle state is not a versioned state (got {type(state).__name__})")
    version = state["version"]
    if version != supported:
        raise archive_error(
            f"{kind} pickle state version {version!r} is not supported (this embedrating "
            f"{_core.version} reads version {supported})"
        )
    return state
