// LoginThrottle: slows down password guessing. Each key (a username, a source address) gets a few free
// failures; after that every further failure doubles the wait before the next attempt is even checked,
// up to a ceiling. A success clears the key; keys without failures for a while are forgotten.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace lanchat::auth {

class LoginThrottle {
public:
    struct Policy {
        uint32_t free_failures = 3;
        std::chrono::milliseconds first_delay{1000};
        std::chrono::milliseconds max_delay{60000};
        std::chrono::milliseconds forget_after{15 * 60 * 1000};
        size_t max_keys = 100000;  // bounds memory under a spray of names or addresses
    };

    LoginThrottle() : LoginThrottle(Policy()) {}
    explicit LoginThrottle(Policy policy) : policy_(policy) {}

    // How long `key` must still wait before an attempt is checked; zero when it may try now.
    std::chrono::milliseconds wait(const std::string& key, int64_t now_ms);
    void failed(const std::string& key, int64_t now_ms);
    void succeeded(const std::string& key);
    // Takes back one failure (an attempt counted before it was checked turned out to be valid), and the
    // wait it caused once the count is within the free ones again.
    void forgive(const std::string& key);
    size_t keys() const;

private:
    struct Record {
        uint32_t failures = 0;
        int64_t last_failure_ms = 0;
        int64_t next_attempt_ms = 0;
    };
    void forget_stale(int64_t now_ms);

    Policy policy_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Record> records_;
};

}  // namespace lanchat::auth
