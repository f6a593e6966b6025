#include "admin/admin_routes.hpp"

#include <memory>

#include "admin/admin_audit.hpp"
#include "admin/json_answers.hpp"
#include "admin/readiness.hpp"
#include "mesh/mesh.hpp"
#include "metrics/registry.hpp"
#include "runtime/node.hpp"

namespace lanchat::host::admin {
namespace {

constexpr const char* kText = "text/plain; charset=utf-8";
constexpr const char* kJson = "application/json";

Response ready(Node& node) {
    std::vector<std::string> problems = readiness_problems(node);
    if (problems.empty()) return {200, kText, "ready\n"};
    std::string body = "not ready\n";
    for (const std::string& problem : problems) body += problem + "\n";
    return {503, kText, body};
}

// POST /plugins/<name>/reload, audited whatever its outcome.
Response reload(Node& node, AdminAudit& audit, const Request& request, const std::string& name) {
    sdk::Status reloaded = node.reload(name);
    audit.record(request, "plugin_reload", "plugin:" + name.substr(0, 128), reloaded);
    if (reloaded.ok()) return {200, kText, "reloaded plugin '" + name + "'\n"};
    unsigned status = reloaded.code() == sdk::Code::not_found             ? 404
                      : reloaded.code() == sdk::Code::failed_precondition ? 409
                      : reloaded.code() == sdk::Code::unavailable         ? 503
                                                                          : 422;  // the new version failed
    return {status, kText, reloaded.message() + "\n"};
}

// The plugin NAME of "/plugins/NAME/reload", or empty for any other path.
std::string reload_target(const std::string& path) {
    const std::string prefix = "/plugins/";
    const std::string suffix = "/reload";
    if (path.size() <= prefix.size() + suffix.size() || path.rfind(prefix, 0) != 0 ||
        path.compare(path.size() - suffix.size(), suffix.size(), suffix) != 0) {
        return {};
    }
    return path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
}

}  // namespace

Handler routes_for(Node& node, NodeLog& log) {
    auto audit = std::make_shared<AdminAudit>(node.mesh() != nullptr ? &node.mesh()->client() : nullptr, log);
    return [&node, audit](const Request& request) -> Response {
        std::string path = request.target.substr(0, request.target.find('?'));
        if (std::string plugin = reload_target(path); !plugin.empty()) {
            if (request.method != "POST") return {405, kText, "reload needs POST\n"};
            return reload(node, *audit, request, plugin);
        }
        if (request.method != "GET") return {405, kText, "only GET here\n"};
        if (path == "/health/live") return {200, kText, "live\n"};
        if (path == "/health/ready") return ready(node);
        if (path == "/metrics") return {200, "text/plain; version=0.0.4; charset=utf-8", node.metrics().exposition()};
        if (path == "/metrics/samples") return {200, kJson, samples_json(node)};
        if (path == "/plugins") return {200, kJson, plugins_json(node)};
        if (path == "/status") return {200, kJson, status_json(node)};
        return {404, kText,
                "no such endpoint; try /health/live, /health/ready, /status, /metrics, /metrics/samples, /plugins, "
                "POST /plugins/NAME/reload\n"};
    };
}

}  // namespace lanchat::host::admin
