#include "mesh/authorization.hpp"

#include <gtest/gtest.h>

namespace lanchat::host::mesh {
namespace {

const std::string kAuth = "spiffe://lan.test/svc/auth";
const std::string kRouter = "spiffe://lan.test/svc/router";
const std::string kGateway = "spiffe://lan.test/svc/gateway";

TEST(AuthorizationTest, TheDefaultsAreTheSeedsEdges) {
    AuthorizationPolicy policy("lan.test", {});
    EXPECT_TRUE(policy.allows("/lanchat.identity.v1.Identity/VerifyPassword", kAuth));
    EXPECT_FALSE(policy.allows("/lanchat.identity.v1.Identity/VerifyPassword", kRouter));
    EXPECT_TRUE(policy.allows("/lanchat.audit.v1.Audit/Append", kRouter));
    EXPECT_TRUE(policy.allows("/lanchat.channel.v1.Channel/GetChannel", kGateway));
    EXPECT_FALSE(policy.allows("/lanchat.audit.v1.Audit/Append", kGateway));
    EXPECT_FALSE(policy.allows("/acme.greeter.v1.Greeter/Say", kGateway));  // no rule: denied
    EXPECT_FALSE(policy.allows("/lanchat.audit.v1.Audit/Append", ""));      // no identity: denied
}

TEST(AuthorizationTest, TheGatewayReadsAndCreatesAccountsButChangesNone) {
    AuthorizationPolicy policy("lan.test", {});
    const std::string identity = "/lanchat.identity.v1.Identity/";
    const std::string operator_alice = "spiffe://lan.test/operator/alice";
    EXPECT_TRUE(policy.allows(identity + "LookupUser", kGateway));
    EXPECT_TRUE(policy.allows(identity + "CreateUser", kGateway));
    EXPECT_TRUE(policy.allows(identity + "CreateUser", operator_alice));
    for (const char* method : {"UpdateUser", "SetUserDisabled", "SetPassword"}) {
        EXPECT_FALSE(policy.allows(identity + method, kGateway)) << method;
        EXPECT_FALSE(policy.allows(identity + method, kAuth)) << method;
        EXPECT_TRUE(policy.allows(identity + method, operator_alice)) << method;
    }
}

TEST(AuthorizationTest, OnlyTheGatewayReadsMembershipsAndPositionsAndOpensEdgeStreams) {
    AuthorizationPolicy policy("lan.test", {});
    for (const char* method : {"/lanchat.channel.v1.Channel/Memberships", "/lanchat.channel.v1.Channel/Positions",
                               "/lanchat.router.v1.Router/SubscribeEdge", "/lanchat.router.v1.Router/Announce"}) {
        EXPECT_TRUE(policy.allows(method, kGateway)) << method;
        EXPECT_FALSE(policy.allows(method, kRouter)) << method;
        EXPECT_FALSE(policy.allows(method, kAuth)) << method;
    }
    EXPECT_TRUE(policy.allows("/lanchat.channel.v1.Channel/History", kRouter));  // the Router reads announcements
}

TEST(AuthorizationTest, TheGatewayMayCallNothingItDoesNotUse) {
    AuthorizationPolicy policy("lan.test", {});
    for (const char* method : {"/lanchat.channel.v1.Channel/Append", "/lanchat.channel.v1.Channel/Amend",
                               "/lanchat.channel.v1.Channel/Audience", "/lanchat.channel.v1.Channel/RenameChannel",
                               "/lanchat.channel.v1.Channel/ArchiveChannel", "/lanchat.identity.v1.Identity/AddDevice",
                               "/lanchat.identity.v1.Identity/RevokeDevice", "/lanchat.identity.v1.Identity/ListUsers",
                               "/lanchat.identity.v1.Identity/ListDevices", "/lanchat.auth.v1.Auth/Keys",
                               "/lanchat.presence.v1.Presence/Get", "/lanchat.channel.v1.Channel/NotYetWritten"}) {
        EXPECT_FALSE(policy.allows(method, kGateway)) << method;
    }
    for (const char* method : {"/lanchat.channel.v1.Channel/Append", "/lanchat.channel.v1.Channel/Amend",
                               "/lanchat.channel.v1.Channel/Audience"}) {
        EXPECT_TRUE(policy.allows(method, kRouter)) << method;
    }
    EXPECT_FALSE(policy.allows("/lanchat.channel.v1.Channel/Join", kRouter));  // the Router joins nobody
    EXPECT_TRUE(policy.allows("/lanchat.identity.v1.Identity/AddDevice", "spiffe://lan.test/operator/alice"));
    EXPECT_TRUE(policy.allows("/lanchat.identity.v1.Identity/GetUser", kAuth));
}

TEST(AuthorizationTest, TheMostSpecificRuleDecides) {
    AuthorizationPolicy policy("lan.test", {{"/lanchat.audit.v1.Audit/Query", {"spiffe://lan.test/operator/*"}},
                                            {"acme.greeter.v1.Greeter", {"gateway"}}});
    EXPECT_TRUE(policy.allows("/lanchat.audit.v1.Audit/Query", "spiffe://lan.test/operator/alice"));
    EXPECT_FALSE(policy.allows("/lanchat.audit.v1.Audit/Query", kRouter));  // the method rule replaces the service's
    EXPECT_TRUE(policy.allows("/lanchat.audit.v1.Audit/Append", kRouter));  // other methods keep the default
    EXPECT_FALSE(policy.allows("/lanchat.audit.v1.Audit/Query", "spiffe://lan.test/operator/"));
    EXPECT_TRUE(policy.allows("/acme.greeter.v1.Greeter/Say", kGateway));
}

TEST(AuthorizationTest, AStarAllowsOnlyPeersOfTheTrustDomain) {
    AuthorizationPolicy policy("lan.test", {});
    EXPECT_TRUE(policy.allows("/lanchat.discovery.v1.Discovery/ListNodes", "spiffe://lan.test/node/a"));
    EXPECT_FALSE(policy.allows("/lanchat.discovery.v1.Discovery/ListNodes", "spiffe://other.test/node/a"));
}

TEST(AuthorizationTest, LogicalServiceFollowsThePackageConvention) {
    EXPECT_EQ(AuthorizationPolicy::logical_service("/lanchat.audit.v1.Audit/Append"), "audit");
    EXPECT_EQ(AuthorizationPolicy::logical_service("/acme.greeter.v1.Greeter/Say"), "");
    EXPECT_EQ(AuthorizationPolicy::logical_service("not a method"), "");
}

}  // namespace
}  // namespace lanchat::host::mesh
