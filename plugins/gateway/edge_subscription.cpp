#include "edge_subscription.hpp"

#include <algorithm>
#include <vector>

#include "service_methods.hpp"

namespace lanchat::gateway {
namespace {

constexpr std::chrono::milliseconds kFirstBackoff{100};
constexpr std::chrono::milliseconds kLongestBackoff{2000};

}  // namespace

EdgeSubscription::EdgeSubscription(sdk::Rpc& rpc, const sdk::Logger& log, std::string edge_id, std::string node,
                                   OnDelivery on_delivery, OnRegistered on_registered)
    : rpc_(rpc),
      log_(log),
      edge_id_(std::move(edge_id)),
      node_(std::move(node)),
      on_delivery_(std::move(on_delivery)),
      on_registered_(std::move(on_registered)),
      backoff_(kFirstBackoff) {}

void EdgeSubscription::open() { start(/*now=*/true); }

void EdgeSubscription::tick() { start(/*now=*/false); }

void EdgeSubscription::start(bool now) {
    auto attempt = std::make_shared<Attempt>();
    {
        std::lock_guard lock(mutex_);
        if (closed_ || (current_ != nullptr && !current_->ended)) return;
        if (!now && std::chrono::steady_clock::now() < next_attempt_) return;
        current_ = attempt;
        next_attempt_ = std::chrono::steady_clock::now() + backoff_;
        backoff_ = std::min(backoff_ * 2, kLongestBackoff);
    }
    // Not under the lock: a stream that fails at once ends inside call_stream.
    sdk::Result<sdk::CallOptions> how = call_options("router", "SubscribeEdge", std::chrono::milliseconds{0}, false);
    if (!how.ok()) return ended(attempt, how.status());
    router::v1::SubscribeEdgeRequest request;
    request.set_edge_id(edge_id_);
    lanchat_rpc_stream_id stream = rpc_.call_stream<router::v1::SubscribeEdgeRequest, router::v1::Delivery>(
        *how, request,
        [self = shared_from_this(), attempt](router::v1::Delivery delivery) { self->item(attempt, delivery); },
        [self = shared_from_this(), attempt](sdk::Status status) { self->ended(attempt, status); }, node_);
    std::lock_guard lock(mutex_);
    if (!attempt->ended) attempt->stream = stream;
}

void EdgeSubscription::item(const std::shared_ptr<Attempt>& attempt, const router::v1::Delivery& delivery) {
    bool first;
    {
        std::lock_guard lock(mutex_);
        if (closed_ || attempt != current_ || attempt->ended) return;  // closed: its cancel is on its way
        first = !attempt->registered;
        attempt->registered = true;
        if (first) backoff_ = kFirstBackoff;
    }
    if (first) on_registered_();
    if (delivery.has_message() || delivery.has_typing()) on_delivery_(delivery);
}

void EdgeSubscription::ended(const std::shared_ptr<Attempt>& attempt, const sdk::Status& status) {
    std::lock_guard lock(mutex_);
    attempt->ended = true;
    if (attempt != current_ || closed_) return;
    log_.info("the Router's delivery stream ended; opening it again",
              {{"node", node_.empty() ? "any" : node_},
               {"code", std::to_string(static_cast<int>(status.code()))},
               {"reason", status.message()}});
}

void EdgeSubscription::close() {
    lanchat_rpc_stream_id stream = 0;
    {
        std::lock_guard lock(mutex_);
        closed_ = true;
        if (current_ != nullptr && !current_->ended) stream = current_->stream;
    }
    if (stream != 0) rpc_.cancel(stream);
}

bool EdgeSubscription::registered() const {
    std::lock_guard lock(mutex_);
    return current_ != nullptr && current_->registered && !current_->ended;
}

}  // namespace lanchat::gateway
