#include "mesh/routing_table.hpp"

#include <gtest/gtest.h>

#include "mesh/rpc_owner.hpp"

namespace lanchat::host::mesh {
namespace {

const std::string kSay = "/acme.greeter.v1.Greeter/Say";
const std::string kWave = "/acme.greeter.v1.Greeter/Wave";

Route route(const std::string& method, const std::shared_ptr<RpcOwner>& owner) {
    Route made;
    made.method = method;
    made.owner = owner;
    return made;
}

// Which plugin serves `method` now, or "" when none.
std::string server_of(const RoutingTable& table, const std::string& method) {
    auto found = table.find(method);
    return found ? found->owner->plugin_name() : "";
}

class RoutingTableTest : public ::testing::Test {
protected:
    RoutingTable table_;
    std::shared_ptr<RpcOwner> greeter_ = std::make_shared<RpcOwner>("greeter");
    std::shared_ptr<RpcOwner> successor_ = std::make_shared<RpcOwner>("greeter-v2");
    std::shared_ptr<RpcOwner> echo_ = std::make_shared<RpcOwner>("echo");
};

TEST(ServiceOfTest, TakesThePackageAndServiceOfAFullMethodName) {
    EXPECT_EQ(service_of("/acme.greeter.v1.Greeter/Say"), "acme.greeter.v1.Greeter");
    for (const char* malformed : {"", "/", "/a", "acme.Greeter/Say", "//Say", "/acme.Greeter/", "/a/b/c"}) {
        EXPECT_EQ(service_of(malformed), "") << malformed;
    }
}

TEST_F(RoutingTableTest, AnAddedMethodIsFoundWithItsOwner) {
    ASSERT_TRUE(table_.add(route(kSay, greeter_)).ok());
    EXPECT_EQ(server_of(table_, kSay), "greeter");
    EXPECT_EQ(server_of(table_, kWave), "");
}

TEST_F(RoutingTableTest, AMalformedMethodNameIsRefused) {
    sdk::Status added = table_.add(route("Greeter.Say", greeter_));
    EXPECT_EQ(added.code(), sdk::Code::invalid_argument);
    EXPECT_NE(added.message().find("\"/package.Service/Method\""), std::string::npos);
}

TEST_F(RoutingTableTest, AMethodAnotherPluginServesIsRefusedNamingThatPlugin) {
    ASSERT_TRUE(table_.add(route(kSay, greeter_)).ok());
    sdk::Status added = table_.add(route(kSay, echo_));
    EXPECT_EQ(added.code(), sdk::Code::already_exists);
    EXPECT_EQ(added.message(), "method " + kSay + " is already served by plugin 'greeter'");
    EXPECT_EQ(server_of(table_, kSay), "greeter");
}

TEST_F(RoutingTableTest, AStagedSuccessorsMethodsWaitAsideUntilPromoted) {
    ASSERT_TRUE(table_.add(route(kSay, greeter_)).ok());
    table_.stage(greeter_.get(), successor_.get());
    ASSERT_TRUE(table_.add(route(kSay, successor_)).ok());  // not a conflict: it is set aside
    EXPECT_EQ(server_of(table_, kSay), "greeter");
    table_.promote(successor_.get());
    EXPECT_EQ(server_of(table_, kSay), "greeter-v2");
}

TEST_F(RoutingTableTest, PromotionDropsMethodsTheSuccessorNoLongerServes) {
    ASSERT_TRUE(table_.add(route(kSay, greeter_)).ok());
    ASSERT_TRUE(table_.add(route(kWave, greeter_)).ok());
    table_.stage(greeter_.get(), successor_.get());
    ASSERT_TRUE(table_.add(route(kSay, successor_)).ok());
    table_.promote(successor_.get());
    EXPECT_EQ(server_of(table_, kWave), "");
}

TEST_F(RoutingTableTest, ADiscardedSuccessorLeavesThePredecessorServing) {
    ASSERT_TRUE(table_.add(route(kSay, greeter_)).ok());
    table_.stage(greeter_.get(), successor_.get());
    ASSERT_TRUE(table_.add(route(kSay, successor_)).ok());
    table_.discard(successor_.get());
    table_.promote(successor_.get());  // nothing staged any more: no effect
    EXPECT_EQ(server_of(table_, kSay), "greeter");
}

TEST_F(RoutingTableTest, ASuccessorRegisteringAMethodTwiceIsRefused) {
    table_.stage(greeter_.get(), successor_.get());
    ASSERT_TRUE(table_.add(route(kSay, successor_)).ok());
    sdk::Status again = table_.add(route(kSay, successor_));
    EXPECT_EQ(again.code(), sdk::Code::already_exists);
    EXPECT_EQ(again.message(), "method " + kSay + " is registered twice");
}

TEST_F(RoutingTableTest, OnlyTheOwnerRemovesItsMethod) {
    ASSERT_TRUE(table_.add(route(kSay, greeter_)).ok());
    table_.remove(echo_.get(), kSay);
    EXPECT_EQ(server_of(table_, kSay), "greeter");
    table_.remove(greeter_.get(), kSay);
    EXPECT_EQ(server_of(table_, kSay), "");
}

TEST_F(RoutingTableTest, RemovingAnOwnerDropsEveryMethodOfItAndNoOther) {
    ASSERT_TRUE(table_.add(route(kSay, greeter_)).ok());
    ASSERT_TRUE(table_.add(route(kWave, greeter_)).ok());
    ASSERT_TRUE(table_.add(route("/lanchat.echo.v1.Echo/Echo", echo_)).ok());
    table_.remove_owner(greeter_.get());
    EXPECT_EQ(server_of(table_, kSay), "");
    EXPECT_EQ(server_of(table_, kWave), "");
    EXPECT_EQ(server_of(table_, "/lanchat.echo.v1.Echo/Echo"), "echo");
}

TEST_F(RoutingTableTest, ARouteFoundStaysUsableAfterItIsRemoved) {
    ASSERT_TRUE(table_.add(route(kSay, greeter_)).ok());
    std::shared_ptr<const Route> in_flight = table_.find(kSay);
    table_.remove_owner(greeter_.get());
    ASSERT_NE(in_flight, nullptr);
    EXPECT_EQ(in_flight->method, kSay);
    EXPECT_EQ(in_flight->owner, greeter_);
}

TEST_F(RoutingTableTest, ServicesOfListsEachProtoServiceOfAnOwnerOnce) {
    ASSERT_TRUE(table_.add(route(kSay, greeter_)).ok());
    ASSERT_TRUE(table_.add(route(kWave, greeter_)).ok());
    ASSERT_TRUE(table_.add(route("/acme.greeter.v1.Admin/Reset", greeter_)).ok());
    ASSERT_TRUE(table_.add(route("/lanchat.echo.v1.Echo/Echo", echo_)).ok());
    EXPECT_EQ(table_.services_of(greeter_.get()),
              (std::vector<std::string>{"acme.greeter.v1.Admin", "acme.greeter.v1.Greeter"}));
}

}  // namespace
}  // namespace lanchat::host::mesh
