#!/usr/bin/env bash
# The README's test command (and CI's): installs what is missing, builds the dev preset with tests and runs
# the whole suite with ctest (which prints the summary), then builds the asan preset and runs the plugin
# loading, hot-reload, Identity, Auth, Channel, Router, Presence, chat and client-edge tests again under
# AddressSanitizer and UBSan (300 reload cycles among them).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake --preset dev >/dev/null
cmake --build --preset dev
ctest --preset dev -j "$(nproc)"

cmake --preset asan >/dev/null
cmake --build --preset asan
ctest --preset asan -j "$(nproc)" -R "PluginLibraryTest|ReloadTest|ExecutorTest|LanchatdTest|AuthFlowTest|AuthServiceTest|AccessTokenTest|IdentityServiceTest|LoginThrottleTest|ChannelServiceTest|RouterServiceTest|PresenceServiceTest|ChatTest|ClientEdgeTest"
