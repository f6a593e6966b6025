#include "admin/readiness.hpp"

#include "runtime/node.hpp"

namespace lanchat::host::admin {

const char* health_name(lanchat_health_status status) {
    switch (status) {
        case LANCHAT_HEALTH_SERVING: return "serving";
        case LANCHAT_HEALTH_NOT_SERVING: return "not_serving";
        default: return "unknown";
    }
}

std::vector<std::string> readiness_problems(Node& node) {
    std::vector<std::string> problems;
    for (const PluginStatus& plugin : node.plugin_statuses()) {
        if (!plugin.core) continue;
        if (plugin.state != PluginState::started) {
            problems.push_back("plugin '" + plugin.name + "' is " + state_name(plugin.state));
        } else if (plugin.health.status != LANCHAT_HEALTH_SERVING) {
            problems.push_back("plugin '" + plugin.name + "' is " + health_name(plugin.health.status) +
                               (plugin.health.reason.empty() ? "" : ": " + plugin.health.reason));
        }
    }
    if (!node.serving()) problems.push_back("the node is not serving");
    return problems;
}

}  // namespace lanchat::host::admin
