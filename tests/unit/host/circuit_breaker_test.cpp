#include "mesh/circuit_breaker.hpp"

#include <gtest/gtest.h>

namespace lanchat::host::mesh {
namespace {

using namespace std::chrono_literals;

// A breaker on a clock the test moves by hand.
class CircuitBreakerTest : public ::testing::Test {
protected:
    void fail(int times) {
        for (int i = 0; i < times; ++i) {
            ASSERT_TRUE(breaker_.allow());
            breaker_.record(true);
        }
    }

    // Opens the circuit, waits out the cooldown and takes the one probe it then lets through.
    void start_a_probe() {
        fail(3);
        now_ += 100ms;
        ASSERT_TRUE(breaker_.allow());
    }

    std::chrono::steady_clock::time_point now_{};
    CircuitBreaker breaker_{BreakerPolicy{3, 100ms}, [this] { return now_; }};
};

TEST_F(CircuitBreakerTest, StaysClosedBelowTheThreshold) {
    fail(2);
    EXPECT_TRUE(breaker_.allow());
}

TEST_F(CircuitBreakerTest, OpensAfterConsecutiveFailures) {
    fail(3);
    EXPECT_FALSE(breaker_.allow());
    now_ += 99ms;
    EXPECT_FALSE(breaker_.allow());
}

TEST_F(CircuitBreakerTest, ASuccessStartsTheCountAgain) {
    fail(2);
    breaker_.record(false);
    fail(2);
    EXPECT_TRUE(breaker_.allow());
}

TEST_F(CircuitBreakerTest, LetsOneProbeThroughOnceTheCooldownIsOver) {
    start_a_probe();
    EXPECT_FALSE(breaker_.allow());  // the probe is under way: everyone else still fails fast
}

TEST_F(CircuitBreakerTest, ASuccessfulProbeClosesTheCircuit) {
    start_a_probe();
    breaker_.record(false);
    EXPECT_TRUE(breaker_.allow());
    EXPECT_TRUE(breaker_.allow());
}

TEST_F(CircuitBreakerTest, AFailedProbeOpensTheCircuitForAnotherCooldown) {
    start_a_probe();
    breaker_.record(true);
    EXPECT_FALSE(breaker_.allow());
    now_ += 99ms;
    EXPECT_FALSE(breaker_.allow());
    now_ += 1ms;
    EXPECT_TRUE(breaker_.allow());
}

TEST(CircuitBreakerDefaultsTest, FiveFailuresOpenTheCircuitForTwoSeconds) {
    BreakerPolicy policy;
    EXPECT_EQ(policy.threshold, 5);
    EXPECT_EQ(policy.cooldown, 2000ms);
}

TEST(EndpointFailureTest, OnlyUnavailableAndDeadlineExceededCountAgainstTheEndpoint) {
    EXPECT_TRUE(counts_against_endpoint(LANCHAT_UNAVAILABLE));
    EXPECT_TRUE(counts_against_endpoint(LANCHAT_DEADLINE_EXCEEDED));
    for (lanchat_status_code code : {LANCHAT_OK, LANCHAT_NOT_FOUND, LANCHAT_PERMISSION_DENIED, LANCHAT_INTERNAL,
                                     LANCHAT_INVALID_ARGUMENT, LANCHAT_CANCELLED}) {
        EXPECT_FALSE(counts_against_endpoint(code)) << code;
    }
}

}  // namespace
}  // namespace lanchat::host::mesh
