#include "login_throttle.hpp"

#include <gtest/gtest.h>

namespace lanchat::auth {
namespace {

using std::chrono::milliseconds;

TEST(LoginThrottleTest, FreeFailuresThenDoublingUpToTheCeiling) {
    LoginThrottle throttle({3, milliseconds(1000), milliseconds(4000), milliseconds(60000), 1000});
    int64_t now = 0;
    for (int i = 0; i < 3; ++i) throttle.failed("user:a", now);
    EXPECT_EQ(throttle.wait("user:a", now), milliseconds(0));
    std::vector<int64_t> waits;
    for (int i = 0; i < 4; ++i) {
        throttle.failed("user:a", now);
        waits.push_back(throttle.wait("user:a", now).count());
    }
    EXPECT_EQ(waits, (std::vector<int64_t>{1000, 2000, 4000, 4000}));
    EXPECT_EQ(throttle.wait("user:a", now + 1500), milliseconds(2500));
    EXPECT_EQ(throttle.wait("user:b", now), milliseconds(0));
    throttle.succeeded("user:a");
    EXPECT_EQ(throttle.wait("user:a", now), milliseconds(0));
}

TEST(LoginThrottleTest, OldFailuresAreForgotten) {
    LoginThrottle throttle({1, milliseconds(1000), milliseconds(8000), milliseconds(60000), 1000});
    throttle.failed("source:x", 0);
    throttle.failed("source:x", 0);
    EXPECT_GT(throttle.wait("source:x", 0).count(), 0);
    throttle.failed("source:x", 120000);  // after forget_after: counts as the first failure again
    EXPECT_EQ(throttle.wait("source:x", 120000), milliseconds(0));
}

TEST(LoginThrottleTest, MemoryStaysBoundedUnderASprayOfKeys) {
    LoginThrottle throttle({3, milliseconds(1000), milliseconds(8000), milliseconds(60000), 100});
    for (int i = 0; i < 10000; ++i) throttle.failed("user:" + std::to_string(i), i);
    EXPECT_LE(throttle.keys(), 100u);
}

}  // namespace
}  // namespace lanchat::auth
