// Operators' actions and the accounts they change, on a real node reached the way people and operators
// reach it: the client edge over WebSocket/TLS, lanchatctl over mTLS and the loopback admin endpoint.
// Operators' changes are in the audit chain with who made them; a flood of registrations delays neither a
// login nor the closing of idle connections; disabling a user, revoking a device and logging out end the
// sessions they concern within seconds.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "build_paths.hpp"
#include "child_process.hpp"
#include "eventually.hpp"
#include "grpc_client.hpp"
#include "lanchat/audit/v1/audit.pb.h"
#include "parsed_reply.hpp"
#include "service_node.hpp"
#include "temp_dir.hpp"
#include "websocket_client.hpp"

namespace lanchat {
namespace {

using json = nlohmann::json;
using lanchat::client::Endpoint;
using lanchat::client::WebSocketClient;
using namespace lanchat::testing;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// One greeted connection: requests with ids, and how it ended.
class Connection {
public:
    explicit Connection(std::unique_ptr<WebSocketClient> socket) : socket_(std::move(socket)) {}

    void send(json frame) { EXPECT_TRUE(socket_->send(frame.dump()).ok()); }
    // The answer to `frame` (frames in between are dropped); type "(ended)" when the connection closed.
    json request(json frame, std::chrono::milliseconds timeout = 5s) {
        std::string id = "r" + std::to_string(++requests_);
        frame["id"] = id;
        send(frame);
        for (;;) {
            auto text = socket_->receive(timeout);
            if (!text.ok()) return {{"type", "(ended)"}, {"why", text.status().message()}};
            json answer = json::parse(*text);
            if (answer.value("id", "") == id) return answer;
        }
    }
    json ok(json frame) {
        json answer = request(frame);
        EXPECT_EQ(answer["type"], "ok") << frame.dump() << " -> " << answer.dump();
        return answer;
    }
    // Reads until the server closes; returns the close code (0 if it stays open for `timeout`).
    uint16_t closed_within(std::chrono::milliseconds timeout) {
        auto until = Clock::now() + timeout;
        while (Clock::now() < until) {
            auto text = socket_->receive(std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()));
            if (!text.ok()) return socket_->close_code();
        }
        return 0;
    }
    const std::string& close_reason() const { return socket_->close_reason(); }

private:
    std::unique_ptr<WebSocketClient> socket_;
    int requests_ = 0;
};

class AccountSecurityTest : public ::testing::Test {
protected:
    void SetUp() override {
        make_service_pki(kLanchatctl, pki_, "audit,identity,auth,channel,router,presence,gateway", "gateway",
                         {"admin"});
        auto device = run_to_exit({kLanchatctl, "pki", "issue-client", "--dir", pki_.string(), "--device", "laptop"});
        ASSERT_EQ(device.exit_code, 0) << device.output;
    }

    void TearDown() override {
        if (HasFailure() && node_ != nullptr) std::cerr << "--- node output ---\n" << node_->output() << "\n";
    }

    void start(const std::string& identity_config = "argon2_memory_kib = 8192\nargon2_iterations = 1",
               const std::string& gateway_config = "") {
        std::string file =
            service_node_file(pki_, kPluginDir,
                              {{"audit", ""},
                               {"identity", identity_config},
                               {"auth", ""},
                               {"channel", ""},
                               {"router", ""},
                               {"presence", ""},
                               {"gateway", "allow_registration = true\nsession_recheck_ms = 500\n" + gateway_config}});
        file += "[admin]\nlisten = \"127.0.0.1:0\"\n[client_edge]\nlisten = \"127.0.0.1:0\"\n";
        dir_.write("n.toml", file);
        node_ = std::make_unique<ChildProcess>(std::vector<std::string>{kLanchatd, (dir_.path() / "n.toml").string()});
        auto ready = node_->wait_for_line("\"node ready\"", std::chrono::seconds(60));  // slow under ASan
        ASSERT_TRUE(ready) << node_->output();
        json fields = json::parse(*ready)["fields"];
        grpc_ = fields["grpc"];
        admin_ = fields["admin"];
        std::string clients = fields["clients"];  // https://127.0.0.1:PORT/
        ASSERT_TRUE(client::parse_address(clients.substr(8, clients.size() - 9), endpoint_).ok()) << clients;
        endpoint_.ca = pki_ / "ca.crt";
        laptop_ = endpoint_;  // the same node, with the laptop's device certificate
        laptop_.certificate = pki_ / "clients/device-laptop.crt";
        laptop_.key = pki_ / "clients/device-laptop.key";
    }

    Completed ctl(std::vector<std::string> args, std::optional<std::string> input = std::nullopt) {
        args.insert(args.begin(), kLanchatctl);
        args.insert(args.end(), {"--grpc", grpc_, "--pki", pki_.string(), "--operator", "admin"});
        return run_to_exit(args, 30s, std::move(input));
    }

