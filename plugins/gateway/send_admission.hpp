// SendAdmission: the gateway's bound on message writes (send, edit, delete) in flight, across the node and
// per connection. A write past either bound is refused at once, before any service hears of it, so a flood
// meets a short queue and an immediate answer instead of waiting out its deadline behind the writes the
// store can still do: `unavailable` when the node is full, `rate_limited` when this one connection is, each
// with a retry hint (the recent time a write took to be answered). Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace lanchat::gateway {

struct AdmissionLimits {
    size_t per_node = 256;       // writes the gateway has sent to the Router and not yet heard back about
    size_t per_connection = 32;  // of those, from one connection
};

// A connection's share of the bound, kept in its Session; a ticket keeps it alive.
struct WritesInFlight {
    std::atomic<size_t> count{0};
};

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
        std::string code;  // "unavailable" or "rate_limited"
        std::string message;
        int64_t retry_after_ms;
    };

    explicit SendAdmission(AdmissionLimits limits);

    // A ticket, or why not. This must outlive the tickets it gives.
    std::optional<Ticket> admit(std::shared_ptr<WritesInFlight> connection, Refused& refused);

    size_t in_flight() const { return node_.load(); }

private:
    void release(WritesInFlight& connection, std::chrono::steady_clock::duration took);
    int64_t retry_after_ms() const;

    const AdmissionLimits limits_;
    std::atomic<size_t> node_{0};
    std::atomic<int64_t> recent_us_{10000};  // a moving average of how long an admitted write took
};

}  // namespace lanchat::gateway
