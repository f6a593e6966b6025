#include "mesh/server_telemetry.hpp"

#include "lanchat/sdk/status.hpp"
#include "mesh/routing_table.hpp"
#include "mesh/rpc_owner.hpp"
#include "metrics/registry.hpp"
#include "observability/trace_writer.hpp"

namespace lanchat::host::mesh {
namespace {

int64_t unix_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

ServerSpan::ServerSpan() : started(std::chrono::steady_clock::now()), start_unix_us(unix_us()) {}

ServerTelemetry::ServerTelemetry(metrics::Registry& metrics, TraceWriter* traces)
    : traces_(traces),
      requests_(metrics.must(metrics::Kind::counter, "lanchat_rpc_server_requests_total",
                             "Calls served, by proto service, method and status code.", {"service", "method", "code"})),
      seconds_(metrics.must(metrics::Kind::histogram, "lanchat_rpc_server_handling_seconds",
                            "Time from a call's arrival to its end, by proto service and method.",
                            {"service", "method"})),
      denied_(metrics.must(metrics::Kind::counter, "lanchat_rpc_refused_total",
                           "Calls refused by authorization, by method.", {"method"})) {}

void ServerTelemetry::finished(const Route* route, const CallLineage& lineage, const ServerSpan& span,
                               lanchat_status_code code) {
    const char* code_name = sdk::code_name(static_cast<sdk::Code>(code));
    std::string service = route ? std::string(service_of(route->method)) : "unknown";
    std::string method = route ? route->method.substr(route->method.rfind('/') + 1) : "unknown";
    requests_->add({service, method, code_name}, 1);
    seconds_->observe({service, method},
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - span.started).count());
    if (traces_ == nullptr || route == nullptr) return;
    Span written;
    written.trace_id = lineage.trace_id;
    written.span_id = lineage.span_id;
    written.parent_span_id = span.parent_span_id;
    written.name = route->method;
    written.kind = SpanKind::server;
    written.plugin = route->owner->plugin_name();
    written.peer = span.peer;
    written.correlation_id = lineage.correlation_id;
    written.start_unix_us = span.start_unix_us;
    written.duration_us = unix_us() - span.start_unix_us;
    written.code = code;
    traces_->write(written);
}

void ServerTelemetry::refused(const std::string& method) { denied_->add({method}, 1); }

}  // namespace lanchat::host::mesh
