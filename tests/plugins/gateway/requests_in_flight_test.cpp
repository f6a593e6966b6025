#include "requests_in_flight.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace lanchat::gateway {
namespace {

TEST(RequestsInFlightTest, BeyondTheLimitARequestIsRefusedUntilTheLastCopyOfATicketGoes) {
    RequestsInFlight requests(3);
    std::vector<RequestsInFlight::Ticket> held;
    for (int i = 0; i < 3; ++i) {
        auto ticket = requests.try_take();
        ASSERT_TRUE(ticket);
        held.push_back(*ticket);
    }
    EXPECT_FALSE(requests.try_take());
    RequestsInFlight::Ticket call_still_running = held.back();  // a call of that request holds a copy
    held.pop_back();
    EXPECT_FALSE(requests.try_take());
    call_still_running.reset();
    EXPECT_EQ(requests.count(), 2u);
    EXPECT_TRUE(requests.try_take());
}

TEST(RequestsInFlightTest, ATicketMayOutliveItsCounter) {
    RequestsInFlight::Ticket ticket;
    {
        RequestsInFlight requests(1);
        ticket = *requests.try_take();
    }
    ticket.reset();  // a late answer after the connection went: nothing to crash on
    SUCCEED();
}

}  // namespace
}  // namespace lanchat::gateway
