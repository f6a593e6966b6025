#!/usr/bin/env bash
# The Debian packages, as an operator gets them: `build` makes both with cpack (the fixture the others need)
# and checks what each holds and depends on; `lintian` runs Debian's checker on both; `unit` checks the
# systemd unit with systemd-analyze inside the unpacked package; `check` runs the unpacked lanchatd --check
# on the node file the package ships, with a PKI made by the unpacked lanchatctl; `sdk` builds the SDK's
# example plugin against the unpacked lanchat-dev and checks it in the unpacked lanchatd; `serve` runs the
# unpacked node as the unit does: an unprivileged user, a 0700 state directory, keys readable by its group.
# usage: deb_packages.sh build|lintian|unit|check|sdk|serve BUILD_DIR [SOURCE_DIR (for sdk)]
set -euo pipefail
step=$1
build_dir=$2
packages=$build_dir/packages
work=$(mktemp -d)
node_pid=
cleanup() {
  [ -n "$node_pid" ] && kill -9 "$node_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$work/node.log" ] && cat "$work/node.log" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

package_file() {
  local files=("$packages/$1"_*.deb)
  [ -f "${files[0]}" ] || fail "no $1_*.deb in $packages: the DebPackagesBuildWithCpack test makes them"
  echo "${files[0]}"
}

# Unpacks packages into $work/root, as dpkg would lay them out under /.
unpack() {
  for package in "$@"; do dpkg-deb -x "$(package_file "$package")" "$work/root"; done
}

expect_files() {
  local deb=$1
  shift
  dpkg-deb -c "$deb" | awk '{print $6}' | sed 's#^\./#/#' >"$work/listing"
  for file in "$@"; do
    grep -qx "$file" "$work/listing" || fail "$(basename "$deb") has no $file"
  done
}

build() {
  rm -rf "$packages"
  cpack --config "$build_dir/CPackConfig.cmake" >"$work/cpack.log" 2>&1 || { cat "$work/cpack.log" >&2; fail "cpack"; }
  local node dev
  node=$(package_file lanchat)
  dev=$(package_file lanchat-dev)
  expect_files "$node" /usr/bin/lanchatd /usr/bin/lanchatctl /usr/bin/lanchat /usr/lib/liblanchat_contracts.so.0 \
    /usr/lib/lanchat/plugins/{audit,auth,channel,discovery,gateway,identity,presence,router}.so \
    /lib/systemd/system/lanchatd@.service /usr/lib/sysusers.d/lanchat.conf /etc/lanchat/main.toml \
    /usr/share/doc/lanchat/copyright /usr/share/doc/lanchat/changelog.Debian.gz
  grep -q "include/\|cmake/lanchat-plugin-api" "$work/listing" && fail "lanchat holds SDK files"
  expect_files "$dev" /usr/include/lanchat/plugin_abi.h /usr/include/lanchat/sdk/plugin.hpp \
    /usr/lib/liblanchat_contracts.so /usr/lib/cmake/lanchat-plugin-api/lanchat-plugin-api-config.cmake \
    /usr/lib/cmake/lanchat-plugin-api/LanchatPlugin.cmake /usr/share/lanchat/proto/lanchat/channel/v1/channel.proto \
    /usr/share/doc/lanchat-dev/copyright
  grep -q "^/usr/bin/\|plugins/.*\.so$" "$work/listing" && fail "lanchat-dev holds the node's files"

  # Dependencies from dpkg-shlibdeps name Debian's library packages; the SDK needs the node of its version.
  local depends
  depends=$(dpkg-deb -f "$node" Depends)
  for library in libc6 libstdc++6 libprotobuf32 libgrpc++1.51 libssl3 libsqlite3-0 libpq5; do
    [[ "$depends" == *"$library"* ]] || fail "lanchat's Depends has no $library: $depends"
  done
  [[ "$(dpkg-deb -f "$dev" Depends)" == *"lanchat (= $(dpkg-deb -f "$node" Version))"* ]] \
    || fail "lanchat-dev does not depend on this version of lanchat: $(dpkg-deb -f "$dev" Depends)"
  dpkg-deb -e "$node" "$work/control"
  for script in postinst prerm postrm conffiles triggers shlibs; do
    [ -f "$work/control/$script" ] || fail "lanchat has no $script"
  done
  grep -qx /etc/lanchat/main.toml "$work/control/conffiles" || fail "/etc/lanchat/main.toml is not a conffile"
  echo "built $(basename "$node") and $(basename "$dev")"
}

