#include "admin/json_answers.hpp"

#include <cmath>
#include <cstdint>
#include <ctime>
#include <nlohmann/json.hpp>

#include "admin/readiness.hpp"
#include "metrics/registry.hpp"
#include "runtime/node.hpp"

namespace lanchat::host::admin {
namespace {

// Ordered, so every object lists its members in the order documented for it.
using Json = nlohmann::ordered_json;

// Plugins report health reasons and the node file names paths: neither is promised to be UTF-8, and an
// answer must never fail for it (invalid bytes become U+FFFD).
std::string text_of(const Json& json) { return json.dump(-1, ' ', false, Json::error_handler_t::replace); }

// Whole numbers (counts, bytes, descriptors) print as integers, as they read in /metrics.
Json number(double value) {
    constexpr double kExact = 9007199254740992.0;  // 2^53: every integer up to here is a double
    if (std::isfinite(value) && value == std::floor(value) && std::fabs(value) < kExact) {
        return static_cast<int64_t>(value);
    }
    return value;
}

std::string utc(std::chrono::system_clock::time_point time) {
    std::time_t seconds = std::chrono::system_clock::to_time_t(time);
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
    return text;
}

Json plugin_object(const PluginStatus& plugin) {
    return {{"name", plugin.name},
            {"version", plugin.version},
            {"abi", plugin.abi},
            {"core", plugin.core},
            {"state", state_name(plugin.state)},
            {"health", health_name(plugin.health.status)},
            {"health_reason", plugin.health.reason},
            {"loaded_at", utc(plugin.loaded_at)},
            {"file", plugin.file}};
}

Json plugin_array(Node& node) {
    Json plugins = Json::array();
    for (const PluginStatus& plugin : node.plugin_statuses()) plugins.push_back(plugin_object(plugin));
    return plugins;
}

std::string label(const metrics::Sample& sample, const std::string& name) {
    for (const auto& [key, value] : sample.labels) {
        if (key == name) return value;
    }
    return {};
}

Json rpc_counts(const std::vector<metrics::Sample>& samples) {
    Json served = Json::array(), called = Json::array();
    double refused = 0;
    for (const metrics::Sample& sample : samples) {
        bool is_served = sample.name == "lanchat_rpc_server_requests_total";
        if (is_served || sample.name == "lanchat_rpc_client_requests_total") {
            (is_served ? served : called)
                .push_back({{"service", label(sample, "service")},
                            {"method", label(sample, "method")},
                            {"code", label(sample, "code")},
                            {"count", number(sample.value)}});
        } else if (sample.name == "lanchat_rpc_refused_total") {
            refused += sample.value;
        }
    }
    return {{"served", served}, {"called", called}, {"refused", number(refused)}};
}

double value_of(const std::vector<metrics::Sample>& samples, const std::string& name) {
    for (const metrics::Sample& sample : samples) {
        if (sample.name == name) return sample.value;
    }
    return 0;
}

}  // namespace

std::string plugins_json(Node& node) {
    // One plugin per line, as the endpoint has always answered, so the text reads well in a terminal.
    std::string text = "[";
    bool first = true;
    for (const Json& plugin : plugin_array(node)) {
        text += first ? "\n  " : ",\n  ";
        first = false;
        text += text_of(plugin);
    }
    return text + "\n]\n";
}

std::string status_json(Node& node) {
    std::vector<metrics::Sample> samples = node.metrics().samples();
    std::vector<std::string> problems = readiness_problems(node);
    Json status = {{"node", node.config().node_name},
                   {"version", LANCHAT_VERSION},
                   {"uptime_seconds", value_of(samples, "lanchat_uptime_seconds")},
                   {"ready", problems.empty()},
                   {"not_ready", problems},
                   {"process",
                    {{"resident_memory_bytes", number(value_of(samples, "process_resident_memory_bytes"))},
                     {"open_fds", number(value_of(samples, "process_open_fds"))},
                     {"open_sockets", number(value_of(samples, "lanchat_open_sockets"))}}},
                   {"rpc", rpc_counts(samples)},
                   {"plugins", plugin_array(node)}};
    return text_of(status) + "\n";
}

std::string samples_json(Node& node) {
    Json samples = Json::array();
    for (const metrics::Sample& sample : node.metrics().samples()) {
        Json labels = Json::object();
        for (const auto& [key, value] : sample.labels) labels[key] = value;
        samples.push_back({{"name", sample.name}, {"labels", labels}, {"value", number(sample.value)}});
    }
    return text_of(samples) + "\n";
}

}  // namespace lanchat::host::admin
