"""The example notebooks (python/examples/*.ipynb): committed without outputs, and each runs top to
bottom in a kernel of this Python (the one embedrating is installed in) without an error, a warning
or any output on stderr; then each notebook's own checks on what it showed."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from _helpers import REPO

EXAMPLES = REPO / "python" / "examples"
KERNEL = "embedrating-test"


def _check_quickstart(code: list[Any]) -> None:
    html = [o for c in code for o in c.outputs if "text/html" in o.get("data", {})]
    assert any("WH-JA-0015" in o["data"]["text/html"] and "触发的规则" in o["data"]["text/html"] for o in html)
    pngs = [o for c in code for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(pngs) == 3, "the three plots"
    printed = "".join(o.get("text", "") for c in code for o in c.outputs if o.output_type == "stream")
    assert "Operator WH-JA-0015" in printed and "运营商 WH-JA-0015" in printed


def _check_weights(code: list[Any]) -> None:
    html = "".join(o["data"]["text/html"] for c in code for o in c.outputs if "text/html" in o.get("data", {}))
    assert "not consistent" in html and "Worst judgement" in html, "the inconsistent expert's AHP display"
    assert html.count("AHP (4 × 4, method eigen)") == 3, "expert 3, repaired, and the group's matrix"
    printed = "".join(o.get("text", "") for c in code for o in c.outputs if o.output_type == "stream")
    assert "CR 0.772 ->" in printed, "the repair steps"
    assert "operators (110 dropped: not applicable; 15 not active)" in printed
    assert "Spearman rank correlation, model vs entropy-TOPSIS:" in printed


def _check_recalibration(code: list[Any]) -> None:
    html = "".join(o["data"]["text/html"] for c in code for o in c.outputs if "text/html" in o.get("data", {}))
    assert "Calibration report" in html and "fitted, cross-validated" in html, "the calibration report"
    assert "Disagreements" in html, "the agreement display"
    printed = "".join(o.get("text", "") for c in code for o in c.outputs if o.output_type == "stream")
    assert "rated identically by the C++ CLI and Python" in printed
    assert "[model.provenance]" in printed


def _check_sensitivity(code: list[Any]) -> None:
    html = "".join(o["data"]["text/html"] for c in code for o in c.outputs if "text/html" in o.get("data", {}))
    assert "Monte Carlo over weights" in html and "Least stable operators" in html
    assert "One at a time" in html and "Model comparison" in html
    pngs = [o for c in code for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(pngs) == 3, "stability, tornado, transitions"
    printed = "".join(o.get("text", "") for c in code for o in c.outputs if o.output_type == "stream")
    assert "of active operators change grade in more than 10% of the draws" in printed
    assert "under model B only" in printed and "仅在模型 B 下" in printed
    assert "same result with 2 threads: True" in printed and "draw 999 recomputed alone: True" in printed


NOTEBOOKS: dict[str, Callable[[list[Any]], None]] = {
    "quickstart.ipynb": _check_quickstart,
    "recalibration.ipynb": _check_recalibration,
    "sensitivity.ipynb": _check_sensitivity,
    "weights.ipynb": _check_weights,
}


def test_every_notebook_is_tested() -> None:
    assert {p.name for p in EXAMPLES.glob("*.ipynb")} == set(NOTEBOOKS)


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_committed_without_outputs(name: str) -> None:
    nb = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, "clear the notebook's outputs"
        assert "attachments" not in cell


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_notebook_runs_without_errors_or_warnings(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")  # jupyter_core's path migration warning
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # debugpy's note on frozen modules (stderr)
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")

    # A kernel spec for this interpreter, so the kernel imports the embedrating under test; found
    # through JUPYTER_PATH (nbclient then owns the kernel manager and shuts the kernel down).
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    spec_dir = tmp_path / "kernels" / KERNEL
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "embedrating (test)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")

    nb = nbformat.read(EXAMPLES / name, as_version=4)
    client = nbclient.NotebookClient(
        nb, kernel_name=KERNEL, timeout=120, resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()

    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.execution_count is not None for c in code)
    for k, cell in enumerate(code):
        for out in cell.outputs:
            assert out.output_type != "error", f"code cell {k}: {out.get('ename')}: {out.get('evalue')}"
            text = out.get("text", "")
            assert not (out.output_type == "stream" and out.name == "stderr"), f"code cell {k} wrote to stderr: {text}"
            assert "Warning" not in text, f"code cell {k}: {text}"
    NOTEBOOKS[name](code)
