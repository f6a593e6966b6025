#!/usr/bin/env bash
# Traces in OpenTelemetry's format: an all-in-one node with [node] export_traces; one user sends one message
# with the terminal client; then OpenTelemetry's own OTLP protobuf definitions (npm) read every line of
# traces.jsonl back, and the send is one trace from the gateway through the Router to Channel
# (validate.cjs says every check).
# usage: run.sh LANCHATD LANCHATCTL LANCHAT PLUGIN_DIR WORK_DIR
set -euo pipefail
lanchatd=$1 lanchatctl=$2 lanchat=$3 plugin_dir=$4 work=$5
here=$(cd "$(dirname "$0")" && pwd)
fail() { echo "FAIL: $*" >&2; [ -f "$run/node.log" ] && tail -50 "$run/node.log" >&2; exit 1; }

# @opentelemetry/otlp-transformer, pinned by package-lock.json, installed once per build tree.
mkdir -p "$work"
if ! cmp -s "$here/package-lock.json" "$work/package-lock.json" || [ ! -d "$work/node_modules" ]; then
  cp "$here/package.json" "$here/package-lock.json" "$work/"
  (cd "$work" && npm ci --no-audit --no-fund --silent) || fail "npm ci of @opentelemetry/otlp-transformer"
fi
cp "$here/validate.cjs" "$work/"

run=$(mktemp -d)
node_pid=
trap '[ -n "$node_pid" ] && kill -9 "$node_pid" 2>/dev/null; rm -rf "$run"' EXIT
"$lanchatctl" pki init --dir "$run/pki" --trust-domain lan-chat.test >/dev/null
"$lanchatctl" pki issue --dir "$run/pki" --node n --service audit,identity,auth,channel,router,presence,gateway \
  --address 127.0.0.1 >/dev/null
"$lanchatctl" pki issue-client --dir "$run/pki" --operator admin >/dev/null
plugin() { printf '[[plugin]]\nname = "%s"\npath = "%s/%s.so"\n%s\n' "$1" "$plugin_dir" "$1" "${2:-}"; }
{
  printf '[node]\nname = "n"\ndata_dir = "data"\nexport_traces = true\n'
  printf '[mesh]\nlisten = "127.0.0.1:0"\npki_dir = "pki"\n[client_edge]\nlisten = "127.0.0.1:0"\n'
  plugin audit
  plugin identity $'[plugin.config]\nargon2_memory_kib = 8192\nargon2_iterations = 1'
  plugin auth
  plugin channel
  plugin router
  plugin presence
  plugin gateway
} >"$run/node.toml"
"$lanchatd" "$run/node.toml" >"$run/node.log" 2>&1 &
node_pid=$!
for _ in $(seq 600); do grep -q '"node ready"' "$run/node.log" && break; sleep 0.1; done
grep -q '"node ready"' "$run/node.log" || fail "the node did not start"
grpc=$(grep '"node ready"' "$run/node.log" | sed -E 's/.*"grpc":"([^"]+)".*/\1/')
clients=$(grep '"node ready"' "$run/node.log" | sed -E 's/.*"clients":"[a-z]+:\/\/([^/"]+).*/\1/')
echo "ada password" | "$lanchatctl" user add ada --grpc "$grpc" --pki "$run/pki" --operator admin >/dev/null \
  || fail "lanchatctl user add ada"
chat() { LANCHAT_PASSWORD="ada password" "$lanchat" --server "$clients" --ca "$run/pki/ca.crt" --user ada "$@"; }
chat create traced >/dev/null || fail "lanchat create traced"
chat send traced "traced hello" >/dev/null || fail "lanchat send"
kill -TERM "$node_pid"
wait "$node_pid" || fail "lanchatd exited with $?"
node_pid=

(cd "$work" && node validate.cjs "$run"/data/traces.jsonl*) || fail "validate.cjs"
