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
    // One admitted piece of work, counted while any copy of it lives (Seastar's gate::holder). Copying
    // extends work already admitted, so it succeeds even once the gate is closed: a request that goes on
    // to make more calls keeps the drain waiting until its last answer. The gate must outlive its holders.
    class Holder {
    public:
        Holder() = default;  // holds nothing
        Holder(const Holder& other) : gate_(other.gate_) {
            if (gate_ != nullptr) gate_->join();
        }
        Holder(Holder&& other) noexcept : gate_(std::exchange(other.gate_, nullptr)) {}
        Holder& operator=(Holder other) noexcept {
            std::swap(gate_, other.gate_);
            return *this;
        }
        ~Holder() { release(); }

        // Leaves the gate now instead of when dropped; the holder then holds nothing.
        void release() {
            if (Gate* gate = std::exchange(gate_, nullptr)) gate->leave();
        }
        bool holds() const { return gate_ != nullptr; }

    private:
        friend class Gate;
        explicit Holder(Gate* gate) : gate_(gate) {}
        Gate* gate_ = nullptr;
    };

    // enter() as a Holder that leaves when its last copy goes; nullopt once closed (refuse the work).
    std::optional<Holder> try_hold() {
        if (!enter()) return std::nullopt;
        return Holder(this);
    }

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
    // A copied Holder: counted whether or not the gate is closed (the work was admitted before).
    void join() {
        std::lock_guard lock(mutex_);
        ++in_flight_;
    }

    mutable std::mutex mutex_;
    size_t in_flight_ = 0;
    bool closed_ = false;
    std::optional<DrainSignal> waiter_;
};

}  // namespace lanchat::sdk
