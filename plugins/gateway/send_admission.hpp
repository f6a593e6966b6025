// SendAdmission: the gateway's bound on message writes (send, edit, delete) in flight across the node. A write
// past it is refused at once, before any service hears of it, so a flood meets a short queue and an immediate
// answer instead of waiting out its deadline behind the writes the store can still do: `unavailable`, with a
// retry hint (the recent time a write took to be answered). One connection's share is bounded by its requests
// in flight (requests_in_flight.hpp), which are refused with the same hint. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace lanchat::gateway {

class SendAdmission {
public:
    // One admitted write. Copies share it; the last one to go gives the places back and records how long the
    // write took (so: keep one until the write's answer has been handled).
    class Ticket {
    public:
        Ticket() = default;

    private:
        friend class SendAdmission;
        struct Held;
        explicit Ticket(std::shared_ptr<Held> held) : held_(std::move(held)) {}
        std::shared_ptr<Held> held_;
    };

    struct Refused {
        std::string code;  // "unavailable"
        std::string message;
        int64_t retry_after_ms;
    };

    // `limit`: writes the gateway has sent to the Router and not yet heard back about.
    explicit SendAdmission(size_t limit);

    // A ticket, or why not.
    std::optional<Ticket> admit(Refused& refused);

    size_t in_flight() const { return counters_->in_flight.load(); }
    // When a refused request is worth trying again: by then about one batch of the writes in flight has been
    // answered.
    int64_t retry_after_ms() const;

private:
    // Shared with every ticket, so a ticket that outlives the gateway (a reply handler destroyed after a
    // reload's drain) gives its place back to something that still exists.
    struct Counters {
        std::atomic<size_t> in_flight{0};
        std::atomic<int64_t> recent_us{10000};  // a moving average of how long an admitted write took
    };
    static void release(Counters& counters, std::chrono::steady_clock::duration took);

    const size_t limit_;
    const std::shared_ptr<Counters> counters_ = std::make_shared<Counters>();
};

}  // namespace lanchat::gateway
