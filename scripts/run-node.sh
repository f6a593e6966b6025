#!/usr/bin/env bash
# The README's run command: installs what is missing, builds the optimised preset, and starts the
# all-in-one node from config/all-in-one.toml in the foreground (Ctrl-C drains and stops it).
# Extra arguments go to lanchatd, e.g. --log-format text.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release

# A development PKI for the all-in-one node, made once (the CA key stays in var/pki; move it offline for
# anything beyond development).
pki=var/pki
if [ ! -f "$pki/ca.crt" ]; then
  build/release/bin/lanchatctl pki init --dir "$pki" --trust-domain lan-chat.local
  build/release/bin/lanchatctl pki issue --dir "$pki" --node all-in-one \
    --service auth,identity,router,channel,presence,audit,discovery,gateway
fi
# The operator certificate lanchatctl uses for `user` and `audit` commands.
if [ ! -f "$pki/clients/operator-admin.crt" ]; then
  build/release/bin/lanchatctl pki issue-client --dir "$pki" --operator admin
fi
echo "run-node: add users with: build/release/bin/lanchatctl user add NAME --role admin" \
  "--grpc 127.0.0.1:7443 --pki $pki --operator admin"
echo "run-node: starting build/release/bin/lanchatd config/all-in-one.toml; its 'node ready' line says where it listens"
exec build/release/bin/lanchatd "$@" config/all-in-one.toml
