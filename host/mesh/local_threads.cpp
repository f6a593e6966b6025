#include "mesh/local_threads.hpp"

namespace lanchat::host::mesh {

LocalThreads::LocalThreads(size_t kept, size_t max_threads, std::chrono::milliseconds idle_timeout)
    : kept_(kept), max_threads_(max_threads < 1 ? 1 : max_threads), idle_timeout_(idle_timeout) {}

LocalThreads::~LocalThreads() {
    std::list<std::thread> threads;
    {
        std::unique_lock lock(mutex_);
        stopping_ = true;
        join_exited(lock);
        threads.swap(threads_);
    }
    ready_.notify_all();
    for (std::thread& thread : threads) thread.join();
}

void LocalThreads::post(std::function<void()> task) {
    std::unique_lock lock(mutex_);
    tasks_.push_back(std::move(task));
    join_exited(lock);
    if (idle_ >= tasks_.size() || threads_.size() - exited_.size() >= max_threads_) {
        lock.unlock();
        ready_.notify_one();
        return;
    }
    auto self = threads_.emplace(threads_.end());
    *self = std::thread([this, self] { work(self); });
}

size_t LocalThreads::thread_count() const {
    std::lock_guard lock(mutex_);
    return threads_.size() - exited_.size();
}

// Joins, with the lock released, the threads that ended; they no longer touch anything of ours.
void LocalThreads::join_exited(std::unique_lock<std::mutex>& lock) {
    if (exited_.empty()) return;
    std::list<std::thread> ended;
    for (auto exited : exited_) ended.splice(ended.end(), threads_, exited);
    exited_.clear();
    lock.unlock();
    for (std::thread& thread : ended) thread.join();
    lock.lock();
}

void LocalThreads::work(std::list<std::thread>::iterator self) {
    std::unique_lock lock(mutex_);
    for (;;) {
        if (tasks_.empty()) {
            if (stopping_) return;
            ++idle_;
            bool woken = ready_.wait_for(lock, idle_timeout_, [this] { return stopping_ || !tasks_.empty(); });
            --idle_;
            if (!woken && threads_.size() - exited_.size() > kept_) {
                exited_.push_back(self);
                return;
            }
            continue;
        }
        std::function<void()> task = std::move(tasks_.front());
        tasks_.pop_front();
        lock.unlock();
        task();
        task = nullptr;
        lock.lock();
    }
}

}  // namespace lanchat::host::mesh
