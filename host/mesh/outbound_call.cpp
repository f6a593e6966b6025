#include "mesh/outbound_call.hpp"

#include <grpcpp/client_context.h>

#include <algorithm>

#include "lanchat/ids/random_id.hpp"

namespace lanchat::host::mesh {

using Clock = std::chrono::system_clock;

void begin_lineage(OutboundCall& call) {
    if (call.lineage.correlation_id.empty()) call.lineage.correlation_id = ids::random_hex(8);
    if (call.lineage.trace_id.size() != 32) call.lineage.trace_id = ids::random_hex(16);
}

Clock::time_point deadline_of(const OutboundCall& call, std::chrono::milliseconds default_deadline, bool streaming) {
    auto timeout = call.timeout.count() > 0 ? call.timeout : default_deadline;
    Clock::time_point deadline =
        streaming && call.timeout.count() == 0 ? Clock::time_point::max() : Clock::now() + timeout;
    if (call.lineage.deadline_unix_ms != 0) {
        Clock::time_point inherited{std::chrono::milliseconds(call.lineage.deadline_unix_ms)};
        deadline = std::min(deadline, inherited);
    }
    return deadline;
}

void prepare_context(grpc::ClientContext& context, const OutboundCall& call, const std::string& span_id,
                     Clock::time_point deadline) {
    if (deadline != Clock::time_point::max()) context.set_deadline(deadline);
    context.AddMetadata("x-lanchat-correlation-id", call.lineage.correlation_id);
    context.AddMetadata("traceparent", "00-" + call.lineage.trace_id + "-" + span_id + "-01");
}

}  // namespace lanchat::host::mesh
