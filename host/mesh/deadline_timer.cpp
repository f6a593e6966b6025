#include "mesh/deadline_timer.hpp"

namespace lanchat::host::mesh {

DeadlineTimer::DeadlineTimer() : thread_([this] { run(); }) {}

DeadlineTimer::~DeadlineTimer() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    thread_.join();
}

DeadlineTimer::Id DeadlineTimer::arm(Clock::time_point deadline, std::function<void()> expire) {
    std::lock_guard lock(mutex_);
    Id id = next_id_++;
    bool soonest = armed_.empty() || deadline < armed_.begin()->first;
    by_id_.emplace(id, armed_.emplace(deadline, std::make_pair(id, std::move(expire))));
    if (soonest) changed_.notify_all();
    return id;
}

void DeadlineTimer::cancel(Id id) {
    std::lock_guard lock(mutex_);
    auto found = by_id_.find(id);
    if (found == by_id_.end()) return;
    armed_.erase(found->second);
    by_id_.erase(found);
}

void DeadlineTimer::run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        if (armed_.empty()) {
            changed_.wait(lock);
            continue;
        }
        auto soonest = armed_.begin();
        if (soonest->first > Clock::now()) {
            // A copy: while the lock is released a cancel() may erase the entry the key belongs to.
            const Clock::time_point wake_at = soonest->first;
            changed_.wait_until(lock, wake_at);
            continue;
        }
        std::function<void()> expire = std::move(soonest->second.second);
        by_id_.erase(soonest->second.first);
        armed_.erase(soonest);
        lock.unlock();
        expire();
        lock.lock();
    }
}

}  // namespace lanchat::host::mesh
