#include "mesh/retry_policy.hpp"

#include <algorithm>
#include <random>

namespace lanchat::host::mesh {

bool RetryPolicy::should_retry(bool idempotent, lanchat_status_code code) const {
    return idempotent && code == LANCHAT_UNAVAILABLE;
}

std::chrono::milliseconds RetryPolicy::ceiling(int attempts) const {
    constexpr int kMaxDoublings = 6;  // keeps the shift far from overflow whatever the attempt count
    return std::min<std::chrono::milliseconds>(max_backoff, first_backoff * (1 << std::min(attempts, kMaxDoublings)));
}

std::chrono::milliseconds RetryPolicy::delay(int attempts) const {
    thread_local std::mt19937 random{std::random_device{}()};
    return std::chrono::milliseconds(std::uniform_int_distribution<long>(1, ceiling(attempts).count())(random));
}

}  // namespace lanchat::host::mesh
