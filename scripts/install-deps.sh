#!/usr/bin/env bash
# Installs the Debian packages lanchat builds, tests and runs with — only those missing.
# When everything is already there it changes nothing and says so.
# With --test, also the npm packages of the tests that install theirs beside them (each directory's
# package-lock.json pins them): the Kubernetes manifests' validator (tests/kubernetes).
set -euo pipefail
cd "$(dirname "$0")/.."

npm_tests=()
case "${1:-}" in
  "") ;;
  --test) npm_tests=(tests/kubernetes) ;;
  *)
    echo "install-deps: unknown argument '$1' (usage: scripts/install-deps.sh [--test])" >&2
    exit 2
    ;;
esac

# npm ci once per change of the lock file; node_modules/.lanchat-lock records the lock it was installed from.
install_npm_tests() {
  for dir in "${npm_tests[@]}"; do
    if cmp -s "$dir/package-lock.json" "$dir/node_modules/.lanchat-lock"; then continue; fi
    echo "install-deps: npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --silent && cp package-lock.json node_modules/.lanchat-lock)
  done
}

packages=(
  # build
  g++ cmake ninja-build ccache pkg-config file clang-format
  # host and SDK libraries (see ../sdk-docs/getting-started.md for what each is for)
  libboost1.81-dev libboost-url1.81-dev libcli11-dev libtomlplusplus-dev libspdlog-dev libfmt-dev
  libprotobuf-dev protobuf-compiler libssl-dev libgrpc++-dev protobuf-compiler-grpc libsqlite3-dev
  libargon2-dev libjwt-dev nlohmann-json3-dev  # password hashing (Identity), JSON Web Tokens (Auth)
  libpq-dev   # the PostgreSQL stores (store = "postgresql")
  postgresql  # PostgreSQL 15: the tests start their own server; Debian's `15 main` cluster stays stopped
  golang-etcd-server-dev  # etcd's .proto files: the host speaks etcd's gRPC API (cluster membership)
  # cluster membership ([discovery] etcd) and the tests that start etcd members
  etcd-server etcd-client
  # tests
  libgtest-dev libgmock-dev
  prometheus  # for promtool, which checks the /metrics output
  testssl.sh  # audits the TLS of the client edge and the admin endpoint (tests/integration/tls_audit_test.cpp)
  chromium    # the web client's end-to-end test (driven by playwright-core from npm)
  # the Debian packages (cpack -G DEB): dpkg-shlibdeps finds their dependencies, lintian checks them,
  # systemd-analyze and systemd-sysusers check the unit and its user
  dpkg-dev lintian systemd
)
# Node.js runs the interoperability tests (@grpc/grpc-js from npm); a machine may have it from elsewhere.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present, nothing to do"
  install_npm_tests
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}; run as root (or install them with apt-get)" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Packages such as prometheus would start their daemon on install; the project only needs their tools.
policy=/usr/sbin/policy-rc.d
made_policy=
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made_policy=1
fi
trap '[ -n "$made_policy" ] && rm -f "$policy"' EXIT
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
install_npm_tests
