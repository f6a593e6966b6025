#include "mesh/endpoint_resolver.hpp"

#include <gtest/gtest.h>

namespace lanchat::host::mesh {
namespace {

using namespace std::chrono_literals;

const std::string kHere = "127.0.0.1:7443";

std::string address_of(EndpointResolver& resolver, const std::string& service, const std::string& node = {}) {
    auto endpoint = resolver.resolve(service, node);
    return endpoint.ok() ? endpoint->address : "error: " + endpoint.status().message();
}

MemberNode member(const std::string& address, std::set<std::string> services) { return {{address}, services}; }

TEST(EndpointResolverTest, AServiceHostedHereIsReachedAtThisNode) {
    EndpointResolver resolver(kHere, {{"audit", {"10.0.0.2:7443"}}}, {"audit"});
    EXPECT_EQ(address_of(resolver, "audit"), kHere);
}

TEST(EndpointResolverTest, TheNodeFileComesBeforeWhatDiscoveryReports) {
    EndpointResolver resolver(kHere, {{"audit", {"10.0.0.2:7443"}}}, {});
    resolver.set_discovered({{"n9", member("10.0.0.9:7443", {"audit"})}, {"n3", member("10.0.0.3:7443", {"channel"})}});
    EXPECT_EQ(address_of(resolver, "audit"), "10.0.0.2:7443");
    EXPECT_EQ(address_of(resolver, "channel"), "10.0.0.3:7443");
}

TEST(EndpointResolverTest, NewDiscoveryReportsReplaceOldOnes) {
    EndpointResolver resolver(kHere, {}, {});
    resolver.set_discovered({{"n3", member("10.0.0.3:7443", {"channel"})}});
    resolver.set_discovered({{"n4", member("10.0.0.4:7443", {"router"})}});
    EXPECT_EQ(address_of(resolver, "router"), "10.0.0.4:7443");
    EXPECT_FALSE(resolver.resolve("channel").ok());
}

TEST(EndpointResolverTest, AnUnknownServiceIsUnavailableAndTheMessageSaysWhereToDeclareIt) {
    EndpointResolver resolver(kHere, {}, {});
    auto endpoint = resolver.resolve("audit");
    ASSERT_FALSE(endpoint.ok());
    EXPECT_EQ(endpoint.status().code(), sdk::Code::unavailable);
    EXPECT_NE(endpoint.status().message().find("no endpoint for service 'audit'"), std::string::npos);
    EXPECT_NE(endpoint.status().message().find("[discovery]"), std::string::npos);
}

TEST(EndpointResolverTest, AServiceNoLongerHostedHereIsLookedUpElsewhere) {
    EndpointResolver resolver(kHere, {{"audit", {"10.0.0.2:7443"}}}, {});
    resolver.add_local_service("audit");
    EXPECT_EQ(address_of(resolver, "audit"), kHere);
    resolver.remove_local_service("audit");
    EXPECT_EQ(address_of(resolver, "audit"), "10.0.0.2:7443");
}

TEST(EndpointResolverTest, EndpointsTakeCallsInTurn) {
    EndpointResolver resolver(kHere, {{"audit", {"a:1", "b:1", "c:1"}}}, {});
    EXPECT_EQ(address_of(resolver, "audit"), "a:1");
    EXPECT_EQ(address_of(resolver, "audit"), "b:1");
    EXPECT_EQ(address_of(resolver, "audit"), "c:1");
    EXPECT_EQ(address_of(resolver, "audit"), "a:1");
}

TEST(EndpointResolverTest, ACallThatNamesANodeGoesToThatNodeOnly) {
    EndpointResolver resolver(kHere, {{"router", {"10.0.0.7:7443"}}}, {"router"}, {}, std::chrono::steady_clock::now,
                              "here");
    resolver.set_discovered(
        {{"b", member("10.0.0.2:7443", {"router", "channel"})}, {"c", member("10.0.0.3:7443", {"router"})}});
    EXPECT_EQ(address_of(resolver, "router", "c"), "10.0.0.3:7443");
    EXPECT_EQ(address_of(resolver, "router", "b"), "10.0.0.2:7443");
    EXPECT_EQ(address_of(resolver, "router", "here"), kHere);
    EXPECT_EQ(address_of(resolver, "router"), kHere);
}

TEST(EndpointResolverTest, ANamedNodeThatIsGoneOrDoesNotHostTheServiceIsUnavailableAndSaysWhich) {
    EndpointResolver resolver(kHere, {}, {"router"}, {}, std::chrono::steady_clock::now, "here");
    resolver.set_discovered({{"c", member("10.0.0.3:7443", {"router"})}});
    EXPECT_EQ(address_of(resolver, "router", "d"), "error: node 'd' is not in the cluster's membership");
    EXPECT_EQ(address_of(resolver, "channel", "c"), "error: node 'c' does not host service 'channel'");
    EXPECT_EQ(address_of(resolver, "channel", "here"), "error: node 'here' does not host service 'channel'");
    EXPECT_EQ(resolver.resolve("channel", "c").status().code(), sdk::Code::unavailable);
}

TEST(EndpointResolverTest, ServicesHostedHereHaveNoCircuitBreaker) {
    EndpointResolver resolver(kHere, {}, {"channel"});
    auto endpoint = resolver.resolve("channel");
    ASSERT_TRUE(endpoint.ok());
    EXPECT_EQ(endpoint->breaker, nullptr);  // Channel's UNAVAILABLE (its database down) cannot fail fast Auth
}

// A resolver whose breakers open after two failures, for a second, on a clock the test moves.
class ResolverBreakerTest : public ::testing::Test {
protected:
    void fail_twice(const std::string& service) {
        for (int i = 0; i < 2; ++i) {
            auto endpoint = resolver_.resolve(service);
            ASSERT_TRUE(endpoint.ok());
            endpoint->breaker->record(true);
        }
    }

    std::chrono::steady_clock::time_point now_{};
    EndpointResolver resolver_{
        kHere, {{"audit", {"a:1"}}, {"channel", {"a:1", "b:1"}}}, {}, BreakerPolicy{2, 1000ms}, [this] {
            return now_;
        }};
};

TEST_F(ResolverBreakerTest, AnEndpointWithAnOpenCircuitIsPassedOver) {
    for (int failures = 0; failures < 2;) {
        auto endpoint = resolver_.resolve("channel");
        ASSERT_TRUE(endpoint.ok());
        bool at_a = endpoint->address == "a:1";
        endpoint->breaker->record(at_a);
        failures += at_a ? 1 : 0;
    }
    EXPECT_EQ(address_of(resolver_, "channel"), "b:1");
    EXPECT_EQ(address_of(resolver_, "channel"), "b:1");
}

TEST_F(ResolverBreakerTest, WhenEveryCircuitIsOpenTheCallFailsFastSayingWhen) {
    fail_twice("audit");
    auto endpoint = resolver_.resolve("audit");
    ASSERT_FALSE(endpoint.ok());
    EXPECT_EQ(endpoint.status().code(), sdk::Code::unavailable);
    EXPECT_EQ(endpoint.status().message(),
              "circuit open for every endpoint of service 'audit' after repeated failures; retrying after 1000 ms");
    now_ += 1000ms;
    EXPECT_EQ(address_of(resolver_, "audit"), "a:1");  // the probe
}

TEST_F(ResolverBreakerTest, ServicesAtTheSameAddressShareItsBreaker) {
    fail_twice("audit");
    for (int i = 0; i < 4; ++i) EXPECT_EQ(address_of(resolver_, "channel"), "b:1");  // a:1 failed for audit
}

}  // namespace
}  // namespace lanchat::host::mesh
