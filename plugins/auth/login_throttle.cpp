#include "login_throttle.hpp"

#include <algorithm>

namespace lanchat::auth {

void LoginThrottle::Released::run() {
    for (Start& start : started) start();
    for (Queued& queued : refused) queued.refuse(wait);
}

void LoginThrottle::attempt(const std::string& key, int64_t now_ms, Start start, Refuse refuse) {
    std::unique_lock lock(mutex_);
    if (records_.size() >= policy_.max_keys && records_.find(key) == records_.end()) forget_stale(now_ms);
    Record& record = records_[key];
    if (const auto wait = wait_of(record, now_ms); wait.count() > 0) {
        lock.unlock();
        return refuse(wait);
    }
    if (may_start(record, now_ms)) {
        ++record.in_flight;
        lock.unlock();
        return start();
    }
    if (record.queued.size() >= policy_.max_queued) {
        lock.unlock();
        return refuse(policy_.first_delay);
    }
    record.queued.push_back({std::move(start), std::move(refuse)});
}

void LoginThrottle::failed(const std::string& key, int64_t now_ms) {
    end(key, now_ms, [&](Record& record) {
        if (now_ms - record.last_failure_ms > policy_.forget_after.count()) record.failures = 0;
        ++record.failures;
        record.last_failure_ms = now_ms;
        if (record.failures > policy_.free_failures) {
            const uint32_t doublings = std::min<uint32_t>(record.failures - policy_.free_failures - 1, 30);
            const int64_t delay =
                std::min<int64_t>(policy_.first_delay.count() << doublings, policy_.max_delay.count());
            record.next_attempt_ms = now_ms + delay;
        }
    });
}

void LoginThrottle::succeeded(const std::string& key, int64_t now_ms) {
    end(key, now_ms, [](Record& record) {
        record.failures = 0;
        record.next_attempt_ms = 0;
    });
}

void LoginThrottle::ended(const std::string& key, int64_t now_ms) {
    end(key, now_ms, [](Record&) {});
}

template <class Change>
void LoginThrottle::end(const std::string& key, int64_t now_ms, Change change) {
    Released released;
    {
        std::lock_guard lock(mutex_);
        auto found = records_.find(key);
        if (found == records_.end()) return;
        Record& record = found->second;
        if (record.in_flight > 0) --record.in_flight;
        change(record);
        release(record, now_ms, released);
        if (record.failures == 0 && record.in_flight == 0 && record.queued.empty()) records_.erase(found);
    }
    released.run();
}

// The queued attempts that may start now do; once the key must wait, every queued one is refused with it.
void LoginThrottle::release(Record& record, int64_t now_ms, Released& released) {
    released.wait = wait_of(record, now_ms);
    if (released.wait.count() > 0) {
        std::move(record.queued.begin(), record.queued.end(), std::back_inserter(released.refused));
        record.queued.clear();
        return;
    }
    while (!record.queued.empty() && may_start(record, now_ms)) {
        released.started.push_back(std::move(record.queued.front().start));
        record.queued.pop_front();
        ++record.in_flight;
    }
}

// Within the free failures even if every attempt in flight fails (so at most the one that brings the first
// wait); past them, one at a time, each after the wait the last failure brought.
bool LoginThrottle::may_start(const Record& record, int64_t now_ms) const {
    if (wait_of(record, now_ms).count() > 0) return false;
    return record.in_flight == 0 || record.failures + record.in_flight <= policy_.free_failures;
}

std::chrono::milliseconds LoginThrottle::wait_of(const Record& record, int64_t now_ms) {
    return std::chrono::milliseconds(std::max<int64_t>(record.next_attempt_ms - now_ms, 0));
}

std::chrono::milliseconds LoginThrottle::wait(const std::string& key, int64_t now_ms) const {
    std::lock_guard lock(mutex_);
    auto record = records_.find(key);
    return record == records_.end() ? std::chrono::milliseconds(0) : wait_of(record->second, now_ms);
}

size_t LoginThrottle::keys() const {
    std::lock_guard lock(mutex_);
    return records_.size();
}

// Drops keys whose last failure is older than forget_after; if that frees nothing, the oldest half goes
// (an attacker spraying names loses their slow-down sooner, but memory stays bounded). A key with attempts
// in flight or queued stays: its attempts end on it.
void LoginThrottle::forget_stale(int64_t now_ms) {
    auto idle = [](const Record& record) { return record.in_flight == 0 && record.queued.empty(); };
    std::erase_if(records_, [&](const auto& entry) {
        return idle(entry.second) && now_ms - entry.second.last_failure_ms > policy_.forget_after.count();
    });
    if (records_.size() < policy_.max_keys) return;
    std::vector<int64_t> times;
    times.reserve(records_.size());
    for (const auto& [key, record] : records_) times.push_back(record.last_failure_ms);
    std::nth_element(times.begin(), times.begin() + static_cast<std::ptrdiff_t>(times.size() / 2), times.end());
    const int64_t median = times[times.size() / 2];
    std::erase_if(records_,
                  [&](const auto& entry) { return idle(entry.second) && entry.second.last_failure_ms <= median; });
}

}  // namespace lanchat::auth
