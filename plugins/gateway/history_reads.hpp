// HistoryReads: the edge's bound on Channel.History calls in flight (catch-ups and gap reads together). A
// subscribe that resumes many channels, or many clients reconnecting at once, would otherwise start one
// call per channel at the same moment; here at most `limit` run and the rest wait.
// Readers take turns, one read each, so one reader's many catch-ups do not hold back everyone else's. What
// waits is bounded: a reader's reads of an earlier subscription are dropped when it subscribes again, a
// closed reader's when it closes, each reader has at most `per_reader` waiting, and a read no longer wanted
// when its turn comes (`wanted` says so) is dropped rather than made. Thread-safe.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "edge_feeds.hpp"

namespace lanchat::gateway {

class HistoryReads {
public:
    // Whether a waiting read is still worth making (its reader still reads that channel in that subscription).
    using Wanted = std::function<bool(const HistoryRead&)>;

    HistoryReads(size_t limit, size_t per_reader, Wanted wanted);

    struct Admitted {
        std::vector<HistoryRead> start;    // to make now
        std::vector<HistoryRead> refused;  // their reader has `per_reader` waiting already
    };
    // The reads of `wanted` to start now; the others wait for a finished(), or are refused.
    Admitted admit(const std::vector<HistoryRead>& wanted);
    // One read ended: the waiting read that takes its place, if any.
    std::optional<HistoryRead> finished();
    // `reader` closed: its waiting reads go.
    void forget(sdk::ConnectionId reader);

    size_t in_flight() const;
    size_t waiting() const;

private:
    // One reader's waiting reads (reader 0: the feeds' gap reads), all of one subscription.
    struct Queue {
        std::deque<HistoryRead> reads;
        bool has_turn = false;  // in turns_
    };
    std::optional<HistoryRead> next_waiting_locked();

    const size_t limit_;
    const size_t per_reader_;
    const Wanted wanted_;
    mutable std::mutex mutex_;
    size_t in_flight_ = 0;
    size_t waiting_ = 0;
    std::unordered_map<sdk::ConnectionId, Queue> queues_;
    std::deque<sdk::ConnectionId> turns_;  // readers with waiting reads, each served one read in turn
};

}  // namespace lanchat::gateway
