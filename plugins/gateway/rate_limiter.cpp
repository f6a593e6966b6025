#include "rate_limiter.hpp"

#include <algorithm>

namespace lanchat::gateway {

RateLimiter::RateLimiter(double rate_per_second, double burst, int64_t now_ms)
    : rate_per_second_(rate_per_second), burst_(burst), tokens_(burst), refilled_ms_(now_ms) {}

bool RateLimiter::try_take(int64_t now_ms) {
    tokens_ = std::min(burst_, tokens_ + (now_ms - refilled_ms_) * rate_per_second_ / 1000.0);
    refilled_ms_ = now_ms;
    if (tokens_ < 1) {
        ++refused_in_a_row_;
        return false;
    }
    tokens_ -= 1;
    refused_in_a_row_ = 0;
    return true;
}

}  // namespace lanchat::gateway
