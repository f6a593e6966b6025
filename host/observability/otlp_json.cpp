#include "observability/otlp_json.hpp"

#include <nlohmann/json.hpp>
#include <string_view>

#include "lanchat/sdk/status.hpp"

namespace lanchat::host {
namespace {

using nlohmann::ordered_json;

// OTLP's Span.SpanKind and Status.StatusCode values.
constexpr int kSpanKindServer = 2;
constexpr int kSpanKindClient = 3;
constexpr int kStatusError = 2;

ordered_json text_attribute(std::string_view key, std::string_view value) {
    return {{"key", key}, {"value", {{"stringValue", value}}}};
}

// int64 values are strings in OTLP/JSON, as proto3's JSON mapping has them.
ordered_json integer_attribute(std::string_view key, int64_t value) {
    return {{"key", key}, {"value", {{"intValue", std::to_string(value)}}}};
}

std::string unix_nanos(int64_t unix_us) { return std::to_string(unix_us) + "000"; }

// "package.Service/Method": the span's name in OTLP, as the RPC conventions write it (no leading slash).
std::string_view rpc_name(const Span& span) {
    std::string_view name = span.name;
    if (!name.empty() && name.front() == '/') name.remove_prefix(1);
    return name;
}

ordered_json span_attributes(const Span& span) {
    std::string_view method = rpc_name(span);
    size_t slash = method.rfind('/');
    ordered_json attributes = ordered_json::array();
    attributes.push_back(text_attribute("rpc.system", "grpc"));
    attributes.push_back(text_attribute("rpc.service", method.substr(0, slash)));
    attributes.push_back(text_attribute("rpc.method", slash == std::string_view::npos ? "" : method.substr(slash + 1)));
    attributes.push_back(integer_attribute("rpc.grpc.status_code", span.code));
    if (span.kind == SpanKind::client) {
        attributes.push_back(text_attribute("peer.service", span.peer));
    } else if (!span.peer.empty()) {
        attributes.push_back(text_attribute("lanchat.caller", span.peer));
    }
    attributes.push_back(text_attribute("lanchat.correlation_id", span.correlation_id));
    return attributes;
}

ordered_json otlp_span(const Span& span) {
    ordered_json out = {{"traceId", span.trace_id}, {"spanId", span.span_id}};
    if (!span.parent_span_id.empty()) out["parentSpanId"] = span.parent_span_id;
    out["name"] = rpc_name(span);
    out["kind"] = span.kind == SpanKind::server ? kSpanKindServer : kSpanKindClient;
    out["startTimeUnixNano"] = unix_nanos(span.start_unix_us);
    out["endTimeUnixNano"] = unix_nanos(span.start_unix_us + span.duration_us);
    out["attributes"] = span_attributes(span);
    out["status"] = ordered_json::object();
    if (span.code != LANCHAT_OK) {
        out["status"] = {{"code", kStatusError}, {"message", sdk::code_name(static_cast<sdk::Code>(span.code))}};
    }
    return out;
}

}  // namespace

std::string otlp_json_line(const Span& span, const std::string& node) {
    ordered_json resource = {
        {"attributes",
         {text_attribute("service.name", span.plugin), text_attribute("service.namespace", "lanchat"),
          text_attribute("service.instance.id", node + "/" + span.plugin), text_attribute("host.name", node)}}};
    ordered_json scope = {{"scope", {{"name", "lanchatd"}}}, {"spans", {otlp_span(span)}}};
    ordered_json request = {{"resourceSpans", {{{"resource", resource}, {"scopeSpans", {scope}}}}}};
    // Ids and names come from callers' metadata: bytes that are not UTF-8 are replaced, never thrown on.
    return request.dump(-1, ' ', false, ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace lanchat::host