run_lintian() {
  # Errors fail; warnings and the rest are printed for the reader.
  lintian --tag-display-limit 0 --display-info "$(package_file lanchat)" "$(package_file lanchat-dev)" \
    >"$work/lintian.log" 2>&1 || true
  cat "$work/lintian.log"
  if grep -q "^E: " "$work/lintian.log"; then fail "lintian reports errors"; fi
  grep -q "^W: \|^I: \|^N: \|^P: " "$work/lintian.log" || [ ! -s "$work/lintian.log" ] \
    || fail "lintian did not run: $(cat "$work/lintian.log")"
  echo "lintian: no errors"
}

unit() {
  unpack lanchat
  local root=$work/root unit_file=$work/root/lib/systemd/system/lanchatd@.service
  # The user the unit runs as is the one the package's sysusers.d file makes.
  grep -qx "User=lanchat" "$unit_file" || fail "the unit does not run as lanchat"
  mkdir -p "$root/etc"
  systemd-sysusers --root="$root" lanchat.conf 2>/dev/null || fail "systemd-sysusers refused lanchat.conf"  # as postinst
  grep -q "^lanchat:x:[0-9]*:[0-9]*:lanchat node:/var/lib/lanchat:" "$root/etc/passwd" \
    || fail "systemd-sysusers made no lanchat system user: $(cat "$root/etc/passwd")"

  # The node's data directory rules (0700, nobody else may write) agree with the unit's state directory.
  grep -qx "StateDirectory=lanchat/%i" "$unit_file" || fail "the unit's state is not under /var/lib/lanchat/%i"
  grep -qx "StateDirectoryMode=0700" "$unit_file" || fail "the unit's state directory is not 0700"
  grep -qx 'data_dir = "/var/lib/lanchat/main".*' "$root/etc/lanchat/main.toml" \
    || fail "main.toml's data_dir is not lanchatd@main's state directory"
  for option in ProtectSystem=strict ProtectHome=yes NoNewPrivileges=yes PrivateTmp=yes CapabilityBoundingSet=; do
    grep -qx "$option" "$unit_file" || fail "the unit lacks $option"
  done

  # systemd-analyze loads instance main as systemd would, in the unpacked package laid over what every
  # Debian system has: its own units (sysinit.target, network-online.target, ...) and /bin/kill.
  mkdir -p "$root/usr/lib/systemd/system"
  cp -a /lib/systemd/system/. "$root/usr/lib/systemd/system/"
  install -D /bin/kill "$root/bin/kill"
  systemd-analyze verify --root="$root" lanchatd@main.service >"$work/verify.log" 2>&1 \
    || { cat "$work/verify.log" >&2; fail "systemd-analyze verify refused lanchatd@main.service"; }
  # It exits 0 on an unknown key or a bad value, which it ignores: any word from it is a complaint.
  [ -s "$work/verify.log" ] && { cat "$work/verify.log" >&2; fail "systemd-analyze verify has complaints"; }
  # Its exposure score (0 best, 10 worst) stays in the lowest band systemd calls OK.
  systemd-analyze security --offline=yes --root="$root" --threshold=20 lanchatd@main.service >"$work/security.log" 2>&1 \
    || { cat "$work/security.log" >&2; fail "the unit's exposure rose above 2.0"; }
  grep "Overall exposure level" "$work/security.log"
  echo "systemd-analyze verify accepts lanchatd@.service"
}

