#!/usr/bin/env bash
# The kill -9 campaign, ROUNDS times (default 100): people send, edit, delete and log in through the client
# edge while the all-in-one node is killed with SIGKILL at a random moment and restarted; after each round
# every SQLite file passes PRAGMA integrity_check, the audit chain verifies, every acknowledged write is in
# its channel's log exactly once, and resumed deliveries have no hole and no repeat. It is the ctest test
# KillCampaignTest (CI runs its default 5 rounds), built by the dev preset:
#   flock /work/wt/build.lock cmake --build --preset dev && bench/kill-campaign.sh 100
# Prints rounds, acknowledged writes checked and losses (goal 0); exits non-zero on any loss.
set -euo pipefail
rounds="${1:-100}"
binary="${2:-build/dev/bin/kill_campaign_tests}"
[ -x "$binary" ] || { echo "kill-campaign: no $binary: build the dev preset first" >&2; exit 2; }
LANCHAT_KILL_ROUNDS="$rounds" exec "$binary" --gtest_brief=1
