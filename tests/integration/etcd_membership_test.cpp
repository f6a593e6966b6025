// Cluster membership on etcd: real etcd members and real lanchatd processes on loopback, real mutual TLS.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "build_paths.hpp"
#include "child_process.hpp"
#include "etcd_cluster.hpp"
#include "eventually.hpp"
#include "grpc_client.hpp"
#include "lanchat/discovery/v1/discovery.pb.h"
#include "lanchat/test/v1/echo.pb.h"
#include "service_node.hpp"
#include "temp_dir.hpp"

namespace lanchat {
namespace {

using namespace lanchat::testing;
using test::v1::SayReply;
using test::v1::SayRequest;
namespace fs = std::filesystem;

constexpr int kLeaseTtlSeconds = 2;  // etcd's shortest: the tests wait for departures in seconds, not tens
const fs::path kEcho = kFixtures / "echo.so";
const fs::path kDiscovery = kPluginDir / "discovery.so";

void lanchatctl(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {kLanchatctl, "pki"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto run = run_to_exit(argv);
    ASSERT_EQ(run.exit_code, 0) << run.output;
}

class EtcdMembershipTest : public ::testing::Test {
protected:
    void SetUp() override {
        lanchatctl({"init", "--dir", pki_.string(), "--trust-domain", "lan-chat.test"});
        for (const char* node : {"b", "c"})
            lanchatctl({"issue", "--dir", pki_.string(), "--node", node, "--service", "echo"});
        lanchatctl({"issue", "--dir", pki_.string(), "--node", "a", "--service", "relay,discovery"});
        lanchatctl({"issue", "--dir", pki_.string(), "--node", "client", "--service", "caller"});
    }

    // A node file for `name` whose membership is `etcd`, hosting `plugins` (name, file); `data` names its data
    // directory (default: data-<name>).
    fs::path node_file(const std::string& name, const std::string& etcd_urls,
                       const std::vector<std::pair<std::string, fs::path>>& plugins, const std::string& extra = "",
                       const std::string& data = "") {
        std::string text = "[node]\nname = \"" + name + "\"\ndata_dir = \"" + (data.empty() ? "data-" + name : data) +
                           "\"\n[mesh]\nlisten = \"127.0.0.1:0\"\npki_dir = \"" + pki_.string() +
                           "\"\n[discovery]\netcd = " + etcd_urls +
                           "\netcd_lease_ttl_s = " + std::to_string(kLeaseTtlSeconds) +
                           "\n[authorization]\n\"lanchat.test.v1.Echo\" = [\"caller\", \"relay\"]\n" + extra;
        for (const auto& [plugin, file] : plugins) {
            text += "\n[[plugin]]\nname = \"" + plugin + "\"\npath = \"" + file.string() + "\"\n";
        }
        return dir_.write((data.empty() ? name : data) + ".toml", text);
    }
    StartedNode echo_node(const std::string& name, const EtcdCluster& etcd, const std::string& extra = "") {
        return start_node(kLanchatd, node_file(name, etcd.toml_urls(), {{"echo", kEcho}}, extra));
    }
    StartedNode relay_node(const EtcdCluster& etcd) {
        return start_node(kLanchatd, node_file("a", etcd.toml_urls(), {{"relay", kEcho}, {"discovery", kDiscovery}}));
    }

    // A's relay calls "echo" wherever the membership says it is.
    Reply relay(const StartedNode& a, const std::string& text) {
        SayRequest request;
        request.set_text(text);
        auto channel = channel_to(a.grpc, pki_ / "ca.crt", caller(), "relay.lan-chat.svc");
        return call(channel, "/lanchat.test.v1.Echo/Relay", request.SerializeAsString());
    }
    // The node that answered a relayed call, or the call's error.
    std::string relayed_to(const StartedNode& a) {
        Reply reply = relay(a, "who");
        if (!reply.status.ok()) return "error: " + reply.status.error_message();
        SayReply said;
        said.ParseFromString(reply.bytes);
        return said.node();
    }
    Identity caller() const { return {pki_ / "nodes/client/caller.crt", pki_ / "nodes/client/caller.key"}; }

    static void stop(StartedNode& node) {
        node.process->send_signal(SIGTERM);
        node.process->wait_exit();
    }
    static void kill(StartedNode& node) {
        node.process->send_signal(SIGKILL);
        node.process->wait_exit();
    }

    TempDir dir_;
    fs::path pki_ = dir_.path() / "pki";
};

TEST_F(EtcdMembershipTest, TwoNodesOnEtcdFindEachOthersServicesAndTheDiscoveryServiceListsThem) {
    EtcdCluster etcd;
    StartedNode b = echo_node("b", etcd, "[client_edge]\nlisten = \"127.0.0.1:0\"\n");
    StartedNode a = relay_node(etcd);

    // a has no static entry for "echo": it read from etcd that b hosts it.
    EXPECT_EQ(relayed_to(a), "b");

    auto channel = channel_to(a.grpc, pki_ / "ca.crt", caller(), "discovery.lan-chat.svc");
    Reply listed = call(channel, "/lanchat.discovery.v1.Discovery/ListNodes", "");
    ASSERT_TRUE(listed.status.ok()) << listed.status.error_message();
    discovery::v1::ListNodesReply nodes;
    ASSERT_TRUE(nodes.ParseFromString(listed.bytes));
    ASSERT_EQ(nodes.nodes_size(), 2);
    EXPECT_EQ(nodes.nodes(0).node_id(), "a");
    EXPECT_EQ(nodes.nodes(0).addresses(0), a.grpc);
    EXPECT_EQ(nodes.nodes(0).client_address(), "");
    EXPECT_EQ(nodes.nodes(1).node_id(), "b");
    EXPECT_EQ(nodes.nodes(1).addresses(0), b.grpc);
    EXPECT_EQ(nodes.nodes(1).client_address(), b.clients);
    EXPECT_EQ(std::vector<std::string>(nodes.nodes(1).services().begin(), nodes.nodes(1).services().end()),
              std::vector<std::string>{"echo"});

    discovery::v1::ResolveRequest echo;
    echo.set_service("echo");
    Reply resolved = call(channel, "/lanchat.discovery.v1.Discovery/Resolve", echo.SerializeAsString());
    ASSERT_TRUE(resolved.status.ok()) << resolved.status.error_message();
    discovery::v1::ResolveReply endpoints;
    ASSERT_TRUE(endpoints.ParseFromString(resolved.bytes));
    EXPECT_EQ(std::vector<std::string>(endpoints.endpoints().begin(), endpoints.endpoints().end()),
              std::vector<std::string>{b.grpc});

    // Nodes register in etcd, not with the embedded registry.
    discovery::v1::RegisterRequest registration;
    registration.mutable_node()->set_node_id("client");
    registration.mutable_node()->add_addresses("127.0.0.1:1");
    Reply registered = call(channel, "/lanchat.discovery.v1.Discovery/Register", registration.SerializeAsString());
    EXPECT_EQ(registered.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(EtcdMembershipTest, AKilledNodeLeavesTheMembershipWithinTheLeaseTtl) {
    EtcdCluster etcd;
    StartedNode b = echo_node("b", etcd);
    StartedNode a = relay_node(etcd);
    ASSERT_EQ(relayed_to(a), "b");

    kill(b);
    EXPECT_TRUE(a.process->wait_for_line("\"a node left the cluster\"", std::chrono::seconds(kLeaseTtlSeconds + 2)))
        << a.process->output();
    EXPECT_EQ(relayed_to(a),
              "error: no endpoint for service 'echo': host it on this node, list it under [discovery], or register a "
              "node that hosts it with the Discovery service");
}

TEST_F(EtcdMembershipTest, ANodeThatJoinsLaterIsCalledWithoutRestartingTheOthers) {
    EtcdCluster etcd;
    StartedNode a = relay_node(etcd);
    EXPECT_NE(relayed_to(a), "b");

    StartedNode b = echo_node("b", etcd);
    EXPECT_TRUE(eventually([&] { return relayed_to(a) == "b"; }, 50, std::chrono::milliseconds(100)))
        << a.process->output();
}

TEST_F(EtcdMembershipTest, ANodeRestartedRightAfterACrashWaitsForItsOldLeaseAndTakesItsNameBack) {
    EtcdCluster etcd;
    StartedNode b = echo_node("b", etcd);
    StartedNode a = relay_node(etcd);
    kill(b);

    StartedNode again = echo_node("b", etcd);
    EXPECT_TRUE(again.process->wait_for_line("waiting for it to run out", std::chrono::seconds(0)));
    EXPECT_TRUE(eventually([&] { return relayed_to(a) == "b"; }, 50, std::chrono::milliseconds(100)));
}

TEST_F(EtcdMembershipTest, ANodeRefusesToStartUnderTheNameOfALiveNode) {
    EtcdCluster etcd;
    StartedNode b = echo_node("b", etcd);

    fs::path twin = node_file("b", etcd.toml_urls(), {{"echo", kEcho}}, "", "twin");
    auto refused = run_to_exit({kLanchatd, twin.string()}, std::chrono::seconds(30));
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_NE(refused.output.find("node name 'b' is held in etcd (key /lanchat/nodes/b) by a live node at " + b.grpc +
                                  ", which kept renewing its lease: stop that node, or give this one another [node] "
                                  "name"),
              std::string::npos)
        << refused.output;
    EXPECT_FALSE(b.process->wait_exit(std::chrono::milliseconds(0)).has_value());  // the holder is untouched
}

TEST_F(EtcdMembershipTest, ANodeRefusesToStartWhenNoEtcdMemberAnswersAndSaysWhere) {
    fs::path file = node_file("b", "[\"http://127.0.0.1:1\"]", {{"echo", kEcho}});
    auto refused = run_to_exit({kLanchatd, file.string()}, std::chrono::seconds(30));
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_NE(refused.output.find("cannot reach etcd at http://127.0.0.1:1, named by [discovery] etcd (" +
                                  file.string() + ":8:8): etcd at http://127.0.0.1:1: "),
              std::string::npos)
        << refused.output;
    EXPECT_NE(refused.output.find("start etcd there or correct the URLs"), std::string::npos) << refused.output;
}

TEST_F(EtcdMembershipTest, WithEtcdStoppedTheNodesKeepServingTheirCallsAndRenewOnceItIsBack) {
    EtcdCluster etcd;
    StartedNode b = echo_node("b", etcd);
    StartedNode a = relay_node(etcd);
    ASSERT_EQ(relayed_to(a), "b");

    etcd.stop(0);
    ASSERT_TRUE(a.process->wait_for_line("etcd: cannot renew this node's lease", std::chrono::seconds(5)))
        << a.process->output();
    // Past the lease TTL: the last membership still routes the calls.
    for (int i = 0; i < (kLeaseTtlSeconds + 1) * 4; ++i) {
        ASSERT_EQ(relayed_to(a), "b") << i;
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }

    etcd.restart(0);
    EXPECT_TRUE(a.process->wait_for_line("etcd: can renew this node's lease again", std::chrono::seconds(10)))
        << a.process->output();
    EXPECT_TRUE(a.process->wait_for_line("etcd: can follow the membership again", std::chrono::seconds(10)))
        << a.process->output();
    EXPECT_EQ(relayed_to(a), "b");
}

TEST_F(EtcdMembershipTest, KillingTheEtcdLeaderOfThreeLeavesTheNodesServingAndMembershipUpdatesResume) {
    EtcdCluster etcd(3);
    StartedNode b = echo_node("b", etcd);
    StartedNode a = relay_node(etcd);
    ASSERT_EQ(relayed_to(a), "b");

    etcd.kill(etcd.leader());
    // Through the election (about 1 to 4 s): every call still crosses.
    for (int i = 0; i < 20; ++i) {
        ASSERT_EQ(relayed_to(a), "b") << i;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    ASSERT_TRUE(eventually([&] { return etcd.has_leader(); }, 50, std::chrono::milliseconds(200)));

    StartedNode c = echo_node("c", etcd);
    kill(b);
    EXPECT_TRUE(eventually([&] { return relayed_to(a) == "c"; }, 50, std::chrono::milliseconds(200)))
        << a.process->output();
    EXPECT_FALSE(a.process->wait_exit(std::chrono::milliseconds(0)).has_value());
}

}  // namespace
}  // namespace lanchat
