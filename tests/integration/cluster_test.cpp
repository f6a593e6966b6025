// A cluster on real engines: three lanchatd processes on loopback whose stores share one PostgreSQL database and
// whose membership is one etcd. Every node runs the gateway, the Router, Channel, Identity, Auth and Discovery;
// Audit and Presence run on node a (Presence keeps its state in memory), and the other nodes reach them
// through the membership. People connected to different nodes chat as on one node.
#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "build_paths.hpp"
#include "child_process.hpp"
#include "edge_client.hpp"
#include "etcd_cluster.hpp"
#include "eventually.hpp"
#include "http_get.hpp"
#include "postgres_server.hpp"
#include "service_node.hpp"
#include "temp_dir.hpp"

namespace lanchat {
namespace {

using json = nlohmann::json;
using namespace lanchat::testing;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

[[maybe_unused]] const auto* const kPostgres = ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);

constexpr const char* kEveryNode = "identity,auth,channel,router,gateway,discovery";
constexpr const char* kFirstNode = "audit,presence,identity,auth,channel,router,gateway,discovery";

// The messages one person received, by channel: sequence -> body (joined and left entries as "(joined)").
using Received = std::map<std::string, std::map<uint64_t, std::string>>;

class ClusterTest : public ::testing::Test {
protected:
    void SetUp() override {
        run({"init", "--trust-domain", "lan-chat.test"});
        run({"issue", "--node", "a", "--service", kFirstNode});
        run({"issue-client", "--operator", "admin"});
        for (const char* node : {"b", "c"}) run({"issue", "--node", node, "--service", kEveryNode});
        dsn_file_ = dir_.write("stores.dsn", PostgresEnvironment::server().create_database() + "\n");
        for (const char* node : {"a", "b", "c"}) nodes_[node] = start_node(kLanchatd, node_file(node));
        // Each gateway subscribes to every node's Router once the membership lists all three.
        ASSERT_TRUE(eventually([&] { return routers_subscribed(3); }, 100, 100ms)) << streams_report();
    }

    void run(std::vector<std::string> args) {
        args.insert(args.begin() + 1, {"--dir", pki_.string()});
        args.insert(args.begin(), {kLanchatctl, "pki"});
        Completed done = run_to_exit(args);
        ASSERT_EQ(done.exit_code, 0) << done.output;
    }

    fs::path node_file(const std::string& name) {
        const std::string store = "store = \"postgresql\"\npostgres_dsn_file = \"" + dsn_file_.string() + "\"\n";
        std::vector<std::pair<std::string, std::string>> plugins;
        if (name == "a") plugins = {{"audit", store}, {"presence", "device_ttl_ms = 3000"}};
        plugins.insert(plugins.end(), {{"identity", "argon2_memory_kib = 8192\nargon2_iterations = 1\n" + store},
                                       {"auth", store},
                                       {"channel", store},
                                       {"router", ""},
                                       {"gateway", "allow_registration = true\nheartbeat_ms = 1000"},
                                       {"discovery", ""}});
        std::string text = service_node_file(pki_, kPluginDir, plugins);
        text.replace(text.find("name = \"n\""), 10, "name = \"" + name + "\"");
        text.replace(text.find("data_dir = \"data\""), 17, "data_dir = \"data-" + name + "\"");
        text += "[admin]\nlisten = \"127.0.0.1:0\"\n[client_edge]\nlisten = \"127.0.0.1:0\"\n[discovery]\netcd = " +
                etcd_.toml_urls() + "\netcd_lease_ttl_s = 2\n";
        return dir_.write(name + ".toml", text);
    }

    // Whether every node's gateway holds a registered delivery stream from `routers` Routers.
    bool routers_subscribed(size_t routers) {
        for (const auto& [name, node] : nodes_) {
            HttpReply metrics = http_request(node.admin, "GET", "/metrics");
            if (metrics.body.find("lanchat_gateway_router_streams " + std::to_string(routers)) == std::string::npos) {
                return false;
            }
        }
        return true;
    }

    // Each node's router_streams gauge, and its log when it has none.
    std::string streams_report() {
        std::string report;
        for (const auto& [name, node] : nodes_) {
            const std::string body = http_request(node.admin, "GET", "/metrics").body;
            const size_t at = body.find("\nlanchat_gateway_router_streams");
            report += name + ": " + (at == std::string::npos ? "no gauge" : body.substr(at + 1, 40)) + "\n";
            if (name == "b") report += node.process->output().substr(0, 20000);
        }
        return report;
    }

    std::unique_ptr<EdgeClient> registered(const std::string& node, const std::string& name) {
        auto client = EdgeClient::connect(edge_endpoint(nodes_.at(node).clients, pki_ / "ca.crt"));
        EXPECT_NE(client, nullptr);
        if (client == nullptr) return client;
        json answer = client->request({{"type", "register"}, {"username", name}, {"password", name + " password"}});
        EXPECT_EQ(answer["type"], "ok") << answer.dump();
        ids_[name] = answer["user"]["id"].get<std::string>();
        return client;
    }

