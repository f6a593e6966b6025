#include "send_admission.hpp"

#include <algorithm>

namespace lanchat::gateway {

using Clock = std::chrono::steady_clock;

struct SendAdmission::Ticket::Held {
    Held(SendAdmission& admission, std::shared_ptr<WritesInFlight> connection)
        : admission(admission), connection(std::move(connection)) {}
    ~Held() { admission.release(*connection, Clock::now() - admitted); }
    Held(const Held&) = delete;
    Held& operator=(const Held&) = delete;

    SendAdmission& admission;
    const std::shared_ptr<WritesInFlight> connection;
    const Clock::time_point admitted = Clock::now();
};

SendAdmission::SendAdmission(AdmissionLimits limits) : limits_(limits) {}

std::optional<SendAdmission::Ticket> SendAdmission::admit(std::shared_ptr<WritesInFlight> connection,
                                                          Refused& refused) {
    if (connection->count.fetch_add(1) >= limits_.per_connection) {
        connection->count.fetch_sub(1);
        refused = {"rate_limited",
                   "this connection already has " + std::to_string(limits_.per_connection) +
                       " messages waiting to be stored; wait for their answers",
                   retry_after_ms()};
        return std::nullopt;
    }
    if (node_.fetch_add(1) >= limits_.per_node) {
        node_.fetch_sub(1);
        connection->count.fetch_sub(1);
        refused = {"unavailable",
                   "the node is storing as many messages as it can (" + std::to_string(limits_.per_node) +
                       " in flight); retry with the same client_message_id",
                   retry_after_ms()};
        return std::nullopt;
    }
    return Ticket(std::make_shared<Ticket::Held>(*this, std::move(connection)));
}

// An average over the last few dozen writes: a lost update between two threads only drops one sample.
void SendAdmission::release(WritesInFlight& connection, Clock::duration took) {
    connection.count.fetch_sub(1);
    node_.fetch_sub(1);
    const int64_t sample = std::chrono::duration_cast<std::chrono::microseconds>(took).count();
    const int64_t recent = recent_us_.load(std::memory_order_relaxed);
    recent_us_.store(recent + (sample - recent) / 32, std::memory_order_relaxed);
}

// By then about one batch of the writes in flight has been answered.
int64_t SendAdmission::retry_after_ms() const {
    return std::clamp<int64_t>(recent_us_.load(std::memory_order_relaxed) / 1000, 10, 1000);
}

}  // namespace lanchat::gateway
