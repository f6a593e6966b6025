// What the gateway reads from the cluster membership the node follows in etcd (sdk::Membership): which nodes
// run a service, and where each node's client edge listens (told to clients in `hello`).
#pragma once

#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "lanchat/sdk/status.hpp"

namespace lanchat::gateway {

// The membership as sdk::Membership::cluster_nodes() answers it: a serialized ListNodesReply, or
// FAILED_PRECONDITION when the node follows no etcd membership.
using ClusterNodes = std::function<sdk::Result<std::string>()>;

// The nodes that host `service`; the failure of the membership read as it came.
sdk::Result<std::set<std::string>> nodes_hosting(const sdk::Result<std::string>& cluster_nodes,
                                                 const std::string& service);

// (node name, "host:port") of every node with a client edge, in node name order; none when the membership
// cannot be read (one node, or a cluster not in etcd).
std::vector<std::pair<std::string, std::string>> client_edges(const sdk::Result<std::string>& cluster_nodes);

}  // namespace lanchat::gateway
