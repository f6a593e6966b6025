// The admin endpoint's routes: what /health/live, /health/ready, /status, /metrics, /metrics/samples,
// /plugins and the reload action answer, from the node's live state. Actions that change the node are
// audited (admin_audit.hpp); `log` says when the audit record cannot take one.
#pragma once

#include "admin/admin_server.hpp"
#include "host_fwd.hpp"

namespace lanchat::host::admin {

Handler routes_for(Node& node, NodeLog& log);

}  // namespace lanchat::host::admin
