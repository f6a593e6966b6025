// Routes gRPC's own diagnostics into the node's log, so every line stays one JSON object.
#pragma once

#include "host_fwd.hpp"

namespace lanchat::host::mesh {

// Process-wide (gRPC has one log hook); `log` must outlive every gRPC object.
void route_grpc_logs(NodeLog& log);

}  // namespace lanchat::host::mesh
