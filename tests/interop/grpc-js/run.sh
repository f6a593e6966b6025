#!/usr/bin/env bash
# Interoperability: @grpc/grpc-js (not our code) calls a real lanchatd over mutual TLS and gets correct
# answers from a plugin service and from grpc.health.v1.Health.
# usage: run.sh LANCHATD LANCHATCTL ECHO_PLUGIN PROTO_DIR WORK_DIR
set -euo pipefail
lanchatd=$1 lanchatctl=$2 echo_plugin=$3 proto_dir=$4 work=$5
here=$(cd "$(dirname "$0")" && pwd)
fail() { echo "FAIL: $*" >&2; [ -f "$run/node.log" ] && cat "$run/node.log" >&2; exit 1; }

# The npm packages, pinned by package-lock.json, installed once per build tree.
mkdir -p "$work"
if ! cmp -s "$here/package-lock.json" "$work/package-lock.json" || [ ! -d "$work/node_modules" ]; then
  cp "$here/package.json" "$here/package-lock.json" "$work/"
  (cd "$work" && npm ci --no-audit --no-fund --silent) || fail "npm ci of @grpc/grpc-js"
fi

run=$(mktemp -d)
node_pid=
trap '[ -n "$node_pid" ] && kill -9 "$node_pid" 2>/dev/null; rm -rf "$run"' EXIT
"$lanchatctl" pki init --dir "$run/pki" --trust-domain lan-chat.test >/dev/null
"$lanchatctl" pki issue --dir "$run/pki" --node b --service echo >/dev/null
"$lanchatctl" pki issue --dir "$run/pki" --node js --service caller >/dev/null
cat >"$run/node.toml" <<TOML
[node]
name = "b"
data_dir = "data"
[mesh]
listen = "127.0.0.1:0"
pki_dir = "pki"
[authorization]
"lanchat.test.v1.Echo" = ["caller"]
[[plugin]]
name = "echo"
path = "$echo_plugin"
TOML
"$lanchatd" "$run/node.toml" >"$run/node.log" 2>&1 &
node_pid=$!
for _ in $(seq 100); do grep -q '"node ready"' "$run/node.log" && break; sleep 0.1; done
address=$(grep '"node ready"' "$run/node.log" | sed -E 's/.*"grpc":"([^"]+)".*/\1/')
[ -n "$address" ] || fail "the node did not start"

output=$(cd "$work" && NODE_PATH="$work/node_modules" node "$here/client.js" "$address" "$run/pki/ca.crt" \
  "$run/pki/nodes/js/caller.crt" "$run/pki/nodes/js/caller.key" "$proto_dir") || fail "client.js failed"
echo "grpc-js got: $output"
expected_say='"say":{"text":"from grpc-js","peer":"spiffe://lan-chat.test/svc/caller"'
[[ "$output" == *"$expected_say"* ]] || fail "Echo.Say answer: $output"
[[ "$output" == *'"node":"b"'* ]] || fail "Echo.Say node: $output"
[[ "$output" == *'"health":{"status":"SERVING"}'* ]] || fail "Health.Check answer: $output"
kill -TERM "$node_pid"
wait "$node_pid" || fail "lanchatd exited with $?"
node_pid=
