// AddressThrottle: one token bucket per client address, for requests that cost the node far more than a
// frame does (`register` makes Identity compute an Argon2id hash). Keyed by the address alone: every new
// connection comes from a fresh port, so per connection or per address-and-port it would slow nothing.
// Thread-safe. An address whose bucket has filled up again is forgotten; beyond kMaxAddresses remembered
// at once, new addresses are refused until some are forgotten.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "rate_limiter.hpp"

namespace lanchat::gateway {

class AddressThrottle {
public:
    static constexpr size_t kMaxAddresses = 65536;

    AddressThrottle(double per_minute, double burst);

    // Takes a token of `address`'s bucket if one has accrued by `now_ms` (unix milliseconds).
    bool try_take(const std::string& address, int64_t now_ms);

    // Seconds until a refused address may try again (rounded up).
    int64_t retry_after_seconds() const;

private:
    struct Bucket {
        RateLimiter tokens;
        int64_t last_taken_ms;
    };
    void forget_full(int64_t now_ms);

    const double per_second_;
    const double burst_;
    std::mutex mutex_;
    std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace lanchat::gateway
