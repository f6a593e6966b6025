// RpcOwner: one plugin instance's share of the mesh — the calls it has open in both directions — and the
// gate that keeps the host from calling into the plugin once it is draining or stopped.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

namespace lanchat::host::mesh {

class RpcOwner {
public:
    explicit RpcOwner(std::string plugin_name) : plugin_name_(std::move(plugin_name)) {}

    const std::string& plugin_name() const { return plugin_name_; }

    // New inbound calls are refused (UNAVAILABLE) from drain on; calls in flight continue.
    void begin_drain() {
        std::lock_guard lock(mutex_);
        draining_ = true;
    }
    bool accepting() const {
        std::lock_guard lock(mutex_);
        return !draining_ && !stopped_;
    }

    // Admits a new inbound call and brackets its handler (leave() after); false once draining or stopped.
    // Checked and counted under one lock, so no call slips in after drain began.
    bool begin_call() {
        std::lock_guard lock(mutex_);
        if (draining_ || stopped_) return false;
        ++callbacks_running_;
        return true;
    }

    // Waits until no inbound call is open (all finished by the plugin), or until `deadline`.
    bool wait_for_inbound(std::chrono::steady_clock::time_point deadline) {
        std::unique_lock lock(mutex_);
        return changed_.wait_until(lock, deadline, [this] { return inbound_.empty() && callbacks_running_ == 0; });
    }

    // Brackets every handler or cancellation callback into plugin code; false once stopped (skip it).
    bool enter() {
        std::lock_guard lock(mutex_);
        if (stopped_) return false;
        ++callbacks_running_;
        return true;
    }
    void leave() {
        std::lock_guard lock(mutex_);
        if (--callbacks_running_ == 0) changed_.notify_all();
    }

    // Inbound calls the plugin has not finished, with how to end them if it never does.
    void track_inbound(void* call, std::function<void()> end) {
        std::lock_guard lock(mutex_);
        inbound_.emplace(call, std::move(end));
    }
    void untrack_inbound(void* call) {
        std::lock_guard lock(mutex_);
        inbound_.erase(call);
        changed_.notify_all();
    }

    // False once stop() began: a call the plugin starts now (from a CANCELLED reply, say) would never be
    // cancelled, so it is answered CANCELLED instead of being made.
    bool calls_allowed() const {
        std::lock_guard lock(mutex_);
        return !stopped_;
    }

    // Outbound calls still waiting for their reply, with how to cancel them.
    void track_outbound(uint64_t id, std::function<void()> cancel) {
        std::lock_guard lock(mutex_);
        outbound_.emplace(id, std::move(cancel));
    }
    void untrack_outbound(uint64_t id) {
        std::lock_guard lock(mutex_);
        outbound_.erase(id);
        changed_.notify_all();
    }

    // Called after the plugin's stop(): no handler runs any more, every inbound call it left open is ended
    // (UNAVAILABLE), and every outbound call is cancelled and has delivered its (CANCELLED) reply.
    void stop() {
        std::unordered_map<void*, std::function<void()>> inbound;
        std::vector<std::function<void()>> cancels;
        {
            std::unique_lock lock(mutex_);
            stopped_ = true;
            changed_.wait(lock, [this] { return callbacks_running_ == 0; });
            inbound.swap(inbound_);
            for (auto& [id, cancel] : outbound_) cancels.push_back(cancel);
        }
        for (auto& [call, end] : inbound) end();
        for (auto& cancel : cancels) cancel();
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [this] { return outbound_.empty(); });
    }

private:
    std::string plugin_name_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    int callbacks_running_ = 0;
    bool draining_ = false;
    bool stopped_ = false;
    std::unordered_map<void*, std::function<void()>> inbound_;
    std::unordered_map<uint64_t, std::function<void()>> outbound_;
};

}  // namespace lanchat::host::mesh
