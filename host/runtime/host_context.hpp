// The host's side of one plugin instance as the C ABI sees it (lanchat_host_context). The tables that read it
// are in abi/.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/plugin_config.hpp"
#include "host_fwd.hpp"
#include "lanchat/plugin_abi.h"
#include "logging/log.hpp"
#include "runtime/executor.hpp"

namespace lanchat::host {

struct HealthReport {
    lanchat_health_status status = LANCHAT_HEALTH_UNKNOWN;
    std::string reason;
    bool set_by_plugin = false;
};

}  // namespace lanchat::host

// Defined outside any namespace: plugin_abi.h declares it as a global opaque struct.
struct lanchat_host_context {
    std::string plugin_name;
    lanchat::host::NodeLog* log = nullptr;
    lanchat::host::Executor* executor = nullptr;
    std::shared_ptr<const lanchat::host::PluginConfig> config;
    std::string data_dir;
    lanchat::host::mesh::Mesh* mesh = nullptr;  // null when the node has no [mesh]
    std::shared_ptr<lanchat::host::mesh::RpcOwner> rpc_owner;
    lanchat::host::metrics::Registry* metrics = nullptr;
    lanchat::host::edge::Dispatcher* client_edge = nullptr;  // null when the node has no [client_edge]
    std::mutex metrics_mutex;  // guards metric_families; ids are positions in it, plus one
    std::vector<std::shared_ptr<lanchat::host::metrics::Family>> metric_families;

    lanchat::host::HealthReport health() const {
        std::lock_guard lock(health_mutex);
        return health_report;
    }
    // Also publishes the change on grpc.health.v1.Health when the node has a mesh.
    void set_health(lanchat_health_status status, std::string reason, bool by_plugin);

private:
    mutable std::mutex health_mutex;
    lanchat::host::HealthReport health_report;
};
