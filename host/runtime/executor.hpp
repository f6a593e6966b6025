// Executor: the host's worker threads and the tasks plugins schedule on them (lanchat_executor_api).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "lanchat/plugin_abi.h"

namespace lanchat::host {

// Thread-safe. Every task belongs to an owner (a plugin instance), so everything an instance left behind
// can be cancelled when it stops.
class Executor {
public:
    explicit Executor(unsigned threads);
    ~Executor();  // cancels every task, then joins the threads
    Executor(const Executor&) = delete;
    Executor& operator=(const Executor&) = delete;

    using OwnerId = const void*;

    // Runs fn(user) after delay_ms, then every period_ms when non-zero; release(user) once it will never run
    // again. Returns the task's id (never 0).
    lanchat_timer_id schedule(OwnerId owner, uint64_t delay_ms, uint64_t period_ms, lanchat_task_fn fn,
                              lanchat_task_fn release, void* user);

    // After it returns, the task is not running (unless cancelled from inside itself) and never runs again.
    void cancel(OwnerId owner, lanchat_timer_id id);

    // Cancels every task of `owner`, with cancel()'s guarantee for each, including the tasks scheduled by the
    // releases it ran (a held reply delivered on cancellation can make its plugin call, and so schedule,
    // again), until none is left or `max_rounds` passed. RETURNS how many tasks are left: 0 unless the
    // owner kept scheduling all along.
    size_t cancel_all(OwnerId owner, size_t max_rounds = kCancelRounds);
    static constexpr size_t kCancelRounds = 100000;

    size_t scheduled_count(OwnerId owner) const;

private:
    struct Task;
    struct Context;

    void arm(const std::shared_ptr<Task>& task, uint64_t delay_ms);
    void fire(const std::shared_ptr<Task>& task);
    void retire(const std::shared_ptr<Task>& task);

    std::unique_ptr<Context> context_;
    mutable std::mutex mutex_;
    lanchat_timer_id next_id_ = 1;
    std::unordered_map<lanchat_timer_id, std::shared_ptr<Task>> tasks_;
    std::vector<std::thread> threads_;
};

}  // namespace lanchat::host
