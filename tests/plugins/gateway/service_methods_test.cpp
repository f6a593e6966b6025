#include "service_methods.hpp"

#include <gtest/gtest.h>

namespace lanchat::gateway {
namespace {

TEST(ServiceMethodsTest, EachServiceTheGatewayCallsHasItsPackagesFullMethodName) {
    EXPECT_EQ(*full_method("auth", "Login"), "/lanchat.auth.v1.Auth/Login");
    EXPECT_EQ(*full_method("identity", "GetUser"), "/lanchat.identity.v1.Identity/GetUser");
    EXPECT_EQ(*full_method("channel", "History"), "/lanchat.channel.v1.Channel/History");
    EXPECT_EQ(*full_method("router", "SubscribeEdge"), "/lanchat.router.v1.Router/SubscribeEdge");
    EXPECT_EQ(*full_method("presence", "Watch"), "/lanchat.presence.v1.Presence/Watch");
}

TEST(ServiceMethodsTest, AnUnknownServiceIsAnErrorAndNeverPresence) {
    sdk::Result<std::string> method = full_method("presense", "Watch");
    ASSERT_FALSE(method.ok());
    EXPECT_EQ(method.status().code(), sdk::Code::internal);
    EXPECT_NE(method.status().message().find("'presense'"), std::string::npos);
    EXPECT_FALSE(call_options("audit", "Append", std::chrono::milliseconds{100}, true).ok());
}

TEST(ServiceMethodsTest, CallOptionsCarryTheServiceDeadlineAndRetryChoice) {
    sdk::Result<sdk::CallOptions> options = call_options("router", "Send", std::chrono::milliseconds{5000}, false);
    ASSERT_TRUE(options.ok());
    EXPECT_EQ(options->service, "router");
    EXPECT_EQ(options->method, "/lanchat.router.v1.Router/Send");
    EXPECT_EQ(options->timeout, std::chrono::milliseconds{5000});
    EXPECT_FALSE(options->idempotent);
    EXPECT_EQ(options->parent, nullptr);
}

}  // namespace
}  // namespace lanchat::gateway
