#include "group_commit.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "sqlite_database.hpp"
#include "temp_dir.hpp"

namespace lanchat::plugin_support {
namespace {

// `notes` takes any text; `children` must name a parent, checked only at COMMIT (a deferred foreign key),
// which is how a test makes a COMMIT fail.
constexpr const char* kSchema =
    "CREATE TABLE notes (text TEXT NOT NULL UNIQUE);"
    "CREATE TABLE parents (id INTEGER PRIMARY KEY);"
    "CREATE TABLE children (parent INTEGER REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED);";

class GroupCommitTest : public ::testing::Test {
protected:
    void SetUp() override {
        database_ = value_or_throw(SqliteDatabase::open(dir_.path() / "notes.sqlite", "notes store", kSchema));
    }

    GroupCommit::Work insert(const std::string& text) {
        return [this, text] {
            Statement statement(*database_, "INSERT INTO notes (text) VALUES (?1)");
            return statement.bind(1, text).run("insert a note");
        };
    }

    std::vector<std::string> notes() {
        return database_->read([&] {
            Statement select(*database_, "SELECT text FROM notes ORDER BY rowid");
            return value_or_throw(select.rows([](const Statement& row) { return row.text(0); }, "read notes"));
        });
    }

    // Keeps a first batch (committed on a thread of its own) open until release(), so what is submitted
    // meanwhile queues up and becomes the committer's next batch.
    void hold(GroupCommit& commits) {
        std::promise<void> entered;
        holder_ = std::thread([this, &commits, &entered] {
            commits.submit(
                [this, &entered] {
                    entered.set_value();
                    released_.wait();
                    return sdk::Status();
                },
                [](sdk::Status) {});
        });
        entered.get_future().wait();
    }
    void release() {
        release_.set_value();
        holder_.join();
    }

    lanchat::testing::TempDir dir_;
    std::unique_ptr<SqliteDatabase> database_;
    std::promise<void> release_;
    std::shared_future<void> released_ = release_.get_future().share();
    std::thread holder_;
};

TEST_F(GroupCommitTest, WritesQueuedTogetherShareOneCommitAndAreAnsweredAfterIt) {
    GroupCommit commits(*database_);
    hold(commits);
    std::atomic<int> answered = 0;
    for (int i = 0; i < 50; ++i) {
        commits.submit(insert("note " + std::to_string(i)), [&](sdk::Status status) {
            EXPECT_TRUE(status.ok()) << status.message();
            EXPECT_EQ(commits.commits(), 2u);  // answered only once its batch is committed
            ++answered;
        });
    }
    release();
    commits.stop();
    EXPECT_EQ(answered, 50);
    EXPECT_EQ(commits.commits(), 2u);
    EXPECT_EQ(commits.units(), 51u);
    ASSERT_EQ(notes().size(), 50u);
    EXPECT_EQ(notes().front(), "note 0");
    EXPECT_EQ(notes().back(), "note 49");
}

TEST_F(GroupCommitTest, ManyThreadsWritingAtOnceAreAllAnsweredWithFewerCommitsThanWrites) {
    GroupCommit commits(*database_);
    constexpr int kThreads = 16, kEach = 20;
    std::vector<std::thread> writers;
    std::atomic<int> stored = 0;
    for (int t = 0; t < kThreads; ++t) {
        writers.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) {
                std::promise<sdk::Status> answer;
                commits.submit(insert(std::to_string(t) + "/" + std::to_string(i)),
                               [&](sdk::Status status) { answer.set_value(status); });
                if (answer.get_future().get().ok()) ++stored;
            }
        });
    }
    for (std::thread& writer : writers) writer.join();
    EXPECT_EQ(stored, kThreads * kEach);
    EXPECT_EQ(notes().size(), static_cast<size_t>(kThreads * kEach));
    EXPECT_LT(commits.commits(), static_cast<uint64_t>(kThreads * kEach));
}

TEST_F(GroupCommitTest, ARefusedWriteRollsBackOnlyItselfAndGetsItsOwnError) {
    GroupCommit commits(*database_);
    hold(commits);
    std::vector<sdk::Status> outcomes(3);
    commits.submit(insert("first"), [&](sdk::Status status) { outcomes[0] = status; });
    commits.submit(
        [this] {
            Statement statement(*database_, "INSERT INTO notes (text) VALUES ('half')");
            if (sdk::Status done = statement.run("insert a note"); !done.ok()) return done;
            return sdk::failed_precondition("refused after writing");
        },
        [&](sdk::Status status) { outcomes[1] = status; });
    commits.submit(insert("first"), [&](sdk::Status status) { outcomes[2] = status; });  // UNIQUE: SQLite refuses
    commits.submit(insert("last"), [](sdk::Status) {});
    release();
    commits.stop();
    EXPECT_TRUE(outcomes[0].ok());
    EXPECT_EQ(outcomes[1].code(), sdk::Code::failed_precondition);
    EXPECT_EQ(outcomes[1].message(), "refused after writing");
    EXPECT_EQ(outcomes[2].code(), sdk::Code::internal);
    EXPECT_NE(outcomes[2].message().find("UNIQUE"), std::string::npos) << outcomes[2].message();
    EXPECT_EQ(notes(), (std::vector<std::string>{"first", "last"}));
    EXPECT_EQ(commits.commits(), 2u);
}

