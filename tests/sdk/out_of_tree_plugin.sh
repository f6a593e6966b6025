#!/usr/bin/env bash
# Installs the SDK into a temporary prefix, builds sdk-docs/example-plugin against it out of tree, and runs
# that plugin in the installed lanchatd: what a third-party plugin author does, end to end.
# usage: out_of_tree_plugin.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build_dir=$1
source_dir=$2
work=$(mktemp -d)
node_pid=
cleanup() {
  [ -n "$node_pid" ] && kill -9 "$node_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$work/node.log" ] && cat "$work/node.log" >&2; exit 1; }

cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
[ -f "$work/prefix/include/lanchat/plugin_abi.h" ] || fail "ABI header not installed"
[ -f "$work/prefix/include/lanchat/sdk/plugin.hpp" ] || fail "SDK headers not installed"

# The example is copied so nothing is written into the source tree.
cp -r "$source_dir/sdk-docs/example-plugin" "$work/example"
cmake -S "$work/example" -B "$work/example/build" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null \
  || fail "configuring the example against the installed SDK"
cmake --build "$work/example/build" >/dev/null || fail "building the example"

# The plugin exports exactly one symbol.
exported=$(nm -D --defined-only "$work/example/build/heartbeat.so" | awk '$2 == "T" {print $3}')
[ "$exported" = "lanchat_plugin_entry" ] || fail "exported symbols: $exported"

"$work/prefix/bin/lanchatd" --describe "$work/example/build/heartbeat.so" | grep -q "interval_ms (milliseconds, default 1000" \
  || fail "--describe does not show the example's interval_ms"
"$work/prefix/bin/lanchatd" --check "$work/example/node.toml" >/dev/null 2>&1 || fail "--check refused the example"
"$work/prefix/bin/lanchatd" "$work/example/node.toml" >"$work/node.log" 2>&1 &
node_pid=$!
for _ in $(seq 100); do
  grep -q "still here beat=2" "$work/node.log" && break
  sleep 0.1
done
grep -q "still here beat=2" "$work/node.log" || fail "the example plugin did not beat twice"
kill -TERM "$node_pid"
wait "$node_pid" || fail "lanchatd exited with $? after SIGTERM"
node_pid=
grep -q "heartbeat stopped" "$work/node.log" || fail "the plugin was not stopped"
grep -q "plugin stopped plugin=heartbeat drained=true" "$work/node.log" || fail "the plugin was not drained and unloaded"
echo "out-of-tree plugin built against the installed SDK and ran in the installed lanchatd"
