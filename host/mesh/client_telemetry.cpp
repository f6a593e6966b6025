#include "mesh/client_telemetry.hpp"

#include "lanchat/ids/random_id.hpp"
#include "lanchat/sdk/status.hpp"
#include "metrics/registry.hpp"
#include "observability/trace_writer.hpp"

namespace lanchat::host::mesh {
namespace {

int64_t now_unix_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

ClientSpan::ClientSpan()
    : span_id(ids::random_hex(8)), started(std::chrono::steady_clock::now()), start_unix_us(now_unix_us()) {}

ClientTelemetry::ClientTelemetry(metrics::Registry& metrics, TraceWriter* traces)
    : traces_(traces),
      requests_(metrics.must(metrics::Kind::counter, "lanchat_rpc_client_requests_total",
                             "Calls made through the mesh, by target service, method and final status code.",
                             {"service", "method", "code"})),
      seconds_(metrics.must(metrics::Kind::histogram, "lanchat_rpc_client_handling_seconds",
                            "Time from a call's start to its final result, retries included.", {"service", "method"})),
      in_process_(metrics.must(metrics::Kind::counter, "lanchat_rpc_client_in_process_total",
                               "Of the calls made through the mesh, those carried in process to a service hosted on "
                               "this node ([mesh] local_calls), by target service, method and final status code.",
                               {"service", "method", "code"})) {}

void ClientTelemetry::finished(const OutboundCall& call, const ClientSpan& span, lanchat_status_code code,
                               bool in_process) {
    std::string method = call.method.substr(call.method.rfind('/') + 1);
    const char* code_name = sdk::code_name(static_cast<sdk::Code>(code));
    requests_->add({call.service, method, code_name}, 1);
    if (in_process) in_process_->add({call.service, method, code_name}, 1);
    seconds_->observe({call.service, method},
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - span.started).count());
    trace(call, span, code);
}

// Its own span id, the inbound call's span as parent.
void ClientTelemetry::trace(const OutboundCall& call, const ClientSpan& span, lanchat_status_code code) {
    if (traces_ == nullptr) return;
    Span written;
    written.trace_id = call.lineage.trace_id;
    written.span_id = span.span_id;
    written.parent_span_id = call.lineage.span_id;
    written.name = call.method;
    written.kind = SpanKind::client;
    written.plugin = call.caller_service;
    written.peer = call.service;
    written.correlation_id = call.lineage.correlation_id;
    written.start_unix_us = span.start_unix_us;
    written.duration_us = now_unix_us() - span.start_unix_us;
    written.code = code;
    traces_->write(written);
}

}  // namespace lanchat::host::mesh
