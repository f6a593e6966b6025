#include "group_commit.hpp"

#include <exception>
#include <string>

#include "transactional.hpp"

namespace lanchat::plugin_support {
namespace {

thread_local GroupCommit::Deadline caller_deadline = GroupCommit::Deadline::max();

}  // namespace

GroupCommit::CallerDeadline::CallerDeadline(Deadline deadline) : previous_(caller_deadline) {
    caller_deadline = deadline;
}

GroupCommit::CallerDeadline::~CallerDeadline() { caller_deadline = previous_; }

GroupCommit::GroupCommit(Transactional& database, Limits limits, Committed committed)
    : database_(database), limits_(limits), committed_(std::move(committed)), committer_([this] { run(); }) {}

GroupCommit::~GroupCommit() { stop(); }

void GroupCommit::submit(Work work, Done done) {
    std::unique_lock lock(mutex_);
    if (stopping_) {
        lock.unlock();
        return done(sdk::unavailable(database_.name() + " is closing; retry on its next instance"));
    }
    if (queue_.size() >= limits_.max_queued) {
        lock.unlock();
        return done({sdk::Code::resource_exhausted, "the store is overloaded: " + std::to_string(limits_.max_queued) +
                                                        " writes to " + database_.name() +
                                                        " are already waiting for the disk; retry later"});
    }
    queue_.push_back({std::move(work), std::move(done), caller_deadline});
    if (committing_ || queue_.size() > 1) {
        lock.unlock();
        wake_.notify_one();
        return;
    }
    // Nothing is being committed and nothing else waits: this caller commits its own write at once, as a
    // plain transaction would, without handing it to the committer thread and waiting for it to wake.
    std::vector<Unit> alone;
    alone.push_back(std::move(queue_.front()));
    queue_.pop_front();
    committing_ = true;
    lock.unlock();
    commit(alone);
    lock.lock();
    committing_ = false;
    const bool committer_needed = !queue_.empty() || stopping_;
    lock.unlock();
    if (committer_needed) wake_.notify_one();
}

void GroupCommit::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    if (committer_.joinable()) committer_.join();
}

uint64_t GroupCommit::commits() const {
    std::lock_guard lock(mutex_);
    return commits_;
}

uint64_t GroupCommit::units() const {
    std::lock_guard lock(mutex_);
    return units_;
}

// Whatever queued while the last batch was on its way to the disk is the next batch: a hundred senders
// share one fsync. One batch at a time, whichever thread commits it, so completions keep commit order.
void GroupCommit::run() {
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return !committing_ && (stopping_ || !queue_.empty()); });
        if (queue_.empty()) return;  // stopping, and everything queued is answered
        std::vector<Unit> batch;
        while (!queue_.empty() && batch.size() < limits_.max_batch) {
            batch.push_back(std::move(queue_.front()));
            queue_.pop_front();
        }
        committing_ = true;
        lock.unlock();
        answer_given_up(batch);
        if (!batch.empty()) commit(batch);
        lock.lock();
        committing_ = false;
    }
}

void GroupCommit::answer_given_up(std::vector<Unit>& batch) {
    const Deadline now = std::chrono::system_clock::now();
    std::erase_if(batch, [now](Unit& unit) {
        if (unit.deadline > now) return false;
        unit.done(sdk::Status(sdk::Code::deadline_exceeded,
                              "the caller's deadline passed while the write waited for the disk; nothing was stored"));
        return true;
    });
}

void GroupCommit::commit(std::vector<Unit>& batch) {
    std::vector<sdk::Status> outcomes(batch.size());
    sdk::Status committed = database_.run_transaction([&]() -> sdk::Status {
        for (size_t i = 0; i < batch.size(); ++i) {
            if (sdk::Status kept = run_in_savepoint(batch[i].work, outcomes[i]); !kept.ok()) return kept;
        }
        return {};
    });
    size_t stored = 0;
    for (const sdk::Status& outcome : outcomes) stored += outcome.ok() ? 1 : 0;
    if (committed.ok()) {
        {
            std::lock_guard lock(mutex_);
            ++commits_;
            units_ += stored;
        }
        if (committed_) committed_(batch.size());
    }
    for (size_t i = 0; i < batch.size(); ++i) batch[i].done(committed.ok() ? std::move(outcomes[i]) : committed);
}

sdk::Status GroupCommit::run_in_savepoint(const Work& work, sdk::Status& outcome) {
    if (sdk::Status opened = database_.step("SAVEPOINT unit", "open a write's savepoint"); !opened.ok()) {
        return opened;
    }
    try {
        outcome = work();
    } catch (const std::exception& error) {
        outcome = sdk::internal_error(database_.name() + ": a write failed: " + error.what());
    }
    if (!outcome.ok()) {
        // An I/O error, a full disk or a lost connection ends the whole transaction, not just this unit.
        if (!database_.in_transaction()) return outcome;
        if (sdk::Status undone = database_.step("ROLLBACK TO unit", "roll back a refused write"); !undone.ok()) {
            return undone;
        }
    }
    return database_.step("RELEASE unit", "release a write's savepoint");
}

}  // namespace lanchat::plugin_support
