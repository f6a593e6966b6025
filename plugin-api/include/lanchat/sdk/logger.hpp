// Logger: structured log records written through the host (which adds time, node and plugin name).
#pragma once

#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "lanchat/plugin_abi.h"
#include "lanchat/sdk/sink.hpp"

namespace lanchat::sdk {

// One key/value pair of a log record. Numbers and booleans are formatted here; strings are copied.
class Field {
public:
    Field(std::string_view key, std::string_view value) : key_(key), value_(value) {}
    Field(std::string_view key, const char* value) : key_(key), value_(value) {}
    Field(std::string_view key, const std::string& value) : key_(key), value_(value) {}
    Field(std::string_view key, bool value) : key_(key), value_(value ? "true" : "false") {}
    template <class Number, class = std::enable_if_t<std::is_arithmetic_v<Number>>>
    Field(std::string_view key, Number value) : key_(key), value_(std::to_string(value)) {}

    std::string_view key() const { return key_; }
    std::string_view value() const { return value_; }

private:
    std::string_view key_;  // keys are expected to be literals that outlive the log call
    std::string value_;
};

// Writes log records for one plugin instance. Cheap to copy; valid while the instance lives.
class Logger {
public:
    Logger(const lanchat_host_api* host, lanchat_host_context* ctx) : host_(host), ctx_(ctx) {}

    bool enabled(lanchat_log_level level) const { return host_->log->enabled(ctx_, level) != 0; }

    void trace(std::string_view message, std::initializer_list<Field> fields = {}) const {
        write(LANCHAT_LOG_TRACE, message, fields);
    }
    void debug(std::string_view message, std::initializer_list<Field> fields = {}) const {
        write(LANCHAT_LOG_DEBUG, message, fields);
    }
    void info(std::string_view message, std::initializer_list<Field> fields = {}) const {
        write(LANCHAT_LOG_INFO, message, fields);
    }
    void warn(std::string_view message, std::initializer_list<Field> fields = {}) const {
        write(LANCHAT_LOG_WARN, message, fields);
    }
    void error(std::string_view message, std::initializer_list<Field> fields = {}) const {
        write(LANCHAT_LOG_ERROR, message, fields);
    }

    void write(lanchat_log_level level, std::string_view message, std::initializer_list<Field> fields) const {
        if (!enabled(level)) return;
        std::vector<lanchat_log_field> abi_fields;
        abi_fields.reserve(fields.size());
        for (const Field& field : fields) {
            abi_fields.push_back({detail::to_abi(field.key()), detail::to_abi(field.value())});
        }
        lanchat_log_record record{};
        record.struct_size = sizeof(record);
        record.level = level;
        record.message = detail::to_abi(message);
        record.fields = abi_fields.data();
        record.field_count = abi_fields.size();
        host_->log->write(ctx_, &record);
    }

private:
    const lanchat_host_api* host_;
    lanchat_host_context* ctx_;
};

}  // namespace lanchat::sdk
