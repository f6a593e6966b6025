#include "audit_service.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "temp_dir.hpp"

namespace lanchat::audit {
namespace {

const std::string kRouter = "spiffe://lan.test/svc/router";
const std::string kOperator = "spiffe://lan.test/operator/alice";

v1::AppendRequest entry(const std::string& actor, const std::string& action, const std::string& key = "") {
    v1::AppendRequest request;
    request.set_actor(actor);
    request.set_action(action);
    request.set_target("channel:general");
    request.set_outcome("ok");
    request.set_correlation_id("corr-1");
    (*request.mutable_details())["ip"] = "10.0.0.7";
    request.set_idempotency_key(key);
    return request;
}

class AuditServiceTest : public ::testing::Test {
protected:
    AuditService open() { return AuditService(value_or_throw(open_sqlite_store(file_))); }
    lanchat::testing::TempDir dir_;
    std::filesystem::path file_ = dir_.path() / "audit.sqlite";
};

TEST_F(AuditServiceTest, EntriesChainAndVerify) {
    AuditService audit = open();
    auto first = audit.append(kRouter, entry("user:alice", "login"));
    auto second = audit.append(kRouter, entry("user:bob", "login"));
    ASSERT_TRUE(first.ok() && second.ok());
    EXPECT_EQ(first->entry().sequence(), 1u);
    EXPECT_EQ(first->entry().previous_hash(), "");
    EXPECT_EQ(second->entry().previous_hash(), first->entry().hash());
    EXPECT_EQ(second->entry().recorded_by(), kRouter);
    auto verdict = audit.verify(kOperator);
    ASSERT_TRUE(verdict.ok());
    EXPECT_TRUE(verdict->intact());
    EXPECT_EQ(verdict->entries(), 2u);
}

TEST_F(AuditServiceTest, ARepeatedIdempotencyKeyWritesNothingNew) {
    AuditService audit = open();
    auto first = audit.append(kRouter, entry("user:alice", "logout", "key-1"));
    auto again = audit.append(kRouter, entry("user:alice", "logout", "key-1"));
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE(again->duplicate());
    EXPECT_EQ(again->entry().sequence(), first->entry().sequence());
    EXPECT_EQ(audit.verify(kOperator)->entries(), 1u);
}

TEST_F(AuditServiceTest, AnEditBehindTheServicesBackIsNamedByVerify) {
    {
        AuditService audit = open();
        for (const char* action : {"login", "login_failed", "logout"}) ASSERT_TRUE(audit.append(kRouter, entry("user:alice", action)).ok());
    }
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(file_.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "UPDATE entries SET outcome = 'denied' WHERE sequence = 2", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    AuditService audit = open();
    auto verdict = audit.verify(kOperator);
    ASSERT_TRUE(verdict.ok());
    EXPECT_FALSE(verdict->intact());
    EXPECT_EQ(verdict->first_broken_sequence(), 2u);
    EXPECT_EQ(verdict->reason(), "entry 2: its content does not match its hash (the entry was changed after it was written)");
}

TEST_F(AuditServiceTest, QueriesFilterAndPageAndOnlyOperatorsRead) {
    AuditService audit = open();
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(audit.append(kRouter, entry(i % 2 ? "user:bob" : "user:alice", "login")).ok());
    v1::QueryRequest request;
    request.set_actor("user:alice");
    request.mutable_page()->set_page_size(2);
    auto page = audit.query(kOperator, request);
    ASSERT_TRUE(page.ok());
    ASSERT_EQ(page->entries_size(), 2);
    EXPECT_EQ(page->entries(1).sequence(), 3u);
    request.mutable_page()->set_page_token(page->page().next_page_token());
    auto rest = audit.query(kOperator, request);
    ASSERT_EQ(rest->entries_size(), 1);
    EXPECT_EQ(rest->entries(0).sequence(), 5u);
    EXPECT_EQ(rest->page().next_page_token(), "");
    request.mutable_page()->set_page_token("' OR 1=1 --");
    EXPECT_EQ(audit.query(kOperator, request).status().code(), sdk::Code::invalid_argument);
    EXPECT_EQ(audit.query(kRouter, request).status().code(), sdk::Code::permission_denied);
    EXPECT_EQ(audit.verify(kRouter).status().code(), sdk::Code::permission_denied);
}

TEST_F(AuditServiceTest, BadInputIsRefusedAndSqlTextIsJustText) {
    AuditService audit = open();
    EXPECT_EQ(audit.append(kRouter, entry("", "login")).status().message(), "actor is required");
    EXPECT_EQ(audit.append(kRouter, entry(std::string(300, 'x'), "login")).status().message(),
              "actor is 300 bytes; at most 256");
    auto sneaky = audit.append(kRouter, entry("user:'); DROP TABLE entries; --", "login", "k'\"--"));
    ASSERT_TRUE(sneaky.ok());
    v1::QueryRequest request;
    request.set_actor("user:'); DROP TABLE entries; --");
    auto found = audit.query(kOperator, request);
    ASSERT_TRUE(found.ok());
    ASSERT_EQ(found->entries_size(), 1);
    EXPECT_TRUE(audit.verify(kOperator)->intact());
}

}  // namespace
}  // namespace lanchat::audit
