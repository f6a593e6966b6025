// One finished span as an OTLP/JSON ExportTraceServiceRequest on one line (the OpenTelemetry Protocol's JSON
// encoding: trace and span ids in hex, times in nanoseconds as strings, enums as numbers), with the RPC
// semantic conventions' attributes (rpc.system, rpc.service, rpc.method, rpc.grpc.status_code).
#pragma once

#include <string>

#include "observability/trace_writer.hpp"

namespace lanchat::host {

// The resource is the plugin whose span it is (service.name, in service.namespace "lanchat") on `node`.
std::string otlp_json_line(const Span& span, const std::string& node);

}  // namespace lanchat::host