    // Reads what `client` is pushed until it holds `count` posted messages in `channel` (or 10 s pass).
    static void receive(EdgeClient& client, Received& received, const std::string& channel, size_t count) {
        auto posted = [&] {
            size_t n = 0;
            for (const auto& [sequence, body] : received[channel]) n += body != "(joined)";
            return n;
        };
        const auto until = std::chrono::steady_clock::now() + 10s;
        while (posted() < count && std::chrono::steady_clock::now() < until) {
            json frame = client.next_pushed(1s);
            if (frame["type"] != "message") continue;
            const std::string body = frame["event"] == "posted" ? frame["body"].get<std::string>() : "(joined)";
            auto [at, fresh] = received[frame["channel_id"]].emplace(frame["sequence"].get<uint64_t>(), body);
            EXPECT_TRUE(fresh || at->second == body) << "sequence " << at->first << " came twice, differently";
        }
    }

    // Logs `name` in again on another node, as a client whose node went away does.
    std::unique_ptr<EdgeClient> logged_in(const std::string& node, const std::string& name) {
        auto client = EdgeClient::connect(edge_endpoint(nodes_.at(node).clients, pki_ / "ca.crt"));
        EXPECT_NE(client, nullptr);
        if (client == nullptr) return client;
        json answer = client->request({{"type", "auth"}, {"username", name}, {"password", name + " password"}});
        EXPECT_EQ(answer["type"], "ok") << answer.dump();
        return client;
    }

    // Sends until the body is stored (a retry with the same client_message_id stores nothing twice);
    // false when it is refused for good.
    static bool send(EdgeClient& client, const std::string& channel, const std::string& body) {
        json sent =
            client.request({{"type", "send"}, {"channel_id", channel}, {"body", body}, {"client_message_id", body}});
        return sent["type"] == "ok";
    }

    static std::string presence_of(EdgeClient& watcher, const std::string& user) {
        json watched = watcher.request({{"type", "presence.watch"}, {"user_ids", {user}}});
        if (watched["type"] != "ok" || watched["users"].empty()) return "error: " + watched.dump();
        return watched["users"][0]["status"].get<std::string>();
    }

