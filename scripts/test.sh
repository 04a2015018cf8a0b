#!/usr/bin/env bash
# Runs every test: the C++ suite in Release with warnings as errors (GoogleTest, including the CLI
# golden outputs), the sample generator's reproducibility check, the CLI on the shipped sample, the
# two CMake consumer projects, the Python package (pip install . and pytest), then the C++ suite again under AddressSanitizer +
# UndefinedBehaviorSanitizer (float-cast-overflow included), the concurrency tests under ThreadSanitizer, bounded libFuzzer
# runs (clang; skipped with a message when clang/libFuzzer is missing), the crash soak of examples/rating_service.cpp, and a benchmark smoke run. Prints each stage's duration
# and, at the end, the reliability figures (tests/RELIABILITY.md).
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}"
# clang and libFuzzer from Debian for the fuzz stage (scripts/install-deps.sh installs them when
# asked; EMBEDRATING_INSTALL_FUZZ=0 skips them, and the fuzz stage then says it is skipped)
export EMBEDRATING_INSTALL_FUZZ="${EMBEDRATING_INSTALL_FUZZ:-1}"
FUZZ_SECONDS="${EMBEDRATING_FUZZ_SECONDS:-10}"     # per target; longer runs by hand: tests/fuzz/README.md
SOAK_EVENTS="${EMBEDRATING_SOAK_EVENTS:-200000}"   # CI: at most 2*10^5 (the 10^6 run: tests/RELIABILITY.md)
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
stage "bad-input cases (count)" ./build-ci/tests/embedrating_tests --gtest_filter='BadInput.*' --gtest_brief=1
stage "C++ package consumers (install + find_package, add_subdirectory)" bash scripts/test-consumers.sh build-ci
stage "Python package (pip install ., pytest)" bash scripts/test-python.sh
stage "configure (ASan+UBSan)" cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DEMBEDRATING_SANITIZE=ON -DEMBEDRATING_WERROR=ON -DEMBEDRATING_BENCH=OFF
stage "build (ASan+UBSan)" cmake --build build-asan --parallel 2
stage "C++ tests (ASan+UBSan)" ctest --test-dir build-asan --output-on-failure --parallel 2
# ThreadSanitizer: the library and the concurrency tests only (tests/cpp/concurrency_test.cpp). setarch -R: GCC 12's
# TSan cannot map its shadow memory under the high mmap randomisation of recent kernels.
stage "configure (TSan)" cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" -DEMBEDRATING_SANITIZE_THREAD=ON \
  -DEMBEDRATING_WERROR=ON -DEMBEDRATING_BENCH=OFF -DEMBEDRATING_CLI=OFF -DEMBEDRATING_EXAMPLES=OFF -DEMBEDRATING_INSTALL=OFF
stage "build (TSan, concurrency tests only)" cmake --build build-tsan --parallel 2 --target embedrating_concurrency_tests
stage "concurrency tests (TSan)" setarch "$(uname -m)" -R ./build-tsan/tests/embedrating_concurrency_tests --gtest_brief=1
stage "fuzz (libFuzzer, ${FUZZ_SECONDS}s per target)" bash scripts/fuzz.sh "$FUZZ_SECONDS"
stage "crash soak (SIGKILL x50, ${SOAK_EVENTS} events)" python3 tests/soak/crash_soak.py --service ./build-ci/embedrating_rating_service \
  --events "$SOAK_EVENTS" --kills 50 --in-checkpoint 10 --work build-ci/soak --summary build-ci/soak/summary.json
stage "benchmark smoke run (rating)" ./build-ci/bench/rate_bench --benchmark_filter='BM_rate/1000/' --benchmark_min_time=0.01
stage "benchmark smoke run (review ingest, 10^5 events)" env EMBEDRATING_BENCH_EVENTS=1e5 EMBEDRATING_BENCH_OPERATORS=1e3 \
  ./build-ci/bench/reviews_bench --benchmark_min_time=0.01
stage "benchmark smoke run (weights, 10^4 x 32)" env EMBEDRATING_BENCH_ROWS=1e4 ./build-ci/bench/weights_bench --benchmark_min_time=0.01
stage "benchmark smoke run (sensitivity, 10^4 operators x 10^3 draws)" env EMBEDRATING_BENCH_OPERATORS=1e4 \
  ./build-ci/bench/sensitivity_bench --benchmark_min_time=0.01
# issue 14: the one-command comparison at its smallest sizes — checks that it runs and writes its
# JSON, plots and tables (timings are not checked: the machine is shared)
stage "benchmark smoke run (bench/run.py --smoke)" .venv/bin/python bench/run.py --smoke --build build-ci --require-cpp \
  --out build-ci/bench-smoke
stage "bench/run.py --smoke wrote its files" test -s build-ci/bench-smoke/run-smoke.json -a -s build-ci/bench-smoke/rating.png \
  -a -s build-ci/bench-smoke/reviews.png -a -s build-ci/bench-smoke/scaling.png -a -s build-ci/bench-smoke/README.md
echo "=== reliability figures (tests/RELIABILITY.md)"
cat build-fuzz/fuzz-summary.txt
python3 -c 'import json; s = json.load(open("build-ci/soak/summary.json")); print("soak: {kills} kills ({kills_inside_checkpoint_write} inside a checkpoint write), {events} events, {events_lost} lost, final state equal: {final_state_equal_to_clean_run}, unreadable checkpoints: {unreadable_checkpoints}, temporaries left: {temporary_files_left}".format(**s))'
echo "=== all stages took $(( $(date +%s) - start_all ))s"
