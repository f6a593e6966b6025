#include "metrics/registry.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <type_traits>

namespace lanchat::host::metrics {
namespace {

const char* type_name(Kind kind) {
    switch (kind) {
        case Kind::counter: return "counter";
        case Kind::gauge: return "gauge";
        case Kind::histogram: return "histogram";
    }
    return "untyped";
}

void append_number(std::string& out, double value) {
    if (std::isnan(value)) return void(out += "NaN");
    if (std::isinf(value)) return void(out += value > 0 ? "+Inf" : "-Inf");
    // The shortest of %.15g and %.17g that reads back as the same number.
    char text[32];
    std::snprintf(text, sizeof text, "%.15g", value);
    if (std::strtod(text, nullptr) != value) std::snprintf(text, sizeof text, "%.17g", value);
    out += text;
}

void append_help(std::string& out, std::string_view help) {
    for (char c : help) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
}

void append_labels(std::string& out, const std::vector<std::string>& names, const LabelValues& values,
                   const char* extra_name = nullptr, const std::string& extra_value = {}) {
    if (names.empty() && extra_name == nullptr) return;
    out += '{';
    for (size_t i = 0; i < names.size(); ++i) {
        if (i > 0) out += ',';
        out += names[i];
        out += "=\"";
        append_label_value(out, values[i]);
        out += '"';
    }
    if (extra_name != nullptr) {
        if (!names.empty()) out += ',';
        out += extra_name;
        out += "=\"";
        out += extra_value;
        out += '"';
    }
    out += '}';
}

}  // namespace

bool is_metric_name(std::string_view name) {
    if (name.empty()) return false;
    for (size_t i = 0; i < name.size(); ++i) {
        char c = name[i];
        bool ok =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || (i > 0 && c >= '0' && c <= '9');
        if (!ok) return false;
    }
    return true;
}

bool is_label_name(std::string_view name) {
    if (name.empty() || name.substr(0, 2) == "__" || name == "le") return false;
    return is_metric_name(name) && name.find(':') == std::string_view::npos;
}

void append_label_value(std::string& out, std::string_view value) {
    for (char c : value) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
}

std::vector<double> latency_buckets() {
    return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

Family::Family(Kind kind, std::string name, std::string help, std::vector<std::string> label_names,
               std::vector<double> buckets)
    : kind_(kind),
      name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)),
      buckets_(std::move(buckets)) {
    std::sort(buckets_.begin(), buckets_.end());
}

Family::Series& Family::series(const LabelValues& labels) {
    if (auto found = series_.find(labels); found != series_.end()) return found->second;
    LabelValues key = labels;
    key.resize(label_names_.size());
    if (series_.size() >= kMaxSeriesPerFamily) {
        ++overflowed_;
        key.assign(label_names_.size(), "other");
    }
    Series& created = series_[key];
    if (kind_ == Kind::histogram && created.bucket_counts.empty()) created.bucket_counts.assign(buckets_.size(), 0);
    return created;
}

void Family::add(const LabelValues& labels, double value) {
    if (kind_ == Kind::histogram || (kind_ == Kind::counter && !(value >= 0))) return;
    std::lock_guard lock(mutex_);
    series(labels).value += value;
}

void Family::set(const LabelValues& labels, double value) {
    if (kind_ != Kind::gauge) return;
    std::lock_guard lock(mutex_);
    series(labels).value = value;
}

void Family::observe(const LabelValues& labels, double value) {
    if (kind_ != Kind::histogram || std::isnan(value)) return;
    std::lock_guard lock(mutex_);
    Series& target = series(labels);
    auto bucket = std::lower_bound(buckets_.begin(), buckets_.end(), value);
    if (bucket != buckets_.end()) ++target.bucket_counts[static_cast<size_t>(bucket - buckets_.begin())];
    target.sum += value;
    ++target.count;
}

double Family::value(const LabelValues& labels) const {
    std::lock_guard lock(mutex_);
    auto found = series_.find(labels);
    return found == series_.end() ? 0 : found->second.value;
}

size_t Family::overflowed() const {
    std::lock_guard lock(mutex_);
    return overflowed_;
}

template <class Visit>
void Family::each_sample(Visit&& visit) const {
    for (const auto& [values, series] : series_) {
        if (kind_ != Kind::histogram) {
            visit(values, "", std::string(), series.value);
            continue;
        }
        uint64_t cumulative = 0;
        for (size_t i = 0; i < buckets_.size(); ++i) {
            cumulative += series.bucket_counts[i];
            std::string bound;
            append_number(bound, buckets_[i]);
            visit(values, "_bucket", bound, cumulative);
        }
        visit(values, "_bucket", std::string("+Inf"), series.count);
        visit(values, "_sum", std::string(), series.sum);
        visit(values, "_count", std::string(), series.count);
    }
}

