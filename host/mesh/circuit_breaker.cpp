#include "mesh/circuit_breaker.hpp"

namespace lanchat::host::mesh {

bool counts_against_endpoint(lanchat_status_code code) {
    return code == LANCHAT_UNAVAILABLE || code == LANCHAT_DEADLINE_EXCEEDED;
}

void record_outcome(CircuitBreaker* breaker, lanchat_status_code code) {
    if (breaker != nullptr) breaker->record(counts_against_endpoint(code));
}

CircuitBreaker::CircuitBreaker(BreakerPolicy policy, Clock clock) : policy_(policy), clock_(std::move(clock)) {}

bool CircuitBreaker::allow() {
    std::lock_guard lock(mutex_);
    if (failures_ < policy_.threshold) return true;
    if (clock_() < open_until_ || probing_) return false;
    probing_ = true;
    return true;
}

void CircuitBreaker::record(bool endpoint_failed) {
    std::lock_guard lock(mutex_);
    probing_ = false;
    failures_ = endpoint_failed ? failures_ + 1 : 0;
    if (failures_ >= policy_.threshold) open_until_ = clock_() + policy_.cooldown;
}

}  // namespace lanchat::host::mesh
