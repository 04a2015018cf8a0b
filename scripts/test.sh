#!/usr/bin/env bash
# Runs every test: the C++ suite in Release with warnings as errors (GoogleTest, including the CLI
# golden outputs), the sample generator's reproducibility check, the CLI on the shipped sample, the
# two CMake consumer projects, the Python package (pip install . and pytest), then the C++ suite again under AddressSanitizer +
# UndefinedBehaviorSanitizer, and a benchmark smoke run. Prints each stage's duration.
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
stage "sample data reproducible from its generator" python3 scripts/generate_sample.py --check
stage "main job: embedrating rate on the shipped sample" ./build-ci/embedrating rate --summary
stage "example program" ./build-ci/embedrating_example
stage "C++ package consumers (install + find_package, add_subdirectory)" bash scripts/test-consumers.sh build-ci
stage "Python package (pip install ., pytest)" bash scripts/test-python.sh
stage "configure (ASan+UBSan)" cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DEMBEDRATING_SANITIZE=ON -DEMBEDRATING_WERROR=ON -DEMBEDRATING_BENCH=OFF
stage "build (ASan+UBSan)" cmake --build build-asan --parallel 2
stage "C++ tests (ASan+UBSan)" ctest --test-dir build-asan --output-on-failure --parallel 2
stage "benchmark smoke run (rating)" ./build-ci/bench/rate_bench --benchmark_filter='BM_rate/1000/' --benchmark_min_time=0.01
stage "benchmark smoke run (review ingest, 10^5 events)" env EMBEDRATING_BENCH_EVENTS=1e5 EMBEDRATING_BENCH_OPERATORS=1e3 \
  ./build-ci/bench/reviews_bench --benchmark_min_time=0.01
stage "benchmark smoke run (weights, 10^4 x 32)" env EMBEDRATING_BENCH_ROWS=1e4 ./build-ci/bench/weights_bench --benchmark_min_time=0.01
stage "benchmark smoke run (sensitivity, 10^4 operators x 10^3 draws)" env EMBEDRATING_BENCH_OPERATORS=1e4 \
  ./build-ci/bench/sensitivity_bench --benchmark_min_time=0.01
echo "=== all stages took $(( $(date +%s) - start_all ))s"
