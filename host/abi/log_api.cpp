// lanchat_log_api: a plugin's records go to the node's log, with the ids of the request being served.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "abi/slice.hpp"
#include "abi/tables.hpp"
#include "logging/request_scope.hpp"
#include "runtime/host_context.hpp"

namespace lanchat::host::abi {
namespace {

void log_write(lanchat_host_context* ctx, const lanchat_log_record* record) {
    if (record == nullptr || record->struct_size < offsetof(lanchat_log_record, trace_id) + sizeof(lanchat_str)) {
        return;
    }
    std::vector<LogField> fields;
    fields.reserve(record->field_count);
    for (size_t i = 0; i < record->field_count; ++i) {
        fields.push_back({std::string(view(record->fields[i].key)), std::string(view(record->fields[i].value))});
    }
    lanchat_log_level level = record->level;
    if (level < LANCHAT_LOG_TRACE || level > LANCHAT_LOG_ERROR) level = LANCHAT_LOG_ERROR;
    // Lines written while serving a request carry its ids unless the plugin gave its own.
    RequestIds request = current_request();
    std::string_view correlation_id = view(record->correlation_id);
    std::string_view trace_id = view(record->trace_id);
    ctx->log->write({level, ctx->plugin_name, view(record->message),
                     correlation_id.empty() ? request.correlation_id : correlation_id,
                     trace_id.empty() ? request.trace_id : trace_id, &fields});
}

lanchat_bool log_enabled(lanchat_host_context* ctx, lanchat_log_level level) {
    return ctx->log->enabled(level) ? LANCHAT_TRUE : LANCHAT_FALSE;
}

const lanchat_log_api kLogApi = {sizeof(lanchat_log_api), &log_write, &log_enabled};

}  // namespace

const lanchat_log_api* log_api_table() { return &kLogApi; }

}  // namespace lanchat::host::abi
