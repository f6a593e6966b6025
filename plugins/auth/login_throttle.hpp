// LoginThrottle: slows down password guessing. Each key (a username, a source address) gets a few free
// failures; after that every further failure doubles the wait before the next attempt is even checked,
// up to a ceiling. A success clears the key; keys without failures for a while are forgotten.
//
// Attempts still being checked are counted apart from failures: they are not failures yet, so valid logins
// made at the same time (people behind one address) all go through. What they may still turn out to be
// decides when the next one starts: an attempt starts only once, even if every attempt of its key in flight
// failed, it would at most be the failure that brings the first wait (3 free failures: 4 at once); later
// ones queue until an attempt ahead of them ends. So parallel guesses are checked no faster than serial ones.
// Thread-safe; start and refuse run outside the lock.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
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
        size_t max_queued = 64;    // attempts of one key waiting behind those in flight; more are refused
    };
    using Start = std::function<void()>;
    // How long the key must wait before an attempt is checked.
    using Refuse = std::function<void(std::chrono::milliseconds wait)>;

    LoginThrottle() : LoginThrottle(Policy()) {}
    explicit LoginThrottle(Policy policy) : policy_(policy) {}

    // One attempt at `key`: start() runs when it may be checked, at once (on this thread) or once an attempt
    // ahead of it ends (on the thread that ends it); refuse() instead while the key's failures make it wait,
    // or when max_queued attempts already queue (wait: first_delay). Exactly one of them runs. A started
    // attempt must be ended once, with failed(), succeeded() or ended().
    void attempt(const std::string& key, int64_t now_ms, Start start, Refuse refuse);
    void failed(const std::string& key, int64_t now_ms);     // the password was wrong
    void succeeded(const std::string& key, int64_t now_ms);  // it was valid: the key's failures are cleared
    // Neither counted nor clearing: the check could not be made, or a valid login from a shared address (it
    // clears no one else's failures).
    void ended(const std::string& key, int64_t now_ms);

    // How long `key` must still wait before an attempt is checked; zero when it may try now.
    std::chrono::milliseconds wait(const std::string& key, int64_t now_ms) const;
    size_t keys() const;

private:
    struct Queued {
        Start start;
        Refuse refuse;
    };
    struct Record {
        uint32_t failures = 0;
        int64_t last_failure_ms = 0;
        int64_t next_attempt_ms = 0;
        uint32_t in_flight = 0;
        std::deque<Queued> queued;
    };
    // What to run once the lock is given back.
    struct Released {
        std::vector<Start> started;
        std::vector<Queued> refused;
        std::chrono::milliseconds wait{0};
        void run();
    };

    bool may_start(const Record& record, int64_t now_ms) const;
    static std::chrono::milliseconds wait_of(const Record& record, int64_t now_ms);
    // Ends one attempt of `key` with `change` made to its record, and lets the queued ones that now may start.
    template <class Change>
    void end(const std::string& key, int64_t now_ms, Change change);
    void release(Record& record, int64_t now_ms, Released& released);
    void forget_stale(int64_t now_ms);

    Policy policy_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Record> records_;
};

}  // namespace lanchat::auth
