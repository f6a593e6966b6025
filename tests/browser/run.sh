#!/usr/bin/env bash
# End to end in a real browser: Debian's Chromium, driven by playwright-core (npm), opens the web client of a
# real all-in-one node twice; two users made with lanchatctl chat and see each other's presence
# (two_users.mjs says every step).
# usage: run.sh LANCHATD LANCHATCTL PLUGIN_DIR WORK_DIR
set -euo pipefail
lanchatd=$1 lanchatctl=$2 plugin_dir=$3 work=$4
here=$(cd "$(dirname "$0")" && pwd)
fail() { echo "FAIL: $*" >&2; [ -f "$run/node.log" ] && tail -50 "$run/node.log" >&2; exit 1; }
[ -x /usr/bin/chromium ] || { echo "FAIL: /usr/bin/chromium is missing: run scripts/install-deps.sh" >&2; exit 1; }

# playwright-core, pinned by package-lock.json, installed once per build tree. The script runs from there:
# ES modules resolve packages next to the importing file.
mkdir -p "$work"
if ! cmp -s "$here/package-lock.json" "$work/package-lock.json" || [ ! -d "$work/node_modules" ]; then
  cp "$here/package.json" "$here/package-lock.json" "$work/"
  (cd "$work" && npm ci --no-audit --no-fund --silent) || fail "npm ci of playwright-core"
fi
cp "$here/two_users.mjs" "$work/"

run=$(mktemp -d)
node_pid=
trap '[ -n "$node_pid" ] && kill -9 "$node_pid" 2>/dev/null; rm -rf "$run"' EXIT
"$lanchatctl" pki init --dir "$run/pki" --trust-domain lan-chat.test >/dev/null
"$lanchatctl" pki issue --dir "$run/pki" --node n --service audit,identity,auth,channel,router,presence,gateway >/dev/null
"$lanchatctl" pki issue-client --dir "$run/pki" --operator admin >/dev/null
plugin() { printf '[[plugin]]\nname = "%s"\npath = "%s/%s.so"\n%s\n' "$1" "$plugin_dir" "$1" "${2:-}"; }
{
  printf '[node]\nname = "n"\ndata_dir = "data"\n[mesh]\nlisten = "127.0.0.1:0"\npki_dir = "pki"\n'
  printf '[client_edge]\nlisten = "127.0.0.1:0"\n'
  plugin audit
  plugin identity $'[plugin.config]\nargon2_memory_kib = 8192\nargon2_iterations = 1'
  plugin auth
  plugin channel
  plugin router
  plugin presence $'[plugin.config]\ndevice_ttl_ms = 5000'
  plugin gateway $'[plugin.config]\nallow_registration = true\nheartbeat_ms = 1000'
} >"$run/node.toml"
"$lanchatd" "$run/node.toml" >"$run/node.log" 2>&1 &
node_pid=$!
for _ in $(seq 100); do grep -q '"node ready"' "$run/node.log" && break; sleep 0.1; done
grep -q '"node ready"' "$run/node.log" || fail "the node did not start"
grpc=$(grep '"node ready"' "$run/node.log" | sed -E 's/.*"grpc":"([^"]+)".*/\1/')
url=$(grep '"node ready"' "$run/node.log" | sed -E 's/.*"clients":"([^"]+)".*/\1/')
for user in alice bob; do
  echo "$user password" | "$lanchatctl" user add "$user" --grpc "$grpc" --pki "$run/pki" --operator admin >/dev/null \
    || fail "lanchatctl user add $user"
done

export BROWSER_TEST_ARTIFACTS=${BROWSER_TEST_ARTIFACTS:-$work/artifacts}  # the phone layout's screenshots
(cd "$work" && node two_users.mjs "$url" alice "alice password" bob "bob password") || fail "two_users.mjs"
kill -TERM "$node_pid"
wait "$node_pid" || fail "lanchatd exited with $?"
node_pid=
