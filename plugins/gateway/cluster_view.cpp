#include "cluster_view.hpp"

#include "lanchat/discovery/v1/discovery.pb.h"

namespace lanchat::gateway {
namespace {

sdk::Result<discovery::v1::ListNodesReply> parsed(const sdk::Result<std::string>& cluster_nodes) {
    if (!cluster_nodes.ok()) return cluster_nodes.status();
    discovery::v1::ListNodesReply reply;
    if (!reply.ParseFromString(*cluster_nodes)) {
        return sdk::Status(sdk::Code::internal, "the host's cluster membership does not parse as ListNodesReply");
    }
    return reply;
}

}  // namespace

sdk::Result<std::set<std::string>> nodes_hosting(const sdk::Result<std::string>& cluster_nodes,
                                                 const std::string& service) {
    sdk::Result<discovery::v1::ListNodesReply> reply = parsed(cluster_nodes);
    if (!reply.ok()) return reply.status();
    std::set<std::string> nodes;
    for (const discovery::v1::Node& node : reply->nodes()) {
        for (const std::string& hosted : node.services()) {
            if (hosted == service) nodes.insert(node.node_id());
        }
    }
    return nodes;
}

std::vector<std::pair<std::string, std::string>> client_edges(const sdk::Result<std::string>& cluster_nodes) {
    sdk::Result<discovery::v1::ListNodesReply> reply = parsed(cluster_nodes);
    std::vector<std::pair<std::string, std::string>> edges;
    if (!reply.ok()) return edges;
    for (const discovery::v1::Node& node : reply->nodes()) {
        if (!node.client_address().empty()) edges.emplace_back(node.node_id(), node.client_address());
    }
    return edges;
}

}  // namespace lanchat::gateway
