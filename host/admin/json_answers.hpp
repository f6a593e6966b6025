// The admin endpoint's JSON answers, built with nlohmann_json from the node's live state:
// GET /plugins, GET /status (what lanchatctl status and metrics show) and GET /metrics/samples.
#pragma once

#include <string>

#include "host_fwd.hpp"

namespace lanchat::host::admin {

// An array with one object per plugin on a line of its own: name, version, abi, core, state, health,
// health_reason, loaded_at (UTC, seconds), file.
std::string plugins_json(Node& node);

// node, version, uptime_seconds, ready, not_ready (reasons), process (resident_memory_bytes, open_fds,
// open_sockets), rpc (served and called: service, method, code, count; refused), plugins.
std::string status_json(Node& node);

// Every sample /metrics shows, as {"name", "labels", "value"} objects.
std::string samples_json(Node& node);

}  // namespace lanchat::host::admin
