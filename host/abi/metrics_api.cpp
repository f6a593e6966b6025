// lanchat_metrics_api (since 1.2): a plugin's own metrics, exposed as lanchat_<plugin>_<name> by /metrics.
#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "abi/sink.hpp"
#include "abi/slice.hpp"
#include "abi/tables.hpp"
#include "metrics/registry.hpp"
#include "runtime/host_context.hpp"

namespace lanchat::host::abi {
namespace {

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
            write_to(error,
                     "label name '" + label + "' of metric " + name + " is not valid: use [a-zA-Z_][a-zA-Z0-9_]*");
            return 0;
        }
        labels.push_back(std::move(label));
    }
    std::string prefix = "lanchat_" + ctx->plugin_name + "_";
    std::replace_if(
        prefix.begin(), prefix.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
    std::vector<double> buckets(spec->buckets, spec->buckets + (spec->buckets != nullptr ? spec->bucket_count : 0));
    auto kind = spec->kind == LANCHAT_METRIC_GAUGE       ? metrics::Kind::gauge
                : spec->kind == LANCHAT_METRIC_HISTOGRAM ? metrics::Kind::histogram
                                                         : metrics::Kind::counter;
    auto family =
        ctx->metrics->family(kind, prefix + name, std::string(view(spec->help)), labels, buckets, ctx->plugin_name);
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

void metrics_add(lanchat_host_context* ctx, lanchat_metric_id id, const lanchat_str* values, size_t count,
                 double value) {
    metrics::LabelValues labels;
    if (auto family = metric(ctx, id, values, count, labels)) family->add(labels, value);
}

void metrics_set(lanchat_host_context* ctx, lanchat_metric_id id, const lanchat_str* values, size_t count,
                 double value) {
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

}  // namespace

const lanchat_metrics_api* metrics_api_table() { return &kMetricsApi; }

}  // namespace lanchat::host::abi
