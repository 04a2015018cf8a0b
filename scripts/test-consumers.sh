#!/usr/bin/env bash
# Checks the C++ package from a consumer's side. Usage: scripts/test-consumers.sh BUILD_DIR
# BUILD_DIR is an already-built embedrating build directory. The script installs it into a
# temporary prefix, checks the installed tree, then configures, builds and tests (ctest) two small
# downstream projects: tests/consumers/find_package against the installed package, and
# tests/consumers/add_subdirectory, which builds embedrating from this source tree.
# Prints each step's duration.
set -euo pipefail
if [[ $# -ne 1 ]]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
build_dir=$(cd "$1" && pwd)
cd "$(dirname "$0")/.."
src=$(pwd)
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Paths under $tmp (build dirs, the prefix) differ every run: ccache rewrites them as relative
# paths so the next run still hits the cache.
export CCACHE_BASEDIR="$tmp"
# The consumers' tests name the data directory they expect; an outside setting would change it.
unset EMBEDRATING_DATA_DIR
prefix="$tmp/prefix"

configure_args=(-G Ninja -DCMAKE_BUILD_TYPE=Release)
if command -v ccache >/dev/null; then
  configure_args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

start_all=$(date +%s)
stage() {  # stage NAME COMMAND...
  local name=$1; shift
  local t0
  t0=$(date +%s)
  echo "=== stage: $name"
  "$@"
  echo "=== stage: $name took $(( $(date +%s) - t0 ))s"
}

check_installed_tree() {
  local missing=0 f
  local libdir
  libdir=$(find "$prefix" -path "$prefix/lib*/cmake/embedrating" -type d)
  if [[ -z "$libdir" ]]; then
    echo "missing from the installed tree: lib/cmake/embedrating" >&2
    return 1
  fi
  for f in include/embedrating/embedrating.hpp include/embedrating/version.hpp \
           share/embedrating/models/wuhan-2024.toml share/embedrating/catalogue/scenarios.csv \
           share/embedrating/calendars share/embedrating/examples/operators.csv \
           "${libdir#"$prefix"/}/embedratingConfig.cmake" "${libdir#"$prefix"/}/embedratingConfigVersion.cmake" \
           "${libdir#"$prefix"/}/embedratingTargets.cmake"; do
    if [[ ! -e "$prefix/$f" ]]; then
      echo "missing from the installed tree: $f" >&2
      missing=1
    fi
  done
  if [[ -d "$src/data/sample" && ! -d "$prefix/share/embedrating/sample" ]]; then
    echo "missing from the installed tree: share/embedrating/sample" >&2
    missing=1
  fi
  if [[ -d "$prefix/share/embedrating/sample" && -n $(find "$prefix/share/embedrating/sample" -name '*.py') ]]; then
    echo "the installed sample contains its generator:" >&2
    find "$prefix/share/embedrating/sample" -name '*.py' >&2
    missing=1
  fi
  # The exported targets must name neither the build or source tree nor the private toml++.
  if grep -n -F -e "$src" -e "$build_dir" -e "$tmp/" "$libdir"/*.cmake ||
     grep -n -F -e tomlplusplus -e 'toml++' -e TOML_ "$libdir"/embedratingTargets*.cmake; then
    echo "the exported package leaks a build-tree path or the private toml++ target (lines above)" >&2
    missing=1
  fi
  if [[ -x "$prefix/bin/embedrating" ]]; then
    "$prefix/bin/embedrating" --help >/dev/null
    echo "bin/embedrating --help runs"
  fi
  find "$prefix" -type f | sed "s|^$prefix/||" | sort | awk -F/ '{print $1"/"$2}' | uniq -c
  return "$missing"
}

stage "install $build_dir into a temporary prefix" cmake --install "$build_dir" --prefix "$prefix"
stage "check the installed tree" check_installed_tree

stage "find_package consumer: configure" cmake -S tests/consumers/find_package -B "$tmp/find_package" \
  "${configure_args[@]}" -DCMAKE_PREFIX_PATH="$prefix"
stage "find_package consumer: build" cmake --build "$tmp/find_package" --parallel 2
stage "find_package consumer: test" ctest --test-dir "$tmp/find_package" --output-on-failure
# Without EMBEDRATING_DATA_DIR the library falls back on compiled-in directories (the source
# tree, then the configured install prefix); say which one an installed library picked.
found=$("$tmp/find_package/consumer" | sed -n 's/^embedrating .*, data directory //p')
case "$found" in
  "$prefix"/*) echo "without EMBEDRATING_DATA_DIR the installed library reads its installed data" ;;
  *) echo "note: without EMBEDRATING_DATA_DIR the installed library reads $found, not $prefix/share/embedrating" ;;
esac

# With the source tree out of sight (an empty directory bind-mounted over it in a private mount
# namespace, only for this one process), the installed package and its data are enough.
# Needs unshare(1) with mount namespaces (root, or unprivileged user namespaces); else skipped.
run_without_source_tree() {  # run_without_source_tree COMMAND...
  mkdir -p "$tmp/empty"
  local -a ns=(unshare --mount --propagation private)
  [[ $(id -u) -eq 0 ]] || ns=(unshare --map-root-user --mount --propagation private)
  "${ns[@]}" sh -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' sh "$tmp/empty" "$src" "$@"
}
if unshare --mount --propagation private true 2>/dev/null || unshare --map-root-user --mount true 2>/dev/null; then
  stage "find_package consumer: run with the source tree hidden" run_without_source_tree \
    env EMBEDRATING_DATA_DIR="$prefix/share/embedrating" "$tmp/find_package/consumer" "$prefix/share/embedrating"
else
  echo "=== skipped: running with the source tree hidden (no mount namespaces here)"
fi

stage "add_subdirectory consumer: configure" cmake -S tests/consumers/add_subdirectory -B "$tmp/add_subdirectory" \
  "${configure_args[@]}" -DEMBEDRATING_SOURCE_DIR="$src"
stage "add_subdirectory consumer: build" cmake --build "$tmp/add_subdirectory" --parallel 2
stage "add_subdirectory consumer: test" ctest --test-dir "$tmp/add_subdirectory" --output-on-failure
echo "=== all consumer stages took $(( $(date +%s) - start_all ))s"
