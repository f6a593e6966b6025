// The durable audit outbox over a real SQLite database, run by the host's real executor: what it does when
// Audit fails, and when the database will not delete a sent entry. Audit is the test's `Send`, which
// records what reaches it and answers as the test says.
#include "audit_outbox.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "abi/host_api.hpp"
#include "abi/tables.hpp"
#include "eventually.hpp"
#include "logging/log.hpp"
#include "runtime/executor.hpp"
#include "runtime/host_context.hpp"
#include "temp_dir.hpp"

namespace lanchat::plugin_support {
namespace {

using namespace std::chrono_literals;
using lanchat::testing::eventually;

// A database that refuses to delete from the outbox, as one whose disk fails would.
constexpr const char* kRefuseDeletes =
    "CREATE TRIGGER refuse_deletes BEFORE DELETE ON audit_outbox BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END";

class AuditOutboxTest : public ::testing::Test {
protected:
    AuditOutboxTest() {
        context_.plugin_name = "identity";
        context_.log = &log_;
        context_.executor = &executor_;
    }
    ~AuditOutboxTest() override {
        outbox_.reset();
        executor_.cancel_all(&context_);
    }

    void SetUp() override { database_ = value_or_throw(AuditOutbox::open_database(dir_.path(), "identity")); }

    void start_outbox() {
        outbox_ = std::make_unique<AuditOutbox>(
            *database_,
            [this](const audit::v1::AppendRequest& entry, std::function<void(sdk::Status)> done) {
                sdk::Status answer;
                {
                    std::lock_guard lock(mutex_);
                    keys_.push_back(entry.idempotency_key());
                    if (failures_left_ > 0) {
                        --failures_left_;
                        answer = sdk::Status(sdk::Code::unavailable, "audit is down");
                    }
                }
                done(answer);
            },
            executor_api_, logger_);
        outbox_->start();
    }

    std::vector<std::string> keys() {
        std::lock_guard lock(mutex_);
        return keys_;
    }

    static audit::v1::AppendRequest entry(const std::string& action) {
        audit::v1::AppendRequest entry;
        entry.set_action(action);
        return entry;
    }

    lanchat::testing::TempDir dir_;
    host::NodeLog log_{host::LogFormat::text, LANCHAT_LOG_ERROR};
    host::Executor executor_{1};
    lanchat_host_context context_;
    host::abi::HostApiTable table_{"test", host::abi::rpc_api_table()};
    sdk::Executor executor_api_{table_.get(), &context_};
    sdk::Logger logger_{table_.get(), &context_};
    std::unique_ptr<SqliteDatabase> database_;
    std::mutex mutex_;
    std::vector<std::string> keys_;
    int failures_left_ = 0;
    std::unique_ptr<AuditOutbox> outbox_;
};

TEST_F(AuditOutboxTest, AFailedSendIsRetriedWithTheSameKeyAndTheEntryDeletedOnceAuditHasIt) {
    failures_left_ = 2;
    start_outbox();
    ASSERT_TRUE(outbox_->enqueue(entry("user_create")).ok());
    // Counted as sent just after its row is gone: wait for both.
    ASSERT_TRUE(eventually([&] { return outbox_->pending() == 0 && outbox_->sent() == 1; }, 100, 50ms));
    const std::vector<std::string> sent = keys();
    ASSERT_EQ(sent.size(), 3u);
    EXPECT_EQ(sent[0], sent[1]);
    EXPECT_EQ(sent[1], sent[2]);
    EXPECT_EQ(outbox_->sent(), 1u);
}

// Audit has the entry, but the database will not delete it: the outbox sends it again after a growing pause
// (Audit recognises it by its key), never in a loop, and deletes it once the database lets it.
TEST_F(AuditOutboxTest, ASentEntryThatCannotBeDeletedIsSentAgainAfterAPauseNotInALoop) {
    ASSERT_TRUE(database_->read([&] { return database_->exec(kRefuseDeletes, "refuse deletes"); }).ok());
    start_outbox();
    ASSERT_TRUE(outbox_->enqueue(entry("user_disable")).ok());
    std::this_thread::sleep_for(1s);  // pauses of 200 and 400 ms: three sends, or fewer on a slow machine
    const size_t sends = keys().size();
    EXPECT_GE(sends, 1u);
    EXPECT_LE(sends, 4u);
    EXPECT_EQ(outbox_->pending(), 1u);
    ASSERT_TRUE(database_->read([&] { return database_->exec("DROP TRIGGER refuse_deletes", "allow deletes"); }).ok());
    ASSERT_TRUE(eventually([&] { return outbox_->pending() == 0 && outbox_->sent() == 1; }, 100, 50ms));
    for (const std::string& key : keys()) EXPECT_EQ(key, keys().front());
    EXPECT_EQ(outbox_->sent(), 1u);
}

}  // namespace
}  // namespace lanchat::plugin_support
