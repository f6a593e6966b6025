#include "admin/admin_routes.hpp"

#include <ctime>

#include "logging/log.hpp"
#include "metrics/registry.hpp"
#include "runtime/node.hpp"

namespace lanchat::host::admin {
namespace {

const char* health_name(lanchat_health_status status) {
    switch (status) {
        case LANCHAT_HEALTH_SERVING: return "serving";
        case LANCHAT_HEALTH_NOT_SERVING: return "not_serving";
        default: return "unknown";
    }
}

std::string utc(std::chrono::system_clock::time_point time) {
    std::time_t seconds = std::chrono::system_clock::to_time_t(time);
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
    return text;
}

Response ready(Node& node) {
    std::string not_ready;
    for (const PluginStatus& plugin : node.plugin_statuses()) {
        if (!plugin.core) continue;
        if (plugin.state != PluginState::started) {
            not_ready += "plugin '" + plugin.name + "' is " + state_name(plugin.state) + "\n";
        } else if (plugin.health.status != LANCHAT_HEALTH_SERVING) {
            not_ready += "plugin '" + plugin.name + "' is " + health_name(plugin.health.status) +
                         (plugin.health.reason.empty() ? "" : ": " + plugin.health.reason) + "\n";
        }
    }
    if (!node.serving()) not_ready += "the node is not serving\n";
    if (not_ready.empty()) return {200, "text/plain; charset=utf-8", "ready\n"};
    return {503, "text/plain; charset=utf-8", "not ready\n" + not_ready};
}

Response plugins(Node& node) {
    std::string json = "[";
    bool first = true;
    for (const PluginStatus& plugin : node.plugin_statuses()) {
        json += first ? "\n" : ",\n";
        first = false;
        auto member = [&json](const char* key, const std::string& value, bool last = false) {
            json::append_json_string(json, key);
            json += ':';
            json::append_json_string(json, value);
            if (!last) json += ',';
        };
        json += "  {";
        member("name", plugin.name);
        member("version", plugin.version);
        member("abi", plugin.abi);
        json += "\"core\":" + std::string(plugin.core ? "true" : "false") + ",";
        member("state", state_name(plugin.state));
        member("health", health_name(plugin.health.status));
        member("health_reason", plugin.health.reason);
        member("loaded_at", utc(plugin.loaded_at));
        member("file", plugin.file, true);
        json += "}";
    }
    json += "\n]\n";
    return {200, "application/json", json};
}

// POST /plugins/<name>/reload
Response reload(Node& node, const std::string& name) {
    sdk::Status reloaded = node.reload(name);
    if (reloaded.ok()) return {200, "text/plain; charset=utf-8", "reloaded plugin '" + name + "'\n"};
    unsigned status = reloaded.code() == sdk::Code::not_found             ? 404
                      : reloaded.code() == sdk::Code::failed_precondition ? 409
                      : reloaded.code() == sdk::Code::unavailable         ? 503
                                                                          : 422;  // the new version failed
    return {status, "text/plain; charset=utf-8", reloaded.message() + "\n"};
}

}  // namespace

Handler routes_for(Node& node) {
    return [&node](const Request& request) -> Response {
        std::string path = request.target.substr(0, request.target.find('?'));
        const std::string reload_prefix = "/plugins/";
        const std::string reload_suffix = "/reload";
        if (path.size() > reload_prefix.size() + reload_suffix.size() && path.rfind(reload_prefix, 0) == 0 &&
            path.compare(path.size() - reload_suffix.size(), reload_suffix.size(), reload_suffix) == 0) {
            if (request.method != "POST") return {405, "text/plain; charset=utf-8", "reload needs POST\n"};
            return reload(node, path.substr(reload_prefix.size(),
                                            path.size() - reload_prefix.size() - reload_suffix.size()));
        }
        if (request.method != "GET") return {405, "text/plain; charset=utf-8", "only GET here\n"};
        if (path == "/health/live") return {200, "text/plain; charset=utf-8", "live\n"};
        if (path == "/health/ready") return ready(node);
        if (path == "/metrics") return {200, "text/plain; version=0.0.4; charset=utf-8", node.metrics().exposition()};
        if (path == "/plugins") return plugins(node);
        return {404, "text/plain; charset=utf-8",
                "no such endpoint; try /health/live, /health/ready, /metrics, /plugins, POST /plugins/NAME/reload\n"};
    };
}

}  // namespace lanchat::host::admin
