#include "observability/trace_writer.hpp"

#include <nlohmann/json.hpp>

namespace lanchat::host {

TraceWriter::TraceWriter(std::filesystem::path file, std::string node)
    : file_(std::move(file)), node_(std::move(node)) {
    out_ = std::fopen(file_.c_str(), "a");
}

TraceWriter::~TraceWriter() {
    if (out_ != nullptr) std::fclose(out_);
}

void TraceWriter::write(const Span& span) {
    if (out_ == nullptr) return;
    nlohmann::ordered_json object = {{"trace_id", span.trace_id}, {"span_id", span.span_id}};
    if (!span.parent_span_id.empty()) object["parent_span_id"] = span.parent_span_id;
    object["name"] = span.name;
    object["kind"] = span.kind;
    object["node"] = node_;
    object["service"] = span.service;
    if (!span.peer.empty()) object["peer"] = span.peer;
    object["correlation_id"] = span.correlation_id;
    object["start_unix_us"] = span.start_unix_us;
    object["duration_us"] = span.duration_us;
    object["code"] = span.code;
    // Ids and names come from callers' metadata: bytes that are not UTF-8 are replaced, never thrown on.
    std::string line = object.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
    std::lock_guard lock(mutex_);
    std::fputs(line.c_str(), out_);
    std::fflush(out_);
}

}  // namespace lanchat::host
