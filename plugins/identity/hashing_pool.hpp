// HashingPool: Identity's own threads for password hashing. Argon2id costs tens of milliseconds and
// 64 MiB per hash; on the node's shared executor a burst of registrations or logins would delay every
// plugin's timers (auth timeouts, presence expiry, the audit outbox). Here at most `threads` hashes run at
// once, at most `max_waiting` wait, and a job whose caller's deadline passed while it waited is refused
// without being hashed: nobody is left to read its answer.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "lanchat/sdk/status.hpp"

namespace lanchat::identity {

class HashingPool {
public:
    using Deadline = std::chrono::system_clock::time_point;  // time_point::max() for none

    struct Job {
        Deadline deadline = Deadline::max();
        std::function<void()> run;
        // Called instead of run() with why the job was not run: its deadline passed while it waited
        // (DEADLINE_EXCEEDED) or the pool stopped first (UNAVAILABLE).
        std::function<void(const sdk::Status&)> refuse;
    };

    HashingPool(size_t threads, size_t max_waiting);
    // Refuses what still waits (UNAVAILABLE), lets the running jobs finish, and joins the threads.
    ~HashingPool();
    HashingPool(const HashingPool&) = delete;
    HashingPool& operator=(const HashingPool&) = delete;

    // Queues `job`; RESOURCE_EXHAUSTED (and `job` untouched) when max_waiting jobs already wait.
    sdk::Status submit(Job job);

    size_t waiting() const;

private:
    void work();

    const size_t max_waiting_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Job> queue_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace lanchat::identity
