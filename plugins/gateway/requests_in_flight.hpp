// A connection's requests still being answered, bounded. Every call made for a request holds a copy of its
// ticket (it travels in ClientRequest), so the slot frees with the request's last answer: one client cannot
// have more than `limit` requests in the services at once, nor through them more than `limit` times a
// request's own fan-out of calls. Thread-safe; tickets may outlive the counter's owner.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>

namespace lanchat::gateway {

class RequestsInFlight {
public:
    using Ticket = std::shared_ptr<void>;

    explicit RequestsInFlight(size_t limit);

    // A ticket for one more request; nullopt while `limit` requests are being answered.
    std::optional<Ticket> try_take();
    size_t count() const { return count_->load(); }
    size_t limit() const { return limit_; }

private:
    size_t limit_;
    std::shared_ptr<std::atomic<size_t>> count_;
};

}  // namespace lanchat::gateway
