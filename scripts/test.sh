#!/usr/bin/env bash
# Runs every test: the C++ suite in Release with warnings as errors, then again under
# AddressSanitizer + UndefinedBehaviorSanitizer. Prints each stage's duration.
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
start_all=$(date +%s)
stage() {  # stage NAME COMMAND...
  local name=$1; shift
  local t0=$(date +%s)
  echo "=== stage: $name"
  "$@"
  echo "=== stage: $name took $(( $(date +%s) - t0 ))s"
}
stage "install system packages" bash scripts/install-deps.sh
stage "configure (Release, -Werror)" cmake -S . -B build-ci -G Ninja -DCMAKE_BUILD_TYPE=Release -DEMBEDRATING_WERROR=ON
stage "build (Release)" cmake --build build-ci --parallel 2
stage "C++ tests (Release)" ctest --test-dir build-ci --output-on-failure --parallel 2
stage "example (main job)" ./build-ci/embedrating_example
stage "configure (ASan+UBSan)" cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DEMBEDRATING_SANITIZE=ON -DEMBEDRATING_WERROR=ON -DEMBEDRATING_BENCH=OFF
stage "build (ASan+UBSan)" cmake --build build-asan --parallel 2
stage "C++ tests (ASan+UBSan)" ctest --test-dir build-asan --output-on-failure --parallel 2
stage "benchmark smoke run" ./build-ci/bench/rate_bench --benchmark_filter='BM_rate/1000$' --benchmark_min_time=0.01
echo "=== all stages took $(( $(date +%s) - start_all ))s"
