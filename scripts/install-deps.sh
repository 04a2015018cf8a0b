#!/usr/bin/env bash
# Installs the system packages embedrating builds against (Debian 12 or 13), only those missing.
set -euo pipefail
pkgs=(g++ cmake ninja-build ccache pkg-config libeigen3-dev libboost-serialization-dev
      libtomlplusplus-dev libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev libssl-dev
      libfmt-dev nlohmann-json3-dev libunistring-dev libxlsxwriter-dev python3-dev python3-venv fonts-noto-cjk
      poppler-utils)
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
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
