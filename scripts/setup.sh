#!/usr/bin/env bash
# Install what the project needs: system packages (Debian/Ubuntu), then a virtualenv in .venv.
#   bash scripts/setup.sh app    runtime only
#   bash scripts/setup.sh test   runtime + tests: pytest, hypothesis, Playwright, Chromium, Fashion-MNIST, nginx
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:-app}
python=${PYTHON:-python3}

packages=()
if [ "$target" = test ]; then
  packages=(chromium dataset-fashion-mnist nginx)  # browser tests; out-of-distribution evaluation; scale-out recipe
fi
missing=()
if command -v dpkg >/dev/null 2>&1; then
  for package in "${packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
  done
fi
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  echo "installing system packages: ${missing[*]}"
  $sudo apt-get install -y -q "${missing[@]}" || { $sudo apt-get update -q && $sudo apt-get install -y -q "${missing[@]}"; }
fi

[ -x .venv/bin/python ] || "$python" -m venv .venv
requirements=requirements.txt
[ "$target" = test ] && requirements=requirements-dev.txt
.venv/bin/python -m pip install -q --disable-pip-version-check -r "$requirements"
