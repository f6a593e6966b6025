#!/usr/bin/env bash
# The README's run command: installs what is missing, builds the optimised preset, and starts the
# all-in-one node from config/all-in-one.toml (Ctrl-C drains and stops it), creates the first administrator
# on the first run, and prints where to connect.
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
    --service auth,identity,router,channel,presence,audit,discovery,gateway --address 127.0.0.1,localhost
fi
# The operator certificate lanchatctl uses for `user` and `audit` commands.
if [ ! -f "$pki/clients/operator-admin.crt" ]; then
  build/release/bin/lanchatctl pki issue-client --dir "$pki" --operator admin
fi
ctl=build/release/bin/lanchatctl
build/release/bin/lanchatd "$@" config/all-in-one.toml &
node=$!
trap 'kill -TERM "$node" 2>/dev/null' INT TERM
for _ in $(seq 300); do "$ctl" health >/dev/null 2>&1 && break; kill -0 "$node" 2>/dev/null || break; sleep 0.1; done
if ! "$ctl" health >/dev/null 2>&1; then
  wait "$node"
  exit $?
fi

# The first run makes the first administrator; its password is shown this once (change it with
# lanchatctl user passwd admin).
operator=(--grpc 127.0.0.1:7443 --pki "$pki" --operator admin)
if [ "$("$ctl" user list --json "${operator[@]}")" = "[]" ]; then
  password=$(head -c 15 /dev/urandom | base64 | tr '+/' '-_')
  echo "$password" | "$ctl" user add admin --role admin --display-name Administrator "${operator[@]}" >/dev/null
  cat <<BANNER

  ======================================================================
  lanchat is running. First administrator (shown only this once):
      user:     admin
      password: $password
  ======================================================================
BANNER
fi
cat <<READY

  Chat in a browser:   https://127.0.0.1:8443/
      (the certificate comes from this node's own CA, var/pki/ca.crt: accept the browser's warning once,
       or import that CA to trust it)
  Or in a terminal:    build/release/bin/lanchat --user admin chat
  Operators:           build/release/bin/lanchatctl status | user add NAME ${operator[*]}
  Ctrl-C stops the node.

READY
wait "$node"
