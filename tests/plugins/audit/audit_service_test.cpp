#include "audit_service.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <map>
#include <mutex>
#include <thread>

#include "answer.hpp"
#include "hash_chain.hpp"
#include "postgres_server.hpp"
#include "store_backends.hpp"
#include "temp_dir.hpp"

namespace lanchat::audit {
namespace {

using lanchat::testing::PostgresEnvironment;
using lanchat::testing::StoreBackend;
using lanchat::testing::wait_for_answer;
using Answer = sdk::Result<v1::AppendReply>;

[[maybe_unused]] const auto* const kPostgres = ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);

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

// The service's answer to an append by the Router, waited for.
Answer append(AuditService& audit, const v1::AppendRequest& request) {
    return wait_for_answer<Answer>([&](auto done) { audit.append(kRouter, request, done); });
}

// Every case runs against both stores: the SQLite file, and a PostgreSQL database of its own.
class AuditServiceTest : public ::testing::TestWithParam<StoreBackend> {
protected:
    void SetUp() override {
        if (GetParam() == StoreBackend::postgresql) dsn_ = PostgresEnvironment::server().create_database();
    }
    std::unique_ptr<AuditStore> open_store() {
        return value_or_throw(GetParam() == StoreBackend::sqlite ? open_sqlite_store(file_)
                                                                 : open_postgres_store(dsn_));
    }
    std::unique_ptr<AuditService> open() {
        return value_or_throw(
            AuditService::open(open_store(), value_or_throw(CheckpointSigner::open(key_, checkpoint_))));
    }
    // A change behind the service's back, as someone with access to the database can make.
    void sql(const std::string& statement) {
        if (GetParam() == StoreBackend::postgresql) {
            lanchat::testing::PostgresServer::value(dsn_, statement);
            return;
        }
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open(file_.c_str(), &db), SQLITE_OK);
        ASSERT_EQ(sqlite3_exec(db, statement.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
        sqlite3_close(db);
    }
    lanchat::testing::TempDir dir_;
    std::string dsn_;
    std::filesystem::path file_ = dir_.path() / "audit.sqlite";
    std::filesystem::path key_ = dir_.path() / "checkpoint.key";
    std::filesystem::path checkpoint_ = dir_.path() / "audit.checkpoint";
};

INSTANTIATE_TEST_SUITE_P(BothStores, AuditServiceTest, lanchat::testing::kBothStores,
                         lanchat::testing::store_backend_name);

TEST_P(AuditServiceTest, EntriesChainAndVerify) {
    auto audit = open();
    auto first = append(*audit, entry("user:alice", "login"));
    auto second = append(*audit, entry("user:bob", "login"));
    ASSERT_TRUE(first.ok() && second.ok());
    EXPECT_EQ(first->entry().sequence(), 1u);
    EXPECT_EQ(first->entry().previous_hash(), "");
    EXPECT_EQ(second->entry().previous_hash(), first->entry().hash());
    EXPECT_EQ(second->entry().recorded_by(), kRouter);
    auto verdict = audit->verify(kOperator);
    ASSERT_TRUE(verdict.ok());
    EXPECT_TRUE(verdict->intact());
    EXPECT_EQ(verdict->entries(), 2u);
}

TEST_P(AuditServiceTest, ARepeatedIdempotencyKeyWritesNothingNew) {
    auto audit = open();
    auto first = append(*audit, entry("user:alice", "logout", "key-1"));
    auto again = append(*audit, entry("user:alice", "logout", "key-1"));
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE(again->duplicate());
    EXPECT_EQ(again->entry().sequence(), first->entry().sequence());
    EXPECT_EQ(audit->verify(kOperator)->entries(), 1u);
}

TEST_P(AuditServiceTest, AnEditBehindTheServicesBackIsNamedByVerify) {
    {
        auto audit = open();
        for (const char* action : {"login", "login_failed", "logout"})
            ASSERT_TRUE(append(*audit, entry("user:alice", action)).ok());
    }
    sql("UPDATE entries SET outcome = 'denied' WHERE sequence = 2");
    auto audit = open();
    auto verdict = audit->verify(kOperator);
    ASSERT_TRUE(verdict.ok());
    EXPECT_FALSE(verdict->intact());
    EXPECT_EQ(verdict->first_broken_sequence(), 2u);
    EXPECT_EQ(verdict->reason(),
              "entry 2: its content does not match its hash (the entry was changed after it was written)");
}

TEST_P(AuditServiceTest, ARecordCutShortIsReportedWithTheMissingEntries) {
    {
        auto audit = open();
        for (int i = 0; i < 17; ++i) ASSERT_TRUE(append(*audit, entry("user:alice", "login")).ok());
    }
    sql("DELETE FROM entries WHERE sequence > 14");
    auto verdict = open()->verify(kOperator);
    ASSERT_TRUE(verdict.ok());
    EXPECT_FALSE(verdict->intact());
    EXPECT_EQ(verdict->entries(), 14u);
    EXPECT_EQ(verdict->checkpoint_entries(), 17u);
    EXPECT_EQ(verdict->first_broken_sequence(), 15u);
    EXPECT_EQ(verdict->reason(),
              "the chain ends at entry 14 but the signed checkpoint covers 17 entries: entries "
              "15..17 are missing (the record was cut short)");
}

TEST_P(AuditServiceTest, ARewriteWithEveryHashRecomputedIsReported) {
    {
        auto audit = open();
        for (int i = 0; i < 3; ++i) ASSERT_TRUE(append(*audit, entry("user:alice", "login")).ok());
    }
    // Rewrite entry 2 and recompute its hash and the next one's, as someone with the database can.
    auto store = open_store();
    auto entries = value_or_throw(store->query({}, 0, 10));
    store.reset();
    entries[1].set_actor("user:mallory");
    entries[1].set_hash(entry_hash(entries[1]));
    entries[2].set_previous_hash(entries[1].hash());
    entries[2].set_hash(entry_hash(entries[2]));
    sql("UPDATE entries SET actor = 'user:mallory', hash = '" + entries[1].hash() + "' WHERE sequence = 2");
    sql("UPDATE entries SET previous_hash = '" + entries[1].hash() + "', hash = '" + entries[2].hash() +
        "' WHERE sequence = 3");
    auto verdict = open()->verify(kOperator);
    ASSERT_TRUE(verdict.ok());
    EXPECT_FALSE(verdict->intact());
    EXPECT_EQ(verdict->first_broken_sequence(), 3u);
    EXPECT_EQ(verdict->reason(),
              "entry 3 is not the one the signed checkpoint covers (the record was rewritten and "
              "its hashes recomputed)");
}

TEST_P(AuditServiceTest, ACheckpointNotSignedByThisKeyOrMissingIsReported) {
    { ASSERT_TRUE(append(*open(), entry("user:alice", "login")).ok()); }
    std::filesystem::remove(key_);  // another key: the old checkpoint no longer verifies
    auto verdict = open()->verify(kOperator);
    ASSERT_TRUE(verdict.ok());
    EXPECT_FALSE(verdict->intact());
    EXPECT_NE(verdict->reason().find("is not signed by this node's checkpoint key"), std::string::npos)
        << verdict->reason();
    auto audit = open();
    std::filesystem::remove(checkpoint_);
    verdict = audit->verify(kOperator);
    EXPECT_FALSE(verdict->intact());
    EXPECT_NE(verdict->reason().find("there is no signed checkpoint"), std::string::npos) << verdict->reason();
}

TEST_P(AuditServiceTest, ARecordFromBeforeCheckpointsIsSignedAtFirstStart) {
    {
        auto store = open_store();
        v1::Entry draft;
        draft.set_actor("user:alice");
        draft.set_action("login");
        draft.set_outcome("ok");
        ASSERT_TRUE(wait_for_answer<sdk::Result<Appended>>([&](auto done) { store->append(draft, done); }).ok());
    }
    auto verdict = open()->verify(kOperator);
    ASSERT_TRUE(verdict.ok());
    EXPECT_TRUE(verdict->intact()) << verdict->reason();
    EXPECT_EQ(verdict->checkpoint_entries(), 1u);
}

TEST_P(AuditServiceTest, QueriesFilterAndPageAndOnlyOperatorsRead) {
    auto audit = open();
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(append(*audit, entry(i % 2 ? "user:bob" : "user:alice", "login")).ok());
    v1::QueryRequest request;
    request.set_actor("user:alice");
    request.mutable_page()->set_page_size(2);
    auto page = audit->query(kOperator, request);
    ASSERT_TRUE(page.ok());
    ASSERT_EQ(page->entries_size(), 2);
    EXPECT_EQ(page->entries(1).sequence(), 3u);
    request.mutable_page()->set_page_token(page->page().next_page_token());
    auto rest = audit->query(kOperator, request);
    ASSERT_EQ(rest->entries_size(), 1);
    EXPECT_EQ(rest->entries(0).sequence(), 5u);
    EXPECT_EQ(rest->page().next_page_token(), "");
    request.mutable_page()->set_page_token("' OR 1=1 --");
    EXPECT_EQ(audit->query(kOperator, request).status().code(), sdk::Code::invalid_argument);
    EXPECT_EQ(audit->query(kRouter, request).status().code(), sdk::Code::permission_denied);
    EXPECT_EQ(audit->verify(kRouter).status().code(), sdk::Code::permission_denied);
}

TEST_P(AuditServiceTest, BadInputIsRefusedAndSqlTextIsJustText) {
    auto audit = open();
    EXPECT_EQ(append(*audit, entry("", "login")).status().message(), "actor is required");
    EXPECT_EQ(append(*audit, entry(std::string(300, 'x'), "login")).status().message(),
              "actor is 300 bytes; at most 256");
    auto sneaky = append(*audit, entry("user:'); DROP TABLE entries; --", "login", "k'\"--"));
    ASSERT_TRUE(sneaky.ok());
    v1::QueryRequest request;
    request.set_actor("user:'); DROP TABLE entries; --");
    auto found = audit->query(kOperator, request);
    ASSERT_TRUE(found.ok());
    ASSERT_EQ(found->entries_size(), 1);
    EXPECT_TRUE(audit->verify(kOperator)->intact());
}

TEST_P(AuditServiceTest, ConcurrentAppendsChainInTheOrderTheyAreAnsweredAndVerify) {
    auto audit = open();
    constexpr int kThreads = 8, kEach = 40;
    std::mutex mutex;
    std::map<uint64_t, v1::Entry> written;  // by sequence
    std::vector<Answer> repeats;
    std::vector<std::thread> writers;
    for (int t = 0; t < kThreads; ++t) {
        writers.emplace_back([&, t] {
            std::vector<std::future<Answer>> answers;
            auto send = [&](const v1::AppendRequest& request) {
                auto answer = std::make_shared<std::promise<Answer>>();
                answers.push_back(answer->get_future());
                audit->append(kRouter, request, [answer](Answer reply) { answer->set_value(std::move(reply)); });
            };
            for (int i = 0; i < kEach; ++i) {
                // Every fifth entry is sent twice at once: the second finds the first, even in one commit.
                const std::string key = i % 5 == 0 ? std::to_string(t) + "-" + std::to_string(i) : "";
                const v1::AppendRequest request = entry("user:" + std::to_string(t), "login", key);
                send(request);
                if (!key.empty()) send(request);
            }
            for (std::future<Answer>& answer : answers) {
                Answer reply = answer.get();
                std::lock_guard lock(mutex);
                if (reply.ok() && !reply->duplicate()) {
                    written[reply->entry().sequence()] = reply->entry();
                } else {
                    repeats.push_back(std::move(reply));
                }
            }
        });
    }
    for (std::thread& writer : writers) writer.join();

    ASSERT_EQ(written.size(), static_cast<size_t>(kThreads * kEach));
    std::string previous;
    uint64_t expected = 1;
    for (const auto& [sequence, written_entry] : written) {
        EXPECT_EQ(sequence, expected++);
        EXPECT_EQ(written_entry.previous_hash(), previous) << "entry " << sequence;
        previous = written_entry.hash();
    }
    ASSERT_EQ(repeats.size(), static_cast<size_t>(kThreads * kEach / 5));
    for (const Answer& repeat : repeats) {
        ASSERT_TRUE(repeat.ok()) << repeat.status().message();
        EXPECT_TRUE(repeat->duplicate());
        EXPECT_EQ(written[repeat->entry().sequence()].idempotency_key(), repeat->entry().idempotency_key());
    }
    auto verdict = audit->verify(kOperator);
    ASSERT_TRUE(verdict.ok());
    EXPECT_TRUE(verdict->intact()) << verdict->reason();
    EXPECT_EQ(verdict->entries(), static_cast<uint64_t>(kThreads * kEach));
    EXPECT_EQ(verdict->checkpoint_entries(), verdict->entries());
}

// Two nodes' Audit instances appending at once to one PostgreSQL database: the chain's advisory lock
// orders their commits, so one chain comes out, gapless, and verifies.
TEST(SharedPostgresAuditTest, TwoNodesAppendingAtOnceKeepOneChainThatVerifies) {
    const std::string dsn = PostgresEnvironment::server().create_database();
    lanchat::testing::TempDir dir;
    auto node = [&](const std::string& name) {
        return value_or_throw(AuditService::open(
            value_or_throw(open_postgres_store(dsn)),
            value_or_throw(CheckpointSigner::open(dir.path() / (name + ".key"), dir.path() / (name + ".cp")))));
    };
    std::unique_ptr<AuditService> first = node("first");
    std::unique_ptr<AuditService> second = node("second");
    constexpr int kEach = 30;
    std::vector<std::thread> writers;
    for (AuditService* audit : {first.get(), second.get()}) {
        writers.emplace_back([audit] {
            std::vector<std::future<Answer>> answers;
            for (int i = 0; i < kEach; ++i) {
                auto answer = std::make_shared<std::promise<Answer>>();
                answers.push_back(answer->get_future());
                // Both nodes send the same keys for some (an outbox resending through another node).
                const std::string key = i % 3 == 0 ? "shared-" + std::to_string(i) : "";
                audit->append(kRouter, entry("user:alice", "login", key),
                              [answer](Answer reply) { answer->set_value(std::move(reply)); });
            }
            for (std::future<Answer>& answer : answers) {
                Answer reply = answer.get();
                EXPECT_TRUE(reply.ok()) << reply.status().message();
            }
        });
    }
    for (std::thread& writer : writers) writer.join();
    for (AuditService* audit : {first.get(), second.get()}) {
        auto verdict = audit->verify(kOperator);
        ASSERT_TRUE(verdict.ok()) << verdict.status().message();
        EXPECT_TRUE(verdict->intact()) << verdict->reason();
        EXPECT_EQ(verdict->entries(), static_cast<uint64_t>(2 * kEach - kEach / 3));
    }
}

}  // namespace
}  // namespace lanchat::audit
