// AddressThrottle: one token bucket per client host, for requests that cost the node far more than a frame
// does (`register` makes Identity compute an Argon2id hash). Keyed by host (throttle_key()): every new
// connection comes from a fresh port, so per connection or per address-and-port it would slow nothing, and
// one IPv6 host picks freely among its /64's addresses. Thread-safe. At most kMaxAddresses buckets are kept:
// beyond them the least recently used is forgotten (a bucket untouched for that long has mostly filled up
// again), so many addresses cost bounded memory and never lock the others out.
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "rate_limiter.hpp"

namespace lanchat::gateway {

// The host an address counts as: an IPv6 address's /64 ("2001:db8:1:2::/64"), an IPv4 address itself (also
// when written as IPv6, ::ffff:a.b.c.d); anything else as it is.
std::string throttle_key(std::string_view address);

class AddressThrottle {
public:
    static constexpr size_t kMaxAddresses = 65536;

    AddressThrottle(double per_minute, double burst, size_t max_addresses = kMaxAddresses);

    // Takes a token of the bucket of `address`'s host if one has accrued by `now_ms` (unix milliseconds).
    bool try_take(std::string_view address, int64_t now_ms);

    // Seconds until a refused address may try again (rounded up).
    int64_t retry_after_seconds() const;
    size_t remembered() const;

private:
    struct Bucket {
        std::string key;
        RateLimiter tokens;
    };

    const double per_second_;
    const double burst_;
    const size_t max_addresses_;
    mutable std::mutex mutex_;
    std::list<Bucket> by_use_;  // most recently used first
    std::unordered_map<std::string, std::list<Bucket>::iterator> buckets_;
};

}  // namespace lanchat::gateway
