// The spans of an OTLP/JSON trace file (one ExportTraceServiceRequest per line, as lanchatd writes
// traces.jsonl), flattened for assertions.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace lanchat::testing {

struct ExportedSpan {
    std::string trace_id;
    std::string span_id;
    std::string parent_span_id;
    std::string name;                                      // "package.Service/Method"
    std::string kind;                                      // "server" or "client"
    std::string plugin;                                    // the resource's service.name
    std::string node;                                      // the resource's host.name
    nlohmann::json attributes = nlohmann::json::object();  // key -> the value's string or integer
    int status_code = 0;                                   // OTLP's: 0 unset, 2 error
    std::string status_message;
};

inline nlohmann::json attribute_map(const nlohmann::json& list) {
    nlohmann::json map = nlohmann::json::object();
    for (const auto& attribute : list) {
        const auto& value = attribute["value"];
        map[attribute["key"].get<std::string>()] =
            value.contains("intValue") ? nlohmann::json(std::stoll(value["intValue"].get<std::string>()))
                                       : value["stringValue"];
    }
    return map;
}

inline std::vector<ExportedSpan> otlp_spans(const std::string& text) {
    std::vector<ExportedSpan> spans;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        const nlohmann::json request = nlohmann::json::parse(line);
        for (const auto& resource_spans : request["resourceSpans"]) {
            nlohmann::json resource = attribute_map(resource_spans["resource"]["attributes"]);
            for (const auto& scope : resource_spans["scopeSpans"]) {
                for (const auto& span : scope["spans"]) {
                    ExportedSpan flat;
                    flat.trace_id = span["traceId"];
                    flat.span_id = span["spanId"];
                    flat.parent_span_id = span.value("parentSpanId", "");
                    flat.name = span["name"];
                    flat.kind = span["kind"] == 2 ? "server" : span["kind"] == 3 ? "client" : "other";
                    flat.plugin = resource.value("service.name", "");
                    flat.node = resource.value("host.name", "");
                    flat.attributes = attribute_map(span["attributes"]);
                    flat.status_code = span["status"].value("code", 0);
                    flat.status_message = span["status"].value("message", "");
                    spans.push_back(flat);
                }
            }
        }
    }
    return spans;
}

}  // namespace lanchat::testing
