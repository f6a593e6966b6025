#include "mesh/retry_policy.hpp"

#include <gtest/gtest.h>

#include <set>

namespace lanchat::host::mesh {
namespace {

using namespace std::chrono_literals;

TEST(RetryPolicyTest, OnlyIdempotentCallsThatFoundTheEndpointUnavailableAreRetried) {
    RetryPolicy policy;
    EXPECT_TRUE(policy.should_retry(true, LANCHAT_UNAVAILABLE));
    EXPECT_FALSE(policy.should_retry(false, LANCHAT_UNAVAILABLE));
    EXPECT_FALSE(policy.should_retry(true, LANCHAT_DEADLINE_EXCEEDED));
    EXPECT_FALSE(policy.should_retry(true, LANCHAT_INTERNAL));
    EXPECT_FALSE(policy.should_retry(true, LANCHAT_OK));
}

TEST(RetryPolicyTest, TheBackoffCeilingDoublesEachAttemptUpToTheMaximum) {
    RetryPolicy policy;
    EXPECT_EQ(policy.ceiling(1), 40ms);
    EXPECT_EQ(policy.ceiling(2), 80ms);
    EXPECT_EQ(policy.ceiling(5), 640ms);
    EXPECT_EQ(policy.ceiling(6), 1000ms);
    EXPECT_EQ(policy.ceiling(40), 1000ms);
}

TEST(RetryPolicyTest, EachDelayIsDrawnBetweenOneMillisecondAndTheCeiling) {
    RetryPolicy policy;
    std::set<long> seen;
    for (int i = 0; i < 500; ++i) {
        auto delay = policy.delay(2);
        ASSERT_GE(delay, 1ms);
        ASSERT_LE(delay, 80ms);
        seen.insert(delay.count());
    }
    EXPECT_GT(seen.size(), 10u);  // jittered, not one fixed wait
}

}  // namespace
}  // namespace lanchat::host::mesh
