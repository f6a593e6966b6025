// ClientTelemetry: what the mesh client tells metrics and the trace export about each call it finished.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "host_fwd.hpp"
#include "lanchat/plugin_abi.h"
#include "mesh/outbound_call.hpp"

namespace lanchat::host::mesh {

// The client span of one call, begun when the call starts; retries stay inside it.
struct ClientSpan {
    ClientSpan();

    std::string span_id;  // the parent of the server span on the other side
    std::chrono::steady_clock::time_point started;
    int64_t start_unix_us = 0;
};

class ClientTelemetry {
public:
    // `traces` is null unless [node] export_traces; it must outlive this object.
    ClientTelemetry(metrics::Registry& metrics, TraceWriter* traces);

    // Counts the call by target service, method and code (`in_process` ones once more on their own counter,
    // so an operator sees which path calls took), observes its duration, and writes its client span.
    void finished(const OutboundCall& call, const ClientSpan& span, lanchat_status_code code, bool in_process);

private:
    void trace(const OutboundCall& call, const ClientSpan& span, lanchat_status_code code);

    TraceWriter* traces_;
    std::shared_ptr<metrics::Family> requests_;    // by target service, method, code
    std::shared_ptr<metrics::Family> seconds_;     // by target service, method
    std::shared_ptr<metrics::Family> in_process_;  // by target service, method, code
};

}  // namespace lanchat::host::mesh
