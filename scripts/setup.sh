#!/usr/bin/env bash
# Fresh machine → built library → the main job: rate the example operators shipped in data/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --parallel 2
./build/embedrating_example
