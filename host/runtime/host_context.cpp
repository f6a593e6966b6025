#include "runtime/host_context.hpp"

#include "mesh/mesh.hpp"

void lanchat_host_context::set_health(lanchat_health_status status, std::string reason, bool by_plugin) {
    {
        std::lock_guard lock(health_mutex);
        health_report = {status, std::move(reason), by_plugin || health_report.set_by_plugin};
    }
    if (mesh != nullptr) mesh->publish_health(rpc_owner.get(), status == LANCHAT_HEALTH_SERVING);
}
