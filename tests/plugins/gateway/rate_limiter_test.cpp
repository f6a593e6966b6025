#include "rate_limiter.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <vector>

namespace lanchat::gateway {
namespace {

// 4 per second: one token every 250 ms exactly, so the arithmetic has no rounding to hide behind.
constexpr double kRate = 4;

// What the limiter answers to one try_take at each of these times (ms), in order.
std::vector<bool> answers(RateLimiter& limiter, std::initializer_list<int64_t> times_ms) {
    std::vector<bool> taken;
    for (int64_t at : times_ms) taken.push_back(limiter.try_take(at));
    return taken;
}

TEST(RateLimiterTest, ANewConnectionMaySendAWholeBurstAtOnce) {
    RateLimiter limiter(kRate, 3, 0);
    EXPECT_EQ(answers(limiter, {0, 0, 0, 0}), (std::vector<bool>{true, true, true, false}));
}

TEST(RateLimiterTest, TokensComeBackAtTheRate) {
    RateLimiter limiter(kRate, 1, 0);
    EXPECT_EQ(answers(limiter, {0, 250, 250}), (std::vector<bool>{true, true, false}));
}

TEST(RateLimiterTest, APartTokenIsNotEnough) {
    RateLimiter limiter(kRate, 1, 0);
    EXPECT_EQ(answers(limiter, {0, 249}), (std::vector<bool>{true, false}));
}

TEST(RateLimiterTest, AnIdleConnectionSavesUpNoMoreThanABurst) {
    RateLimiter limiter(kRate, 2, 0);
    EXPECT_EQ(answers(limiter, {0, 0}), (std::vector<bool>{true, true}));
    int taken = 0;
    while (limiter.try_take(60000)) ++taken;  // a minute's worth of refill is capped at the burst
    EXPECT_EQ(taken, 2);
}

TEST(RateLimiterTest, RefusalsInARowAreCountedUntilATokenIsTaken) {
    RateLimiter limiter(kRate, 1, 0);
    EXPECT_EQ(answers(limiter, {0, 0, 0}), (std::vector<bool>{true, false, false}));
    EXPECT_EQ(limiter.refused_in_a_row(), 2);
    EXPECT_TRUE(limiter.try_take(250));
    EXPECT_EQ(limiter.refused_in_a_row(), 0);
}

TEST(RateLimiterTest, AClientRefusedForMoreThanABurstInARowIsFlooding) {
    RateLimiter limiter(kRate, 2, 0);
    answers(limiter, {0, 0, 0, 0});
    EXPECT_FALSE(limiter.flooding());  // two refusals: a whole burst, not more
    limiter.try_take(0);
    EXPECT_TRUE(limiter.flooding());
}

}  // namespace
}  // namespace lanchat::gateway
