#include "send_admission.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <vector>

namespace lanchat::gateway {
namespace {

using Ticket = SendAdmission::Ticket;

TEST(SendAdmissionTest, AConnectionPastItsBoundIsRateLimitedWithARetryHint) {
    SendAdmission admission({10, 2});
    auto connection = std::make_shared<WritesInFlight>();
    SendAdmission::Refused refused;
    std::vector<std::optional<Ticket>> held;
    for (int n = 0; n < 2; ++n) held.push_back(admission.admit(connection, refused));
    EXPECT_TRUE(held[0] && held[1]);
    EXPECT_FALSE(admission.admit(connection, refused));
    EXPECT_EQ(refused.code, "rate_limited");
    EXPECT_GE(refused.retry_after_ms, 10);
    EXPECT_LE(refused.retry_after_ms, 1000);
    EXPECT_EQ(admission.in_flight(), 2u);  // the refused write took no place
}

TEST(SendAdmissionTest, TheNodePastItsBoundIsUnavailableForEveryConnection) {
    SendAdmission admission({3, 2});
    auto first = std::make_shared<WritesInFlight>(), second = std::make_shared<WritesInFlight>(),
         third = std::make_shared<WritesInFlight>();
    SendAdmission::Refused refused;
    std::vector<std::optional<Ticket>> held = {admission.admit(first, refused), admission.admit(first, refused),
                                               admission.admit(second, refused)};
    EXPECT_FALSE(admission.admit(third, refused));
    EXPECT_EQ(refused.code, "unavailable");
    EXPECT_EQ(third->count.load(), 0u);  // nor did it keep a place of its connection's
    EXPECT_EQ(second->count.load(), 1u);
}

TEST(SendAdmissionTest, APlaceComesBackWhenTheLastCopyOfItsTicketGoes) {
    SendAdmission admission({1, 1});
    auto connection = std::make_shared<WritesInFlight>();
    SendAdmission::Refused refused;
    std::optional<Ticket> ticket = admission.admit(connection, refused);
    ASSERT_TRUE(ticket);
    std::optional<Ticket> copy = ticket;  // what a reply handler holding the ticket does
    ticket.reset();
    EXPECT_FALSE(admission.admit(connection, refused));
    copy.reset();
    EXPECT_EQ(admission.in_flight(), 0u);
    EXPECT_EQ(connection->count.load(), 0u);
    EXPECT_TRUE(admission.admit(connection, refused));
}

}  // namespace
}  // namespace lanchat::gateway
