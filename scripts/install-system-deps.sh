#!/usr/bin/env bash
# Install the Debian packages listed in scripts/system-packages.txt (only those missing).
# Runs as root (CI: no terminal, no stdin) or through sudo; does nothing when all are present.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
wanted=()
while IFS= read -r line || [ -n "$line" ]; do
  line=${line%%#*}
  line=${line//[[:space:]]/}
  if [ -n "$line" ]; then wanted+=("$line"); fi
done < "$here/system-packages.txt"
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install these packages with your system's package manager: ${missing[*]}" >&2
  exit 1
fi
run=(env DEBIAN_FRONTEND=noninteractive)
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "not root and no sudo: as root, run apt-get install ${missing[*]}" >&2
    exit 1
  fi
  run=(sudo DEBIAN_FRONTEND=noninteractive)
fi
echo "installing Debian packages: ${missing[*]}"
"${run[@]}" apt-get -o DPkg::Lock::Timeout=300 update -qq
"${run[@]}" apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" </dev/null