# The PKI of node main in the unpacked /etc/lanchat/pki, as the README's "Install from packages" makes it.
make_pki() {
  local ctl=$work/root/usr/bin/lanchatctl pki=$work/root/etc/lanchat/pki
  "$ctl" pki init --dir "$pki" --trust-domain lan-chat.local >/dev/null
  "$ctl" pki issue --dir "$pki" --node main --address 127.0.0.1,localhost \
    --service auth,identity,router,channel,presence,audit,discovery,gateway >/dev/null
}

check() {
  unpack lanchat
  make_pki
  local root=$work/root
  "$root/usr/bin/lanchatd" --check "$root/etc/lanchat/main.toml" >"$work/check.log" 2>&1 \
    || { cat "$work/check.log" >&2; fail "the unpacked lanchatd --check refused the shipped main.toml"; }
  echo "the unpacked lanchatd checked /etc/lanchat/main.toml: $(tail -1 "$work/check.log")"
}

serve() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: running lanchatd as another user needs root"
    exit 77
  fi
  unpack lanchat
  make_pki
  # An id no account has: what systemd-sysusers gives lanchat is a number like it. The state directory is
  # what StateDirectory= makes (0700, the user's); the keys as the README has them (root, group-readable).
  local root=$work/root id=64999 state=$work/state admin_port
  chmod 755 "$work"
  chgrp "$id" "$root"/etc/lanchat/pki/nodes/main/*.key
  chmod 640 "$root"/etc/lanchat/pki/nodes/main/*.key
  install -d -m 0700 -o "$id" -g "$id" "$state"
  admin_port=$(free_port)
  sed -e "s#^data_dir = \"/var/lib/lanchat/main\"#data_dir = \"$state\"#" \
    -e "s#127.0.0.1:7443#127.0.0.1:0#" -e "s#127.0.0.1:8443#127.0.0.1:0#" -e "s#127.0.0.1:9464#127.0.0.1:$admin_port#" \
    "$root/etc/lanchat/main.toml" >"$root/etc/lanchat/serve.toml"
  setpriv --reuid="$id" --regid="$id" --clear-groups "$root/usr/bin/lanchatd" "$root/etc/lanchat/serve.toml" \
    >"$work/node.log" 2>&1 &
  node_pid=$!
  for _ in $(seq 600); do
    grep -q '"node ready"' "$work/node.log" && break
    kill -0 "$node_pid" 2>/dev/null || fail "the node exited before it was ready"
    sleep 0.1
  done
  "$root/usr/bin/lanchatctl" --admin "http://127.0.0.1:$admin_port" health >/dev/null || fail "the node is not ready"
  [ "$(stat -c %a "$state/channel")" = 700 ] || fail "the node left its channel directory $(stat -c %a "$state/channel")"
  kill -TERM "$node_pid"
  wait "$node_pid" || fail "lanchatd exited with $? after SIGTERM"
  node_pid=
  echo "the unpacked node served as uid $id from a 0700 state directory and stopped cleanly"
}

sdk() {
  local source_dir=$1
  unpack lanchat lanchat-dev
  local root=$work/root
  cp -r "$source_dir/sdk-docs/example-plugin" "$work/example"
  cmake -S "$work/example" -B "$work/example/build" -G Ninja -DCMAKE_PREFIX_PATH="$root/usr" >"$work/sdk.log" 2>&1 \
    && cmake --build "$work/example/build" >>"$work/sdk.log" 2>&1 \
    || { cat "$work/sdk.log" >&2; fail "the example plugin does not build against lanchat-dev"; }
  grep -q "$root/usr/lib/cmake/lanchat-plugin-api" "$work/example/build/CMakeCache.txt" \
    || fail "the example found an SDK other than the unpacked lanchat-dev"
  "$root/usr/bin/lanchatd" --describe "$work/example/build/heartbeat.so" | grep -q "interval_ms" \
    || fail "the unpacked lanchatd does not describe the example plugin"
  echo "the example plugin built against lanchat-dev loads in the lanchat package's lanchatd"
}

case $step in
  build) build ;;
  lintian) run_lintian ;;
  unit) unit ;;
  check) check ;;
  sdk) sdk "$3" ;;
  serve) serve ;;
  *) fail "unknown step '$step' (build, lintian, unit, check, sdk or serve)" ;;
esac
