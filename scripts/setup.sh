#!/usr/bin/env bash
# Fresh machine → system packages → built library and CLI → the main job: `embedrating rate` on
# the shipped synthetic sample (data/sample/), ending with the grade table and distribution.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s)
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --parallel 2
echo "=== set-up took $(( $(date +%s) - t0 ))s; rating the shipped sample:"
./build/embedrating rate
