#include "observability/trace_writer.hpp"

#include "logging/log.hpp"

namespace lanchat::host {

TraceWriter::TraceWriter(std::filesystem::path file, std::string node) : file_(std::move(file)), node_(std::move(node)) {
    out_ = std::fopen(file_.c_str(), "a");
}

TraceWriter::~TraceWriter() {
    if (out_ != nullptr) std::fclose(out_);
}

void TraceWriter::write(const Span& span) {
    if (out_ == nullptr) return;
    std::string line = "{";
    auto member = [&line](const char* key, const std::string& value) {
        if (line.size() > 1) line += ',';
        json::append_json_string(line, key);
        line += ':';
        json::append_json_string(line, value);
    };
    member("trace_id", span.trace_id);
    member("span_id", span.span_id);
    if (!span.parent_span_id.empty()) member("parent_span_id", span.parent_span_id);
    member("name", span.name);
    member("kind", span.kind);
    member("node", node_);
    member("service", span.service);
    if (!span.peer.empty()) member("peer", span.peer);
    member("correlation_id", span.correlation_id);
    line += ",\"start_unix_us\":" + std::to_string(span.start_unix_us);
    line += ",\"duration_us\":" + std::to_string(span.duration_us);
    member("code", span.code);
    line += "}\n";
    std::lock_guard lock(mutex_);
    std::fputs(line.c_str(), out_);
    std::fflush(out_);
}

}  // namespace lanchat::host
