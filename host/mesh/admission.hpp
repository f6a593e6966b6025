// Admission: what happens to every inbound call before its plugin sees it, whichever way the call arrived
// (the gRPC server, or in process): its lineage is read, its caller authorized, its route found and the
// serving instance asked to take it; then the plugin's handler is handed the call.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "host_fwd.hpp"
#include "lanchat/sdk/status.hpp"
#include "mesh/inbound_call.hpp"

namespace lanchat::host::mesh {

struct Route;
class ServerTelemetry;

// The lineage a served call gets from what its caller sent: the correlation id (a new one when missing or
// over 128 characters), the trace of a valid W3C traceparent (else a new trace), a fresh server span, and
// the caller's deadline (time_point::max(): none).
struct InboundLineage {
    CallLineage lineage;
    std::string parent_span_id;  // the caller's span; empty without a valid traceparent
};
InboundLineage inbound_lineage(std::string correlation_id, const std::string& traceparent,
                               std::chrono::system_clock::time_point deadline);

class Admission {
public:
    // Borrows everything; each must outlive the calls it admits.
    Admission(const RoutingTable& routes, const AuthorizationPolicy& policy, ServerTelemetry& telemetry, NodeLog& log);

    // The route whose instance took the call (its begin_call succeeded: hand_over() must follow), or the
    // status to end the call with: PERMISSION_DENIED when `peer` may not call `method` (counted and logged),
    // DEADLINE_EXCEEDED when the caller's `deadline` passed while the call waited to be served (its caller
    // has given up: no plugin starts work nobody will hear of), UNIMPLEMENTED when no plugin here serves it,
    // UNAVAILABLE when its instance drains. A hot reload may switch the route between the lookup and the
    // admission: then the successor takes the call.
    sdk::Result<std::shared_ptr<const Route>> admit(const std::string& method, const std::string& peer,
                                                    std::chrono::system_clock::time_point deadline) const;

private:
    const RoutingTable& routes_;
    const AuthorizationPolicy& policy_;
    ServerTelemetry& telemetry_;
    NodeLog& log_;
};

// Runs the plugin's handler of an admitted call with the info plugin_abi.h promises, then ends the
// admission (the instance may stop once no handler runs). `request` is borrowed for the handler only.
void hand_over(const Route& route, lanchat_rpc_call* call, const std::string& peer, const CallLineage& lineage,
               std::string_view request);

}  // namespace lanchat::host::mesh
