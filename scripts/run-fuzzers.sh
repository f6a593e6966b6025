#!/usr/bin/env bash
# Builds the libFuzzer targets (the `fuzz` preset: clang 14 with ASan and UBSan, only the targets and the
# libraries they call) and runs each one: first every input of tests/fuzz/regressions/<target>/ (each once
# crashed it), then fuzzing from its seed corpus tests/fuzz/corpus/<target>/ for a bounded time. Fails on
# the first crash, leak, timeout or sanitizer report, keeping the input under build/fuzz/findings/<target>/.
# Prints, per target, the executions and libFuzzer's coverage (cov: edges, ft: features) at the end.
#   scripts/run-fuzzers.sh [--seconds N] [--no-build] [TARGET...]    (default: 5 seconds each, every target)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=5
build=1
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --no-build) build=; shift ;;
    -*) echo "run-fuzzers: unknown option $1 (--seconds N, --no-build, TARGET...)" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done

if [ -n "$build" ]; then
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz
fi
bin=build/fuzz/fuzz
if [ "${#targets[@]}" -eq 0 ]; then
  for path in "$bin"/fuzz_*; do targets+=("$(basename "$path")"); done
fi

# The options every run shares: a hung input is a finding, and so is one that takes gigabytes.
common=(-timeout=10 -rss_limit_mb=2048 -print_final_stats=1)
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

printf '%-24s %12s %8s %8s %s\n' target executions cov ft regressions
for target in "${targets[@]}"; do
  findings="build/fuzz/findings/$target"
  work="build/fuzz/work/$target"  # what fuzzing adds to the corpus stays in the build tree
  rm -rf "$findings" && mkdir -p "$findings" "$work"
  log="$findings/log.txt"
  regressions="tests/fuzz/regressions/$target"
  checked=0
  if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions")" ]; then
    checked=$(find "$regressions" -type f | wc -l)
    if ! "$bin/$target" "${common[@]}" -artifact_prefix="$findings/" -runs=0 "$regressions" >"$log" 2>&1; then
      echo "run-fuzzers: $target fails on a regression input (log: $log):" >&2
      tail -n 40 "$log" >&2
      exit 1
    fi
  fi
  if ! "$bin/$target" "${common[@]}" -artifact_prefix="$findings/" -max_total_time="$seconds" \
      "$work" "tests/fuzz/corpus/$target" >"$log" 2>&1; then
    echo "run-fuzzers: $target found a crash; the input is in $findings/ (log: $log):" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
  printf '%-24s %12s %8s %8s %s\n' "$target" "${executions:-?}" "${cov:-?}" "${ft:-?}" "$checked"
done
