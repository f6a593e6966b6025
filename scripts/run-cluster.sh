#!/usr/bin/env bash
# A three-node cluster on this machine in one command (README, "Cluster"): installs what is missing, builds the
# optimised preset, makes the PKI (one CA, a certificate per node), starts PostgreSQL 15 (as the `postgres`
# user when run as root: it refuses root) and a three-member etcd, each its own process with its data under
# var/cluster/, creates the database, then starts the nodes of config/cluster/node-{1,2,3}.toml on 127.0.0.1,
# 127.0.0.2 and 127.0.0.3 and prints where to connect. Ctrl-C, or `scripts/run-cluster.sh stop` from another
# shell, stops everything it started: the nodes first (they leave etcd and finish their writes), then etcd,
# then PostgreSQL. The state stays in var/cluster/ for the next run.
#
# usage: scripts/run-cluster.sh [--skip-install] [--binaries DIR]
#          --skip-install  do not run scripts/install-deps.sh
#          --binaries DIR  run DIR/bin/lanchatd, lanchatctl and lanchat (a build tree or an install prefix,
#                          plugins in DIR/lib/lanchat/plugins) instead of building build/release
#        scripts/run-cluster.sh stop
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
state=$root/var/cluster
nodes=(1 2 3)
postgres_bin=/usr/lib/postgresql/15/bin
postgres_port=5433 # not 5432, where Debian's own cluster would listen
etcd_cluster="e1=http://127.0.0.1:2380,e2=http://127.0.0.2:2380,e3=http://127.0.0.3:2380"

