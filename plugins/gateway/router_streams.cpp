#include "router_streams.hpp"

namespace lanchat::gateway {
namespace {

constexpr std::chrono::seconds kMembershipReadInterval{1};
const std::string kAnyRouter;

}  // namespace

RouterStreams::RouterStreams(sdk::Rpc& rpc, const sdk::Logger& log, sdk::Metrics& metrics, std::string edge_id,
                             RouterNodes router_nodes, EdgeSubscription::OnDelivery on_delivery,
                             EdgeSubscription::OnRegistered on_registered)
    : rpc_(rpc),
      log_(log),
      edge_id_(std::move(edge_id)),
      router_nodes_(std::move(router_nodes)),
      on_delivery_(std::move(on_delivery)),
      on_registered_(std::move(on_registered)),
      registered_gauge_(sdk::value_or_throw(metrics.gauge(
          "router_streams", "Delivery streams from Routers registered now (one per node running a Router)."))) {}

void RouterStreams::open() { tick(); }

void RouterStreams::tick() {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    if (std::chrono::steady_clock::now() >= next_membership_read_) {
        next_membership_read_ = std::chrono::steady_clock::now() + kMembershipReadInterval;
        follow(wanted_nodes());
    }
    size_t registered = 0;
    for (auto& [node, stream] : streams_) {
        stream->tick();
        registered += stream->registered() ? 1 : 0;
    }
    registered_gauge_.set(static_cast<double>(registered));
}

std::set<std::string> RouterStreams::wanted_nodes() {
    sdk::Result<std::set<std::string>> nodes = router_nodes_();
    if (nodes.ok() && !nodes->empty()) return *nodes;
    if (nodes.ok() || nodes.status().code() == sdk::Code::failed_precondition) return {kAnyRouter};
    // Not joined yet, or the membership cannot be read now: keep what is open.
    std::set<std::string> open;
    for (const auto& [node, stream] : streams_) open.insert(node);
    return open.empty() ? std::set<std::string>{kAnyRouter} : open;
}

// Streams to nodes no longer wanted are closed; each new one is opened at once and, once registered, asks
// where the channels stand, so what was sent through that Router before is read from the history.
void RouterStreams::follow(const std::set<std::string>& nodes) {
    for (auto it = streams_.begin(); it != streams_.end();) {
        if (nodes.count(it->first) != 0) {
            ++it;
            continue;
        }
        log_.info("closing the delivery stream of a Router that left",
                  {{"node", it->first.empty() ? "any" : it->first}});
        it->second->close();
        it = streams_.erase(it);
    }
    for (const std::string& node : nodes) {
        if (streams_.count(node) != 0) continue;
        auto stream = std::make_shared<EdgeSubscription>(rpc_, log_, edge_id_, node, on_delivery_, on_registered_);
        streams_.emplace(node, stream);
        stream->open();
    }
}

void RouterStreams::close() {
    std::map<std::string, std::shared_ptr<EdgeSubscription>> ending;
    {
        std::lock_guard lock(mutex_);
        closed_ = true;
        ending.swap(streams_);
    }
    for (auto& [node, stream] : ending) stream->close();
}

}  // namespace lanchat::gateway
