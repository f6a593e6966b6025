// A connection's request budget: a token bucket holding at most `burst` tokens, refilled continuously at
// `rate_per_second`. Every frame a client sends costs one token, parsed or not. Not thread-safe: the
// session's mutex guards it.
#pragma once

#include <cstdint>

namespace lanchat::gateway {

class RateLimiter {
public:
    // Starts full: a new connection may send a whole burst at once.
    RateLimiter(double rate_per_second, double burst, int64_t now_ms);

    // Takes a token if one has accrued by `now_ms` (unix milliseconds); false otherwise, counting a refusal.
    bool try_take(int64_t now_ms);

    // Refusals since the last token was taken.
    int refused_in_a_row() const { return refused_in_a_row_; }
    // A client refused for more than a whole burst in a row ignores its rate_limited answers.
    bool flooding() const { return refused_in_a_row_ > burst_; }

private:
    double rate_per_second_;
    double burst_;
    double tokens_;
    int64_t refilled_ms_;
    int refused_in_a_row_ = 0;
};

}  // namespace lanchat::gateway
