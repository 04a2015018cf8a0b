#!/usr/bin/env bash
# The Python package's tests: a virtual environment in .venv, the pinned test requirements, a
# regular (non-editable) `pip install .` that builds embedrating._core with scikit-build-core and
# pybind11 from PyPI (build directory build/py-<wheel tag> is reused between runs, and ccache when
# present), then pytest on tests/python and the example notebooks. Prints each step's duration.
#
# Needs python3 (>= 3.11) with venv, a C++17 compiler, CMake and the Debian packages of
# scripts/install-deps.sh (Eigen, Boost.Serialization, toml++, OpenSSL; fonts-noto-cjk for the
# plots' Chinese labels). The CLI parity tests use
# $EMBEDRATING_CLI, build-ci/embedrating or build/embedrating, and skip (saying why) without one.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_CONSTRAINT="$PWD/requirements/constraints.txt"
export PIP_DISABLE_PIP_VERSION_CHECK=1
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
PYTHON="${PYTHON:-python3}"
start_all=$(date +%s)
step() {  # step NAME COMMAND...
  local name=$1; shift
  local t0=$(date +%s)
  echo "=== step: $name"
  "$@"
  echo "=== step: $name took $(( $(date +%s) - t0 ))s"
}
make_venv() {
  if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then
    rm -rf .venv
    "$PYTHON" -m venv .venv
  fi
  .venv/bin/python --version
}
step "virtual environment (.venv)" make_venv
step "test requirements (pinned)" .venv/bin/python -m pip install --quiet -r tests/python/requirements.txt
# Non-editable, without build isolation: scikit-build-core clears its build directory whenever the
# isolated environment (a new temporary directory each time) changes, so only a stable build
# environment — the pinned scikit-build-core, pybind11, cmake and ninja installed above — lets a
# rebuild reuse build/py-<wheel tag>. (A plain `pip install .` builds in isolation; the same
# PIP_CONSTRAINT pins that environment.)
step "pip install . (builds embedrating._core)" .venv/bin/python -m pip install --quiet --no-build-isolation .
step "pytest tests/python" .venv/bin/python -m pytest tests/python --ignore=tests/python/test_notebook.py
# The example notebooks, run top to bottom in a kernel of .venv's Python (nbclient + ipykernel):
# no error, no warning, nothing on stderr. Its plots need a CJK font (fonts-noto-cjk).
step "notebooks (python/examples/*.ipynb)" .venv/bin/python -m pytest tests/python/test_notebook.py
echo "=== all steps took $(( $(date +%s) - start_all ))s"
