#!/usr/bin/env bash
# Runs one benchmark with the load generator (the benchmark process itself) on core 1 and every server it
# starts (lanchatd, a baseline server) moved, with all its threads, to core 0; then prints each server's CPU
# seconds, so a figure per unit of work does not depend on how fast the generator is.
#   bench/run-pinned.sh build/bench/bin/router_throughput build/bench/bin/lanchatd build/bench/bin/lanchatctl \
#       build/bench/lib/lanchat/plugins 2
set -euo pipefail
[ "$#" -ge 1 ] || { echo "usage: bench/run-pinned.sh BENCHMARK [ARGUMENTS...]" >&2; exit 2; }
[ "$(nproc)" -ge 2 ] || { echo "run-pinned: needs two cores, this machine has $(nproc)" >&2; exit 2; }

taskset -c 1 "$@" &
bench=$!
declare -A cpu_ticks name_of
while kill -0 "$bench" 2>/dev/null; do
  for child in $(pgrep -P "$bench" || true); do
    if [ -z "${name_of[$child]:-}" ]; then
      taskset -a -p -c 0 "$child" >/dev/null 2>&1 || continue
      name_of[$child]=$(cat "/proc/$child/comm" 2>/dev/null || echo "?")
    fi
    # utime + stime (fields 14 and 15), read while the server still runs: its last reading stands.
    if { read -r -a fields <"/proc/$child/stat"; } 2>/dev/null; then cpu_ticks[$child]=$((fields[13] + fields[14])); fi
  done
  sleep 0.05
done
wait "$bench" && status=0 || status=$?
ticks_per_second=$(getconf CLK_TCK)
for child in "${!name_of[@]}"; do
  printf 'server %s (pid %s) on core 0: %s CPU-s\n' "${name_of[$child]}" "$child" \
    "$(awk -v t="${cpu_ticks[$child]:-0}" -v hz="$ticks_per_second" 'BEGIN { printf "%.2f", t / hz }')"
done
exit "$status"
