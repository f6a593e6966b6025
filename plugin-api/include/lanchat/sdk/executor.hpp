// Executor and Timer: run plugin code later, or periodically, on the host's executor threads.
#pragma once

#include <chrono>
#include <exception>
#include <functional>
#include <utility>

#include "lanchat/plugin_abi.h"
#include "lanchat/sdk/logger.hpp"

namespace lanchat::sdk {

// A scheduled task. Destroying (or reset()) cancels it: afterwards the task is not running — unless reset
// from inside the task itself — and never runs again. Move-only.
class Timer {
public:
    Timer() = default;
    Timer(const lanchat_host_api* host, lanchat_host_context* ctx, lanchat_timer_id id)
        : host_(host), ctx_(ctx), id_(id) {}
    Timer(Timer&& other) noexcept { *this = std::move(other); }
    Timer& operator=(Timer&& other) noexcept {
        if (this != &other) {
            reset();
            host_ = std::exchange(other.host_, nullptr);
            ctx_ = std::exchange(other.ctx_, nullptr);
            id_ = std::exchange(other.id_, 0);
        }
        return *this;
    }
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;
    ~Timer() { reset(); }

    void reset() {
        if (id_ != 0) host_->executor->cancel(ctx_, std::exchange(id_, 0));
    }
    bool active() const { return id_ != 0; }

private:
    const lanchat_host_api* host_ = nullptr;
    lanchat_host_context* ctx_ = nullptr;
    lanchat_timer_id id_ = 0;
};

// Schedules work for one plugin instance. Tasks that are still scheduled when the plugin stops are
// cancelled by the host, so a task never outlives the plugin's code.
class Executor {
public:
    Executor(const lanchat_host_api* host, lanchat_host_context* ctx) : host_(host), ctx_(ctx) {}

    // Runs `task` once, soon, on an executor thread.
    void post(std::function<void()> task) const { schedule(0, 0, std::move(task)); }

    // Runs `task` once after `delay`.
    [[nodiscard]] Timer after(std::chrono::milliseconds delay, std::function<void()> task) const {
        return {host_, ctx_, schedule(to_ms(delay), 0, std::move(task))};
    }

    // Runs `task` every `period`, first after one period.
    [[nodiscard]] Timer every(std::chrono::milliseconds period, std::function<void()> task) const {
        uint64_t ms = to_ms(period) == 0 ? 1 : to_ms(period);
        return {host_, ctx_, schedule(ms, ms, std::move(task))};
    }

private:
    struct Task {
        std::function<void()> body;
        Logger logger;
    };

    static uint64_t to_ms(std::chrono::milliseconds duration) {
        return duration.count() < 0 ? 0 : static_cast<uint64_t>(duration.count());
    }

    lanchat_timer_id schedule(uint64_t delay_ms, uint64_t period_ms, std::function<void()> body) const {
        auto* owned = new Task{std::move(body), Logger(host_, ctx_)};
        return host_->executor->schedule(ctx_, delay_ms, period_ms, &Executor::run, &Executor::release, owned);
    }

    // Exceptions stop here and are logged: they never cross into the host.
    static void run(void* user) noexcept {
        auto* task = static_cast<Task*>(user);
        try {
            task->body();
        } catch (const std::exception& e) {
            task->logger.error("scheduled task threw an exception", {{"what", e.what()}});
        } catch (...) {
            task->logger.error("scheduled task threw a non-standard exception");
        }
    }
    static void release(void* user) noexcept { delete static_cast<Task*>(user); }

    const lanchat_host_api* host_;
    lanchat_host_context* ctx_;
};

}  // namespace lanchat::sdk
