#!/usr/bin/env bash
# Fuzzes every libFuzzer target of tests/fuzz/ for 10 minutes each (--seconds N for another length) and
# prints, per target, the inputs it executed and the coverage it reached (libFuzzer's cov: and ft:).
# A crash stops it, with the input under build/fuzz/findings/<target>/: add it to
# tests/fuzz/regressions/<target>/ with the fix. Extra arguments go to scripts/run-fuzzers.sh (targets).
#   bench/fuzz-all.sh [--seconds N] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=600
if [ "${1:-}" = "--seconds" ]; then
  seconds="$2"
  shift 2
fi
exec scripts/run-fuzzers.sh --seconds "$seconds" "$@"
