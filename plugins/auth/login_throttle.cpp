#include "login_throttle.hpp"

#include <algorithm>

namespace lanchat::auth {

std::chrono::milliseconds LoginThrottle::wait(const std::string& key, int64_t now_ms) {
    std::lock_guard lock(mutex_);
    auto record = records_.find(key);
    if (record == records_.end() || record->second.next_attempt_ms <= now_ms) return std::chrono::milliseconds(0);
    return std::chrono::milliseconds(record->second.next_attempt_ms - now_ms);
}

void LoginThrottle::failed(const std::string& key, int64_t now_ms) {
    std::lock_guard lock(mutex_);
    if (records_.size() >= policy_.max_keys && records_.find(key) == records_.end()) forget_stale(now_ms);
    Record& record = records_[key];
    if (now_ms - record.last_failure_ms > policy_.forget_after.count()) record = Record();
    ++record.failures;
    record.last_failure_ms = now_ms;
    if (record.failures > policy_.free_failures) {
        const uint32_t doublings = std::min<uint32_t>(record.failures - policy_.free_failures - 1, 30);
        const int64_t delay = std::min<int64_t>(policy_.first_delay.count() << doublings, policy_.max_delay.count());
        record.next_attempt_ms = now_ms + delay;
    }
}

void LoginThrottle::succeeded(const std::string& key) {
    std::lock_guard lock(mutex_);
    records_.erase(key);
}

void LoginThrottle::forgive(const std::string& key) {
    std::lock_guard lock(mutex_);
    auto record = records_.find(key);
    if (record == records_.end()) return;
    if (record->second.failures > 0) --record->second.failures;
    if (record->second.failures <= policy_.free_failures) record->second.next_attempt_ms = 0;
}

size_t LoginThrottle::keys() const {
    std::lock_guard lock(mutex_);
    return records_.size();
}

// Drops keys whose last failure is older than forget_after; if that frees nothing, the oldest half goes
// (an attacker spraying names loses their slow-down sooner, but memory stays bounded).
void LoginThrottle::forget_stale(int64_t now_ms) {
    std::erase_if(records_, [&](const auto& entry) {
        return now_ms - entry.second.last_failure_ms > policy_.forget_after.count();
    });
    if (records_.size() < policy_.max_keys) return;
    std::vector<int64_t> times;
    times.reserve(records_.size());
    for (const auto& [key, record] : records_) times.push_back(record.last_failure_ms);
    std::nth_element(times.begin(), times.begin() + static_cast<std::ptrdiff_t>(times.size() / 2), times.end());
    const int64_t median = times[times.size() / 2];
    std::erase_if(records_, [&](const auto& entry) { return entry.second.last_failure_ms <= median; });
}

}  // namespace lanchat::auth
