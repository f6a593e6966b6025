// PostgresDatabase against a real PostgreSQL 15 (tests/support/postgres_server.hpp): migrations, the
// errors an operator sees, and what a lost server means for a write in flight.
#include "postgres_database.hpp"

#include <gtest/gtest.h>

#include "group_commit.hpp"
#include "postgres_server.hpp"
#include "temp_dir.hpp"

namespace lanchat::plugin_support {
namespace {

[[maybe_unused]] const auto* const kPostgres =
    ::testing::AddGlobalTestEnvironment(new lanchat::testing::PostgresEnvironment);

const std::vector<Migration> kNotes = {
    {1, "CREATE TABLE notes (id BIGSERIAL PRIMARY KEY, body TEXT NOT NULL)"},
    {2, "ALTER TABLE notes ADD COLUMN author TEXT NOT NULL DEFAULT ''; CREATE INDEX notes_by_author ON notes (author)"},
};

lanchat::testing::PostgresServer& server() { return lanchat::testing::PostgresEnvironment::server(); }

int64_t count_notes(PostgresDatabase& db) {
    return sdk::value_or_throw(db.query("SELECT count(*) FROM notes", {}, "count")).integer(0, 0);
}

TEST(PostgresDatabaseTest, MigrationsRunOnceInOrderAndAnOlderSchemaIsBroughtUpToDate) {
    const std::string dsn = server().create_database();
    {
        auto first = sdk::value_or_throw(PostgresDatabase::open(dsn, "notes store", {kNotes[0]}));
        EXPECT_EQ(first->schema_version(), 1);
        ASSERT_TRUE(first->run("INSERT INTO notes (body) VALUES ($1)", {"kept"}, "insert").ok());
    }
    auto upgraded = sdk::value_or_throw(PostgresDatabase::open(dsn, "notes store", kNotes));
    EXPECT_EQ(upgraded->schema_version(), 2);
    auto rows = sdk::value_or_throw(upgraded->query("SELECT body, author FROM notes", {}, "read"));
    ASSERT_EQ(rows.size(), 1);
    EXPECT_EQ(rows.text(0, 0), "kept");
    EXPECT_EQ(rows.text(0, 1), "");
    auto again = PostgresDatabase::open(dsn, "notes store", kNotes);  // nothing left to apply
    ASSERT_TRUE(again.ok()) << again.status().message();
    EXPECT_EQ((*again)->schema_version(), 2);
}

TEST(PostgresDatabaseTest, ASchemaNewerThanTheCodeIsRefusedAndAFailedMigrationLeavesNothing) {
    const std::string dsn = server().create_database();
    ASSERT_TRUE(PostgresDatabase::open(dsn, "notes store", kNotes).ok());
    auto older_code = PostgresDatabase::open(dsn, "notes store", {kNotes[0]});
    ASSERT_EQ(older_code.status().code(), sdk::Code::failed_precondition);
    EXPECT_NE(older_code.status().message().find("version 2, newer than this lanchat knows (1)"), std::string::npos)
        << older_code.status().message();

    const std::vector<Migration> broken = {{1, "CREATE TABLE half (id INTEGER); SELECT no_such_function()"}};
    auto failed = PostgresDatabase::open(dsn, "half store", broken);
    ASSERT_FALSE(failed.ok());
    EXPECT_NE(failed.status().message().find("apply schema version 1"), std::string::npos);
    auto db = sdk::value_or_throw(PostgresDatabase::open(dsn, "notes store", kNotes));
    auto half = sdk::value_or_throw(db->query("SELECT to_regclass('half') IS NULL", {}, "look"));
    EXPECT_TRUE(half.boolean(0, 0)) << "the failed step's table was rolled back with it";
}

TEST(PostgresDatabaseTest, ABadConnectionStringAndAnUnreachableServerAreToldApartWithoutThePassword) {
    auto bad = PostgresDatabase::open("host=127.0.0.1 password=hunter2 no_such_option=1", "notes store", kNotes);
    ASSERT_EQ(bad.status().code(), sdk::Code::invalid_argument);
    EXPECT_NE(bad.status().message().find("not valid"), std::string::npos) << bad.status().message();
    EXPECT_NE(bad.status().message().find("no_such_option"), std::string::npos);
    EXPECT_EQ(bad.status().message().find("hunter2"), std::string::npos);

    const int closed = server().port() + 1;  // nothing listens beside the test server
    auto unreachable = PostgresDatabase::open(
        "host=127.0.0.1 port=" + std::to_string(closed) + " password=hunter2 dbname=x", "notes store", kNotes);
    ASSERT_EQ(unreachable.status().code(), sdk::Code::unavailable);
    EXPECT_NE(
        unreachable.status().message().find("cannot connect to PostgreSQL at 127.0.0.1:" + std::to_string(closed)),
        std::string::npos)
        << unreachable.status().message();
    EXPECT_EQ(unreachable.status().message().find("hunter2"), std::string::npos);
}

TEST(PostgresDatabaseTest, EveryCommitWaitsForTheDiskWhateverTheDatabaseDefaultSays) {
    const std::string dsn = server().create_database();
    {
        auto db = sdk::value_or_throw(PostgresDatabase::open(dsn, "notes store", kNotes));
        const std::string name = sdk::value_or_throw(db->query("SELECT current_database()", {}, "name")).text(0, 0);
        ASSERT_TRUE(db->step("ALTER DATABASE " + name + " SET synchronous_commit = off", "default off").ok());
    }
    auto db = sdk::value_or_throw(PostgresDatabase::open(dsn, "notes store", kNotes));
    EXPECT_EQ(sdk::value_or_throw(db->query("SHOW synchronous_commit", {}, "show")).text(0, 0), "on");
}

// A connection killed while a batch is open: every write of the batch is answered UNAVAILABLE, none of it
// is stored, and the next write reconnects and succeeds.
TEST(PostgresDatabaseTest, ALostConnectionFailsTheBatchInFlightAndTheNextWriteReconnects) {
    auto db = sdk::value_or_throw(PostgresDatabase::open(server().create_database(), "notes store", kNotes));
    GroupCommit commits(*db);
    std::vector<sdk::Status> answers;
    commits.submit([&] { return db->run("INSERT INTO notes (body) VALUES ('lost')", {}, "insert").status(); },
                   [&](sdk::Status status) { answers.push_back(status); });
    ASSERT_EQ(answers.size(), 1u);
    ASSERT_TRUE(answers[0].ok());
    commits.submit(
        [&] {
            (void)db->run("INSERT INTO notes (body) VALUES ('in flight')", {}, "insert");
            return db->query("SELECT pg_terminate_backend(pg_backend_pid())", {}, "lose the connection").status();
        },
        [&](sdk::Status status) { answers.push_back(status); });
    ASSERT_EQ(answers.size(), 2u);
    EXPECT_EQ(answers[1].code(), sdk::Code::unavailable) << answers[1].message();
    EXPECT_NE(answers[1].message().find("lost the connection to PostgreSQL"), std::string::npos)
        << answers[1].message();
    EXPECT_EQ(count_notes(*db), 1) << "the write in flight was not stored";
    commits.submit([&] { return db->run("INSERT INTO notes (body) VALUES ('after')", {}, "insert").status(); },
                   [&](sdk::Status status) { answers.push_back(status); });
    ASSERT_EQ(answers.size(), 3u);
    EXPECT_TRUE(answers[2].ok()) << answers[2].message();
    EXPECT_EQ(count_notes(*db), 2);
}

// The server stopped (a lost PostgreSQL as a node sees it): writes are refused UNAVAILABLE, never queued
// as if stored; once it is back the same store writes again without a restart.
TEST(PostgresDatabaseTest, WhileTheServerIsDownWritesAreUnavailableAndResumeWhenItReturns) {
    auto db = sdk::value_or_throw(PostgresDatabase::open(server().create_database(), "notes store", kNotes));
    auto write = [&] {
        return db->transaction(
            [&] { return db->run("INSERT INTO notes (body) VALUES ('x')", {}, "insert note").status(); });
    };
    ASSERT_TRUE(write().ok());
    server().stop();
    const sdk::Status refused = write();
    server().start();
    EXPECT_EQ(refused.code(), sdk::Code::unavailable) << refused.message();
    const sdk::Status again = write();
    EXPECT_TRUE(again.ok()) << again.message();
    EXPECT_EQ(count_notes(*db), 2);
}

TEST(PostgresDatabaseTest, ADsnFileGivesItsFirstLineAndAnEmptyOrMissingFileIsNamed) {
    lanchat::testing::TempDir dir;
    EXPECT_EQ(sdk::value_or_throw(read_dsn_file(dir.write("dsn", "  host=db password=s  \nignored\n").string())),
              "host=db password=s");
    auto empty = read_dsn_file(dir.write("empty", "\n").string());
    EXPECT_EQ(empty.status().code(), sdk::Code::invalid_argument);
    EXPECT_NE(empty.status().message().find("is empty"), std::string::npos);
    auto missing = read_dsn_file((dir.path() / "nope").string());
    EXPECT_NE(missing.status().message().find("cannot be read"), std::string::npos);
}

}  // namespace
}  // namespace lanchat::plugin_support
