// RetryPolicy: which failed unary attempts are sent again, and how long to wait before each.
#pragma once

#include <chrono>

#include "lanchat/plugin_abi.h"

namespace lanchat::host::mesh {

struct RetryPolicy {
    std::chrono::milliseconds first_backoff{20};
    std::chrono::milliseconds max_backoff{1000};

    // Only UNAVAILABLE, the endpoint could not take the call, is worth another attempt, and only for an
    // idempotent method: the failed attempt may still have had its effect.
    bool should_retry(bool idempotent, lanchat_status_code code) const;
    // The longest wait after `attempts` attempts: first_backoff doubled per attempt, up to max_backoff.
    std::chrono::milliseconds ceiling(int attempts) const;
    // Full jitter: uniform in [1 ms, ceiling(attempts)], so callers that failed together do not retry together.
    std::chrono::milliseconds delay(int attempts) const;
};

}  // namespace lanchat::host::mesh
