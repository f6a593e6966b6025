// Mesh: everything one node needs to serve and call RPCs — routing table, authorization, the mTLS server
// and the client — started before the plugins and shut down after them.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/node_config.hpp"
#include "host_fwd.hpp"
#include "lanchat/sdk/status.hpp"
#include "mesh/admission.hpp"
#include "mesh/authorization.hpp"
#include "mesh/deadline_timer.hpp"
#include "mesh/etcd_membership.hpp"
#include "mesh/local_call.hpp"
#include "mesh/local_threads.hpp"
#include "mesh/membership.hpp"
#include "mesh/mesh_client.hpp"
#include "mesh/mesh_server.hpp"
#include "mesh/routing_table.hpp"
#include "mesh/server_telemetry.hpp"

namespace lanchat::host::mesh {

class Mesh {
public:
    // `hosted` are the node's plugin names: the services that resolve to this node.
    static sdk::Result<std::unique_ptr<Mesh>> start(const MeshConfig& config, const std::string& node_name,
                                                    const std::vector<std::string>& hosted, NodeLog& log,
                                                    Executor& executor, metrics::Registry& metrics,
                                                    TraceWriter* traces);
    ~Mesh();

    RoutingTable& routes() { return routes_; }
    MeshClient& client() { return *client_; }
    const std::string& address() const { return server_->address(); }
    const std::filesystem::path& pki_dir() const { return config_.pki_dir; }
    // The node's one revocation check (the PKI's crl.pem): the client edge and admin HTTPS use it too.
    const std::shared_ptr<net::Revocations>& revocations() const { return revocations_; }

    // Joins the membership, once the node's own plugins serve: registers in etcd ([discovery] etcd), which
    // fails when etcd cannot be reached or a live node holds this node's name, or starts heartbeating to the
    // Discovery service ([mesh] registry). `client_address` is the client edge's "host:port", if any.
    sdk::Status join(const std::string& client_address);
    // Leaves the membership, first thing on shutdown: the lease in etcd is revoked, heartbeats stop (so the
    // registry's own plugin can stop quietly).
    void leave();
    // The nodes of the etcd membership as last seen, this one included. FAILED_PRECONDITION without
    // [discovery] etcd; UNAVAILABLE until the node has joined.
    sdk::Result<std::vector<discovery::v1::Node>> cluster_nodes() const;

    // A plugin added or removed while the node runs (SIGHUP): its service resolves to this node, or no more.
    void host(const std::string& service);
    void unhost(const std::string& service);

    // Reflects a plugin's health on grpc.health.v1.Health for every proto service it serves.
    void publish_health(const RpcOwner* owner, bool serving);
    void shutdown();

private:
    Mesh(MeshConfig config, std::string trust_domain);

    std::string node_name_;
    mutable std::mutex hosted_mutex_;  // guards hosted_ and the memberships
    std::vector<std::string> hosted_;
    Executor* executor_ = nullptr;
    NodeLog* log_ = nullptr;

    MeshConfig config_;
    RoutingTable routes_;
    AuthorizationPolicy policy_;
    std::shared_ptr<net::Revocations> revocations_;
    std::unique_ptr<ServerTelemetry> served_;
    std::unique_ptr<Admission> admission_;
    std::unique_ptr<LocalThreads> local_threads_;
    std::unique_ptr<DeadlineTimer> local_deadlines_;
    std::unique_ptr<LocalCall::Transport> in_process_;  // unless [mesh] local_calls = "network"
    std::unique_ptr<MeshServer> server_;
    std::unique_ptr<MeshClient> client_;
    std::unique_ptr<Membership> membership_;           // when [mesh] registry names a Discovery service
    std::unique_ptr<EtcdMembership> etcd_membership_;  // with [discovery] etcd
};

}  // namespace lanchat::host::mesh
