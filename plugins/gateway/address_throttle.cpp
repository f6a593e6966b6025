#include "address_throttle.hpp"

#include <cmath>

namespace lanchat::gateway {

AddressThrottle::AddressThrottle(double per_minute, double burst) : per_second_(per_minute / 60.0), burst_(burst) {}

bool AddressThrottle::try_take(const std::string& address, int64_t now_ms) {
    std::lock_guard lock(mutex_);
    auto bucket = buckets_.find(address);
    if (bucket == buckets_.end()) {
        if (buckets_.size() >= kMaxAddresses) forget_full(now_ms);
        if (buckets_.size() >= kMaxAddresses) return false;
        bucket = buckets_.emplace(address, Bucket{RateLimiter(per_second_, burst_, now_ms), now_ms}).first;
    }
    if (!bucket->second.tokens.try_take(now_ms)) return false;
    bucket->second.last_taken_ms = now_ms;
    return true;
}

int64_t AddressThrottle::retry_after_seconds() const { return static_cast<int64_t>(std::ceil(1.0 / per_second_)); }

// A bucket untouched for as long as it takes to fill is the same as a new one.
void AddressThrottle::forget_full(int64_t now_ms) {
    const double fill_ms = burst_ / per_second_ * 1000.0;
    for (auto it = buckets_.begin(); it != buckets_.end();) {
        it = static_cast<double>(now_ms - it->second.last_taken_ms) >= fill_ms ? buckets_.erase(it) : std::next(it);
    }
}

}  // namespace lanchat::gateway
