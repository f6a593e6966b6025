#include "runtime/executor.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace lanchat::host {
namespace {

using namespace std::chrono_literals;

// Counts starts, runs and releases of one scheduled task.
struct Probe {
    std::atomic<int> starts{0};
    std::atomic<int> runs{0};
    std::atomic<int> releases{0};
    std::chrono::milliseconds run_for{0};

    static void run(void* user) {
        auto* probe = static_cast<Probe*>(user);
        ++probe->starts;
        std::this_thread::sleep_for(probe->run_for);
        ++probe->runs;
    }
    static void release(void* user) { ++static_cast<Probe*>(user)->releases; }
};

template <class Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds timeout = 5s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!predicate()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

const int kOwner = 0;

// Returns once a sentinel task has run `rounds` times on `executor`: by then every thread has been free to
// run anything still due, so a task that did not run meanwhile was really not going to (no fixed sleep).
void let_the_executor_run(Executor& executor, int rounds = 5) {
    const int sentinel_owner = 0;
    Probe sentinel;
    lanchat_timer_id id = executor.schedule(&sentinel_owner, 1, 1, &Probe::run, &Probe::release, &sentinel);
    ASSERT_TRUE(eventually([&] { return sentinel.runs >= rounds; }));
    executor.cancel(&sentinel_owner, id);
}

TEST(ExecutorTest, AOneShotTaskRunsOnceThenIsReleased) {
    Executor executor(2);
    Probe probe;
    EXPECT_NE(executor.schedule(&kOwner, 0, 0, &Probe::run, &Probe::release, &probe), 0u);
    ASSERT_TRUE(eventually([&] { return probe.releases == 1; }));
    EXPECT_EQ(probe.runs, 1);
    EXPECT_EQ(executor.scheduled_count(&kOwner), 0u);
}

TEST(ExecutorTest, APeriodicTaskRepeatsUntilCancelledThenNeverRunsAgain) {
    Executor executor(2);
    Probe probe;
    lanchat_timer_id id = executor.schedule(&kOwner, 1, 1, &Probe::run, &Probe::release, &probe);
    ASSERT_TRUE(eventually([&] { return probe.runs >= 3; }));
    executor.cancel(&kOwner, id);
    int runs_at_cancel = probe.runs;
    EXPECT_EQ(probe.releases, 1);
    let_the_executor_run(executor);
    EXPECT_EQ(probe.runs, runs_at_cancel);
}

TEST(ExecutorTest, CancelWaitsForARunningTaskToFinish) {
    Executor executor(2);
    Probe probe;
    probe.run_for = 100ms;
    lanchat_timer_id id = executor.schedule(&kOwner, 0, 0, &Probe::run, &Probe::release, &probe);
    ASSERT_TRUE(eventually([&] { return probe.starts == 1; }));  // the task is now inside its 100 ms run
    executor.cancel(&kOwner, id);
    EXPECT_EQ(probe.runs, 1);
    EXPECT_EQ(probe.releases, 1);
}

TEST(ExecutorTest, CancelBeforeTheDelayMeansTheTaskNeverRuns) {
    Executor executor(1);
    Probe probe;
    lanchat_timer_id id = executor.schedule(&kOwner, 10'000, 0, &Probe::run, &Probe::release, &probe);
    executor.cancel(&kOwner, id);
    EXPECT_EQ(probe.runs, 0);
    EXPECT_EQ(probe.releases, 1);
    executor.cancel(&kOwner, id);  // a second cancel does nothing
    EXPECT_EQ(probe.releases, 1);
}

TEST(ExecutorTest, ATaskMayCancelItselfFromInside) {
    Executor executor(1);
    struct SelfCancelling {
        Executor* executor;
        lanchat_timer_id id = 0;
        std::atomic<int> runs{0};
        std::atomic<int> releases{0};
    } task{&executor};
    task.id = executor.schedule(
        &kOwner, 1, 1,
        [](void* user) {
            auto* self = static_cast<SelfCancelling*>(user);
            ++self->runs;
            self->executor->cancel(&kOwner, self->id);
        },
        [](void* user) { ++static_cast<SelfCancelling*>(user)->releases; }, &task);
    ASSERT_TRUE(eventually([&] { return task.releases == 1; }));
    let_the_executor_run(executor);
    EXPECT_EQ(task.runs, 1);
}

TEST(ExecutorTest, CancelAllTouchesOnlyThatOwner) {
    Executor executor(2);
    const int other_owner = 0;
    Probe mine, theirs;
    executor.schedule(&kOwner, 10'000, 0, &Probe::run, &Probe::release, &mine);
    executor.schedule(&kOwner, 10'000, 0, &Probe::run, &Probe::release, &mine);
    executor.schedule(&other_owner, 10'000, 0, &Probe::run, &Probe::release, &theirs);
    executor.cancel_all(&kOwner);
    EXPECT_EQ(mine.releases, 2);
    EXPECT_EQ(theirs.releases, 0);
    EXPECT_EQ(executor.scheduled_count(&other_owner), 1u);
}

// What a reply delivered on cancellation does when its plugin calls again: its release schedules another.
struct Rescheduler {
    Executor* executor = nullptr;
    int left = 0;
    int releases = 0;
    static void run(void*) {}
    static void release(void* user) {
        auto* self = static_cast<Rescheduler*>(user);
        ++self->releases;
        if (self->left-- > 0) self->executor->schedule(&kOwner, 10'000, 0, &run, &release, self);
    }
};

TEST(ExecutorTest, CancelAllAlsoCancelsWhatTheReleasesItRanScheduled) {
    Executor executor(2);
    Rescheduler chain{&executor, 50};
    executor.schedule(&kOwner, 10'000, 0, &Rescheduler::run, &Rescheduler::release, &chain);
    EXPECT_EQ(executor.cancel_all(&kOwner), 0u);
    EXPECT_EQ(chain.releases, 51);
    EXPECT_EQ(executor.scheduled_count(&kOwner), 0u);  // nothing of the owner's left to run after it is gone
}

TEST(ExecutorTest, CancelAllOfAnOwnerThatNeverStopsSchedulingEndsAndSaysWhatIsLeft) {
    Executor executor(2);
    Rescheduler endless{&executor, 1'000'000};
    executor.schedule(&kOwner, 10'000, 0, &Rescheduler::run, &Rescheduler::release, &endless);
    EXPECT_EQ(executor.cancel_all(&kOwner, 10), 1u);
    endless.left = 0;
    EXPECT_EQ(executor.cancel_all(&kOwner), 0u);
}

TEST(ExecutorTest, AnOwnerCannotCancelAnotherOwnersTask) {
    Executor executor(1);
    const int other_owner = 0;
    Probe probe;
    lanchat_timer_id id = executor.schedule(&kOwner, 10'000, 0, &Probe::run, &Probe::release, &probe);
    executor.cancel(&other_owner, id);
    EXPECT_EQ(probe.releases, 0);
    EXPECT_EQ(executor.scheduled_count(&kOwner), 1u);
}

}  // namespace
}  // namespace lanchat::host
