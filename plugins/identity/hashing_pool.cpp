#include "hashing_pool.hpp"

#include <string>

namespace lanchat::identity {

HashingPool::HashingPool(size_t threads, size_t max_waiting) : max_waiting_(max_waiting) {
    for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

HashingPool::~HashingPool() {
    std::deque<Job> abandoned;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        abandoned.swap(queue_);
    }
    wake_.notify_all();
    for (std::thread& thread : threads_) thread.join();
    for (Job& job : abandoned) job.refuse(sdk::unavailable("Identity is stopping: try again"));
}

sdk::Status HashingPool::submit(Job job) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return sdk::unavailable("Identity is stopping: try again");
        if (queue_.size() >= max_waiting_) {
            return {sdk::Code::resource_exhausted,
                    "too many password checks waiting (" + std::to_string(max_waiting_) + "): try again shortly"};
        }
        queue_.push_back(std::move(job));
    }
    wake_.notify_one();
    return {};
}

size_t HashingPool::waiting() const {
    std::lock_guard lock(mutex_);
    return queue_.size();
}

void HashingPool::work() {
    for (;;) {
        Job job;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return;  // stopping, and nothing was left to it
            job = std::move(queue_.front());
            queue_.pop_front();
        }
        if (std::chrono::system_clock::now() >= job.deadline) {
            job.refuse({sdk::Code::deadline_exceeded, "the deadline passed while the password check waited"});
        } else {
            job.run();
        }
    }
}

}  // namespace lanchat::identity
