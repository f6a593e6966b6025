#include "discovery_service.hpp"

#include <gtest/gtest.h>

namespace lanchat::discovery {
namespace {

using namespace std::chrono_literals;

v1::Node node(const std::string& id, std::vector<std::string> services, std::string address = "10.0.0.1:7443") {
    v1::Node result;
    result.set_node_id(id);
    result.add_addresses(address);
    for (auto& service : services) result.add_services(service);
    return result;
}

const auto kNow = DiscoveryService::Clock::time_point(std::chrono::hours(500000));

TEST(DiscoveryServiceTest, ANodeRegistersItselfAndIsResolvedByItsServices) {
    DiscoveryService registry(15s);
    ASSERT_TRUE(registry.register_node("spiffe://lan/node/a", node("a", {"audit", "auth"}), kNow).ok());
    ASSERT_TRUE(registry.register_node("spiffe://lan/node/b", node("b", {"audit"}, "10.0.0.2:7443"), kNow).ok());
    EXPECT_EQ(registry.resolve("audit", kNow), (std::vector<std::string>{"10.0.0.1:7443", "10.0.0.2:7443"}));
    EXPECT_EQ(registry.resolve("auth", kNow), std::vector<std::string>{"10.0.0.1:7443"});
    EXPECT_TRUE(registry.resolve("router", kNow).empty());
    auto nodes = registry.live_nodes(kNow);
    ASSERT_EQ(nodes.size(), 2u);
    EXPECT_EQ(nodes[0].last_seen_unix_ms(),
              std::chrono::duration_cast<std::chrono::milliseconds>(kNow.time_since_epoch()).count());
}

TEST(DiscoveryServiceTest, ANodeNotHeardFromWithinTheTtlIsForgotten) {
    DiscoveryService registry(15s);
    ASSERT_TRUE(registry.register_node("spiffe://lan/node/a", node("a", {"audit"}), kNow).ok());
    EXPECT_EQ(registry.live_nodes(kNow + 14s).size(), 1u);
    EXPECT_TRUE(registry.live_nodes(kNow + 16s).empty());
}

TEST(DiscoveryServiceTest, ANodeMayRegisterOnlyItself) {
    DiscoveryService registry(15s);
    sdk::Status spoofed = registry.register_node("spiffe://lan/node/mallory", node("a", {"audit"}), kNow);
    EXPECT_EQ(spoofed.code(), sdk::Code::permission_denied);
    EXPECT_EQ(spoofed.message(), "spiffe://lan/node/mallory may not register node 'a'");
    EXPECT_FALSE(registry.register_node("spiffe://lan/svc/a", node("a", {}), kNow).ok());
    EXPECT_TRUE(registry.live_nodes(kNow).empty());
}

TEST(DiscoveryServiceTest, MalformedRegistrationsAreRefused) {
    DiscoveryService registry(15s);
    EXPECT_EQ(registry.register_node("spiffe://lan/node/a", node("a", {"audit"}, "no-port"), kNow).message(),
              "address 'no-port' is not host:port");
    EXPECT_EQ(registry.register_node("spiffe://lan/node/A", node("A", {}), kNow).message(),
              "node_id must be 1 to 63 of a-z 0-9 - _ . (got 'A')");
    EXPECT_EQ(registry.register_node("spiffe://lan/node/a", node("a", {"Bad Name"}), kNow).message(),
              "service name 'Bad Name' is not valid");
}

TEST(DiscoveryServiceTest, TheRpcsAnswerWithTheLiveNodes) {
    DiscoveryService registry(15s);
    v1::RegisterRequest request;
    *request.mutable_node() = node("n1", {"audit"});
    auto registered = registry.registered("spiffe://lan-chat.local/node/n1", request, kNow);
    ASSERT_TRUE(registered.ok()) << registered.status().message();
    EXPECT_EQ(registered->nodes_size(), 1);
    EXPECT_EQ(registered->ttl_ms(), 15000u);
    EXPECT_EQ(registry.list_nodes(kNow).nodes(0).node_id(), "n1");
    v1::ResolveRequest audit;
    audit.set_service("audit");
    EXPECT_EQ(registry.resolved(audit, kNow).endpoints(0), "10.0.0.1:7443");
    EXPECT_EQ(registry.registered("spiffe://lan-chat.local/node/n2", request, kNow).status().code(),
              sdk::Code::permission_denied);
}

TEST(DiscoveryServiceTest, OnEtcdServicesResolveFromTheClusterAndRegistrationIsRefused) {
    v1::ListNodesReply cluster;
    *cluster.add_nodes() = node("a", {"audit", "auth"});
    *cluster.add_nodes() = node("b", {"audit"}, "10.0.0.2:7443");
    v1::ResolveRequest audit;
    audit.set_service("audit");
    auto endpoints = DiscoveryService::cluster_resolved(cluster, audit).endpoints();
    EXPECT_EQ(std::vector<std::string>(endpoints.begin(), endpoints.end()),
              (std::vector<std::string>{"10.0.0.1:7443", "10.0.0.2:7443"}));
    v1::ResolveRequest router;
    router.set_service("router");
    EXPECT_TRUE(DiscoveryService::cluster_resolved(cluster, router).endpoints().empty());
    EXPECT_EQ(DiscoveryService::cluster_register().code(), sdk::Code::failed_precondition);
}

TEST(DiscoveryServiceTest, StateSurvivesAHandOff) {
    DiscoveryService old_registry(15s);
    ASSERT_TRUE(old_registry.register_node("spiffe://lan/node/a", node("a", {"audit"}), kNow).ok());
    DiscoveryService new_registry(15s);
    ASSERT_TRUE(new_registry.import_state(old_registry.export_state()).ok());
    EXPECT_EQ(new_registry.resolve("audit", kNow), std::vector<std::string>{"10.0.0.1:7443"});
    EXPECT_FALSE(new_registry.import_state("\xff\xff garbage").ok());
}

}  // namespace
}  // namespace lanchat::discovery
