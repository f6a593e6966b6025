// A node whose stores all live in PostgreSQL (store = "postgresql" for Audit, Identity, Auth and Channel, the
// DSN in a file of its own): people chat through it as through the SQLite default, what they said is in the
// shared database, and a lost PostgreSQL refuses sends.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "build_paths.hpp"
#include "child_process.hpp"
#include "edge_client.hpp"
#include "eventually.hpp"
#include "postgres_server.hpp"
#include "service_node.hpp"
#include "temp_dir.hpp"

namespace lanchat {
namespace {

using json = nlohmann::json;
using namespace lanchat::testing;
using namespace std::chrono_literals;

[[maybe_unused]] const auto* const kPostgres = ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);

class PostgresStoreTest : public ::testing::Test {
protected:
    // The chat services of chat_node_file(), each store with `store_config` in its [plugin.config].
    std::filesystem::path chat_node(const std::string& store_config) {
        std::string file =
            service_node_file(pki_, kPluginDir,
                              {{"audit", store_config},
                               {"identity", "argon2_memory_kib = 8192\nargon2_iterations = 1\n" + store_config},
                               {"auth", store_config},
                               {"channel", store_config},
                               {"router", ""},
                               {"presence", ""},
                               {"gateway", "allow_registration = true"}});
        return dir_.write("n.toml", file + "[client_edge]\nlisten = \"127.0.0.1:0\"\n");
    }

    // A node hosting Channel alone, for --check.
    std::filesystem::path channel_node(const std::string& channel_config) {
        return dir_.write("channel.toml", service_node_file(pki_, kPluginDir, {{"channel", channel_config}}));
    }

    std::unique_ptr<EdgeClient> registered(const client::Endpoint& edge, const std::string& name) {
        auto client = EdgeClient::connect(edge);
        EXPECT_NE(client, nullptr);
        json answer = client->request({{"type", "register"}, {"username", name}, {"password", name + " password"}});
        EXPECT_EQ(answer["type"], "ok") << answer.dump();
        return client;
    }

    TempDir dir_;
    std::filesystem::path pki_ = dir_.path() / "pki";
};

TEST_F(PostgresStoreTest, TwoUsersChatThroughANodeWhoseStoresLiveInPostgresqlAndALostServerRefusesSends) {
    make_service_pki(kLanchatctl, pki_, kChatServices, "gateway");
    const std::string dsn = PostgresEnvironment::server().create_database();
    const std::filesystem::path dsn_file = dir_.write("stores.dsn", dsn + "\n");
    StartedNode node =
        start_node(kLanchatd, chat_node("store = \"postgresql\"\npostgres_dsn_file = \"" + dsn_file.string() + "\""));
    const client::Endpoint edge = edge_endpoint(node.clients, pki_ / "ca.crt");

    auto alice = registered(edge, "alice");
    auto bob = registered(edge, "bob");
    const std::string channel =
        alice->request({{"type", "channels.create"}, {"name", "lobby"}})["channel"]["id"].get<std::string>();
    ASSERT_EQ(bob->request({{"type", "channels.join"}, {"channel_id", channel}})["type"], "ok");
    ASSERT_EQ(bob->request({{"type", "subscribe"}})["type"], "ok");

    json sent =
        alice->request({{"type", "send"}, {"channel_id", channel}, {"body", "hello bob"}, {"client_message_id", "m1"}});
    ASSERT_EQ(sent["type"], "ok") << sent.dump();
    EXPECT_EQ(sent["sequence"], 3);  // after alice's and bob's JOINED events
    json delivered = bob->next_pushed(5s);
    while (delivered["type"] == "message" && delivered["event"] == "joined") delivered = bob->next_pushed(5s);
    EXPECT_EQ(delivered["body"], "hello bob") << delivered.dump();
    EXPECT_EQ(alice->request({{"type", "send"},
                              {"channel_id", channel},
                              {"body", "hello bob"},
                              {"client_message_id", "m1"}})["duplicate"],
              true);
    ASSERT_EQ(
        bob->request(
            {{"type", "send"}, {"channel_id", channel}, {"body", "hi alice"}, {"client_message_id", "b1"}})["type"],
        "ok");

    json history = alice->request({{"type", "history"}, {"channel_id", channel}, {"after", 0}, {"limit", 10}});
    ASSERT_EQ(history["messages"].size(), 4u) << history.dump();
    EXPECT_EQ(history["messages"][2]["body"], "hello bob");
    EXPECT_EQ(history["messages"][3]["body"], "hi alice");
    EXPECT_EQ(PostgresServer::value(dsn,
                                    "SELECT string_agg(body, '|' ORDER BY sequence) FROM messages "
                                    "WHERE event = 1"),
              "hello bob|hi alice");
    EXPECT_EQ(PostgresServer::value(dsn,
                                    "SELECT string_agg(store || '=' || version, ',' ORDER BY store) FROM "
                                    "lanchat_schema"),
              "audit store=1,auth store=2,channel store=2,identity store=2");
    EXPECT_EQ(PostgresServer::value(dsn, "SELECT string_agg(username, ',' ORDER BY username) FROM users"), "alice,bob");
    EXPECT_TRUE(
        eventually([&] { return PostgresServer::value(dsn, "SELECT count(*) FROM entries") != "0"; }, 50, 100ms))
        << "the audit record (channel created, members joined) reaches Audit's table";

    // PostgreSQL goes away: a send is refused `unavailable`, and nothing of it is stored.
    PostgresEnvironment::server().stop();
    json refused = alice->request(
        {{"type", "send"}, {"channel_id", channel}, {"body", "still there?"}, {"client_message_id", "m2"}});
    PostgresEnvironment::server().start();
    EXPECT_EQ(refused["code"], "unavailable") << refused.dump();
    EXPECT_EQ(PostgresServer::value(dsn, "SELECT count(*) FROM messages WHERE client_message_id = 'm2'"), "0");
}

TEST_F(PostgresStoreTest, ContradictoryStoreSettingsAreRefusedByCheckNamingTheSetting) {
    make_service_pki(kLanchatctl, pki_, "channel", "gateway");
    const std::vector<std::pair<std::string, std::string>> refused = {
        {"store = \"postgresql\"", "needs exactly one of postgres_dsn and postgres_dsn_file, not neither"},
        {"store = \"mysql\"", "mysql\\\": it must be"},
        {"postgres_dsn = \"host=db\"", "postgres_dsn is set but store is"},
        {"store = \"postgresql\"\npostgres_dsn_file = \"/nonexistent/dsn\"", "postgres_dsn_file /nonexistent/dsn"},
        {"store = \"postgresql\"\npostgres_dsn = \"host=127.0.0.1 port=1 connect_timeout=2\"",
         "cannot connect to PostgreSQL at 127.0.0.1:1"},
    };
    for (const auto& [config, error] : refused) {
        Completed check = run_to_exit({kLanchatd, "--check", channel_node(config).string()});
        EXPECT_NE(check.exit_code, 0) << config;
        EXPECT_NE(check.output.find(error), std::string::npos) << config << "\n" << check.output;
    }
    Completed described =
        run_to_exit({kLanchatd, "--describe", (std::filesystem::path(kPluginDir) / "channel.so").string()});
    for (const char* setting : {"store", "postgres_dsn", "postgres_dsn_file"}) {
        EXPECT_NE(described.output.find(setting), std::string::npos) << described.output;
    }
}

}  // namespace
}  // namespace lanchat
