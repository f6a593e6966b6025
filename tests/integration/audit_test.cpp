// The Audit plugin on a real node through the mesh: appended by a seed service, read by an operator,
// durable across kill -9.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>

#include "build_paths.hpp"
#include "child_process.hpp"
#include "grpc_client.hpp"
#include "lanchat/audit/v1/audit.pb.h"
#include "service_node.hpp"
#include "temp_dir.hpp"

namespace lanchat {
namespace {

using namespace lanchat::testing;
namespace fs = std::filesystem;
namespace v1 = lanchat::audit::v1;

class AuditTest : public ::testing::Test {
protected:
    void SetUp() override {
        make_service_pki(kLanchatctl, pki_, "audit", "router,gateway", {"alice"});
        dir_.write("n.toml", service_node_file(pki_, kPluginDir, {{"audit", ""}}));
    }
    std::string start() {
        std::string address;
        std::tie(node_, address) = start_service_node(kLanchatd, dir_.path() / "n.toml");
        return address;
    }
    std::shared_ptr<grpc::Channel> as(const std::string& address, const fs::path& certificate, const fs::path& key) {
        return channel_to(address, pki_ / "ca.crt", {certificate, key}, "audit.lan-chat.svc");
    }
    std::shared_ptr<grpc::Channel> as_service(const std::string& address, const std::string& service) {
        return as(address, pki_ / "nodes/clients" / (service + ".crt"), pki_ / "nodes/clients" / (service + ".key"));
    }
    std::shared_ptr<grpc::Channel> as_operator(const std::string& address) {
        return as(address, pki_ / "clients/operator-alice.crt", pki_ / "clients/operator-alice.key");
    }

    TempDir dir_;
    fs::path pki_ = dir_.path() / "pki";
    std::unique_ptr<ChildProcess> node_;
};

TEST_F(AuditTest, AcknowledgedAppendsSurviveKillDashNineAndTheChainVerifies) {
    std::string address = start();
    auto router = as_service(address, "router");
    for (int i = 0; i < 20; ++i) {
        v1::AppendRequest request;
        request.set_actor("user:alice");
        request.set_action(i % 2 ? "login" : "logout");
        request.set_outcome("ok");
        auto reply = call(router, "/lanchat.audit.v1.Audit/Append", request.SerializeAsString());
        ASSERT_TRUE(reply.status.ok()) << reply.status.error_message();
    }
    // Only the seed's services append; only operators read.
    v1::AppendRequest intruding;
    intruding.set_actor("x");
    intruding.set_action("y");
    intruding.set_outcome("z");
    EXPECT_EQ(call(as_service(address, "gateway"), "/lanchat.audit.v1.Audit/Append", intruding.SerializeAsString())
                  .status.error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(call(router, "/lanchat.audit.v1.Audit/Verify", "").status.error_code(),
              grpc::StatusCode::PERMISSION_DENIED);

    node_->send_signal(SIGKILL);
    node_->wait_exit();
    address = start();
    auto verified = call(as_operator(address), "/lanchat.audit.v1.Audit/Verify", "");
    ASSERT_TRUE(verified.status.ok()) << verified.status.error_message();
    v1::VerifyReply verdict;
    ASSERT_TRUE(verdict.ParseFromString(verified.bytes));
    EXPECT_TRUE(verdict.intact());
    EXPECT_EQ(verdict.entries(), 20u);
    v1::QueryRequest query;
    query.set_action("login");
    v1::QueryReply page;
    ASSERT_TRUE(page.ParseFromString(
        call(as_operator(address), "/lanchat.audit.v1.Audit/Query", query.SerializeAsString()).bytes));
    EXPECT_EQ(page.entries_size(), 10);
    EXPECT_EQ(page.entries(0).recorded_by(), "spiffe://lan-chat.test/svc/router");

    // The operator's tool says the same; after an edit behind the service's back it names the entry.
    auto verify = [&] {
        return run_to_exit(
            {kLanchatctl, "audit", "verify", "--grpc", address, "--pki", pki_.string(), "--operator", "alice"});
    };
    auto intact = verify();
    EXPECT_EQ(intact.exit_code, 0) << intact.output;
    EXPECT_EQ(intact.output.rfind("audit chain intact: 20 entries, signed checkpoint at entry 20 (head ", 0), 0u)
        << intact.output;
    auto sql = [&](const char* statement) {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open((dir_.path() / "data/audit/audit.sqlite").c_str(), &db), SQLITE_OK);
        ASSERT_EQ(sqlite3_exec(db, statement, nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(db);
    };
    // Each tampering, applied on top of the one before, and the verdict the tool then gives.
    const std::pair<const char*, std::string> tamperings[] = {
        // The tail cut off: the chain itself still links up, the signed checkpoint says what is missing.
        {"DELETE FROM entries WHERE sequence > 17",
         "audit chain BROKEN: the chain ends at entry 17 but the signed checkpoint covers 20 entries: "
         "entries 18..20 are missing (the record was cut short) (17 entries)\n"},
        {"UPDATE entries SET actor = 'user:mallory' WHERE sequence = 7",
         "audit chain BROKEN: entry 7: its content does not match its hash (the entry was changed "
         "after it was written) (17 entries)\n"},
    };
    for (const auto& [statement, verdict] : tamperings) {
        sql(statement);
        auto broken = verify();
        EXPECT_EQ(broken.exit_code, 1);
        EXPECT_EQ(broken.output, verdict);
    }
    node_->send_signal(SIGTERM);
    EXPECT_EQ(node_->wait_exit(), 0);
}

}  // namespace
}  // namespace lanchat
