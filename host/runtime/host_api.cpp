// The C functions behind lanchat_host_api: each one finds its plugin through the context it is given.
#include <algorithm>
#include <cctype>
#include <cstring>
#include <string_view>
#include <vector>

#include "lanchat/sdk/sink.hpp"
#include "logging/request_scope.hpp"
#include "client_edge/dispatcher.hpp"
#include "metrics/registry.hpp"
#include "mesh/mesh.hpp"
#include "runtime/host_context.hpp"

namespace lanchat::host {
namespace {

using sdk::detail::write_to;

std::string_view view(lanchat_str text) { return text.data == nullptr ? std::string_view{} : sdk::detail::from_abi(text); }

// --- logging ---

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

int log_enabled(lanchat_host_context* ctx, lanchat_log_level level) { return ctx->log->enabled(level) ? 1 : 0; }

const lanchat_log_api kLogApi = {sizeof(lanchat_log_api), &log_write, &log_enabled};

// --- configuration ---

void config_get(lanchat_host_context* ctx, lanchat_str path, lanchat_config_value* out) {
    if (out == nullptr) return;
    // A plugin built against an older minor may pass a shorter struct: fill only what it has room for.
    lanchat_config_value value = ctx->config->get(view(path));
    uint32_t room = out->struct_size;
    std::memcpy(out, &value, std::min<size_t>(room, sizeof value));
    out->struct_size = room;
}

int config_key_at(lanchat_host_context* ctx, lanchat_str path, size_t index, lanchat_sink* key_out) {
    std::optional<std::string> key = ctx->config->key_at(view(path), index);
    if (!key) return 0;
    write_to(key_out, *key);
    return 1;
}

void config_where(lanchat_host_context* ctx, lanchat_str path, lanchat_sink* out) {
    write_to(out, ctx->config->where(view(path)));
}

void config_data_dir(lanchat_host_context* ctx, lanchat_sink* out) { write_to(out, ctx->data_dir); }

const lanchat_config_api kConfigApi = {sizeof(lanchat_config_api), &config_get, &config_key_at, &config_where,
                                       &config_data_dir};

// --- health ---

void health_set(lanchat_host_context* ctx, lanchat_health_status status, lanchat_str reason) {
    if (status < LANCHAT_HEALTH_UNKNOWN || status > LANCHAT_HEALTH_NOT_SERVING) status = LANCHAT_HEALTH_UNKNOWN;
    ctx->set_health(status, std::string(view(reason)), true);
}

const lanchat_health_api kHealthApi = {sizeof(lanchat_health_api), &health_set};

// --- executor ---

lanchat_timer_id executor_schedule(lanchat_host_context* ctx, uint64_t delay_ms, uint64_t period_ms,
                                   lanchat_task_fn fn, lanchat_task_fn release, void* user) {
    if (fn == nullptr) return 0;
    return ctx->executor->schedule(ctx, delay_ms, period_ms, fn, release, user);
}

void executor_cancel(lanchat_host_context* ctx, lanchat_timer_id id) { ctx->executor->cancel(ctx, id); }

const lanchat_executor_api kExecutorApi = {sizeof(lanchat_executor_api), &executor_schedule, &executor_cancel};

// --- metrics (since 1.2) ---

bool is_plain_name(std::string_view name) {
    return metrics::is_label_name(name);  // [a-zA-Z_][a-zA-Z0-9_]*, which suits metric names here too
}

lanchat_metric_id metrics_declare(lanchat_host_context* ctx, const lanchat_metric_spec* spec, lanchat_sink* error) {
    if (spec == nullptr || ctx->metrics == nullptr) return 0;
    std::string name(view(spec->name));
    if (!is_plain_name(name)) {
        write_to(error, "metric name '" + name + "' is not valid: use [a-zA-Z_][a-zA-Z0-9_]*");
        return 0;
    }
    std::vector<std::string> labels;
    for (size_t i = 0; i < spec->label_count; ++i) {
        std::string label(view(spec->label_names[i]));
        if (!is_plain_name(label) || label == "plugin") {
            write_to(error, "label name '" + label + "' of metric " + name + " is not valid: use [a-zA-Z_][a-zA-Z0-9_]*");
            return 0;
        }
        labels.push_back(std::move(label));
    }
    std::string prefix = "lanchat_" + ctx->plugin_name + "_";
    std::replace_if(prefix.begin(), prefix.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
    std::vector<double> buckets(spec->buckets, spec->buckets + (spec->buckets != nullptr ? spec->bucket_count : 0));
    auto kind = spec->kind == LANCHAT_METRIC_GAUGE       ? metrics::Kind::gauge
                : spec->kind == LANCHAT_METRIC_HISTOGRAM ? metrics::Kind::histogram
                                                         : metrics::Kind::counter;
    auto family = ctx->metrics->family(kind, prefix + name, std::string(view(spec->help)), labels, buckets,
                                       ctx->plugin_name);
    if (!family.ok()) {
        write_to(error, family.status().message());
        return 0;
    }
    std::lock_guard lock(ctx->metrics_mutex);
    ctx->metric_families.push_back(*family);
    return ctx->metric_families.size();
}

// The family behind `id` and the label values, or nullptr when either is wrong.
std::shared_ptr<metrics::Family> metric(lanchat_host_context* ctx, lanchat_metric_id id, const lanchat_str* values,
                                        size_t count, metrics::LabelValues& labels) {
    std::shared_ptr<metrics::Family> family;
    {
        std::lock_guard lock(ctx->metrics_mutex);
        if (id == 0 || id > ctx->metric_families.size()) return nullptr;
        family = ctx->metric_families[id - 1];
    }
    if (count != family->label_names().size()) return nullptr;
    for (size_t i = 0; i < count; ++i) labels.emplace_back(view(values[i]));
    return family;
}

void metrics_add(lanchat_host_context* ctx, lanchat_metric_id id, const lanchat_str* values, size_t count, double value) {
    metrics::LabelValues labels;
    if (auto family = metric(ctx, id, values, count, labels)) family->add(labels, value);
}
void metrics_set(lanchat_host_context* ctx, lanchat_metric_id id, const lanchat_str* values, size_t count, double value) {
    metrics::LabelValues labels;
    if (auto family = metric(ctx, id, values, count, labels)) family->set(labels, value);
}
void metrics_observe(lanchat_host_context* ctx, lanchat_metric_id id, const lanchat_str* values, size_t count,
                     double value) {
    metrics::LabelValues labels;
    if (auto family = metric(ctx, id, values, count, labels)) family->observe(labels, value);
}

const lanchat_metrics_api kMetricsApi = {sizeof(lanchat_metrics_api), &metrics_declare, &metrics_add, &metrics_set,
                                         &metrics_observe};

// --- client edge (since 1.3) ---

lanchat_status_code edge_attach(lanchat_host_context* ctx, const lanchat_client_edge_handler* handler, lanchat_sink* error) {
    if (ctx->client_edge == nullptr) {
        write_to(error, "this node has no [client_edge] table in its node file, so there is no client listener to handle");
        return LANCHAT_FAILED_PRECONDITION;
    }
    if (handler == nullptr || handler->struct_size < offsetof(lanchat_client_edge_handler, http)) {
        write_to(error, "client edge handler missing or too small");
        return LANCHAT_INVALID_ARGUMENT;
    }
    sdk::Status attached = ctx->client_edge->attach(ctx, ctx->plugin_name, *handler);
    if (!attached.ok()) write_to(error, attached.message());
    return static_cast<lanchat_status_code>(attached.code());
}

lanchat_status_code edge_send(lanchat_host_context* ctx, lanchat_connection_id id, lanchat_str text) {
    return ctx->client_edge == nullptr ? LANCHAT_NOT_FOUND : ctx->client_edge->send(id, view(text));
}

lanchat_status_code edge_set_session(lanchat_host_context* ctx, lanchat_connection_id id, lanchat_bytes session) {
    if (ctx->client_edge == nullptr) return LANCHAT_NOT_FOUND;
    std::string_view bytes(reinterpret_cast<const char*>(session.data), session.data == nullptr ? 0 : session.size);
    return ctx->client_edge->set_session(id, bytes);
}

void edge_close(lanchat_host_context* ctx, lanchat_connection_id id, uint16_t code, lanchat_str reason) {
    if (ctx->client_edge == nullptr) return;
    if (code != 1000 && (code < 4000 || code > 4999)) code = 1011;  // the codes a handler may choose
    ctx->client_edge->close(id, code, view(reason));
}

const lanchat_client_edge_api kClientEdgeApi = {sizeof(lanchat_client_edge_api), &edge_attach, &edge_send,
                                                &edge_set_session, &edge_close};

}  // namespace

const lanchat_metrics_api* HostApiTable::metrics_table() { return &kMetricsApi; }

const char* host_version() { return LANCHAT_VERSION; }

HostApiTable::HostApiTable(std::string node_name, const lanchat_rpc_api* rpc)
    : node_name_(std::move(node_name)), host_version_(host_version()) {
    api_.struct_size = sizeof(api_);
    api_.abi_major = LANCHAT_ABI_MAJOR;
    api_.abi_minor = LANCHAT_ABI_MINOR;
    api_.host_version = {host_version_.data(), host_version_.size()};
    api_.node_name = {node_name_.data(), node_name_.size()};
    api_.log = &kLogApi;
    api_.config = &kConfigApi;
    api_.health = &kHealthApi;
    api_.executor = &kExecutorApi;
    api_.rpc = rpc;
    api_.metrics = &kMetricsApi;
    api_.client_edge = &kClientEdgeApi;
}

}  // namespace lanchat::host

void lanchat_host_context::set_health(lanchat_health_status status, std::string reason, bool by_plugin) {
    {
        std::lock_guard lock(health_mutex);
        health_report = {status, std::move(reason), by_plugin || health_report.set_by_plugin};
    }
    if (mesh != nullptr) mesh->publish_health(rpc_owner.get(), status == LANCHAT_HEALTH_SERVING);
}
