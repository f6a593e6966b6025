// CircuitBreaker: one endpoint's record of recent failures, so calls fail fast while it is unwell instead of
// each waiting out its deadline against it.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>

#include "lanchat/plugin_abi.h"

namespace lanchat::host::mesh {

struct BreakerPolicy {
    int threshold = 5;  // consecutive endpoint failures that open the circuit
    std::chrono::milliseconds cooldown{2000};
};

// True for the codes that say the endpoint (not the request) is unwell: UNAVAILABLE, DEADLINE_EXCEEDED.
bool counts_against_endpoint(lanchat_status_code code);

// The outcome of a call on the breaker of the endpoint it went to; none (null) for this node's own services.
class CircuitBreaker;
void record_outcome(CircuitBreaker* breaker, lanchat_status_code code);

// Opens after `threshold` consecutive endpoint failures and fails fast for `cooldown`; then lets one probe
// through (half-open): its success closes the circuit, its failure opens it for another cooldown.
// Thread-safe. The clock is injectable so the states can be walked through without waiting.
class CircuitBreaker {
public:
    using Clock = std::function<std::chrono::steady_clock::time_point()>;

    explicit CircuitBreaker(BreakerPolicy policy = {}, Clock clock = std::chrono::steady_clock::now);

    // Whether a call may go to the endpoint now. A true answer in the half-open state is the probe: every
    // other caller is refused until record() says how it went.
    bool allow();
    // The outcome of a call that allow() let through; `endpoint_failed` per counts_against_endpoint().
    void record(bool endpoint_failed);

    const BreakerPolicy& policy() const { return policy_; }

private:
    const BreakerPolicy policy_;
    const Clock clock_;
    std::mutex mutex_;
    int failures_ = 0;
    bool probing_ = false;
    std::chrono::steady_clock::time_point open_until_;
};

}  // namespace lanchat::host::mesh
