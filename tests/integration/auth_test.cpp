// Identity, Auth and Audit together on a real node, through the mesh: an operator creates a user with
// lanchatctl, the client edge (a gateway certificate) logs in, validates, refreshes, replays, logs out, and
// every event is in the audit chain, which verifies. State survives kill -9.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "build_paths.hpp"
#include "child_process.hpp"
#include "eventually.hpp"
#include "grpc_client.hpp"
#include "lanchat/audit/v1/audit.pb.h"
#include "lanchat/auth/v1/auth.pb.h"
#include "lanchat/identity/v1/identity.pb.h"
#include "parsed_reply.hpp"
#include "service_node.hpp"
#include "temp_dir.hpp"

namespace lanchat {
namespace {

using namespace lanchat::testing;
namespace fs = std::filesystem;

const std::string kAuth = "/lanchat.auth.v1.Auth/";

class AuthFlowTest : public ::testing::Test {
protected:
    void SetUp() override {
        make_service_pki(kLanchatctl, pki_, "audit,identity,auth", "gateway", {"ops"});
        write_node_file({"audit", "identity", "auth"});
    }

    void write_node_file(const std::vector<std::string>& names) {
        std::vector<std::pair<std::string, std::string>> plugins;
        // The cheapest Argon2id the plugin accepts keeps the suite fast; the code path is the same.
        for (const std::string& name : names) {
            plugins.emplace_back(name, name == "identity" ? "argon2_memory_kib = 8192\nargon2_iterations = 1" : "");
        }
        dir_.write("n.toml", service_node_file(pki_, kPluginDir, plugins));
    }

    void start() {
        std::tie(node_, address_) = start_service_node(kLanchatd, dir_.path() / "n.toml");
        gateway_ =
            channel_to(address_, pki_ / "ca.crt",
                       {pki_ / "nodes/clients/gateway.crt", pki_ / "nodes/clients/gateway.key"}, "auth.lan-chat.svc");
        operator_ =
            channel_to(address_, pki_ / "ca.crt",
                       {pki_ / "clients/operator-ops.crt", pki_ / "clients/operator-ops.key"}, "audit.lan-chat.svc");
    }

    testing::Completed ctl(std::vector<std::string> args, std::optional<std::string> input = std::nullopt) {
        args.insert(args.begin(), kLanchatctl);
        args.insert(args.end(), {"--grpc", address_, "--pki", pki_.string(), "--operator", "ops"});
        return run_to_exit(args, std::chrono::seconds(30), std::move(input));
    }

    Reply login(const std::string& user, const std::string& password, const std::string& source = "192.0.2.1") {
        auth::v1::LoginRequest request;
        request.set_username(user);
        request.set_password(password);
        request.mutable_client()->set_source(source);
        return call(gateway_, kAuth + "Login", request.SerializeAsString());
    }

    Reply refresh(const std::string& token) {
        auth::v1::RefreshRequest request;
        request.set_refresh_token(token);
        return call(gateway_, kAuth + "Refresh", request.SerializeAsString());
    }

    Reply validate(const std::string& token) {
        auth::v1::ValidateRequest request;
        request.set_access_token(token);
        return call(gateway_, kAuth + "Validate", request.SerializeAsString());
    }

    // The audit entries Auth recorded so far (it sends them through its outbox, so they may lag a moment);
    // Identity's entries of the operators' changes are left out.
    // The entries recorded by `service` (its SPIFFE ID's last part), once there are at least `at_least`.
    std::vector<audit::v1::Entry> audit_entries(size_t at_least, const std::string& service = "auth") {
        std::vector<audit::v1::Entry> entries;
        eventually(
            [&] {
                auto page = parsed<audit::v1::QueryReply>(call(operator_, "/lanchat.audit.v1.Audit/Query", ""));
                entries.clear();
                for (const auto& entry : page.entries()) {
                    if (entry.recorded_by() == "spiffe://lan-chat.test/svc/" + service) entries.push_back(entry);
                }
                return entries.size() >= at_least;
            },
            100, std::chrono::milliseconds(100));
        return entries;
    }

