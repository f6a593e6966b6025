// EdgeSubscription: one Router.SubscribeEdge stream of this gateway instance, to one node's Router (or to
// whichever the mesh picks), which brings every message and typing notice that passed through that Router
// for all the edge's connections. Opened at start; when it ends (a Router reload or restart, a stream the
// Router found full) it is opened again after a backoff that starts at 100 ms and doubles to 2 s, back to
// 100 ms once a stream is registered. Each registration is told (`registered`), so the edge can ask where
// its channels stand and read what it missed while no stream was up. Made with std::make_shared: each
// stream's callbacks hold the subscription until their last one ran.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "lanchat/router/v1/router.pb.h"
#include "lanchat/sdk/logger.hpp"
#include "lanchat/sdk/rpc.hpp"

namespace lanchat::gateway {

class EdgeSubscription : public std::enable_shared_from_this<EdgeSubscription> {
public:
    using OnDelivery = std::function<void(const router::v1::Delivery&)>;
    using OnRegistered = std::function<void()>;

    // `node`: the member whose Router to subscribe to; empty: any.
    EdgeSubscription(sdk::Rpc& rpc, const sdk::Logger& log, std::string edge_id, std::string node,
                     OnDelivery on_delivery, OnRegistered on_registered);

    // Opens the stream (at start).
    void open();
    // Opens it again if it ended and the backoff has passed (called periodically).
    void tick();
    // Ends it for good (at stop).
    void close();
    bool registered() const;

private:
    // One opened stream: its items are handled only while it is the current one.
    struct Attempt {
        lanchat_rpc_stream_id stream = 0;
        bool registered = false;
        bool ended = false;
    };

    // A new stream, unless one is up; `now`: without waiting for the backoff.
    void start(bool now);
    void item(const std::shared_ptr<Attempt>& attempt, const router::v1::Delivery& delivery);
    void ended(const std::shared_ptr<Attempt>& attempt, const sdk::Status& status);

    sdk::Rpc& rpc_;
    const sdk::Logger& log_;
    const std::string edge_id_;
    const std::string node_;
    OnDelivery on_delivery_;
    OnRegistered on_registered_;

    mutable std::mutex mutex_;
    std::shared_ptr<Attempt> current_;
    bool closed_ = false;
    std::chrono::milliseconds backoff_;
    std::chrono::steady_clock::time_point next_attempt_{};
};

}  // namespace lanchat::gateway
