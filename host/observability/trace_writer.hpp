// TraceWriter: finished spans appended as JSON lines to a file in the data dir — local trace export with
// no collector. One object per line: trace_id, span_id, parent_span_id, name, kind, node, service, peer,
// correlation_id, start (unix µs), duration_us, code.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <string>

namespace lanchat::host {

struct Span {
    std::string trace_id;
    std::string span_id;
    std::string parent_span_id;  // empty for a root span
    std::string name;            // full method name
    std::string kind;            // "server" or "client"
    std::string service;         // the logical service (client spans: the target; server spans: the serving plugin)
    std::string peer;            // server spans: the caller's SPIFFE ID
    std::string correlation_id;
    int64_t start_unix_us = 0;
    int64_t duration_us = 0;
    std::string code;  // status code name
};

class TraceWriter {
public:
    TraceWriter(std::filesystem::path file, std::string node);
    ~TraceWriter();
    bool ok() const { return out_ != nullptr; }
    const std::filesystem::path& file() const { return file_; }
    void write(const Span& span);

private:
    std::filesystem::path file_;
    std::string node_;
    std::mutex mutex_;
    std::FILE* out_ = nullptr;
};

}  // namespace lanchat::host
