"""The committed stubs (python/embedrating/_core.pyi) must match the compiled module."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

from embedrating import _core

from _helpers import REPO

STUBS = REPO / "python" / "embedrating" / "_core.pyi"
REGENERATE = "python -m pybind11_stubgen embedrating._core -o python  (then review the diff)"


def _stub_names(tree: ast.Module) -> dict[str, set[str]]:
    """Top-level names of the stub and, per class, its member names."""
    out: dict[str, set[str]] = {"": set()}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            out[""].add(node.name)
            out[node.name] = {
                n.name if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) else n.target.id  # type: ignore[union-attr]
                for n in node.body
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                or (isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name))
            }
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out[""].add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            out[""].add(node.target.id)
        elif isinstance(node, ast.ImportFrom) and node.module == "embedrating":
            out[""].update(a.asname or a.name for a in node.names)
    return out


def _module_names() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {"": {n for n in dir(_core) if not n.startswith("__")}}
    for name in out[""]:
        obj = getattr(_core, name)
        if inspect.isclass(obj) and obj.__module__ == "embedrating._core":
            out[name] = {
                n for n, v in vars(obj).items()
                if not n.startswith("_") or n in ("__init__", "__len__", "__eq__", "__repr__")
            }  # fmt: skip
    return out


def test_stub_names_match_the_module() -> None:
    stub = _stub_names(ast.parse(STUBS.read_text(encoding="utf-8")))
    stub[""].discard("__all__")
    mod = _module_names()
    assert stub[""] == mod[""], f"top-level names drifted; regenerate: {REGENERATE}"
    for cls, names in mod.items():
        if cls:
            assert stub[cls] >= names - {"__eq__", "__init__"}, f"{cls}: members drifted; regenerate: {REGENERATE}"
            assert stub[cls] - {"__init__", "__hash__", "__eq__"} <= names | {"__init__"}, cls


def test_stubs_are_what_pybind11_stubgen_writes(tmp_path: Path) -> None:
    pytest.importorskip("pybind11_stubgen", reason="pybind11-stubgen is a test requirement (tests/python/requirements.txt)")
    subprocess.run(
        [sys.executable, "-m", "pybind11_stubgen", "embedrating._core", "-o", str(tmp_path)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    fresh = (tmp_path / "embedrating" / "_core.pyi").read_text(encoding="utf-8")
    assert fresh == STUBS.read_text(encoding="utf-8"), f"python/embedrating/_core.pyi drifted; regenerate: {REGENERATE}"


def test_installed_stubs_are_the_committed_ones() -> None:
    installed = Path(_core.__file__).parent / "_core.pyi"
    if not installed.exists():  # an editable install serves the sources
        installed = Path(sys.modules["embedrating"].__file__).parent / "_core.pyi"
    assert installed.read_text(encoding="utf-8") == STUBS.read_text(encoding="utf-8")
