// GroupCommit: concurrent writes to one database (SQLite or PostgreSQL, through Transactional) share one
// transaction and so one fsync.
//
// Callers submit a unit of work (a function run inside the open transaction) and a completion. One
// committer thread takes everything queued (at most Limits::max_batch units), runs BEGIN, runs
// each unit in a SAVEPOINT of its own, COMMITs (the one fsync of synchronous=FULL or synchronous_commit=on), and only
// then runs the completions, in the order the units were submitted. When nothing is being committed and nothing waits,
// submit() commits its own unit on the caller's thread instead (a batch of one, no handoff): a lone writer
// is as fast as a plain transaction, and under load every unit goes to the committer, so no caller's
// thread waits for more than its own write's fsync. One batch is committed at a time. A unit that fails rolls back only
// its own savepoint and is answered with its error; the others commit. A failed COMMIT fails every unit of its batch,
// so nothing of it is half there. The committer is the only thread that runs units, so units see each other's writes in
// submission order (sequences given inside a batch stay gapless, a repeat finds the first).
//
// Overload is refused, never queued into an outage: beyond Limits::max_queued waiting units submit()
// answers at once with RESOURCE_EXHAUSTED. Work whose caller gave up is not done: a unit submitted under a
// CallerDeadline that is still queued when that deadline has passed is answered DEADLINE_EXCEEDED without being
// run (its caller was never told it was stored, and retries with the same client_message_id). stop() commits what is
// queued, then answers every later submit with UNAVAILABLE: every submitted unit is answered exactly once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "lanchat/sdk/status.hpp"

namespace lanchat::plugin_support {

class Transactional;

class GroupCommit {
public:
    struct Limits {
        size_t max_batch = 256;    // units sharing one transaction
        size_t max_queued = 4096;  // units waiting for the committer; more are refused
    };
    // Runs inside the open transaction (on the committer thread or inside submit()); a failure rolls back only this
    // unit. It must not open a transaction of its own (it is in one) and should not block on anything but the database.
    using Work = std::function<sdk::Status()>;
    // The unit's outcome: its own failure, the batch's failed COMMIT, or OK once committed. Runs once, on the
    // committer thread, or inside submit() (refused, or committed there); it must not throw.
    using Done = std::function<void(sdk::Status)>;
    using Deadline = std::chrono::system_clock::time_point;
    // While one lives on a thread, the units that thread submits carry `deadline` (the inbound call's, which
    // the caller stops waiting at; Deadline::max(): none). Scopes nest; the innermost counts.
    class CallerDeadline {
    public:
        explicit CallerDeadline(Deadline deadline);
        ~CallerDeadline();
        CallerDeadline(const CallerDeadline&) = delete;
        CallerDeadline& operator=(const CallerDeadline&) = delete;

    private:
        Deadline previous_;
    };
    // Told after each COMMIT, before the completions, how many units the batch held (for metrics).
    using Committed = std::function<void(size_t units)>;

    // Starts the committer thread. `database` must outlive this.
    GroupCommit(Transactional& database, Limits limits, Committed committed = {});
    explicit GroupCommit(Transactional& database) : GroupCommit(database, Limits{}) {}
    ~GroupCommit();
    GroupCommit(const GroupCommit&) = delete;
    GroupCommit& operator=(const GroupCommit&) = delete;

    void submit(Work work, Done done);

    // A unit that yields a value: `done` gets the value once it is committed, or the failure.
    template <class Value>
    void submit(std::function<sdk::Result<Value>()> work, std::function<void(sdk::Result<Value>)> done) {
        auto result = std::make_shared<std::optional<sdk::Result<Value>>>();
        submit(
            [work = std::move(work), result]() -> sdk::Status {
                result->emplace(work());
                return (*result)->status();
            },
            [done = std::move(done), result](sdk::Status outcome) {
                if (outcome.ok()) return done(std::move(**result));
                done(std::move(outcome));
            });
    }

    // Commits what is queued and joins the committer; later submits are answered UNAVAILABLE. Idempotent;
    // not from inside a completion.
    void stop();

    uint64_t commits() const;  // batches committed so far
    uint64_t units() const;    // units committed so far (a refused unit is not counted)

private:
    struct Unit {
        Work work;
        Done done;
        Deadline deadline = Deadline::max();
    };

    void run();
    // Answers, and takes out of `batch`, the units whose caller's deadline has passed.
    static void answer_given_up(std::vector<Unit>& batch);
    void commit(std::vector<Unit>& batch);
    // The unit's work in its own savepoint; the batch's failure when the savepoint itself could not be kept.
    sdk::Status run_in_savepoint(const Work& work, sdk::Status& outcome);

    Transactional& database_;
    const Limits limits_;
    const Committed committed_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Unit> queue_;
    bool stopping_ = false;
    bool committing_ = false;  // a batch is being committed, by the committer or inside submit()
    uint64_t commits_ = 0;
    uint64_t units_ = 0;
    std::thread committer_;
};

}  // namespace lanchat::plugin_support
