// The node's log: one JSON object per line (or a readable line for a terminal), written through spdlog.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lanchat/plugin_abi.h"

namespace spdlog {
class logger;
}

namespace lanchat::host {

enum class LogFormat { json, text };

struct LogField {
    std::string key;
    std::string value;
};

// One line's content; time and node are added by NodeLog.
struct LogRecord {
    lanchat_log_level level = LANCHAT_LOG_INFO;
    std::string_view plugin;  // empty for the host's own lines
    std::string_view message;
    std::string_view correlation_id;
    std::string_view trace_id;
    const std::vector<LogField>* fields = nullptr;
};

// Thread-safe. One per process; every line carries the node name.
class NodeLog {
public:
    NodeLog(LogFormat format, lanchat_log_level min_level);
    ~NodeLog();

    void set_node(std::string node) { node_ = std::move(node); }
    void set_format(LogFormat format) { format_ = format; }
    void set_min_level(lanchat_log_level level) { min_level_ = level; }

    bool enabled(lanchat_log_level level) const { return level >= min_level_; }
    void write(const LogRecord& record);

    void info(std::string_view message, const std::vector<LogField>& fields = {});
    void warn(std::string_view message, const std::vector<LogField>& fields = {});
    void error(std::string_view message, const std::vector<LogField>& fields = {});

private:
    std::string format_line(const LogRecord& record) const;

    LogFormat format_;
    lanchat_log_level min_level_;
    std::string node_;
    std::shared_ptr<spdlog::logger> out_;
};

// Parses "trace|debug|info|warn|error"; false when the name is none of them.
bool parse_log_level(std::string_view name, lanchat_log_level& level);
// Parses "json|text".
bool parse_log_format(std::string_view name, LogFormat& format);

}  // namespace lanchat::host
