// LocalThreads: the threads in-process calls run on, as gRPC's threads run the calls that arrive over the
// network: the serving plugin's handler and cancellation, and the caller's messages and reply. A handler
// may block (a store waiting for its commit), so a task never waits for a busy thread while fewer than
// `max_threads` run: another one starts. Threads idle for a while end, down to the first `kept`.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

namespace lanchat::host::mesh {

class LocalThreads {
public:
    LocalThreads(size_t kept, size_t max_threads, std::chrono::milliseconds idle_timeout = std::chrono::seconds(10));
    ~LocalThreads();  // runs every task posted so far, then joins the threads
    LocalThreads(const LocalThreads&) = delete;
    LocalThreads& operator=(const LocalThreads&) = delete;

    // Runs `task` soon on one of the threads; never inside post(). Thread-safe.
    void post(std::function<void()> task);
    size_t thread_count() const;

private:
    void work(std::list<std::thread>::iterator self);
    void join_exited(std::unique_lock<std::mutex>& lock);

    const size_t kept_;
    const size_t max_threads_;
    const std::chrono::milliseconds idle_timeout_;
    mutable std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<std::function<void()>> tasks_;
    size_t idle_ = 0;
    bool stopping_ = false;
    std::list<std::thread> threads_;                        // running
    std::vector<std::list<std::thread>::iterator> exited_;  // ended on idleness, to be joined
};

}  // namespace lanchat::host::mesh
