#include "runtime/executor.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <condition_variable>

namespace lanchat::host {
namespace asio = boost::asio;

struct Executor::Context {
    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
};

// A task's life: armed -> (running -> armed)* -> retired. `release` runs exactly once, at retirement.
struct Executor::Task {
    Task(asio::io_context& io, lanchat_timer_id id, OwnerId owner) : timer(io), id(id), owner(owner) {}

    asio::steady_timer timer;
    lanchat_timer_id id;
    OwnerId owner;
    uint64_t period_ms = 0;
    lanchat_task_fn fn = nullptr;
    lanchat_task_fn release = nullptr;
    void* user = nullptr;

    std::mutex mutex;  // guards the fields below
    std::condition_variable idle;
    bool cancelled = false;
    bool retired = false;
    std::thread::id running_on;  // default-constructed when not running
};

Executor::Executor(unsigned threads) : context_(std::make_unique<Context>()) {
    for (unsigned i = 0; i < threads; ++i) {
        threads_.emplace_back([this] { context_->io.run(); });
    }
}

Executor::~Executor() {
    std::vector<lanchat_timer_id> ids;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [id, task] : tasks_) ids.push_back(id);
    }
    for (lanchat_timer_id id : ids) cancel(nullptr, id);
    context_->work.reset();
    context_->io.stop();
    for (std::thread& thread : threads_) thread.join();
}

lanchat_timer_id Executor::schedule(OwnerId owner, uint64_t delay_ms, uint64_t period_ms, lanchat_task_fn fn,
                                    lanchat_task_fn release, void* user) {
    std::shared_ptr<Task> task;
    {
        std::lock_guard lock(mutex_);
        task = std::make_shared<Task>(context_->io, next_id_++, owner);
        tasks_.emplace(task->id, task);
    }
    task->period_ms = period_ms;
    task->fn = fn;
    task->release = release;
    task->user = user;
    std::lock_guard lock(task->mutex);  // cancel() may already see the task
    arm(task, delay_ms);
    return task->id;
}

void Executor::arm(const std::shared_ptr<Task>& task, uint64_t delay_ms) {
    task->timer.expires_after(std::chrono::milliseconds(delay_ms));
    task->timer.async_wait([this, task](const boost::system::error_code&) { fire(task); });
}

void Executor::fire(const std::shared_ptr<Task>& task) {
    {
        std::lock_guard lock(task->mutex);
        if (task->cancelled) return;  // cancel() retired it
        task->running_on = std::this_thread::get_id();
    }
    task->fn(task->user);
    std::unique_lock lock(task->mutex);
    task->running_on = {};
    if (!task->cancelled && task->period_ms != 0) {
        arm(task, task->period_ms);
        return;
    }
    task->cancelled = true;
    lock.unlock();
    retire(task);
    task->idle.notify_all();
}

void Executor::retire(const std::shared_ptr<Task>& task) {
    {
        std::lock_guard lock(task->mutex);
        if (task->retired) return;
        task->retired = true;
    }
    {
        std::lock_guard lock(mutex_);
        tasks_.erase(task->id);
    }
    if (task->release != nullptr) task->release(task->user);
}

void Executor::cancel(OwnerId owner, lanchat_timer_id id) {
    std::shared_ptr<Task> task;
    {
        std::lock_guard lock(mutex_);
        auto found = tasks_.find(id);
        if (found == tasks_.end()) return;
        if (owner != nullptr && found->second->owner != owner) return;  // not the caller's task
        task = found->second;
    }
    std::unique_lock lock(task->mutex);
    task->cancelled = true;
    task->timer.cancel();
    if (task->running_on == std::this_thread::get_id()) return;  // fire() retires it when fn returns
    task->idle.wait(lock, [&] { return task->running_on == std::thread::id{}; });
    lock.unlock();
    retire(task);
}

size_t Executor::cancel_all(OwnerId owner, size_t max_rounds) {
    std::vector<lanchat_timer_id> ids;
    for (size_t round = 0; round < max_rounds; ++round) {
        ids.clear();
        {
            std::lock_guard lock(mutex_);
            for (const auto& [id, task] : tasks_) {
                if (task->owner == owner) ids.push_back(id);
            }
        }
        if (ids.empty()) return 0;
        for (lanchat_timer_id id : ids) cancel(owner, id);
    }
    return scheduled_count(owner);
}

size_t Executor::scheduled_count(OwnerId owner) const {
    std::lock_guard lock(mutex_);
    size_t count = 0;
    for (const auto& [id, task] : tasks_) count += task->owner == owner ? 1 : 0;
    return count;
}

}  // namespace lanchat::host