    std::unique_ptr<Connection> connect(const Endpoint& endpoint) {
        auto socket = WebSocketClient::connect(endpoint, 5s);
        EXPECT_TRUE(socket.ok()) << socket.status().message();
        if (!socket.ok()) return nullptr;
        return std::make_unique<Connection>(std::move(socket).value());  // its hello is skipped by request()
    }
    std::unique_ptr<Connection> connect() { return connect(endpoint_); }

    std::unique_ptr<Connection> login(const std::string& name, const std::string& password, json* answer = nullptr,
                                      const Endpoint* endpoint = nullptr) {
        auto connection = connect(endpoint != nullptr ? *endpoint : endpoint_);
        json reply = connection->ok({{"type", "auth"}, {"username", name}, {"password", password}});
        if (answer != nullptr) *answer = reply;
        return connection;
    }

    // "actor action target outcome" of every audit entry, once at least `at_least` are there.
    std::vector<std::string> audit_lines(size_t at_least) {
        auto audit = channel_to(grpc_, pki_ / "ca.crt",
                                {pki_ / "clients/operator-admin.crt", pki_ / "clients/operator-admin.key"},
                                "audit.lan-chat.svc");
        std::vector<std::string> lines;
        eventually(
            [&] {
                auto page = parsed<audit::v1::QueryReply>(call(audit, "/lanchat.audit.v1.Audit/Query", ""));
                lines.clear();
                for (const auto& entry : page.entries()) {
                    lines.push_back(entry.actor() + " " + entry.action() + " " + entry.target() + " " +
                                    entry.outcome());
                }
                return lines.size() >= at_least;
            },
            100, 100ms);
        return lines;
    }

