#include "logging/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <ctime>

#include "logging/json_string.hpp"

namespace lanchat::host {
namespace {

const char* level_name(lanchat_log_level level) {
    switch (level) {
        case LANCHAT_LOG_TRACE: return "trace";
        case LANCHAT_LOG_DEBUG: return "debug";
        case LANCHAT_LOG_INFO: return "info";
        case LANCHAT_LOG_WARN: return "warn";
        case LANCHAT_LOG_ERROR: return "error";
        default: return "info";
    }
}

std::string utc_now() {
    auto now = std::chrono::system_clock::now();
    std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900, parts.tm_mon + 1,
                  parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, static_cast<int>(millis));
    return buffer;
}

void append_json_member(std::string& out, std::string_view key, std::string_view value) {
    out += ',';
    json::append_json_string(out, key);
    out += ':';
    json::append_json_string(out, value);
}

// Text-format values are quoted when they would be ambiguous to a reader.
void append_text_value(std::string& out, std::string_view value) {
    bool plain = !value.empty() && value.find_first_of(" \"=\n\t") == std::string_view::npos;
    if (plain) {
        out += value;
    } else {
        json::append_json_string(out, value);
    }
}

}  // namespace

bool parse_log_level(std::string_view name, lanchat_log_level& level) {
    for (lanchat_log_level candidate :
         {LANCHAT_LOG_TRACE, LANCHAT_LOG_DEBUG, LANCHAT_LOG_INFO, LANCHAT_LOG_WARN, LANCHAT_LOG_ERROR}) {
        if (name == level_name(candidate)) {
            level = candidate;
            return true;
        }
    }
    return false;
}

bool parse_log_format(std::string_view name, LogFormat& format) {
    if (name == "json")
        format = LogFormat::json;
    else if (name == "text")
        format = LogFormat::text;
    else
        return false;
    return true;
}

NodeLog::NodeLog(LogFormat format, lanchat_log_level min_level)
    : format_(format),
      min_level_(min_level),
      out_(std::make_shared<spdlog::logger>("lanchatd", std::make_shared<spdlog::sinks::stderr_sink_mt>())) {
    out_->set_pattern("%v");
    out_->set_level(spdlog::level::trace);
    out_->flush_on(spdlog::level::trace);
}

NodeLog::~NodeLog() = default;

void NodeLog::write(const LogRecord& record) {
    if (!enabled(record.level)) return;
    out_->info(format_line(record));
}

std::string NodeLog::format_line(const LogRecord& record) const {
    std::string line;
    line.reserve(160);
    if (format_ == LogFormat::json) {
        line += "{\"time\":";
        json::append_json_string(line, utc_now());
        append_json_member(line, "level", level_name(record.level));
        append_json_member(line, "node", node_);
        if (!record.plugin.empty()) append_json_member(line, "plugin", record.plugin);
        append_json_member(line, "message", record.message);
        if (!record.correlation_id.empty()) append_json_member(line, "correlation_id", record.correlation_id);
        if (!record.trace_id.empty()) append_json_member(line, "trace_id", record.trace_id);
        if (record.fields != nullptr && !record.fields->empty()) {
            line += ",\"fields\":{";
            bool first = true;
            for (const LogField& field : *record.fields) {
                if (!first) line += ',';
                first = false;
                json::append_json_string(line, field.key);
                line += ':';
                json::append_json_string(line, field.value);
            }
            line += '}';
        }
        line += '}';
        return line;
    }
    line += utc_now();
    line += ' ';
    line += level_name(record.level);
    line += ' ';
    line += record.plugin.empty() ? std::string_view("host") : record.plugin;
    line += ": ";
    line += record.message;
    auto add = [&line](std::string_view key, std::string_view value) {
        line += ' ';
        line += key;
        line += '=';
        append_text_value(line, value);
    };
    if (!record.correlation_id.empty()) add("correlation_id", record.correlation_id);
    if (!record.trace_id.empty()) add("trace_id", record.trace_id);
    if (record.fields != nullptr) {
        for (const LogField& field : *record.fields) add(field.key, field.value);
    }
    return line;
}

void NodeLog::info(std::string_view message, const std::vector<LogField>& fields) {
    write({LANCHAT_LOG_INFO, {}, message, {}, {}, &fields});
}
void NodeLog::warn(std::string_view message, const std::vector<LogField>& fields) {
    write({LANCHAT_LOG_WARN, {}, message, {}, {}, &fields});
}
void NodeLog::error(std::string_view message, const std::vector<LogField>& fields) {
    write({LANCHAT_LOG_ERROR, {}, message, {}, {}, &fields});
}

}  // namespace lanchat::host