TEST_F(GroupCommitTest, AFailedCommitFailsEveryWriteOfItsBatchAndKeepsNoneOfThem) {
    GroupCommit commits(*database_);
    hold(commits);
    std::vector<sdk::Status> outcomes(2);
    commits.submit(insert("lost"), [&](sdk::Status status) { outcomes[0] = status; });
    commits.submit(
        [this] {
            Statement orphan(*database_, "INSERT INTO children (parent) VALUES (42)");
            return orphan.run("insert an orphan");
        },
        [&](sdk::Status status) { outcomes[1] = status; });
    release();
    commits.stop();
    for (const sdk::Status& outcome : outcomes) {
        EXPECT_EQ(outcome.code(), sdk::Code::internal);
        EXPECT_NE(outcome.message().find("commit"), std::string::npos) << outcome.message();
    }
    EXPECT_TRUE(notes().empty());
    EXPECT_EQ(commits.commits(), 1u);  // the held batch only
}

TEST_F(GroupCommitTest, BeyondTheQueueBoundAWriteIsRefusedAtOnce) {
    GroupCommit commits(*database_, {256, 2});
    hold(commits);
    std::vector<sdk::Status> outcomes(3);
    for (int i = 0; i < 3; ++i) {
        commits.submit(insert(std::to_string(i)), [&outcomes, i](sdk::Status status) { outcomes[i] = status; });
    }
    EXPECT_EQ(outcomes[2].code(), sdk::Code::resource_exhausted);
    EXPECT_NE(outcomes[2].message().find("the store is overloaded"), std::string::npos);
    release();
    commits.stop();
    EXPECT_TRUE(outcomes[0].ok() && outcomes[1].ok());
    EXPECT_EQ(notes(), (std::vector<std::string>{"0", "1"}));
}

// Its caller was never told it was stored and retries with the same client_message_id: storing it now would
// only delay the writes whose callers still wait.
TEST_F(GroupCommitTest, AQueuedWriteWhoseCallerGaveUpIsAnsweredDeadlineExceededAndNotStored) {
    GroupCommit commits(*database_);
    hold(commits);
    sdk::Status given_up, waiting, unbounded;
    {
        GroupCommit::CallerDeadline soon(std::chrono::system_clock::now() + std::chrono::milliseconds(20));
        commits.submit(insert("given up"), [&](sdk::Status status) { given_up = status; });
        GroupCommit::CallerDeadline later(std::chrono::system_clock::now() + std::chrono::seconds(30));
        commits.submit(insert("still waited for"), [&](sdk::Status status) { waiting = status; });
    }
    commits.submit(insert("no deadline"), [&](sdk::Status status) { unbounded = status; });
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    release();
    commits.stop();
    EXPECT_EQ(given_up.code(), sdk::Code::deadline_exceeded) << given_up.message();
    EXPECT_NE(given_up.message().find("nothing was stored"), std::string::npos) << given_up.message();
    EXPECT_TRUE(waiting.ok()) << waiting.message();
    EXPECT_TRUE(unbounded.ok()) << unbounded.message();
    EXPECT_EQ(notes(), (std::vector<std::string>{"still waited for", "no deadline"}));
}

TEST_F(GroupCommitTest, StopCommitsWhatIsQueuedAndRefusesWhatComesAfter) {
    GroupCommit commits(*database_);
    hold(commits);
    sdk::Status queued(sdk::Code::unknown, "not answered");
    commits.submit(insert("queued"), [&](sdk::Status status) { queued = status; });
    std::thread stopping([&] { commits.stop(); });
    release();
    stopping.join();
    EXPECT_TRUE(queued.ok());
    sdk::Status late(sdk::Code::unknown, "not answered");
    commits.submit(insert("late"), [&](sdk::Status status) { late = status; });
    EXPECT_EQ(late.code(), sdk::Code::unavailable);
    EXPECT_NE(late.message().find("notes store is closing"), std::string::npos) << late.message();
    EXPECT_EQ(notes(), std::vector<std::string>{"queued"});
}

TEST_F(GroupCommitTest, ALoneWriteIsCommittedAndAnsweredOnTheCallersThreadBeforeSubmitReturns) {
    GroupCommit commits(*database_);
    std::thread::id answered_on;
    commits.submit(insert("alone"), [&](sdk::Status status) {
        EXPECT_TRUE(status.ok());
        answered_on = std::this_thread::get_id();
    });
    EXPECT_EQ(answered_on, std::this_thread::get_id());
    EXPECT_EQ(commits.commits(), 1u);
    EXPECT_EQ(notes(), std::vector<std::string>{"alone"});
}

TEST_F(GroupCommitTest, AWriteThatYieldsAValueHandsItOverOnceCommitted) {
    GroupCommit commits(*database_);
    std::promise<sdk::Result<int64_t>> answer;
    commits.submit<int64_t>(
        [this]() -> sdk::Result<int64_t> {
            if (sdk::Status inserted = insert("counted")(); !inserted.ok()) return inserted;
            return database_->changes();
        },
        [&](sdk::Result<int64_t> result) { answer.set_value(std::move(result)); });
    sdk::Result<int64_t> result = answer.get_future().get();
    ASSERT_TRUE(result.ok()) << result.status().message();
    EXPECT_EQ(*result, 1);
}

}  // namespace
}  // namespace lanchat::plugin_support
