// The admin endpoint's routes: what /health/live, /health/ready, /status, /metrics, /metrics/samples,
// /plugins and the reload action answer, from the node's live state.
#pragma once

#include "admin/admin_server.hpp"
#include "host_fwd.hpp"

namespace lanchat::host::admin {

Handler routes_for(Node& node);

}  // namespace lanchat::host::admin
