#include "send_admission.hpp"

#include <algorithm>

namespace lanchat::gateway {

using Clock = std::chrono::steady_clock;

struct SendAdmission::Ticket::Held {
    explicit Held(std::shared_ptr<Counters> counters) : counters(std::move(counters)) {}
    ~Held() { release(*counters, Clock::now() - admitted); }
    Held(const Held&) = delete;
    Held& operator=(const Held&) = delete;

    const std::shared_ptr<Counters> counters;
    const Clock::time_point admitted = Clock::now();
};

SendAdmission::SendAdmission(size_t limit) : limit_(limit) {}

std::optional<SendAdmission::Ticket> SendAdmission::admit(Refused& refused) {
    if (counters_->in_flight.fetch_add(1) >= limit_) {
        counters_->in_flight.fetch_sub(1);
        refused = {"unavailable",
                   "the node is storing as many messages as it can (" + std::to_string(limit_) +
                       " in flight); retry with the same client_message_id",
                   retry_after_ms()};
        return std::nullopt;
    }
    return Ticket(std::make_shared<Ticket::Held>(counters_));
}

// An average over the last few dozen writes: a lost update between two threads only drops one sample.
void SendAdmission::release(Counters& counters, Clock::duration took) {
    counters.in_flight.fetch_sub(1);
    const int64_t sample = std::chrono::duration_cast<std::chrono::microseconds>(took).count();
    const int64_t recent = counters.recent_us.load(std::memory_order_relaxed);
    counters.recent_us.store(recent + (sample - recent) / 32, std::memory_order_relaxed);
}

int64_t SendAdmission::retry_after_ms() const {
    return std::clamp<int64_t>(counters_->recent_us.load(std::memory_order_relaxed) / 1000, 10, 1000);
}

}  // namespace lanchat::gateway
