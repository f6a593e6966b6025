// TraceWriter: finished spans appended to <data_dir>/traces.jsonl in OpenTelemetry's format (OTLP/JSON, one
// ExportTraceServiceRequest per line, as the Collector's file receiver reads it): local trace export with no
// collector. The file is rotated by size: past `max_bytes` it becomes traces.jsonl.1 (replacing the one
// before) and a new file starts, so a node keeps at most twice `max_bytes` of traces.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <string>

#include "lanchat/plugin_abi.h"

namespace lanchat::host {

enum class SpanKind { server, client };

struct Span {
    std::string trace_id;        // 32 hex digits
    std::string span_id;         // 16 hex digits
    std::string parent_span_id;  // empty for a root span
    std::string name;            // full method name, "/package.Service/Method"
    SpanKind kind = SpanKind::server;
    std::string plugin;  // whose span it is: the serving plugin (server) or the calling plugin (client)
    std::string peer;    // server spans: the caller's SPIFFE ID; client spans: the logical service called
    std::string correlation_id;
    int64_t start_unix_us = 0;
    int64_t duration_us = 0;
    lanchat_status_code code = LANCHAT_OK;
};

class TraceWriter {
public:
    TraceWriter(std::filesystem::path file, std::string node, uint64_t max_bytes);
    ~TraceWriter();
    TraceWriter(const TraceWriter&) = delete;
    TraceWriter& operator=(const TraceWriter&) = delete;

    bool ok() const { return out_ != nullptr; }
    const std::filesystem::path& file() const { return file_; }
    void write(const Span& span);

private:
    void open();
    void rotate();

    std::filesystem::path file_;
    std::string node_;
    uint64_t max_bytes_;
    std::mutex mutex_;
    std::FILE* out_ = nullptr;
    uint64_t size_ = 0;  // bytes in the current file
};

}  // namespace lanchat::host
