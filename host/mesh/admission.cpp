#include "mesh/admission.hpp"

#include "lanchat/ids/random_id.hpp"
#include "logging/log.hpp"
#include "logging/request_scope.hpp"
#include "mesh/authorization.hpp"
#include "mesh/routing_table.hpp"
#include "mesh/rpc_owner.hpp"
#include "mesh/server_telemetry.hpp"

namespace lanchat::host::mesh {
namespace {

bool is_hex(std::string_view text) { return text.find_first_not_of("0123456789abcdef") == std::string_view::npos; }

// A W3C traceparent: "00-<32 hex trace id>-<16 hex parent span id>-<2 hex flags>".
bool is_traceparent(const std::string& header) {
    return header.size() == 55 && header[2] == '-' && header[35] == '-' && header[52] == '-' &&
           is_hex(std::string_view(header).substr(3, 32)) && is_hex(std::string_view(header).substr(36, 16));
}

uint64_t unix_ms(std::chrono::system_clock::time_point time) {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count());
}

// The [authorization] line that lets `peer` call `method`'s service: a service identity by its name.
std::string rule_to_allow(const std::string& method, const std::string& peer) {
    const size_t service_path = peer.find("/svc/");
    const std::string caller = service_path == std::string::npos ? peer : peer.substr(service_path + 5);
    return "\"" + std::string(service_of(method)) + "\" = [\"" + caller + "\"]";
}

}  // namespace

InboundLineage inbound_lineage(std::string correlation_id, const std::string& traceparent,
                               std::chrono::system_clock::time_point deadline) {
    InboundLineage inbound;
    CallLineage& lineage = inbound.lineage;
    lineage.correlation_id = std::move(correlation_id);
    if (lineage.correlation_id.empty() || lineage.correlation_id.size() > 128) {
        lineage.correlation_id = ids::random_hex(8);
    }
    if (is_traceparent(traceparent)) {
        lineage.trace_id = traceparent.substr(3, 32);
        inbound.parent_span_id = traceparent.substr(36, 16);
    } else {
        lineage.trace_id = ids::random_hex(16);
    }
    lineage.span_id = ids::random_hex(8);
    if (deadline != std::chrono::system_clock::time_point::max()) lineage.deadline_unix_ms = unix_ms(deadline);
    return inbound;
}

Admission::Admission(const RoutingTable& routes, const AuthorizationPolicy& policy, ServerTelemetry& telemetry,
                     NodeLog& log)
    : routes_(routes), policy_(policy), telemetry_(telemetry), log_(log) {}

sdk::Result<std::shared_ptr<const Route>> Admission::admit(const std::string& method, const std::string& peer,
                                                           std::chrono::system_clock::time_point deadline) const {
    if (!policy_.allows(method, peer)) {
        telemetry_.refused(routes_.find(method) ? method : "unknown");
        const std::string rule = peer.empty() ? "" : rule_to_allow(method, peer);
        log_.warn("refused a call: caller not allowed", {{"caller", peer.empty() ? "(no SPIFFE ID)" : peer},
                                                         {"method", method},
                                                         {"to_allow_add_to_authorization", rule}});
        return sdk::Status(sdk::Code::permission_denied,
                           peer.empty() ? "a caller without a SPIFFE ID may not call " + method
                                        : peer + " may not call " + method + "; to allow it, add " + rule +
                                              " to [authorization] in the node file");
    }
    if (deadline <= std::chrono::system_clock::now()) {
        return sdk::Status(sdk::Code::deadline_exceeded,
                           "the caller's deadline passed before " + method + " was served; nothing was done");
    }
    std::shared_ptr<const Route> route = routes_.find(method);
    if (!route) return sdk::Status(sdk::Code::unimplemented, "no plugin on this node serves " + method);
    if (route->owner->begin_call()) return route;
    auto again = routes_.find(method);
    if (!again || again->owner == route->owner || !again->owner->begin_call()) {
        return sdk::unavailable("plugin '" + route->owner->plugin_name() + "' serving " + method + " is draining");
    }
    return again;
}

void hand_over(const Route& route, lanchat_rpc_call* call, const std::string& peer, const CallLineage& lineage,
               std::string_view request) {
    lanchat_rpc_call_info info{};
    info.struct_size = sizeof info;
    info.method = {route.method.data(), route.method.size()};
    info.peer_identity = {peer.data(), peer.size()};
    info.correlation_id = {lineage.correlation_id.data(), lineage.correlation_id.size()};
    info.trace_id = {lineage.trace_id.data(), lineage.trace_id.size()};
    info.deadline_unix_ms = lineage.deadline_unix_ms;
    {
        RequestScope scope(lineage.correlation_id, lineage.trace_id);
        route.handler(route.user, call, &info, {reinterpret_cast<const uint8_t*>(request.data()), request.size()});
    }
    route.owner->leave();
}

}  // namespace lanchat::host::mesh
