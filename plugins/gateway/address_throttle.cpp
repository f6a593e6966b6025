#include "address_throttle.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cmath>

namespace lanchat::gateway {

std::string throttle_key(std::string_view address) {
    const std::string text(address);
    unsigned char bytes[16];
    if (inet_pton(AF_INET6, text.c_str(), bytes) != 1) return text;
    static constexpr unsigned char kV4Mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    char written[INET6_ADDRSTRLEN];
    if (std::equal(kV4Mapped, kV4Mapped + 12, bytes)) {
        return inet_ntop(AF_INET, bytes + 12, written, sizeof written) != nullptr ? written : text;
    }
    std::fill(bytes + 8, bytes + 16, 0);
    return inet_ntop(AF_INET6, bytes, written, sizeof written) != nullptr ? std::string(written) + "/64" : text;
}

AddressThrottle::AddressThrottle(double per_minute, double burst, size_t max_addresses)
    : per_second_(per_minute / 60.0), burst_(burst), max_addresses_(max_addresses) {}

bool AddressThrottle::try_take(std::string_view address, int64_t now_ms) {
    std::string key = throttle_key(address);
    std::lock_guard lock(mutex_);
    auto found = buckets_.find(key);
    if (found == buckets_.end()) {
        if (buckets_.size() >= max_addresses_) {
            buckets_.erase(by_use_.back().key);
            by_use_.pop_back();
        }
        by_use_.push_front(Bucket{key, RateLimiter(per_second_, burst_, now_ms)});
        found = buckets_.emplace(std::move(key), by_use_.begin()).first;
    } else {
        by_use_.splice(by_use_.begin(), by_use_, found->second);
    }
    return found->second->tokens.try_take(now_ms);
}

int64_t AddressThrottle::retry_after_seconds() const { return static_cast<int64_t>(std::ceil(1.0 / per_second_)); }

size_t AddressThrottle::remembered() const {
    std::lock_guard lock(mutex_);
    return buckets_.size();
}

}  // namespace lanchat::gateway
