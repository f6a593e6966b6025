#include "runtime/executor.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace lanchat::host {
namespace {

using namespace std::chrono_literals;

// Counts runs and releases of one scheduled task.
struct Probe {
    std::atomic<int> runs{0};
    std::atomic<int> releases{0};
    std::chrono::milliseconds run_for{0};

    static void run(void* user) {
        auto* probe = static_cast<Probe*>(user);
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
    std::this_thread::sleep_for(20ms);
    EXPECT_EQ(probe.runs, runs_at_cancel);
}

TEST(ExecutorTest, CancelWaitsForARunningTaskToFinish) {
    Executor executor(2);
    Probe probe;
    probe.run_for = 100ms;
    lanchat_timer_id id = executor.schedule(&kOwner, 0, 0, &Probe::run, &Probe::release, &probe);
    std::this_thread::sleep_for(30ms);  // the task is now inside its 100 ms run
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
    std::this_thread::sleep_for(10ms);
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
