// Metrics: a plugin's own counters, gauges and histograms (ABI 1.2), exposed on the node's /metrics as
// lanchat_<plugin>_<name>. Declare them in the constructor or start(); use them from any thread.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "lanchat/plugin_abi.h"
#include "lanchat/sdk/host.hpp"
#include "lanchat/sdk/sink.hpp"
#include "lanchat/sdk/status.hpp"

namespace lanchat::sdk {

// One declared metric. Label values are given in the declared order and must come from a bounded set.
class Metric {
public:
    Metric() = default;
    Metric(const lanchat_host_api* api, lanchat_host_context* ctx, lanchat_metric_id id)
        : api_(api), ctx_(ctx), id_(id) {}

    void add(double value = 1, std::initializer_list<std::string_view> labels = {}) const {
        with_labels(labels, [&](const lanchat_str* values, size_t count) {
            api_->metrics->add(ctx_, id_, values, count, value);
        });
    }
    void set(double value, std::initializer_list<std::string_view> labels = {}) const {
        with_labels(labels, [&](const lanchat_str* values, size_t count) {
            api_->metrics->set(ctx_, id_, values, count, value);
        });
    }
    void observe(double value, std::initializer_list<std::string_view> labels = {}) const {
        with_labels(labels, [&](const lanchat_str* values, size_t count) {
            api_->metrics->observe(ctx_, id_, values, count, value);
        });
    }

private:
    template <class Use>
    void with_labels(std::initializer_list<std::string_view> labels, Use use) const {
        if (id_ == 0) return;
        lanchat_str values[16];
        size_t count = 0;
        for (std::string_view label : labels) {
            if (count == 16) return;
            values[count++] = detail::to_abi(label);
        }
        use(values, count);
    }

    const lanchat_host_api* api_ = nullptr;
    lanchat_host_context* ctx_ = nullptr;
    lanchat_metric_id id_ = 0;
};

class Metrics {
public:
    explicit Metrics(const Host& host) : api_(host.abi()), ctx_(host.abi_context()) {}

    Result<Metric> counter(std::string_view name, std::string_view help,
                           std::initializer_list<std::string_view> labels = {}) const {
        return declare(LANCHAT_METRIC_COUNTER, name, help, labels, {});
    }
    Result<Metric> gauge(std::string_view name, std::string_view help,
                         std::initializer_list<std::string_view> labels = {}) const {
        return declare(LANCHAT_METRIC_GAUGE, name, help, labels, {});
    }
    Result<Metric> histogram(std::string_view name, std::string_view help,
                             std::initializer_list<std::string_view> labels = {},
                             std::vector<double> buckets = {}) const {
        return declare(LANCHAT_METRIC_HISTOGRAM, name, help, labels, std::move(buckets));
    }

private:
    Result<Metric> declare(lanchat_metric_kind kind, std::string_view name, std::string_view help,
                           std::initializer_list<std::string_view> labels, std::vector<double> buckets) const {
        std::vector<lanchat_str> names;
        for (std::string_view label : labels) names.push_back(detail::to_abi(label));
        lanchat_metric_spec spec{};
        spec.struct_size = sizeof spec;
        spec.kind = kind;
        spec.name = detail::to_abi(name);
        spec.help = detail::to_abi(help);
        spec.label_names = names.data();
        spec.label_count = names.size();
        spec.buckets = buckets.data();
        spec.bucket_count = buckets.size();
        StringSink error;
        lanchat_metric_id id = api_->metrics->declare(ctx_, &spec, error.get());
        if (id == 0) return Status(Code::invalid_argument, error.text());
        return Metric(api_, ctx_, id);
    }

    const lanchat_host_api* api_;
    lanchat_host_context* ctx_;
};

}  // namespace lanchat::sdk
