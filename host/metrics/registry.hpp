// Metrics: counters, gauges and histograms with labels, exposed in the Prometheus text format. Every
// family bounds its series (label values from requests must never grow memory without limit).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lanchat/sdk/status.hpp"

namespace lanchat::host::metrics {

enum class Kind { counter, gauge, histogram };

using LabelValues = std::vector<std::string>;

// One series' current value as exposition() prints it; histograms give a _bucket sample per bound
// (label le), a _sum and a _count.
struct Sample {
    std::string name;
    std::vector<std::pair<std::string, std::string>> labels;  // in the family's label order
    double value = 0;
};

// At most this many series per family; further label combinations are folded into one series whose
// labels all read "other", and counted in lanchat_metrics_series_overflow_total.
constexpr size_t kMaxSeriesPerFamily = 2000;

class Family {
public:
    Family(Kind kind, std::string name, std::string help, std::vector<std::string> label_names,
           std::vector<double> buckets);

    Kind kind() const { return kind_; }
    const std::string& name() const { return name_; }
    const std::vector<std::string>& label_names() const { return label_names_; }

    void add(const LabelValues& labels, double value);      // counters (value >= 0) and gauges
    void set(const LabelValues& labels, double value);      // gauges
    void observe(const LabelValues& labels, double value);  // histograms
    double value(const LabelValues& labels) const;          // counter or gauge value, for tests; 0 when absent

    void write(std::string& out) const;                   // HELP, TYPE and every series
    void append_samples(std::vector<Sample>& out) const;  // every series, as values
    size_t overflowed() const;

private:
    struct Series {
        double value = 0;                     // counter or gauge
        std::vector<uint64_t> bucket_counts;  // histogram, cumulative at write time
        double sum = 0;
        uint64_t count = 0;
    };
    Series& series(const LabelValues& labels);  // with mutex_ held
    // Calls visit(label values, suffix, le, value) for every exposed sample, in exposition order: a
    // histogram's buckets (le set), +Inf, _sum and _count. Counts arrive as uint64_t, values as double.
    template <class Visit>
    void each_sample(Visit&& visit) const;  // with mutex_ held

    Kind kind_;
    std::string name_;
    std::string help_;
    std::vector<std::string> label_names_;
    std::vector<double> buckets_;
    mutable std::mutex mutex_;
    std::map<LabelValues, Series> series_;
    size_t overflowed_ = 0;
};

// Buckets for latencies in seconds: 0.5 ms to 10 s.
std::vector<double> latency_buckets();

class Registry {
public:
    // Gets the family of that name, creating it; fails when the name or a label name is malformed, or the
    // name is already a family of another kind or with other labels or owner. `owner` names the plugin.
    sdk::Result<std::shared_ptr<Family>> family(Kind kind, const std::string& name, const std::string& help,
                                                const std::vector<std::string>& label_names,
                                                std::vector<double> buckets = {}, const std::string& owner = {});
    // Families that must exist (the host's own); aborts the program on a programming error in the name.
    std::shared_ptr<Family> must(Kind kind, const std::string& name, const std::string& help,
                                 const std::vector<std::string>& label_names, std::vector<double> buckets = {});

    // Runs before every exposition, to refresh gauges read from elsewhere (process, plugins).
    void on_collect(std::function<void()> collector);
    // Drops the families a plugin declared (`owner` is its name; empty is the host) when it leaves the node.
    void remove_owner(const std::string& owner);

    std::string exposition();       // text format 0.0.4
    std::vector<Sample> samples();  // the same series as exposition(), for JSON answers

private:
    std::vector<std::shared_ptr<Family>> collect();  // runs the collectors, then snapshots the families

    std::mutex mutex_;
    std::map<std::string, std::pair<std::shared_ptr<Family>, std::string>> families_;  // name -> family, owner
    std::vector<std::function<void()>> collectors_;
};

bool is_metric_name(std::string_view name);
bool is_label_name(std::string_view name);
void append_label_value(std::string& out, std::string_view value);  // escaped, without quotes

}  // namespace lanchat::host::metrics
