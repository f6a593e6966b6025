#!/usr/bin/env bash
# Follows sdk-docs/getting-started.md for the RPC example, as a plugin author would: installs the SDK into a
# temporary prefix, builds sdk-docs/rpc-plugin out of tree, makes the PKI with lanchatctl, runs the node,
# calls Greeter/Say over mutual TLS with the example's client, changes the plugin and hot-reloads it. Then
# proves that the build helper refuses the two easy mistakes (a .proto without LITE_RUNTIME, linking
# libprotobuf-lite) at configure time.
# usage: rpc_plugin.sh BUILD_DIR SOURCE_DIR
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
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
export PATH="$work/prefix/bin:$PATH"
cp -r "$source_dir/sdk-docs/rpc-plugin" "$work/greeter"
cd "$work/greeter"

# Build, as getting-started shows it.
cmake -S . -B build -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null || fail "configuring the example"
cmake --build build >/dev/null || fail "building the example"
exported=$(nm -D --defined-only build/greeter.so | awk '$2 == "T" {print $3}')
[ "$exported" = "lanchat_plugin_entry" ] || fail "exported symbols: $exported"

# The PKI, as getting-started shows it.
lanchatctl pki init --dir pki --trust-domain lan-chat.local >/dev/null || fail "pki init"
lanchatctl pki issue --dir pki --node example --service greeter >/dev/null || fail "pki issue"
lanchatctl pki issue-client --dir pki --operator alice >/dev/null || fail "pki issue-client"

# The documented node file, on free ports so that tests can run side by side.
grpc_port=$(free_port)
admin_port=$(free_port)
sed -i "s/127.0.0.1:7443/127.0.0.1:$grpc_port/; s/127.0.0.1:9464/127.0.0.1:$admin_port/" node.toml
export LANCHAT_ADMIN="http://127.0.0.1:$admin_port"

lanchatd --describe build/greeter.so | grep -q 'greeting (string, default "hello")' || fail "--describe does not show greeting"
lanchatd --check node.toml >"$work/check.log" 2>&1 || { cat "$work/check.log" >&2; fail "--check refused the example"; }
lanchatd node.toml >"$work/node.log" 2>&1 &
node_pid=$!
for _ in $(seq 100); do
  grep -q "node ready" "$work/node.log" && break
  sleep 0.1
done
grep -q "node ready" "$work/node.log" || fail "the node did not become ready"

reply=$(build/greet "127.0.0.1:$grpc_port" pki alice world) || fail "the client's call failed: $reply"
[ "$reply" = "hello world, you are spiffe://lan-chat.local/operator/alice" ] || fail "first reply: $reply"

# Change the plugin, rebuild, reload: the new code answers, the counter carries on.
sed -i 's/greeting_ + " " + request.name()/greeting_ + ", " + request.name()/' plugin.cpp
cmake --build build >/dev/null || fail "rebuilding the changed example"
lanchatctl reload greeter >/dev/null || fail "lanchatctl reload greeter"
reply=$(build/greet "127.0.0.1:$grpc_port" pki alice again) || fail "the call after the reload failed: $reply"
[ "$reply" = "hello, again, you are spiffe://lan-chat.local/operator/alice" ] || fail "reply after the reload: $reply"
metrics=$(lanchatctl metrics) || fail "lanchatctl metrics"
grep -q "lanchat_greeter_greetings_total *2$" <<<"$metrics" || { echo "$metrics" >&2; fail "the counter did not carry on"; }
plugins=$(lanchatctl plugins) || fail "lanchatctl plugins"
grep -q "^greeter *1.0.0" <<<"$plugins" || { echo "$plugins" >&2; fail "lanchatctl plugins prints no table row"; }

kill -TERM "$node_pid"
wait "$node_pid" || fail "lanchatd exited with $? after SIGTERM"
node_pid=

# The build helper refuses what would take the node down, at configure time, saying what to fix.
refused() {  # refused NAME EXPECTED_TEXT: configuring the modified copy fails and says EXPECTED_TEXT
  if cmake -S . -B "build-$1" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" >"$work/$1.log" 2>&1; then
    fail "$1: the configure step accepted it"
  fi
  # CMake wraps its messages: compare with the lines joined.
  tr -s ' \n' ' ' <"$work/$1.log" | grep -q "$2" || { cat "$work/$1.log" >&2; fail "$1: no '$2' in the refusal"; }
}
cp greeter.proto greeter.proto.good
sed -i 's/^option optimize_for = LITE_RUNTIME;$//' greeter.proto
refused full-runtime "greeter.proto has no .option optimize_for = LITE_RUNTIME;."
cp greeter.proto.good greeter.proto
sed -i 's/PROTOS greeter.proto)/PROTOS greeter.proto LINK_LIBRARIES protobuf::libprotobuf-lite)/' CMakeLists.txt
refused lite-library "LINK_LIBRARIES names protobuf::libprotobuf-lite, a library lanchatd does not load"
echo "the RPC example built, served over mTLS, reloaded with new code and its counter; the build helper refused both mistakes"
