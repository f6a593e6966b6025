#include "admin/admin_audit.hpp"

#include "lanchat/audit/v1/audit.pb.h"
#include "lanchat/ids/random_id.hpp"
#include "logging/log.hpp"
#include "mesh/mesh_client.hpp"
#include "mesh/rpc_owner.hpp"

namespace lanchat::host::admin {
namespace {

// The certificate the host presents for its own calls: nodes/<node>/node.crt.
constexpr const char* kNodeIdentity = "node";
constexpr std::chrono::milliseconds kAppendDeadline{5000};

}  // namespace

AdminAudit::AdminAudit(mesh::MeshClient* client, NodeLog& log)
    : client_(client), log_(log), owner_(std::make_shared<mesh::RpcOwner>("node")) {}

AdminAudit::~AdminAudit() { owner_->stop(); }

std::string AdminAudit::actor_of(const Request& request) {
    return request.peer.empty() ? "local operator (loopback admin endpoint)" : request.peer;
}

void AdminAudit::record(const Request& request, const std::string& action, const std::string& target,
                        const sdk::Status& outcome) {
    audit::v1::AppendRequest entry;
    entry.set_actor(actor_of(request));
    entry.set_action(action);
    entry.set_target(target);
    entry.set_outcome(outcome.ok() ? "ok" : "failed");
    if (!outcome.ok()) (*entry.mutable_details())["reason"] = outcome.message().substr(0, 256);
    entry.set_idempotency_key(ids::random_id("admin_"));
    auto unrecorded = [this, entry](const std::string& why) {
        log_.error("an operator's action is not in the audit record", {{"reason", why},
                                                                       {"actor", entry.actor()},
                                                                       {"action", entry.action()},
                                                                       {"target", entry.target()},
                                                                       {"outcome", entry.outcome()}});
    };
    if (client_ == nullptr) return unrecorded("the node has no [mesh] to reach Audit");
    mesh::OutboundCall call;
    call.caller_service = kNodeIdentity;
    call.service = "audit";
    call.method = "/lanchat.audit.v1.Audit/Append";
    call.timeout = kAppendDeadline;
    call.request = entry.SerializeAsString();
    mesh::begin_lineage(call);
    client_->call_unary(owner_, std::move(call),
                        [unrecorded](lanchat_status_code code, const std::string& message, const std::string&) {
                            if (code != LANCHAT_OK) unrecorded(message);
                        });
}

}  // namespace lanchat::host::admin
