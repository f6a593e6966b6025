#include "requests_in_flight.hpp"

namespace lanchat::gateway {

RequestsInFlight::RequestsInFlight(size_t limit) : limit_(limit), count_(std::make_shared<std::atomic<size_t>>(0)) {}

std::optional<RequestsInFlight::Ticket> RequestsInFlight::try_take() {
    size_t now = count_->load();
    do {
        if (now >= limit_) return std::nullopt;
    } while (!count_->compare_exchange_weak(now, now + 1));
    // The ticket owns nothing but the count: when its last copy goes, the request is answered.
    return Ticket(nullptr, [count = count_](void*) { --*count; });
}

}  // namespace lanchat::gateway
