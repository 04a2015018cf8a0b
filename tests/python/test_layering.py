"""The Python package's modules import one way (python/embedrating/_interfaces.py has the layers):
every import between the package's modules — at module level, under ``if TYPE_CHECKING:`` and
inside functions, read from the source with ``ast`` — forms a graph without a cycle, and the
modules that were a cycle (Dataset ↔ ReviewAggregator ↔ Model, Ratings ↔ Explanation ↔
publishing) keep their order."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "python" / "embedrating"


def _modules() -> list[str]:
    return sorted(p.stem for p in PACKAGE.glob("*.py"))


def imports_of(source: str, module: str, modules: set[str] | None = None) -> set[str]:
    """The package's modules that `source` (the module `module`) imports anywhere: ``from . import
    x``, ``from .x import y``, ``from embedrating.x import y``, ``import embedrating.x``, at any
    depth (module level, TYPE_CHECKING blocks, functions, classes). ``from . import x`` counts
    as an import of x when x is a module of the package, else of ``__init__``."""
    modules = (set(_modules()) if modules is None else modules) | {"_core"}
    found: set[str] = set()
    for node in ast.walk(ast.parse(source, filename=module)):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 or node.module == "embedrating" or (node.module or "").startswith("embedrating."):
                base = node.module if node.level == 1 else (node.module or "").removeprefix("embedrating").lstrip(".")
                if base:
                    found.add(base.split(".")[0])
                else:  # from . import x
                    for alias in node.names:
                        found.add(alias.name if alias.name in modules else "__init__")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "embedrating":
                    found.add("__init__")
                elif alias.name.startswith("embedrating."):
                    found.add(alias.name.split(".")[1])
    found.discard(module)
    found.discard("_core")  # the compiled module imports nothing of the package
    return found


def import_graph() -> dict[str, set[str]]:
    return {m: imports_of((PACKAGE / f"{m}.py").read_text(encoding="utf-8"), m) for m in _modules()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of `graph` as [a, b, …, a], or None."""
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph.get(m, ())):
            if state.get(n) == 1:
                return stack[stack.index(n) :] + [n]
            if n not in state and (c := visit(n)) is not None:
                return c
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (c := visit(m)) is not None:
            return c
    return None


def test_the_package_has_no_import_cycle() -> None:
    graph = import_graph()
    assert len(graph) >= 20, sorted(graph)
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])


@pytest.mark.parametrize(
    ("lower", "higher"),
    [
        ("_errors", "_convert"),
        ("_aggregator", "_dataset"),
        ("_dataset", "_model"),
        ("_explanation", "_ratings"),
        ("_publish", "_ratings"),
        ("_repr_html", "_ratings"),
        ("_ratings", "_scored"),
        ("_scored", "_model"),
        ("_model", "sensitivity"),
    ],
)
def test_the_layers_keep_their_order(lower: str, higher: str) -> None:
    """`higher` may import `lower` (directly or not); `lower` never reaches `higher`."""
    graph = import_graph()
    seen, todo = set(), [lower]
    while todo:
        m = todo.pop()
        for n in graph[m]:
            if n not in seen:
                seen.add(n)
                todo.append(n)
    assert higher not in seen, f"{lower} reaches {higher}"


def test_the_cycle_finder_finds_cycles() -> None:
    """The check can fail: imports inside a function and under TYPE_CHECKING count."""
    src = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ._b import B\ndef f():\n    from . import _c\n"
    assert imports_of(src, "_a", {"_a", "_b", "_c"}) == {"_b", "_c"}
    assert imports_of("from . import _core, x\n", "_a", {"_a"}) == {"__init__"}
    assert imports_of("import embedrating\nfrom embedrating._b import x\n", "_a") == {"__init__", "_b"}
    assert find_cycle({"_a": {"_b"}, "_b": {"_c"}, "_c": {"_a"}}) == ["_a", "_b", "_c", "_a"]
    assert find_cycle({"_a": {"_b"}, "_b": {"_c"}, "_c": set()}) is None
