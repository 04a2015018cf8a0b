#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (build-fuzz/, ASan + UBSan incl. float-cast-overflow,
# review archive checksum bypassed) and runs each for a bounded time from a seed corpus taken
# from data/ and tests/ (tests/fuzz/README.md). Exit status 1 when a target finds a crash.
#   bash scripts/fuzz.sh [SECONDS_PER_TARGET=${EMBEDRATING_FUZZ_SECONDS:-10}] [TARGET...]     targets: model_toml csv archive ahp
# Prints per target: executions, corpus size, crashes; writes build-fuzz/fuzz-summary.txt.
# Without clang or libFuzzer (EMBEDRATING_INSTALL_FUZZ=1 bash scripts/install-deps.sh installs them) it prints
# why and exits 0: the fuzz stage is skipped, not failed.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-${EMBEDRATING_FUZZ_SECONDS:-10}}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(model_toml csv archive ahp)
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
CLANGXX="${CLANGXX:-clang++}"
mkdir -p build-fuzz
skip() {
  echo "fuzz: skipped: $1" | tee build-fuzz/fuzz-summary.txt
  exit 0
}
command -v "$CLANGXX" >/dev/null 2>&1 || skip "$CLANGXX not found (EMBEDRATING_INSTALL_FUZZ=1 bash scripts/install-deps.sh)"
probe='extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }'
echo "$probe" | "$CLANGXX" -x c++ -fsanitize=fuzzer - -o build-fuzz/probe 2>/dev/null \
  || skip "$CLANGXX cannot link -fsanitize=fuzzer (libFuzzer, libclang-rt-<version>-dev, missing)"
rm -f build-fuzz/probe
# -O1 with line tables: fast to build on two cores, enough for the sanitizers' stack traces
# NDEBUG as in release builds: toml++ 3.3 has internal debug assertions that its release code does
# not rely on (parse_key on a mutated header); the sanitizers stay on.
cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER="$CLANGXX" -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS_DEBUG="-O1 -gline-tables-only -DNDEBUG" \
  -DEMBEDRATING_FUZZ=ON -DEMBEDRATING_TESTS=OFF -DEMBEDRATING_BENCH=OFF -DEMBEDRATING_CLI=OFF \
  -DEMBEDRATING_EXAMPLES=OFF -DEMBEDRATING_INSTALL=OFF -DEMBEDRATING_PYTHON=OFF >/dev/null
cmake --build build-fuzz --parallel 2 --target $(printf '%s_fuzz ' "${targets[@]}")

seed() {  # seed TARGET DIR: the seed corpus
  local t=$1 dir=$2
  mkdir -p "$dir"
  case $t in
    model_toml) cp data/models/*.toml "$dir"/ ;;
    csv) cp data/examples/operators.csv "$dir"/examples-operators.csv
         cp data/catalogue/*.csv "$dir"/
         head -c 20000 data/sample/operators.csv > "$dir"/sample-operators.csv
         head -c 20000 data/sample/facilities.csv > "$dir"/sample-facilities.csv
         head -c 20000 data/sample/reviews.csv > "$dir"/sample-reviews.csv
         cp data/calendars/*.csv "$dir"/ ;;
    archive) cp tests/golden/*.eragg "$dir"/
             cp tests/fuzz/seeds/archive/* "$dir"/ ;;  # scored and ratings of 25 sample operators (under -max_len)
    ahp) cp tests/fuzz/seeds/ahp/* "$dir"/ ;;
  esac
}

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
summary=build-fuzz/fuzz-summary.txt
: > "$summary"
failed=0
for t in "${targets[@]}"; do
  corpus=build-fuzz/corpus/$t
  [ -d "$corpus" ] || seed "$t" "$corpus"
  mkdir -p build-fuzz/crashes
  log=build-fuzz/$t.log
  set +e
  ./build-fuzz/tests/fuzz/${t}_fuzz -max_total_time="$secs" -rss_limit_mb=2048 -timeout=20 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix=build-fuzz/crashes/$t- "$corpus" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  files=$(ls "$corpus" | wc -l)
  crashes=$(ls build-fuzz/crashes 2>/dev/null | grep -c "^$t-" || true)
  line="fuzz $t: ${secs}s, $execs executions, corpus $files files, exit $rc, crash files $crashes"
  echo "$line" | tee -a "$summary"
  if [ "$rc" -ne 0 ]; then
    failed=1
    tail -n 60 "$log"
  fi
done
exit $failed
