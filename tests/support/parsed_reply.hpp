// Reading a unary reply as its message, for tests that expect the call to succeed.
#pragma once

#include <gtest/gtest.h>

#include "grpc_client.hpp"

namespace lanchat::testing {

// The reply's message; a failed call or bytes that do not parse as `Message` fail the test (and give an
// empty message, so the test's own expectations say what was missing).
template <class Message>
Message parsed(const Reply& reply) {
    Message message;
    EXPECT_TRUE(reply.status.ok()) << reply.status.error_message();
    EXPECT_TRUE(message.ParseFromString(reply.bytes));
    return message;
}

}  // namespace lanchat::testing