    TempDir dir_;
    fs::path pki_ = dir_.path() / "pki";
    fs::path dsn_file_;
    EtcdCluster etcd_{1};
    std::map<std::string, StartedNode> nodes_;
    std::map<std::string, std::string> ids_;  // by user name
};

TEST_F(ClusterTest, PeopleOnThreeNodesChatInPublicPrivateAndDirectChannelsAndAllSeeOneOrder) {
    auto alice = registered("a", "alice");
    auto bob = registered("b", "bob");
    auto carol = registered("c", "carol");
    ASSERT_TRUE(alice && bob && carol);
    std::vector<std::string> told;
    for (const json& node : alice->hello()["nodes"])
        told.push_back(node["name"].get<std::string>() + "=" + node["address"].get<std::string>());
    EXPECT_EQ(told, (std::vector<std::string>{"a=" + nodes_.at("a").clients, "b=" + nodes_.at("b").clients,
                                              "c=" + nodes_.at("c").clients}))
        << "hello names every node's client edge";

    const std::string lobby =
        alice->request({{"type", "channels.create"}, {"name", "lobby"}})["channel"]["id"].get<std::string>();
    ASSERT_EQ(bob->request({{"type", "channels.join"}, {"channel_id", lobby}})["type"], "ok");
    ASSERT_EQ(carol->request({{"type", "channels.join"}, {"channel_id", lobby}})["type"], "ok");
    json created = bob->request({{"type", "channels.create"}, {"name", "plans"}, {"kind", "private"}});
    const std::string plans = created["channel"]["id"].get<std::string>();
    ASSERT_EQ(bob->request({{"type", "channels.invite"}, {"channel_id", plans}, {"user_id", ids_["carol"]}})["type"],
              "ok");
    json direct = carol->request({{"type", "direct.open"}, {"user_id", ids_["alice"]}});
    const std::string dm = direct["channel"]["id"].get<std::string>();
    for (auto* client : {alice.get(), bob.get(), carol.get()}) {
        ASSERT_EQ(client->request({{"type", "subscribe"}})["type"], "ok");
    }

    // Everyone sends into the lobby through their own node, turn by turn.
    std::set<std::string> said;
    for (int round = 0; round < 4; ++round) {
        for (auto [who, client] : {std::pair{"alice", alice.get()}, {"bob", bob.get()}, {"carol", carol.get()}}) {
            const std::string body = std::string(who) + " " + std::to_string(round);
            json sent =
                client->request({{"type", "send"}, {"channel_id", lobby}, {"body", body}, {"client_message_id", body}});
            ASSERT_EQ(sent["type"], "ok") << sent.dump();
            said.insert(body);
        }
    }
    ASSERT_EQ(bob->request(
                  {{"type", "send"}, {"channel_id", plans}, {"body", "b private"}, {"client_message_id", "p"}})["type"],
              "ok");
    ASSERT_EQ(
        alice->request({{"type", "send"}, {"channel_id", dm}, {"body", "a to c"}, {"client_message_id", "d"}})["type"],
        "ok");

    Received at_a, at_b, at_c;
    receive(*alice, at_a, lobby, said.size());
    receive(*bob, at_b, lobby, said.size());
    receive(*carol, at_c, lobby, said.size());
    receive(*carol, at_c, plans, 1);
    receive(*carol, at_c, dm, 1);
    EXPECT_EQ(at_a[lobby], at_b[lobby]) << "alice on a and bob on b saw the lobby in one order";
    EXPECT_EQ(at_a[lobby], at_c[lobby]) << "alice on a and carol on c saw the lobby in one order";
    std::set<std::string> bodies;
    for (const auto& [sequence, body] : at_b[lobby]) {
        if (body != "(joined)") bodies.insert(body);
    }
    EXPECT_EQ(bodies, said);
    EXPECT_NE(std::find_if(at_c[plans].begin(), at_c[plans].end(), [](auto& e) { return e.second == "b private"; }),
              at_c[plans].end())
        << "carol on c got bob's private message from b";
    EXPECT_NE(std::find_if(at_c[dm].begin(), at_c[dm].end(), [](auto& e) { return e.second == "a to c"; }),
              at_c[dm].end())
        << "carol on c got alice's direct message from a";
    EXPECT_EQ(at_a.count(plans), 0u) << "alice is no member of the private channel";
    EXPECT_EQ(at_b.count(dm), 0u) << "bob is no member of the direct channel";
}

TEST_F(ClusterTest, ANodeKilledWhileEveryoneSendsLosesNothingItsPeopleResumeElsewhereAndTheChainVerifies) {
    auto alice = registered("a", "alice");
    auto bob = registered("b", "bob");
    auto carol = registered("c", "carol");
    ASSERT_TRUE(alice && bob && carol);
    const std::string lobby =
        alice->request({{"type", "channels.create"}, {"name", "lobby"}})["channel"]["id"].get<std::string>();
    for (auto* client : {bob.get(), carol.get()}) {
        ASSERT_EQ(client->request({{"type", "channels.join"}, {"channel_id", lobby}})["type"], "ok");
    }
    for (auto* client : {alice.get(), bob.get(), carol.get()}) {
        ASSERT_EQ(client->request({{"type", "subscribe"}})["type"], "ok");
    }
    EXPECT_EQ(presence_of(*bob, ids_["carol"]), "online") << "carol on c, as bob on b sees her through a's Presence";

    std::set<std::string> acknowledged;
    Received at_carol;
    for (int round = 0; round < 6; ++round) {
        if (round == 3) {
            receive(*carol, at_carol, lobby, acknowledged.size());
            nodes_.at("c").process->send_signal(SIGKILL);
            nodes_.at("c").process->wait_exit();
            EXPECT_TRUE(eventually([&] { return presence_of(*bob, ids_["carol"]) == "offline"; }, 100, 100ms))
                << "carol's device on the dead node goes offline within Presence's TTL";
            // Carol's client reconnects to b and resumes from the last sequence it has.
            carol = logged_in("b", "carol");
            ASSERT_NE(carol, nullptr);
            ASSERT_FALSE(at_carol[lobby].empty()) << "carol was delivered the lobby before the kill";
            json resumed =
                carol->request({{"type", "subscribe"}, {"resume", {{lobby, at_carol[lobby].rbegin()->first}}}});
            ASSERT_EQ(resumed["type"], "ok") << resumed.dump();
        }
        for (auto [who, client] : {std::pair{"alice", alice.get()}, {"bob", bob.get()}, {"carol", carol.get()}}) {
            const std::string body = std::string(who) + " " + std::to_string(round);
            if (send(*client, lobby, body)) acknowledged.insert(body);
        }
    }
    ASSERT_EQ(acknowledged.size(), 18u) << "every send through a live node was acknowledged";
    Received at_alice, at_bob;
    receive(*alice, at_alice, lobby, acknowledged.size());
    receive(*bob, at_bob, lobby, acknowledged.size());
    receive(*carol, at_carol, lobby, acknowledged.size());
    EXPECT_EQ(at_alice[lobby], at_bob[lobby]);
    EXPECT_EQ(at_alice[lobby], at_carol[lobby]) << "carol, across her reconnect, has the log alice has";
    std::set<std::string> bodies;
    uint64_t expected = at_carol[lobby].begin()->first;
    for (const auto& [sequence, body] : at_carol[lobby]) {
        EXPECT_EQ(sequence, expected++) << "no gap in what carol was delivered";
        if (body != "(joined)") {
            EXPECT_TRUE(bodies.insert(body).second) << body << " twice";
        }
    }
    EXPECT_EQ(bodies, acknowledged);

    Completed verified = run_to_exit(
        {kLanchatctl, "audit", "verify", "--grpc", nodes_.at("a").grpc, "--pki", pki_.string(), "--operator", "admin"});
    EXPECT_EQ(verified.exit_code, 0) << verified.output;
}

}  // namespace
}  // namespace lanchat
