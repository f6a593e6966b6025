// DrainSignal and Gate: telling the host when in-flight work has finished.
#pragma once

#include <cstddef>
#include <mutex>
#include <optional>
#include <utility>

#include "lanchat/plugin_abi.h"

namespace lanchat::sdk {

// The host's "tell me when you are done" for drain(). Signals exactly once: on done(), or when the last
// owner lets it go, so forgetting it cannot hang a shutdown. Move-only; may be moved to any thread.
class DrainSignal {
public:
    DrainSignal() = default;
    explicit DrainSignal(const lanchat_drain_request* request) : request_(request) {}
    DrainSignal(DrainSignal&& other) noexcept : request_(std::exchange(other.request_, nullptr)) {}
    DrainSignal& operator=(DrainSignal&& other) noexcept {
        if (this != &other) {
            done();
            request_ = std::exchange(other.request_, nullptr);
        }
        return *this;
    }
    DrainSignal(const DrainSignal&) = delete;
    DrainSignal& operator=(const DrainSignal&) = delete;
    ~DrainSignal() { done(); }

    void done() {
        if (const lanchat_drain_request* request = std::exchange(request_, nullptr)) {
            request->done(request->done_user);
        }
    }

private:
    const lanchat_drain_request* request_ = nullptr;
};

// Counts work in flight. enter() admits new work until close(); close() hands over a DrainSignal that is
// signalled when the count reaches zero. Thread-safe. (Seastar's gate, with the host's drain signal.)
class Gate {
public:
    // False once closed: the caller must refuse the work (e.g. answer UNAVAILABLE).
    bool enter() {
        std::lock_guard lock(mutex_);
        if (closed_) return false;
        ++in_flight_;
        return true;
    }

    void leave() {
        std::optional<DrainSignal> finished;
        {
            std::lock_guard lock(mutex_);
            if (--in_flight_ == 0 && closed_) finished = std::move(waiter_);
        }
        // `finished` signals as it goes out of scope, outside the lock.
    }

    void close(DrainSignal done) {
        std::lock_guard lock(mutex_);
        closed_ = true;
        if (in_flight_ > 0) waiter_ = std::move(done);
        // Otherwise `done` signals right away as it goes out of scope.
    }

    bool closed() const {
        std::lock_guard lock(mutex_);
        return closed_;
    }
    size_t in_flight() const {
        std::lock_guard lock(mutex_);
        return in_flight_;
    }

private:
    mutable std::mutex mutex_;
    size_t in_flight_ = 0;
    bool closed_ = false;
    std::optional<DrainSignal> waiter_;
};

}  // namespace lanchat::sdk
