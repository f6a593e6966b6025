// HistoryReads: the edge's bound on Channel.History calls in flight (catch-ups and gap reads together). A
// subscribe that resumes many channels, or many clients reconnecting at once, would otherwise start one
// call per channel at the same moment; here at most `limit` run and the rest wait their turn, oldest first.
// Thread-safe.
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <vector>

#include "edge_feeds.hpp"

namespace lanchat::gateway {

class HistoryReads {
public:
    explicit HistoryReads(size_t limit) : limit_(limit) {}

    // The reads of `wanted` to start now; the others wait for a finished().
    std::vector<HistoryRead> admit(const std::vector<HistoryRead>& wanted) {
        std::lock_guard lock(mutex_);
        std::vector<HistoryRead> start;
        for (const HistoryRead& read : wanted) {
            if (in_flight_ < limit_) {
                ++in_flight_;
                start.push_back(read);
            } else {
                waiting_.push_back(read);
            }
        }
        return start;
    }

    // One read ended: the waiting read that takes its place, if any.
    std::optional<HistoryRead> finished() {
        std::lock_guard lock(mutex_);
        if (waiting_.empty()) {
            --in_flight_;
            return std::nullopt;
        }
        HistoryRead next = std::move(waiting_.front());
        waiting_.pop_front();
        return next;
    }

    size_t in_flight() const {
        std::lock_guard lock(mutex_);
        return in_flight_;
    }
    size_t waiting() const {
        std::lock_guard lock(mutex_);
        return waiting_.size();
    }

private:
    const size_t limit_;
    mutable std::mutex mutex_;
    size_t in_flight_ = 0;
    std::deque<HistoryRead> waiting_;
};

}  // namespace lanchat::gateway
