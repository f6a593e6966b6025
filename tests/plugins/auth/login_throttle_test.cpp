#include "login_throttle.hpp"

#include <gtest/gtest.h>

namespace lanchat::auth {
namespace {

using std::chrono::milliseconds;

// Attempts at one key whose outcome the test decides: how many started, which were refused and with what wait.
struct Attempts {
    Attempts(LoginThrottle& throttle, std::string key) : throttle(throttle), key(std::move(key)) {}

    LoginThrottle& throttle;
    const std::string key;
    int started = 0;
    std::vector<int64_t> refused_waits;

    void make(int64_t now) {
        throttle.attempt(
            key, now, [this] { ++started; }, [this](milliseconds wait) { refused_waits.push_back(wait.count()); });
    }
};

// One attempt that starts at once and fails.
void fail(LoginThrottle& throttle, const std::string& key, int64_t now) {
    bool started = false;
    throttle.attempt(
        key, now, [&] { started = true; }, [](milliseconds) {});
    ASSERT_TRUE(started) << key << " was refused at " << now;
    throttle.failed(key, now);
}

TEST(LoginThrottleTest, FreeFailuresThenDoublingUpToTheCeiling) {
    LoginThrottle throttle({3, milliseconds(1000), milliseconds(4000), milliseconds(60000), 1000, 64});
    int64_t now = 0;
    for (int i = 0; i < 3; ++i) fail(throttle, "user:a", now);
    EXPECT_EQ(throttle.wait("user:a", now), milliseconds(0));
    std::vector<int64_t> waits;
    for (int i = 0; i < 4; ++i) {
        fail(throttle, "user:a", now);
        waits.push_back(throttle.wait("user:a", now).count());
        now += waits.back();
    }
    EXPECT_EQ(waits, (std::vector<int64_t>{1000, 2000, 4000, 4000}));
    fail(throttle, "user:a", now);
    EXPECT_EQ(throttle.wait("user:a", now + 1500), milliseconds(2500));
    EXPECT_EQ(throttle.wait("user:b", now), milliseconds(0));
    now += 4000;
    bool started = false;
    throttle.attempt(
        "user:a", now, [&] { started = true; }, [](milliseconds) {});
    ASSERT_TRUE(started);
    throttle.succeeded("user:a", now);
    EXPECT_EQ(throttle.wait("user:a", now), milliseconds(0));
    EXPECT_EQ(throttle.keys(), 0u);
}

TEST(LoginThrottleTest, AnAttemptWhileTheKeyWaitsIsRefusedWithTheWait) {
    LoginThrottle throttle({0, milliseconds(1000), milliseconds(8000), milliseconds(60000), 1000, 64});
    fail(throttle, "user:a", 0);
    Attempts attempts{throttle, "user:a"};
    attempts.make(400);
    EXPECT_EQ(attempts.started, 0);
    EXPECT_EQ(attempts.refused_waits, std::vector<int64_t>{600});
}

TEST(LoginThrottleTest, AttemptsInFlightAreNotFailures) {
    LoginThrottle throttle({3, milliseconds(1000), milliseconds(8000), milliseconds(60000), 1000, 64});
    Attempts attempts{throttle, "source:10.0.0.1"};
    for (int i = 0; i < 8; ++i) attempts.make(0);
    EXPECT_EQ(attempts.started, 4);  // 3 free failures and the one that would bring the first wait
    for (int ended = 0; ended < 8; ++ended) throttle.ended("source:10.0.0.1", 0);
    EXPECT_EQ(attempts.started, 8);
    EXPECT_TRUE(attempts.refused_waits.empty());
    EXPECT_EQ(throttle.wait("source:10.0.0.1", 0), milliseconds(0));
    EXPECT_EQ(throttle.keys(), 0u);
}

TEST(LoginThrottleTest, AttemptsQueuedBehindFailuresAreRefusedWithTheWaitTheyBrought) {
    LoginThrottle throttle({3, milliseconds(1000), milliseconds(8000), milliseconds(60000), 1000, 64});
    Attempts attempts{throttle, "user:a"};
    for (int i = 0; i < 6; ++i) attempts.make(0);
    ASSERT_EQ(attempts.started, 4);
    for (int i = 0; i < 3; ++i) throttle.failed("user:a", 0);
    EXPECT_TRUE(attempts.refused_waits.empty()) << "three failures are free: the queued ones wait for the fourth";
    EXPECT_EQ(attempts.started, 4) << "a queued attempt started before the fourth in flight ended";
    throttle.failed("user:a", 0);
    EXPECT_EQ(attempts.started, 4);
    EXPECT_EQ(attempts.refused_waits, (std::vector<int64_t>{1000, 1000}));
}

TEST(LoginThrottleTest, PastTheFreeFailuresAttemptsAreCheckedOneAtATime) {
    LoginThrottle throttle({1, milliseconds(1000), milliseconds(8000), milliseconds(60000), 1000, 64});
    fail(throttle, "user:a", 0);
    fail(throttle, "user:a", 0);
    Attempts attempts{throttle, "user:a"};
    attempts.make(1000);
    attempts.make(1000);
    EXPECT_EQ(attempts.started, 1);
    throttle.succeeded("user:a", 1000);
    EXPECT_EQ(attempts.started, 2);
}

TEST(LoginThrottleTest, QueuedAttemptsAreBounded) {
    LoginThrottle throttle({0, milliseconds(1000), milliseconds(8000), milliseconds(60000), 1000, 2});
    Attempts attempts{throttle, "source:x"};
    for (int i = 0; i < 4; ++i) attempts.make(0);
    EXPECT_EQ(attempts.started, 1);
    EXPECT_EQ(attempts.refused_waits, std::vector<int64_t>{1000});
}

TEST(LoginThrottleTest, OldFailuresAreForgotten) {
    LoginThrottle throttle({1, milliseconds(1000), milliseconds(8000), milliseconds(60000), 1000, 64});
    fail(throttle, "source:x", 0);
    fail(throttle, "source:x", 0);
    EXPECT_GT(throttle.wait("source:x", 0).count(), 0);
    fail(throttle, "source:x", 120000);  // after forget_after: counts as the first failure again
    EXPECT_EQ(throttle.wait("source:x", 120000), milliseconds(0));
}

TEST(LoginThrottleTest, MemoryStaysBoundedUnderASprayOfKeys) {
    LoginThrottle throttle({3, milliseconds(1000), milliseconds(8000), milliseconds(60000), 100, 64});
    for (int i = 0; i < 10000; ++i) fail(throttle, "user:" + std::to_string(i), i);
    EXPECT_LE(throttle.keys(), 100u);
}

}  // namespace
}  // namespace lanchat::auth
