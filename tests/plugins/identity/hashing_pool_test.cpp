#include "hashing_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

namespace lanchat::identity {
namespace {

using namespace std::chrono_literals;

// A job that holds its thread until `release` is set, so the jobs after it wait.
HashingPool::Job blocking(std::shared_future<void> release, std::atomic<int>& ran) {
    return {HashingPool::Deadline::max(),
            [release, &ran] {
                release.wait();
                ++ran;
            },
            [](const sdk::Status&) {}};
}

TEST(HashingPoolTest, AFullQueueIsRefusedWithResourceExhausted) {
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::atomic<int> ran{0};
    HashingPool pool(1, 2);
    ASSERT_TRUE(pool.submit(blocking(released, ran)).ok());
    while (pool.waiting() != 0) std::this_thread::sleep_for(1ms);  // the thread holds the first
    ASSERT_TRUE(pool.submit(blocking(released, ran)).ok());
    ASSERT_TRUE(pool.submit(blocking(released, ran)).ok());
    sdk::Status refused = pool.submit(blocking(released, ran));
    EXPECT_EQ(refused.code(), sdk::Code::resource_exhausted);
    EXPECT_NE(refused.message().find("waiting"), std::string::npos);
    release.set_value();
    while (ran != 3) std::this_thread::sleep_for(1ms);
}

TEST(HashingPoolTest, AJobWhoseDeadlinePassedWhileItWaitedIsRefusedNotRun) {
    std::promise<void> release;
    std::atomic<int> ran{0};
    HashingPool pool(1, 4);
    ASSERT_TRUE(pool.submit(blocking(release.get_future().share(), ran)).ok());
    std::promise<sdk::Status> refused;
    bool late_ran = false;
    HashingPool::Job late{std::chrono::system_clock::now() + 20ms, [&late_ran] { late_ran = true; },
                          [&refused](const sdk::Status& why) { refused.set_value(why); }};
    ASSERT_TRUE(pool.submit(std::move(late)).ok());
    std::this_thread::sleep_for(50ms);
    release.set_value();
    EXPECT_EQ(refused.get_future().get().code(), sdk::Code::deadline_exceeded);
    EXPECT_FALSE(late_ran);
}

TEST(HashingPoolTest, StoppingRefusesWhatStillWaitsAndFinishesWhatRuns) {
    std::promise<void> release;
    std::atomic<int> ran{0};
    sdk::Status abandoned;
    {
        HashingPool pool(1, 4);
        ASSERT_TRUE(pool.submit(blocking(release.get_future().share(), ran)).ok());
        while (pool.waiting() != 0) std::this_thread::sleep_for(1ms);
        ASSERT_TRUE(pool.submit({HashingPool::Deadline::max(), [&ran] { ++ran; },
                                 [&abandoned](const sdk::Status& why) { abandoned = why; }})
                        .ok());
        std::thread([&release] {
            std::this_thread::sleep_for(20ms);
            release.set_value();
        }).detach();
    }
    EXPECT_EQ(ran, 1);
    EXPECT_EQ(abandoned.code(), sdk::Code::unavailable);
}

}  // namespace
}  // namespace lanchat::identity
