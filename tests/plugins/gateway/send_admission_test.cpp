#include "send_admission.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

namespace lanchat::gateway {
namespace {

using Ticket = SendAdmission::Ticket;

TEST(SendAdmissionTest, AWritePastTheNodesBoundIsUnavailableWithARetryHint) {
    SendAdmission admission(2);
    SendAdmission::Refused refused;
    std::vector<std::optional<Ticket>> held = {admission.admit(refused), admission.admit(refused)};
    EXPECT_TRUE(held[0] && held[1]);
    EXPECT_FALSE(admission.admit(refused));
    EXPECT_EQ(refused.code, "unavailable");
    EXPECT_GE(refused.retry_after_ms, 10);
    EXPECT_LE(refused.retry_after_ms, 1000);
    EXPECT_EQ(admission.in_flight(), 2u);  // the refused write took no place
}

TEST(SendAdmissionTest, APlaceComesBackWhenTheLastCopyOfItsTicketGoes) {
    SendAdmission admission(1);
    SendAdmission::Refused refused;
    std::optional<Ticket> ticket = admission.admit(refused);
    ASSERT_TRUE(ticket);
    std::optional<Ticket> copy = ticket;  // what a reply handler holding the ticket does
    ticket.reset();
    EXPECT_FALSE(admission.admit(refused));
    copy.reset();
    EXPECT_EQ(admission.in_flight(), 0u);
    EXPECT_TRUE(admission.admit(refused));
}

}  // namespace
}  // namespace lanchat::gateway
