// RouterStreams: this edge's delivery streams, one per node that runs a Router. A Router writes what passed
// through it to the edges subscribed to it and to no one else, so in a cluster the edge subscribes to every
// node's Router: a message sent on node A then reaches the people connected here, once, in the channel's
// order (the edge orders by the store's sequence and fills gaps from the history). The nodes come from the
// membership the node follows in etcd, read again every second: a new node's Router is subscribed to, a
// departed node's stream is closed. Without such a membership (one node, a static [discovery] table, the
// embedded registry) it keeps one stream, to whichever Router the mesh picks.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "edge_subscription.hpp"
#include "lanchat/sdk/metrics.hpp"
#include "lanchat/sdk/status.hpp"

namespace lanchat::gateway {

class RouterStreams {
public:
    // The nodes running a Router, as nodes_hosting() (cluster_view.hpp) answers it.
    using RouterNodes = std::function<sdk::Result<std::set<std::string>>()>;

    // Declares the gauge router_streams (streams registered now: one per Router node when all is well).
    RouterStreams(sdk::Rpc& rpc, const sdk::Logger& log, sdk::Metrics& metrics, std::string edge_id,
                  RouterNodes router_nodes, EdgeSubscription::OnDelivery on_delivery,
                  EdgeSubscription::OnRegistered on_registered);

    // Opens the streams (at start).
    void open();
    // Follows the membership, and opens again the streams that ended once their backoff passed.
    void tick();
    // Ends every stream for good (at stop and drain).
    void close();

private:
    // The streams wanted now: one per Router node, or the one to any Router.
    std::set<std::string> wanted_nodes();
    void follow(const std::set<std::string>& nodes);

    sdk::Rpc& rpc_;
    const sdk::Logger& log_;
    const std::string edge_id_;
    RouterNodes router_nodes_;
    EdgeSubscription::OnDelivery on_delivery_;
    EdgeSubscription::OnRegistered on_registered_;
    sdk::Metric registered_gauge_;

    std::mutex mutex_;
    bool closed_ = false;
    std::chrono::steady_clock::time_point next_membership_read_{};
    std::map<std::string, std::shared_ptr<EdgeSubscription>> streams_;  // by node; "" is any Router
};

}  // namespace lanchat::gateway