    TempDir dir_;
    fs::path pki_ = dir_.path() / "pki";
    std::unique_ptr<ChildProcess> node_;
    std::string address_;
    std::shared_ptr<grpc::Channel> gateway_, operator_;
};

TEST_F(AuthFlowTest, LoginValidateRefreshReplayLogoutAllAudited) {
    start();
    auto added = ctl({"user", "add", "alice", "--role", "admin", "--display-name", "Alice A."}, "correct horse\n");
    ASSERT_EQ(added.exit_code, 0) << added.output;
    EXPECT_EQ(added.output.rfind("added alice (admin, id u_", 0), 0u) << added.output;
    auto listed = ctl({"user", "list", "--json"});
    ASSERT_EQ(listed.exit_code, 0) << listed.output;
    auto users = nlohmann::json::parse(listed.output);
    ASSERT_EQ(users.size(), 1u);
    EXPECT_EQ(users[0]["display_name"], "Alice A.");
    EXPECT_EQ(users[0]["role"], "admin");

    auto first = parsed<auth::v1::LoginReply>(login("alice", "correct horse"));
    auto claims = parsed<auth::v1::ValidateReply>(validate(first.access_token())).claims();
    EXPECT_EQ(claims.username(), "alice");
    EXPECT_EQ(claims.roles(0), "admin");
    EXPECT_EQ(claims.subject(), users[0]["id"]);

    auto second = parsed<auth::v1::LoginReply>(refresh(first.refresh_token()));
    EXPECT_TRUE(validate(second.access_token()).status.ok());
    Reply replay = refresh(first.refresh_token());
    EXPECT_EQ(replay.status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_NE(replay.status.error_message().find("already used"), std::string::npos) << replay.status.error_message();
    EXPECT_EQ(refresh(second.refresh_token()).status.error_code(), grpc::StatusCode::UNAUTHENTICATED);

    auto third = parsed<auth::v1::LoginReply>(login("alice", "correct horse"));
    auth::v1::LogoutRequest logout;
    logout.set_refresh_token(third.refresh_token());
    logout.set_access_token(third.access_token());
    EXPECT_TRUE(call(gateway_, kAuth + "Logout", logout.SerializeAsString()).status.ok());
    Reply revoked = validate(third.access_token());
    EXPECT_EQ(revoked.status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_NE(revoked.status.error_message().find("revoked"), std::string::npos);

    Reply wrong = login("alice", "wrong horse", "192.0.2.2");
    Reply unknown = login("mallory", "correct horse", "192.0.2.3");
    EXPECT_EQ(wrong.status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(wrong.status.error_message(), unknown.status.error_message());

    auto entries = audit_entries(7);
    std::vector<std::string> actions;
    for (const auto& entry : entries) {
        actions.push_back(entry.action());
        EXPECT_EQ(entry.recorded_by(), "spiffe://lan-chat.test/svc/auth");
    }
    EXPECT_EQ(actions, (std::vector<std::string>{"login", "refresh", "refresh_reuse", "login", "logout", "login_failed",
                                                 "login_failed"}));
    EXPECT_EQ(entries[0].actor(), "user:alice");
    auto verified = ctl({"audit", "verify"});
    EXPECT_EQ(verified.exit_code, 0) << verified.output;
    // Auth's seven and Identity's record of the operator adding alice.
    EXPECT_EQ(verified.output.rfind("audit chain intact: 8 entries, signed checkpoint at entry 8 ", 0), 0u)
        << verified.output;
}

TEST_F(AuthFlowTest, OperatorsDisableAndResetUsersAndOnlyAuthVerifiesPasswords) {
    start();
    ASSERT_EQ(ctl({"user", "add", "bob"}, "password one\n").exit_code, 0);
    EXPECT_EQ(ctl({"user", "add", "bob"}, "password two\n").exit_code, 1);
    auto short_password = ctl({"user", "add", "carol"}, "short\n");
    EXPECT_EQ(short_password.exit_code, 1);
    EXPECT_NE(short_password.output.find("password must be 8"), std::string::npos) << short_password.output;

    ASSERT_EQ(ctl({"user", "disable", "bob"}).exit_code, 0);
    Reply disabled = login("bob", "password one");
    EXPECT_EQ(disabled.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_NE(disabled.status.error_message().find("disabled"), std::string::npos);
    ASSERT_EQ(ctl({"user", "enable", "bob"}).exit_code, 0);
    ASSERT_EQ(ctl({"user", "passwd", "bob"}, "password two\n").exit_code, 0);
    EXPECT_EQ(login("bob", "password one").status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_TRUE(login("bob", "password two").status.ok());

    // The gateway may read users but not test passwords; nobody but an operator may create them.
    auto identity =
        channel_to(address_, pki_ / "ca.crt", {pki_ / "nodes/clients/gateway.crt", pki_ / "nodes/clients/gateway.key"},
                   "identity.lan-chat.svc");
    identity::v1::VerifyPasswordRequest verify;
    verify.set_username("bob");
    verify.set_password("password two");
    EXPECT_EQ(
        call(identity, "/lanchat.identity.v1.Identity/VerifyPassword", verify.SerializeAsString()).status.error_code(),
        grpc::StatusCode::PERMISSION_DENIED);
    identity::v1::LookupUserRequest lookup;
    lookup.set_username("bob");
    EXPECT_TRUE(call(identity, "/lanchat.identity.v1.Identity/LookupUser", lookup.SerializeAsString()).status.ok());
    auto keys = parsed<auth::v1::KeysReply>(call(operator_, kAuth + "Keys", ""));  // the operators' call
    ASSERT_EQ(keys.keys_size(), 1);
    EXPECT_EQ(nlohmann::json::parse(keys.keys(0).jwk())["crv"], "P-256");
}

// An unknown user costs the same Argon2id verification as a wrong password, so timing does not tell them
// apart. Medians of several attempts, each from its own source so the throttle stays out of the way.
TEST_F(AuthFlowTest, UnknownUserTakesAboutAsLongAsAWrongPassword) {
    start();
    ASSERT_EQ(ctl({"user", "add", "dave"}, "password one\n").exit_code, 0);
    auto median_ms = [&](const std::string& user, int offset) {
        std::vector<double> times;
        for (int i = 0; i < 3; ++i) {
            auto begin = std::chrono::steady_clock::now();
            Reply reply = login(user, "not the password", "198.51.100." + std::to_string(offset + i));
            times.push_back(
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - begin).count());
            EXPECT_EQ(reply.status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
        }
        std::sort(times.begin(), times.end());
        return times[1];
    };
    median_ms("warm-up", 0);  // channels and caches; three failures each stay within the throttle's free ones
    const double wrong = median_ms("dave", 10);
    const double unknown = median_ms("nobody-here", 20);
    EXPECT_GT(unknown, wrong * 0.5) << "wrong password " << wrong << " ms, unknown user " << unknown << " ms";
    EXPECT_LT(unknown, wrong * 2.0) << "wrong password " << wrong << " ms, unknown user " << unknown << " ms";
}

TEST_F(AuthFlowTest, SessionsAndKeysSurviveKillDashNine) {
    start();
    ASSERT_EQ(ctl({"user", "add", "erin"}, "password one\n").exit_code, 0);
    auto pair = parsed<auth::v1::LoginReply>(login("erin", "password one"));
    node_->send_signal(SIGKILL);
    node_->wait_exit();
    start();
    EXPECT_TRUE(validate(pair.access_token()).status.ok());  // the signing key was durable
    auto rotated = parsed<auth::v1::LoginReply>(refresh(pair.refresh_token()));
    EXPECT_EQ(rotated.claims().username(), "erin");
    // The login entry was queued durably before the node died; it reaches Audit after the restart.
    auto entries = audit_entries(2);
    ASSERT_GE(entries.size(), 2u);
    EXPECT_EQ(entries[0].action(), "login");
    EXPECT_EQ(entries[1].action(), "refresh");
    node_->send_signal(SIGTERM);
    EXPECT_EQ(node_->wait_exit(), 0);
}

// Without Audit, logins go on; the entries wait in Auth's outbox and reach Audit once it runs, in order,
// each exactly once. So does Identity's record of the operator adding the user, committed with the user.
TEST_F(AuthFlowTest, AnAbsentAuditDelaysTheRecordNotTheLogin) {
    write_node_file({"identity", "auth"});
    start();
    ASSERT_EQ(ctl({"user", "add", "frank"}, "password one\n").exit_code, 0);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(login("frank", "password one").status.ok());
    EXPECT_TRUE(node_->wait_for_line("audit append failed; will retry"));
    write_node_file({"identity", "auth", "audit"});
    node_->send_signal(SIGHUP);
    ASSERT_TRUE(node_->wait_for_line("SIGHUP: node file applied")) << node_->output();
    auto entries = audit_entries(3);
    std::vector<std::string> actions;
    for (const auto& entry : entries) actions.push_back(entry.action());
    EXPECT_EQ(actions, (std::vector<std::string>{"login", "login", "login"})) << node_->output();
    // The outbox sends in order: a duplicate of any of the three would arrive before a fourth login's entry.
    ASSERT_TRUE(login("frank", "password one").status.ok());
    actions.clear();
    for (const auto& entry : audit_entries(4)) actions.push_back(entry.action());
    EXPECT_EQ(actions, (std::vector<std::string>{"login", "login", "login", "login"})) << node_->output();
    auto added = audit_entries(1, "identity");
    ASSERT_EQ(added.size(), 1u) << node_->output();
    EXPECT_EQ(added[0].action(), "user_create");
    EXPECT_EQ(added[0].target(), "user:frank");
    EXPECT_EQ(added[0].outcome(), "ok");
    node_->send_signal(SIGTERM);
    EXPECT_EQ(node_->wait_exit(), 0);
}

}  // namespace
}  // namespace lanchat
