#!/usr/bin/env bash
# The README's test command (and CI's): installs what is missing (the tests' npm packages too), checks the
# layout of every source file against .clang-format, builds the dev preset (warnings are errors) with tests
# and runs the whole suite with ctest (which prints the summary), then builds the asan preset and runs every
# GoogleTest suite again under AddressSanitizer and UBSan (the reload test with 100 cycles there, 300 in the
# first pass). Left out there, and run in the dev pass only:
#  - the tests that drive programs that are not ours (the out-of-tree SDK build, @grpc/grpc-js, OpenTelemetry's
#    OTLP reader, Chromium, testssl, the Kubernetes schema validator, cpack, lintian and systemd-analyze);
#  - the store suites' runs against PostgreSQL (their SQLite runs stay; the PostgreSQL code runs under ASan in
#    PostgresDatabaseTest and PostgresStoreTest), which would otherwise add a third to the pass;
#  - the cluster tests (scripts/run-cluster.sh's and ClusterTest: three nodes, PostgreSQL and etcd starting at
#    once; each node's code runs under ASan in the other integration tests, calls that name a node in the
#    resolver's unit tests).
# Between the two passes, scripts/run-fuzzers.sh builds the libFuzzer targets with clang and runs each over
# its regression inputs and for 5 seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --test
scripts/check-format.sh
cmake --preset dev >/dev/null
cmake --build --preset dev
ctest --preset dev -j "$(nproc)"

scripts/run-fuzzers.sh --seconds 5

cmake --preset asan >/dev/null
cmake --build --preset asan
ctest --preset asan -j "$(nproc)" \
  -E "SdkExamplePluginBuildsOutOfTreeAndRuns|GrpcJsClientCallsAPluginAndHealthOverMutualTls|OtlpTracesOfOneSendReadBackByOpenTelemetry|WebClientTwoUsersChatInChromium|TlsAuditTest|/postgresql|KubernetesManifests|RunClusterScriptTest|ClusterTest\.|^Deb(Dev)?Package"
