// DeadlineTimer: one thread that ends in-process calls whose deadline passed, instead of a timer per call on
// the executor: arming is an insertion in an ordered map, and the thread wakes only when the soonest
// deadline comes or moves earlier (a call's deadline is usually later than every one armed before it).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace lanchat::host::mesh {

class DeadlineTimer {
public:
    using Clock = std::chrono::system_clock;
    using Id = uint64_t;  // 0 is never an id

    DeadlineTimer();
    ~DeadlineTimer();  // what is still armed never runs
    DeadlineTimer(const DeadlineTimer&) = delete;
    DeadlineTimer& operator=(const DeadlineTimer&) = delete;

    // Runs `expire` on the timer's thread once `deadline` has passed, unless cancelled first; never inside
    // arm(). Thread-safe.
    Id arm(Clock::time_point deadline, std::function<void()> expire);
    // From now on `expire` of `id` does not start; one already running may still be finishing. Unknown
    // and expired ids are ignored.
    void cancel(Id id);

private:
    void run();

    std::mutex mutex_;
    std::condition_variable changed_;
    bool stopping_ = false;
    Id next_id_ = 1;
    std::multimap<Clock::time_point, std::pair<Id, std::function<void()>>> armed_;
    std::unordered_map<Id, decltype(armed_)::iterator> by_id_;
    std::thread thread_;  // last: starts once everything above exists
};

}  // namespace lanchat::host::mesh
