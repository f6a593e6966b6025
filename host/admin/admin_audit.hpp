// AdminAudit: what operators do through the admin endpoint (a plugin reload) goes into the audit chain with
// who did it: the operator certificate's SPIFFE ID over HTTPS, the local operator over loopback HTTP (which
// only programs of this machine reach). The host sends each entry to the Audit service as its node
// (nodes/<node>/node.crt, spiffe://<domain>/node/<node>), once, with an idempotency key; an entry Audit
// cannot take (absent, or no [mesh]) is logged at error level instead, with everything it would have said.
#pragma once

#include <memory>
#include <string>

#include "admin/admin_server.hpp"
#include "host_fwd.hpp"
#include "lanchat/sdk/status.hpp"

namespace lanchat::host::mesh {
class MeshClient;
class RpcOwner;
}  // namespace lanchat::host::mesh

namespace lanchat::host::admin {

class AdminAudit {
public:
    // `client` is null on a node without [mesh]: then entries are only logged.
    AdminAudit(mesh::MeshClient* client, NodeLog& log);
    // Cancels the appends still in flight and waits for their replies.
    ~AdminAudit();
    AdminAudit(const AdminAudit&) = delete;
    AdminAudit& operator=(const AdminAudit&) = delete;

    // Records that the operator behind `request` did `action` to `target`, with `outcome`.
    void record(const Request& request, const std::string& action, const std::string& target,
                const sdk::Status& outcome);

    // Who made `request`, as the audit record names them.
    static std::string actor_of(const Request& request);

private:
    mesh::MeshClient* client_;
    NodeLog& log_;
    std::shared_ptr<mesh::RpcOwner> owner_;
};

}  // namespace lanchat::host::admin