void Family::write(std::string& out) const {
    out += "# HELP " + name_ + " ";
    append_help(out, help_);
    out += "\n# TYPE " + name_ + " " + type_name(kind_) + "\n";
    std::lock_guard lock(mutex_);
    each_sample([&](const LabelValues& values, const char* suffix, const std::string& le, auto value) {
        out += name_ + suffix;
        if (le.empty()) {
            append_labels(out, label_names_, values);
        } else {
            append_labels(out, label_names_, values, "le", le);
        }
        out += ' ';
        if constexpr (std::is_same_v<decltype(value), double>) {
            append_number(out, value);
        } else {
            out += std::to_string(value);  // counts exactly, never in exponent form
        }
        out += '\n';
    });
}

void Family::append_samples(std::vector<Sample>& out) const {
    std::lock_guard lock(mutex_);
    each_sample([&](const LabelValues& values, const char* suffix, const std::string& le, auto value) {
        std::vector<std::pair<std::string, std::string>> labels;
        for (size_t i = 0; i < label_names_.size() && i < values.size(); ++i) {
            labels.emplace_back(label_names_[i], values[i]);
        }
        if (!le.empty()) labels.emplace_back("le", le);
        out.push_back({name_ + suffix, std::move(labels), static_cast<double>(value)});
    });
}

sdk::Result<std::shared_ptr<Family>> Registry::family(Kind kind, const std::string& name, const std::string& help,
                                                      const std::vector<std::string>& label_names,
                                                      std::vector<double> buckets, const std::string& owner) {
    if (!is_metric_name(name)) {
        return sdk::invalid_argument("metric name '" + name + "' is not valid: use [a-zA-Z_:][a-zA-Z0-9_:]*");
    }
    for (const std::string& label : label_names) {
        if (!is_label_name(label)) {
            return sdk::invalid_argument("label name '" + label + "' of metric " + name +
                                         " is not valid: use [a-zA-Z_][a-zA-Z0-9_]*, not starting with __, not 'le'");
        }
    }
    if (kind == Kind::histogram && buckets.empty()) buckets = latency_buckets();
    std::lock_guard lock(mutex_);
    if (auto found = families_.find(name); found != families_.end()) {
        const Family& existing = *found->second.first;
        if (existing.kind() != kind || existing.label_names() != label_names || found->second.second != owner) {
            return sdk::Status(sdk::Code::already_exists, "metric " + name +
                                                              " already exists with another type, "
                                                              "other labels or another owner");
        }
        return found->second.first;
    }
    auto created = std::make_shared<Family>(kind, name, help, label_names, std::move(buckets));
    families_.emplace(name, std::make_pair(created, owner));
    return created;
}

std::shared_ptr<Family> Registry::must(Kind kind, const std::string& name, const std::string& help,
                                       const std::vector<std::string>& label_names, std::vector<double> buckets) {
    auto created = family(kind, name, help, label_names, std::move(buckets));
    if (!created.ok()) {
        std::fprintf(stderr, "lanchatd: internal metric definition error: %s\n", created.status().message().c_str());
        std::abort();
    }
    return *created;
}

void Registry::on_collect(std::function<void()> collector) {
    std::lock_guard lock(mutex_);
    collectors_.push_back(std::move(collector));
}

void Registry::remove_owner(const std::string& owner) {
    if (owner.empty()) return;
    std::lock_guard lock(mutex_);
    std::erase_if(families_, [&owner](const auto& entry) { return entry.second.second == owner; });
}

std::vector<std::shared_ptr<Family>> Registry::collect() {
    std::vector<std::function<void()>> collectors;
    {
        std::lock_guard lock(mutex_);
        collectors = collectors_;
    }
    for (auto& collect : collectors) collect();
    std::vector<std::shared_ptr<Family>> families;
    std::lock_guard lock(mutex_);
    for (const auto& [name, entry] : families_) families.push_back(entry.first);
    return families;
}

std::string Registry::exposition() {
    std::vector<std::shared_ptr<Family>> families = collect();
    std::string out;
    size_t overflowed = 0;
    for (const auto& family : families) {
        family->write(out);
        overflowed += family->overflowed();
    }
    out +=
        "# HELP lanchat_metrics_series_overflow_total Label combinations folded into \"other\" because a "
        "family reached its series limit.\n# TYPE lanchat_metrics_series_overflow_total counter\n"
        "lanchat_metrics_series_overflow_total " +
        std::to_string(overflowed) + "\n";
    return out;
}

std::vector<Sample> Registry::samples() {
    std::vector<Sample> samples;
    size_t overflowed = 0;
    for (const auto& family : collect()) {
        family->append_samples(samples);
        overflowed += family->overflowed();
    }
    samples.push_back({"lanchat_metrics_series_overflow_total", {}, static_cast<double>(overflowed)});
    return samples;
}

}  // namespace lanchat::host::metrics
