// DiscoveryService: the live membership of the mesh — nodes, their addresses and services — kept fresh by
// heartbeats and forgetting a node not heard from within the time-to-live (the embedded registry). On a
// cluster whose membership lives in etcd, the answers come from the nodes the host follows there instead
// (`cluster_*` below).
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "lanchat/discovery/v1/discovery.pb.h"
#include "lanchat/sdk/status.hpp"

namespace lanchat::discovery {

class DiscoveryService {
public:
    using Clock = std::chrono::system_clock;

    explicit DiscoveryService(std::chrono::milliseconds ttl) : ttl_(ttl) {}

    // Records `node` as seen now. `peer` is the caller's SPIFFE ID: a node registers only itself.
    sdk::Status register_node(const std::string& peer, v1::Node node, Clock::time_point now);
    std::vector<v1::Node> live_nodes(Clock::time_point now);
    std::vector<std::string> resolve(const std::string& service, Clock::time_point now);

    // The Discovery RPCs, answered at `now`: Register (the reply lists the live nodes and the TTL), ListNodes
    // and Resolve.
    sdk::Result<v1::RegisterReply> registered(const std::string& peer, const v1::RegisterRequest& request,
                                              Clock::time_point now);
    v1::ListNodesReply list_nodes(Clock::time_point now);
    v1::ResolveReply resolved(const v1::ResolveRequest& request, Clock::time_point now);

    // The Discovery RPCs answered from the cluster membership in etcd (`cluster`, as the host reports it).
    // Register is refused there: nodes register in etcd.
    static sdk::Status cluster_register();
    static v1::ResolveReply cluster_resolved(const v1::ListNodesReply& cluster, const v1::ResolveRequest& request);

    // Hot-reload hand-off: the membership as bytes, and back.
    std::string export_state();
    sdk::Status import_state(const std::string& bytes);

    std::chrono::milliseconds ttl() const { return ttl_; }

private:
    void forget_expired(Clock::time_point now);

    std::chrono::milliseconds ttl_;
    std::mutex mutex_;
    std::map<std::string, v1::Node> nodes_;  // by node id
};

}  // namespace lanchat::discovery
