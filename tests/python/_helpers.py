"""Helpers shared by the tests (importable: pyproject sets pythonpath = tests/python)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SAMPLE_AS_OF = "2025-12-31"


def cli_path() -> Path | None:
    """The C++ CLI: $EMBEDRATING_CLI, else build-ci/embedrating, else build/embedrating."""
    env = os.environ.get("EMBEDRATING_CLI")
    candidates = [Path(env)] if env else []
    candidates += [REPO / "build-ci" / "embedrating", REPO / "build" / "embedrating"]
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return c
    return None


def run_cli(cli: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(cli), *args], capture_output=True, text=True, check=check, timeout=300)


def cli_json(cli: Path, *args: str) -> dict:
    return json.loads(run_cli(cli, "rate", "--format", "json", *args).stdout)
