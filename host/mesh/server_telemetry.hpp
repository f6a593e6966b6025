// ServerTelemetry: what the node records of every call its plugins served, whichever way the call arrived:
// counts and durations by proto service, method and code, refusals by authorization, and the server span.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "host_fwd.hpp"
#include "lanchat/plugin_abi.h"
#include "mesh/inbound_call.hpp"

namespace lanchat::host::mesh {

struct Route;

// One served call's span, begun as it arrives.
struct ServerSpan {
    ServerSpan();

    std::string parent_span_id;  // the caller's client span; empty when it sent none
    std::string peer;            // the caller's SPIFFE ID
    std::chrono::steady_clock::time_point started;
    int64_t start_unix_us = 0;
};

class ServerTelemetry {
public:
    // `traces` is null unless [node] export_traces; it must outlive this object.
    ServerTelemetry(metrics::Registry& metrics, TraceWriter* traces);

    // Counts the call and observes its duration. Label values come from the routing table, never from the
    // request: with no `route` (nobody serves the method) they are "unknown", so callers cannot grow the
    // number of series. With a route it also writes the server span.
    void finished(const Route* route, const CallLineage& lineage, const ServerSpan& span, lanchat_status_code code);
    // A call authorization denied; `method` is the full name, or "unknown" when nobody here serves it.
    void refused(const std::string& method);

private:
    TraceWriter* traces_;
    std::shared_ptr<metrics::Family> requests_;  // by service, method, code
    std::shared_ptr<metrics::Family> seconds_;   // by service, method
    std::shared_ptr<metrics::Family> denied_;    // by method
};

}  // namespace lanchat::host::mesh
