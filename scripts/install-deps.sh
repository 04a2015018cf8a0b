#!/usr/bin/env bash
# Installs the system packages embedrating builds against (Debian 12 or 13), only those missing:
# the build and test dependencies, libxlsxwriter (the CLI's --format xlsx), poppler-utils and
# headless Chromium (the directory page rendered to PDF in a test).
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
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "system packages: installing ${missing[*]}"
$SUDO apt-get update -qq
if [[ " ${missing[*]} " == *" chromium-headless-shell "* ]] && ! apt-cache show chromium-headless-shell >/dev/null 2>&1; then
  missing=("${missing[@]/chromium-headless-shell/chromium}")  # a release without the headless-only package
fi
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
