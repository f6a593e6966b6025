#include "history_reads.hpp"

namespace lanchat::gateway {

HistoryReads::HistoryReads(size_t limit, size_t per_reader, Wanted wanted)
    : limit_(limit), per_reader_(per_reader), wanted_(std::move(wanted)) {}

HistoryReads::Admitted HistoryReads::admit(const std::vector<HistoryRead>& wanted) {
    std::lock_guard lock(mutex_);
    Admitted admitted;
    for (const HistoryRead& read : wanted) {
        if (in_flight_ < limit_) {
            ++in_flight_;
            admitted.start.push_back(read);
            continue;
        }
        Queue& queue = queues_[read.reader];
        if (!queue.reads.empty() && queue.reads.front().generation < read.generation) {
            waiting_ -= queue.reads.size();  // an earlier subscription's: the reader subscribed again
            queue.reads.clear();
        }
        if (queue.reads.size() >= per_reader_) {
            admitted.refused.push_back(read);
            continue;
        }
        queue.reads.push_back(read);
        ++waiting_;
        if (!queue.has_turn) {
            queue.has_turn = true;
            turns_.push_back(read.reader);
        }
    }
    return admitted;
}

std::optional<HistoryRead> HistoryReads::next_waiting_locked() {
    while (!turns_.empty()) {
        const sdk::ConnectionId reader = turns_.front();
        turns_.pop_front();
        auto queue = queues_.find(reader);
        if (queue == queues_.end()) continue;  // forgotten
        if (queue->second.reads.empty()) {
            queues_.erase(queue);
            continue;
        }
        HistoryRead next = std::move(queue->second.reads.front());
        queue->second.reads.pop_front();
        --waiting_;
        if (queue->second.reads.empty()) {
            queues_.erase(queue);
        } else {
            turns_.push_back(reader);
        }
        return next;
    }
    return std::nullopt;
}

std::optional<HistoryRead> HistoryReads::finished() {
    for (;;) {
        std::optional<HistoryRead> next;
        {
            std::lock_guard lock(mutex_);
            next = next_waiting_locked();
            if (!next) {
                --in_flight_;
                return std::nullopt;
            }
        }
        // Asked outside the lock (the feeds take their own); the finished read's place is kept meanwhile.
        if (wanted_(*next)) return next;
    }
}

void HistoryReads::forget(sdk::ConnectionId reader) {
    std::lock_guard lock(mutex_);
    auto queue = queues_.find(reader);
    if (queue == queues_.end()) return;
    waiting_ -= queue->second.reads.size();
    queues_.erase(queue);
}

size_t HistoryReads::in_flight() const {
    std::lock_guard lock(mutex_);
    return in_flight_;
}

size_t HistoryReads::waiting() const {
    std::lock_guard lock(mutex_);
    return waiting_;
}

}  // namespace lanchat::gateway
