#include "mesh/membership.hpp"

#include "lanchat/discovery/v1/discovery.pb.h"
#include "logging/log.hpp"
#include "mesh/member_endpoints.hpp"
#include "mesh/mesh_client.hpp"
#include "mesh/rpc_owner.hpp"
#include "runtime/executor.hpp"

namespace lanchat::host::mesh {

// The host's own calls present nodes/<node>/node.crt: spiffe://<domain>/node/<node>.
constexpr const char* kNodeIdentity = "node";

Membership::Membership(MeshClient& client, Executor& executor, NodeLog& log, discovery::v1::Node self,
                       std::string registry, std::chrono::milliseconds interval)
    : client_(client),
      executor_(executor),
      log_(log),
      registry_(std::move(registry)),
      self_(std::move(self)),
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
    std::lock_guard lock(self_mutex_);
    self_.clear_services();
    for (std::string& service : services) self_.add_services(std::move(service));
}

void Membership::heartbeat() {
    discovery::v1::RegisterRequest request;
    {
        std::lock_guard lock(self_mutex_);
        *request.mutable_node() = self_;
    }
    std::string self = request.node().node_id();
    OutboundCall call;
    call.caller_service = kNodeIdentity;
    call.service = registry_;
    call.method = "/lanchat.discovery.v1.Discovery/Register";
    call.idempotent = true;
    call.request = request.SerializeAsString();
    client_.call_unary(
        owner_, std::move(call),
        [this, self = std::move(self), standing = standing_](lanchat_status_code code, const std::string& message,
                                                             const std::string& response) {
            discovery::v1::RegisterReply reply;
            bool ok = code == LANCHAT_OK && reply.ParseFromString(response);
            if (ok) client_.set_discovered(member_endpoints({reply.nodes().begin(), reply.nodes().end()}, self));
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
