#!/usr/bin/env bash
# The README's test command (and CI's): installs what is missing, builds the dev preset with tests, and
# runs the whole suite with ctest, which prints the summary.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake --preset dev >/dev/null
cmake --build --preset dev
ctest --preset dev -j "$(nproc)"