say() { echo "run-cluster: $*"; }
fail() {
  echo "run-cluster: $*" >&2
  exit 1
}
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# A process is ours while it runs in this tree: everything the script starts inherits its working directory,
# so a pid file left by an earlier run never names an unrelated process that took the number since.
alive() {
  local pid=$1 status
  [ -r "/proc/$pid/stat" ] || return 1
  read -r _ _ status _ <"/proc/$pid/stat" || return 1
  [ "$status" != Z ] && [ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$root" ]
}
# The pid of `name` (its file in var/cluster/pids) if it still runs.
running_pid() {
  local file=$state/pids/$1.pid pid
  [ -f "$file" ] || return 1
  pid=$(cat "$file")
  alive "$pid" && echo "$pid"
}
postgres_running() {
  [ -f "$state/postgres/data/postmaster.pid" ] &&
    as_postgres "$postgres_bin/pg_ctl" -D "$state/postgres/data" status >/dev/null 2>&1
}

# SIGTERM to each named process, then waits until all are gone (SIGKILL after 30 s).
terminate() {
  local pids=() name pid
  for name in "$@"; do
    if pid=$(running_pid "$name"); then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  for _ in $(seq 300); do
    local left=0
    for pid in "${pids[@]}"; do alive "$pid" && left=1; done
    [ "$left" -eq 0 ] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do alive "$pid" && kill -KILL "$pid" 2>/dev/null; done
  for name in "$@"; do rm -f "$state/pids/$name.pid"; done
}

stop_cluster() {
  trap '' INT TERM
  terminate node-1 node-2 node-3
  # One member after another: a leader stopping while its peers stop too waits seconds for a leadership
  # transfer that cannot happen.
  for n in "${nodes[@]}"; do terminate "etcd-$n"; done
  if postgres_running; then
    as_postgres "$postgres_bin/pg_ctl" -D "$state/postgres/data" -m fast -w stop >/dev/null
  fi
  rm -f "$state/pids/run-cluster.pid"
}

# `stop` from another shell: the running script stops what it started; whatever a script killed with -9 left
# behind is stopped here.
stop_command() {
  local pid
  if pid=$(running_pid run-cluster); then
    kill -TERM "$pid"
    for _ in $(seq 600); do alive "$pid" || break; sleep 0.1; done
  fi
  stop_cluster
  say "stopped"
}

# Waits until `file` has a line containing `text`, while process `name` runs.
wait_for_log() {
  local file=$1 text=$2 name=$3
  for _ in $(seq 600); do
    grep -qF "$text" "$file" 2>/dev/null && return 0
    running_pid "$name" >/dev/null || break
    sleep 0.1
  done
  tail -20 "$file" >&2
  fail "$name did not start (its log: ${file#"$root"/})"
}

make_pki() {
  local pki=$state/pki services
  [ -f "$pki/ca.crt" ] || "$bin/lanchatctl" pki init --dir "$pki" --trust-domain lan-chat.local >/dev/null
  for n in "${nodes[@]}"; do
    services=auth,identity,router,channel,audit,discovery,gateway
    [ "$n" -eq 1 ] && services+=,presence # Presence runs on node-1 only (config/cluster/node-1.toml)
    [ -f "$pki/nodes/node-$n/node.crt" ] ||
      "$bin/lanchatctl" pki issue --dir "$pki" --node "node-$n" --service "$services" --address "127.0.0.$n" >/dev/null
  done
  [ -f "$pki/clients/operator-admin.crt" ] ||
    "$bin/lanchatctl" pki issue-client --dir "$pki" --operator admin >/dev/null
}

new_password() { head -c 18 /dev/urandom | base64 | tr '+/' '-_'; }
postgres_sql() {
  PGPASSWORD=$(cat "$state/postgres/superuser.password") "$postgres_bin/psql" -X -q -t -A -v ON_ERROR_STOP=1 \
    -h 127.0.0.1 -p "$postgres_port" -U postgres -d postgres -c "$1"
}

# PostgreSQL's own data directory, made once; the superuser's password stays beside it (readable by its owner
# only), the nodes' role `lanchat` has its password in var/cluster/pgpass, which libpq reads (PGPASSFILE).
start_postgres() {
  local dir=$state/postgres
  [ -x "$postgres_bin/initdb" ] || fail "PostgreSQL 15 is not installed: run scripts/install-deps.sh"
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
  as_postgres test -w "$dir" ||
    fail "the postgres user cannot write $dir: every directory above it must be searchable by others (chmod o+x)"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    (umask 077 && new_password >"$dir/superuser.password")
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir/superuser.password"
    as_postgres "$postgres_bin/initdb" -D "$dir/data" -U postgres -A scram-sha-256 \
      --pwfile="$dir/superuser.password" --no-instructions >"$dir/initdb.log" 2>&1 ||
      fail "initdb failed: $(tail -5 "$dir/initdb.log")"
  fi
  as_postgres "$postgres_bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $postgres_port -k '$dir' -c listen_addresses=127.0.0.1" start >/dev/null ||
    fail "PostgreSQL did not start: $(tail -5 "$dir/server.log")"
  if [ ! -f "$state/pgpass" ]; then
    local password
    password=$(new_password)
    if [ -n "$(postgres_sql "SELECT 1 FROM pg_roles WHERE rolname = 'lanchat'")" ]; then
      postgres_sql "ALTER ROLE lanchat PASSWORD '$password'"
    else
      postgres_sql "CREATE ROLE lanchat LOGIN PASSWORD '$password'"
    fi
    (umask 077 && echo "127.0.0.1:$postgres_port:lanchat:lanchat:$password" >"$state/pgpass")
  fi
  [ -n "$(postgres_sql "SELECT 1 FROM pg_database WHERE datname = 'lanchat'")" ] ||
    postgres_sql "CREATE DATABASE lanchat OWNER lanchat"
}

# Each member in its own session (setsid), as the nodes: Ctrl-C reaches this script only, which stops them in order.
start_etcd() {
  command -v etcd >/dev/null || fail "etcd is not installed: run scripts/install-deps.sh"
  for n in "${nodes[@]}"; do
    setsid etcd --name "e$n" --data-dir "$state/etcd-$n" \
      --listen-client-urls "http://127.0.0.$n:2379" --advertise-client-urls "http://127.0.0.$n:2379" \
      --listen-peer-urls "http://127.0.0.$n:2380" --initial-advertise-peer-urls "http://127.0.0.$n:2380" \
      --initial-cluster "$etcd_cluster" --initial-cluster-token lanchat-cluster --initial-cluster-state new \
      >"$state/etcd-$n.log" 2>&1 &
    echo $! >"$state/pids/etcd-$n.pid"
  done
  for n in "${nodes[@]}"; do wait_for_log "$state/etcd-$n.log" "ready to serve client requests" "etcd-$n"; done
}

start_nodes() {
  for n in "${nodes[@]}"; do
    PGPASSFILE=$state/pgpass setsid "$bin/lanchatd" "$root/config/cluster/node-$n.toml" >"$state/node-$n.log" 2>&1 &
    echo $! >"$state/pids/node-$n.pid"
  done
  for n in "${nodes[@]}"; do wait_for_log "$state/node-$n.log" '"node ready"' "node-$n"; done
}

# The first run makes the first administrator; the password is shown this once.
first_administrator() {
  local operator=(--grpc 127.0.0.1:7443 --pki "$state/pki" --operator admin) password
  [ "$("$bin/lanchatctl" user list --json "${operator[@]}")" = "[]" ] || return 0
  password=$(new_password)
  echo "$password" |
    "$bin/lanchatctl" user add admin --role admin --display-name Administrator "${operator[@]}" >/dev/null
  echo
  echo "  First administrator (shown only this once): user admin, password $password"
}

# One of a node's "node ready" fields, as the node bound it.
ready_field() { grep -F '"node ready"' "$state/node-$1.log" | sed -E "s/.*\"$2\":\"([^\"]+)\".*/\1/"; }

print_addresses() {
  echo
  echo "  lanchat cluster running, state in ${state#"$root"/}/ (PGPASSFILE=${state#"$root"/}/pgpass):"
  for n in "${nodes[@]}"; do
    printf '    node-%s  clients %s  admin %s  log %s\n' "$n" "$(ready_field "$n" clients)" \
      "$(ready_field "$n" admin)" "${state#"$root"/}/node-$n.log"
  done
  echo "    PostgreSQL 127.0.0.1:$postgres_port (database lanchat), etcd http://127.0.0.{1,2,3}:2379"
  echo "  Clients trust ${state#"$root"/}/pki/ca.crt; a terminal: $bin/lanchat --server 127.0.0.2:8443 \\"
  echo "    --ca ${state#"$root"/}/pki/ca.crt --user admin chat"
  echo "  Ctrl-C (or scripts/run-cluster.sh stop) stops everything."
  echo
}

# Until Ctrl-C or `stop`: says so once when a node exits by itself (the others go on serving).
supervise() {
  local reported=()
  for ((;;)); do
    sleep 1 &
    wait $! || true
    for n in "${nodes[@]}"; do
      if [[ " ${reported[*]} " != *" $n "* ]] && ! running_pid "node-$n" >/dev/null; then
        say "node-$n exited; see ${state#"$root"/}/node-$n.log"
        reported+=("$n")
      fi
    done
  done
}

start_command() {
  local pid
  if pid=$(running_pid run-cluster); then fail "a cluster runs already (pid $pid): scripts/run-cluster.sh stop"; fi
  for name in node-1 node-2 node-3 etcd-1 etcd-2 etcd-3; do
    running_pid "$name" >/dev/null && fail "$name of an earlier run still runs: scripts/run-cluster.sh stop"
  done
  postgres_running && fail "PostgreSQL of an earlier run still runs: scripts/run-cluster.sh stop"
  [ -n "$skip_install" ] || scripts/install-deps.sh
  if [ -z "$binaries" ]; then
    cmake --preset release >/dev/null
    cmake --build --preset release
    binaries=build/release
  fi
  bin=$(cd "$binaries" && pwd)/bin
  [ -x "$bin/lanchatd" ] || fail "no lanchatd in $bin"

  mkdir -p "$state/pids"
  echo $$ >"$state/pids/run-cluster.pid"
  trap stop_cluster EXIT
  trap 'exit 0' INT TERM
  make_pki
  say "starting PostgreSQL"
  start_postgres
  say "starting etcd"
  start_etcd
  say "starting node-1, node-2, node-3"
  start_nodes
  first_administrator
  print_addresses
  supervise
}

skip_install=
binaries=
command=start
while [ $# -gt 0 ]; do
  case $1 in
    --skip-install) skip_install=1 ;;
    --binaries)
      [ $# -ge 2 ] || fail "--binaries needs a directory"
      binaries=$2
      shift
      ;;
    stop) command=stop ;;
    *) fail "unknown argument '$1' (usage: scripts/run-cluster.sh [--skip-install] [--binaries DIR] | stop)" ;;
  esac
  shift
done
if [ "$command" = stop ]; then stop_command; else start_command; fi