    TempDir dir_;
    fs::path pki_ = dir_.path() / "pki";
    std::unique_ptr<ChildProcess> node_;
    std::string grpc_, admin_;
    Endpoint endpoint_, laptop_;
};

bool contains(const std::vector<std::string>& lines, const std::string& line) {
    return std::find(lines.begin(), lines.end(), line) != lines.end();
}

TEST_F(AccountSecurityTest, EveryOperatorActionIsAuditedWithTheOperatorAndFailedOnesAsFailed) {
    start();
    ASSERT_EQ(ctl({"user", "add", "bob"}, "password one\n").exit_code, 0);
    EXPECT_EQ(ctl({"user", "add", "bob"}, "password two\n").exit_code, 1);
    ASSERT_EQ(ctl({"user", "disable", "bob"}).exit_code, 0);
    ASSERT_EQ(ctl({"user", "enable", "bob"}).exit_code, 0);
    ASSERT_EQ(ctl({"user", "passwd", "bob"}, "password two\n").exit_code, 0);
    login("bob", "password two", nullptr, &laptop_);  // registers the laptop as bob's device
    auto devices = ctl({"user", "devices", "bob"});
    ASSERT_EQ(devices.exit_code, 0) << devices.output;
    const std::string device_id = devices.output.substr(0, devices.output.find('\t'));
    auto revoked = ctl({"user", "revoke-device", "bob", device_id});
    ASSERT_EQ(revoked.exit_code, 0) << revoked.output;
    EXPECT_EQ(ctl({"user", "revoke-device", "bob", "d_not_his"}).exit_code, 1);
    const std::string admin_url = admin_;  // http://127.0.0.1:PORT
    auto reload = run_to_exit({kLanchatctl, "--admin", admin_url, "reload", "presence"});
    ASSERT_EQ(reload.exit_code, 0) << reload.output;
    EXPECT_EQ(run_to_exit({kLanchatctl, "--admin", admin_url, "reload", "nosuch"}).exit_code, 1);

    const std::string op = "spiffe://lan-chat.test/operator/admin ";
    const std::string local = "local operator (loopback admin endpoint) ";
    const std::vector<std::string> expected = {
        op + "user_create user:bob ok",
        op + "user_create user:bob failed",
        op + "user_disable user:bob ok",
        op + "user_enable user:bob ok",
        op + "user_password user:bob ok",
        op + "device_revoke device:" + device_id + " ok",
        local + "plugin_reload plugin:presence ok",
        local + "plugin_reload plugin:nosuch failed",
    };
    std::vector<std::string> lines = audit_lines(expected.size() + 1);  // and bob's login, which Auth records
    for (const std::string& line : expected) EXPECT_TRUE(contains(lines, line)) << line;
    auto verified = ctl({"audit", "verify"});
    EXPECT_EQ(verified.exit_code, 0) << verified.output;
}

// Argon2id at a cost that matters (32 MiB, two passes): 200 registrations would keep two threads busy for
// seconds. They are throttled at the edge and hashed on Identity's own pool, so the node's timers and a
// login go on.
TEST_F(AccountSecurityTest, ARegistrationFloodDelaysNeitherALoginNorTheAuthTimeout) {
    start("argon2_memory_kib = 32768\nargon2_iterations = 2", "auth_timeout_ms = 2000\nburst = 50");
    ASSERT_EQ(ctl({"user", "add", "alice"}, "alice password\n").exit_code, 0);
    auto idle = connect();
    const auto idle_since = Clock::now();
    std::vector<std::unique_ptr<Connection>> flooders;
    for (int c = 0; c < 5; ++c) {
        flooders.push_back(connect());
        for (int i = 0; i < 40; ++i) {
            const std::string name = "flood" + std::to_string(c) + "x" + std::to_string(i);
            flooders.back()->send({{"type", "register"}, {"id", name}, {"username", name}, {"password", "a password"}});
        }
    }
    auto login_started = Clock::now();
    auto alice = connect();
    json answer = alice->request({{"type", "auth"}, {"username", "alice"}, {"password", "alice password"}}, 10s);
    EXPECT_EQ(answer["type"], "ok") << answer.dump();
    EXPECT_LT(Clock::now() - login_started, 2s);
    EXPECT_EQ(idle->closed_within(4s), 4001);
    EXPECT_LT(Clock::now() - idle_since, 3500ms);
}

TEST_F(AccountSecurityTest, DisablingAUserClosesTheirOpenConnectionsAndRefusesTheirTokens) {
    start();
    ASSERT_EQ(ctl({"user", "add", "eli"}, "eli password\n").exit_code, 0);
    json auth;
    auto terminal = login("eli", "eli password", &auth);
    auto browser = connect();
    browser->ok({{"type", "auth"}, {"token", auth["access_token"]}});
    ASSERT_EQ(ctl({"user", "disable", "eli"}).exit_code, 0);
    EXPECT_EQ(terminal->closed_within(3s), 4003);
    EXPECT_NE(terminal->close_reason().find("account disabled"), std::string::npos) << terminal->close_reason();
    EXPECT_EQ(browser->closed_within(1s), 4003);
    EXPECT_EQ(connect()->request({{"type", "auth"}, {"token", auth["access_token"]}})["code"], "token_invalid");
    EXPECT_EQ(connect()->request({{"type", "auth"}, {"refresh_token", auth["refresh_token"]}})["code"], "forbidden");
}

TEST_F(AccountSecurityTest, ARevokedDevicesConnectionsCloseAndItsRefreshIsRefused) {
    start();
    ASSERT_EQ(ctl({"user", "add", "fay"}, "fay password\n").exit_code, 0);
    json auth;
    auto laptop = login("fay", "fay password", &auth, &laptop_);
    auto phone = login("fay", "fay password");  // no device certificate: not bound, not revoked
    auto devices = ctl({"user", "devices", "fay"});
    ASSERT_EQ(devices.exit_code, 0) << devices.output;
    ASSERT_EQ(ctl({"user", "revoke-device", "fay", devices.output.substr(0, devices.output.find('\t'))}).exit_code, 0);
    EXPECT_EQ(laptop->closed_within(3s), 4003);
    EXPECT_NE(laptop->close_reason().find("device revoked"), std::string::npos) << laptop->close_reason();
    auto again = connect(laptop_);
    EXPECT_EQ(again->request({{"type", "auth"}, {"refresh_token", auth["refresh_token"]}})["code"], "forbidden");
    // A token bound to no device, used on a connection that shows the revoked laptop's certificate: the
    // recheck asks about the token's device claim (none), not about the certificate.
    json phone_auth = phone->ok({{"type", "auth"}, {"username", "fay"}, {"password", "fay password"}});
    auto borrowed = connect(laptop_);
    borrowed->ok({{"type", "auth"}, {"token", phone_auth["access_token"]}});
    std::this_thread::sleep_for(700ms);  // another round of rechecks
    phone->ok({{"type", "ping"}});
    borrowed->ok({{"type", "ping"}});
}

TEST_F(AccountSecurityTest, LoggingOutRevokesTheSessionsTokenEverywhere) {
    start();
    ASSERT_EQ(ctl({"user", "add", "gus"}, "gus password\n").exit_code, 0);
    json auth;
    auto first = login("gus", "gus password", &auth);
    auto second = connect();
    second->ok({{"type", "auth"}, {"token", auth["access_token"]}});
    first->ok({{"type", "logout"}});  // without its refresh token
    EXPECT_EQ(first->closed_within(2s), 1000);
    EXPECT_EQ(second->closed_within(3s), 4003);
    EXPECT_NE(second->close_reason().find("logged out"), std::string::npos) << second->close_reason();
    EXPECT_EQ(connect()->request({{"type", "auth"}, {"token", auth["access_token"]}})["code"], "token_invalid");
}

}  // namespace
}  // namespace lanchat
