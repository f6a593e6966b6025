#include "lanchat/sdk/drain.hpp"

#include <gtest/gtest.h>

#include <optional>

namespace lanchat::sdk {
namespace {

// The host's side of one drain: a request whose done() is counted.
struct DrainWatch {
    int signalled = 0;
    lanchat_drain_request request{};

    DrainWatch() {
        request.struct_size = sizeof request;
        request.done_user = this;
        request.done = [](void* user) { ++static_cast<DrainWatch*>(user)->signalled; };
    }
    DrainSignal signal() const { return DrainSignal(&request); }
};

TEST(GateTest, ClosingAnIdleGateSignalsAtOnce) {
    Gate gate;
    DrainWatch drain;
    gate.close(drain.signal());
    EXPECT_EQ(drain.signalled, 1);
    EXPECT_TRUE(gate.closed());
}

TEST(GateTest, DrainWaitsForTheLastCopyOfAHolder) {
    Gate gate;
    DrainWatch drain;
    std::optional<Gate::Holder> held = gate.try_hold();
    ASSERT_TRUE(held.has_value());
    Gate::Holder copy = *held;
    EXPECT_EQ(gate.in_flight(), 2u);

    gate.close(drain.signal());
    held.reset();
    EXPECT_EQ(drain.signalled, 0);
    copy.release();
    EXPECT_EQ(drain.signalled, 1);
    EXPECT_FALSE(copy.holds());
}

TEST(GateTest, AClosedGateRefusesNewWorkButAdmittedWorkMayGoOn) {
    Gate gate;
    DrainWatch drain;
    Gate::Holder request = *gate.try_hold();
    gate.close(drain.signal());

    EXPECT_FALSE(gate.try_hold().has_value());
    Gate::Holder follow_up = request;  // a call the admitted request makes after the close
    request.release();
    EXPECT_EQ(drain.signalled, 0);
    EXPECT_EQ(gate.in_flight(), 1u);
    follow_up.release();
    EXPECT_EQ(drain.signalled, 1);
}

TEST(GateTest, MovingAHolderHandsOverItsCountWithoutAddingOne) {
    Gate gate;
    Gate::Holder first = *gate.try_hold();
    Gate::Holder second = std::move(first);
    EXPECT_FALSE(first.holds());
    EXPECT_TRUE(second.holds());
    EXPECT_EQ(gate.in_flight(), 1u);
    second = Gate::Holder();
    EXPECT_EQ(gate.in_flight(), 0u);
}

}  // namespace
}  // namespace lanchat::sdk
