// Polling for state another process or thread reaches in its own time (an outbox drained, a stream
// registered, a certificate rotated), for the tests that cannot be told when it happens.
#pragma once

#include <chrono>
#include <thread>

namespace lanchat::testing {

// Asks `done` up to `attempts` times, `interval` apart, until it answers true; returns its last answer.
template <typename Done>
bool eventually(Done&& done, int attempts, std::chrono::milliseconds interval) {
    for (int attempt = 1;; ++attempt) {
        if (done()) return true;
        if (attempt >= attempts) return false;
        std::this_thread::sleep_for(interval);
    }
}

}  // namespace lanchat::testing
