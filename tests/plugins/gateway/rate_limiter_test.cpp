#include "rate_limiter.hpp"

#include <gtest/gtest.h>

namespace lanchat::gateway {
namespace {

// 4 per second: one token every 250 ms exactly, so the arithmetic has no rounding to hide behind.
constexpr double kRate = 4;

TEST(RateLimiterTest, ANewConnectionMaySendAWholeBurstAtOnce) {
    RateLimiter limiter(kRate, 3, 0);
    EXPECT_TRUE(limiter.try_take(0));
    EXPECT_TRUE(limiter.try_take(0));
    EXPECT_TRUE(limiter.try_take(0));
    EXPECT_FALSE(limiter.try_take(0));
}

TEST(RateLimiterTest, TokensComeBackAtTheRate) {
    RateLimiter limiter(kRate, 1, 0);
    EXPECT_TRUE(limiter.try_take(0));
    EXPECT_TRUE(limiter.try_take(250));
    EXPECT_FALSE(limiter.try_take(250));
}

TEST(RateLimiterTest, APartTokenIsNotEnough) {
    RateLimiter limiter(kRate, 1, 0);
    EXPECT_TRUE(limiter.try_take(0));
    EXPECT_FALSE(limiter.try_take(249));
}

TEST(RateLimiterTest, AnIdleConnectionSavesUpNoMoreThanABurst) {
    RateLimiter limiter(kRate, 2, 0);
    EXPECT_TRUE(limiter.try_take(0));
    EXPECT_TRUE(limiter.try_take(0));
    int taken = 0;
    while (limiter.try_take(60000)) ++taken;  // a minute's worth of refill is capped at the burst
    EXPECT_EQ(taken, 2);
}

TEST(RateLimiterTest, RefusalsInARowAreCountedUntilATokenIsTaken) {
    RateLimiter limiter(kRate, 1, 0);
    EXPECT_TRUE(limiter.try_take(0));
    EXPECT_FALSE(limiter.try_take(0));
    EXPECT_FALSE(limiter.try_take(0));
    EXPECT_EQ(limiter.refused_in_a_row(), 2);
    EXPECT_TRUE(limiter.try_take(250));
    EXPECT_EQ(limiter.refused_in_a_row(), 0);
}

TEST(RateLimiterTest, AClientRefusedForMoreThanABurstInARowIsFlooding) {
    RateLimiter limiter(kRate, 2, 0);
    limiter.try_take(0);
    limiter.try_take(0);
    limiter.try_take(0);
    limiter.try_take(0);
    EXPECT_FALSE(limiter.flooding());  // two refusals: a whole burst, not more
    limiter.try_take(0);
    EXPECT_TRUE(limiter.flooding());
}

}  // namespace
}  // namespace lanchat::gateway
