#!/usr/bin/env bash
# Installs the system packages embedrating builds against (Debian 12 or 13), only those missing.
set -euo pipefail
pkgs=(g++ cmake ninja-build ccache pkg-config libeigen3-dev libboost-serialization-dev
      libtomlplusplus-dev libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev libssl-dev
      libfmt-dev nlohmann-json3-dev libunistring-dev python3-dev python3-venv fonts-noto-cjk
      clang)  # clang + its compiler-rt (libFuzzer, sanitizer runtimes) for scripts/fuzz.sh
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
  install "${missing[@]}"
fi
# libFuzzer ships with clang's runtime, libclang-rt-<major>-dev (LLVM 14 on Debian 12, 19 on Debian 13): install
# it when clang cannot link a fuzz target yet.
probe='extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }'
if ! echo "$probe" | clang++ -x c++ -fsanitize=fuzzer - -o /dev/null 2>/dev/null; then
  major=$(clang++ --version | grep -o 'version [0-9]*' | head -n1 | cut -d' ' -f2)
  echo "system packages: installing libclang-rt-${major}-dev (libFuzzer)"
  install "libclang-rt-${major}-dev"
fi
