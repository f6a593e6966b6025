#include "mesh/membership.hpp"

#include <map>

#include "lanchat/discovery/v1/discovery.pb.h"
#include "logging/log.hpp"
#include "mesh/mesh_client.hpp"
#include "mesh/rpc_owner.hpp"
#include "runtime/executor.hpp"

namespace lanchat::host::mesh {

// The host's own calls present nodes/<node>/node.crt: spiffe://<domain>/node/<node>.
constexpr const char* kNodeIdentity = "node";

Membership::Membership(MeshClient& client, Executor& executor, NodeLog& log, std::string node, std::string registry,
                       std::string address, std::vector<std::string> services, std::chrono::milliseconds interval)
    : client_(client),
      executor_(executor),
      log_(log),
      node_(std::move(node)),
      registry_(std::move(registry)),
      address_(std::move(address)),
      services_(std::move(services)),
      owner_(std::make_shared<RpcOwner>("node")) {
    timer_ = executor_.schedule(
        this, 0, static_cast<uint64_t>(interval.count()),
        [](void* self) { static_cast<Membership*>(self)->heartbeat(); }, nullptr, this);
}

Membership::~Membership() {
    executor_.cancel(this, timer_);
    owner_->stop();  // cancels a heartbeat in flight and waits for its reply
}

void Membership::set_services(std::vector<std::string> services) {
    std::lock_guard lock(services_mutex_);
    services_ = std::move(services);
}

void Membership::heartbeat() {
    discovery::v1::RegisterRequest request;
    discovery::v1::Node* node = request.mutable_node();
    node->set_node_id(node_);
    node->add_addresses(address_);
    {
        std::lock_guard lock(services_mutex_);
        for (const std::string& service : services_) node->add_services(service);
    }
    OutboundCall call;
    call.caller_service = kNodeIdentity;
    call.service = registry_;
    call.method = "/lanchat.discovery.v1.Discovery/Register";
    call.idempotent = true;
    call.request = request.SerializeAsString();
    client_.call_unary(
        owner_, std::move(call),
        [this, standing = standing_](lanchat_status_code code, const std::string& message,
                                     const std::string& response) {
            discovery::v1::RegisterReply reply;
            bool ok = code == LANCHAT_OK && reply.ParseFromString(response);
            if (ok) {
                std::map<std::string, std::vector<std::string>> where;
                for (const auto& member : reply.nodes()) {
                    if (member.node_id() == node_) continue;
                    for (const std::string& service : member.services()) {
                        auto& endpoints = where[service];
                        endpoints.insert(endpoints.end(), member.addresses().begin(), member.addresses().end());
                    }
                }
                client_.set_discovered(std::move(where));
            }
            // Log changes only, so a registry that is down does not flood the log.
            Standing now = ok ? Standing::registered : Standing::failing;
            if (now != *standing) {
                if (ok) {
                    log_.info("registered with discovery",
                              {{"registry", registry_}, {"nodes", std::to_string(reply.nodes_size())}});
                } else {
                    log_.warn("cannot register with discovery", {{"registry", registry_}, {"reason", message}});
                }
            }
            *standing = now;
        });
}

}  // namespace lanchat::host::mesh
