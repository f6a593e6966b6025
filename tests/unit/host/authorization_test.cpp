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
    EXPECT_TRUE(policy.allows("/lanchat.channel.v1.Channel/Get", kGateway));
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
