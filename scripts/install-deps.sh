#!/usr/bin/env bash
# Installs the system packages embedrating builds against (Debian 12 or 13), only those missing:
# the build and test dependencies, libxlsxwriter (the CLI's --format xlsx), poppler-utils and
# headless Chromium (the directory page rendered to PDF in a test). clang and libFuzzer
# (scripts/fuzz.sh) are optional: installed only with EMBEDRATING_INSTALL_FUZZ=1; without them the
# fuzz stage of scripts/test.sh is skipped with a message.
set -euo pipefail
pkgs=(g++ cmake ninja-build ccache pkg-config libeigen3-dev libboost-serialization-dev
      libtomlplusplus-dev libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev libssl-dev
      libfmt-dev nlohmann-json3-dev libunistring-dev librandom123-dev libxlsxwriter-dev python3-dev python3-venv
      fonts-noto-cjk poppler-utils)
# Headless Chromium renders the grade directory page to PDF in a test (tests/python/test_publish.py):
# Debian 12 and 13 ship it as chromium-headless-shell; the full chromium package works as well.
if ! command -v chromium-headless-shell >/dev/null 2>&1 && ! command -v chromium >/dev/null 2>&1; then
  pkgs+=(chromium-headless-shell)
fi
if [ "${EMBEDRATING_INSTALL_FUZZ:-0}" = 1 ]; then
  pkgs+=(clang)  # clang + its compiler-rt (libFuzzer, sanitizer runtimes) for scripts/fuzz.sh
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
updated=0
install() {
  [ $updated -eq 1 ] || { $SUDO apt-get update -qq; updated=1; }
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present"
else
  echo "system packages: installing ${missing[*]}"
  [ $updated -eq 1 ] || { $SUDO apt-get update -qq; updated=1; }
  if [[ " ${missing[*]} " == *" chromium-headless-shell "* ]] && ! apt-cache show chromium-headless-shell >/dev/null 2>&1; then
    missing=("${missing[@]/chromium-headless-shell/chromium}")  # a release without the headless-only package
  fi
  install "${missing[@]}"
fi
# libFuzzer ships with clang's runtime, libclang-rt-<major>-dev (LLVM 14 on Debian 12, 19 on Debian 13): installed,
# when asked for, if clang cannot link a fuzz target yet.
if [ "${EMBEDRATING_INSTALL_FUZZ:-0}" = 1 ]; then
  probe='extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }'
  if ! echo "$probe" | clang++ -x c++ -fsanitize=fuzzer - -o /dev/null 2>/dev/null; then
    major=$(clang++ --version | grep -o 'version [0-9]*' | head -n1 | cut -d' ' -f2)
    echo "system packages: installing libclang-rt-${major}-dev (libFuzzer)"
    install "libclang-rt-${major}-dev"
  fi
fi
