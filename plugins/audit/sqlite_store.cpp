// The embedded AuditStore: one SQLite file in the plugin's data dir (see plugins/plugin_support/
// sqlite_database.hpp); appends share commits (group_commit.hpp), each acknowledged only after its commit
// reached the disk.
#include <chrono>

#include "audit_store.hpp"
#include "group_commit.hpp"
#include "hash_chain.hpp"
#include "sqlite_database.hpp"

namespace lanchat::audit {
namespace {

using plugin_support::GroupCommit;
using plugin_support::SqliteDatabase;
using plugin_support::Statement;

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS entries (sequence INTEGER PRIMARY KEY, actor TEXT NOT NULL, action TEXT NOT NULL, "
    "target TEXT NOT NULL, outcome TEXT NOT NULL, correlation_id TEXT NOT NULL, time_unix_ms INTEGER NOT NULL, "
    "details BLOB, idempotency_key TEXT UNIQUE, recorded_by TEXT NOT NULL, previous_hash TEXT NOT NULL, "
    "hash TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS entries_by_time ON entries (time_unix_ms);";

constexpr const char* kColumns =
    "sequence, actor, action, target, outcome, correlation_id, time_unix_ms, details, idempotency_key, "
    "recorded_by, previous_hash, hash";

v1::Entry read_entry(const Statement& row) {
    v1::Entry entry;
    entry.set_sequence(static_cast<uint64_t>(row.integer(0)));
    entry.set_actor(row.text(1));
    entry.set_action(row.text(2));
    entry.set_target(row.text(3));
    entry.set_outcome(row.text(4));
    entry.set_correlation_id(row.text(5));
    entry.set_time_unix_ms(row.integer(6));
    v1::Entry details;  // stored as an Entry holding only its details map
    details.ParseFromString(row.blob(7));
    *entry.mutable_details() = details.details();
    entry.set_idempotency_key(row.text(8));
    entry.set_recorded_by(row.text(9));
    entry.set_previous_hash(row.text(10));
    entry.set_hash(row.text(11));
    return entry;
}

class SqliteStore final : public AuditStore {
public:
    explicit SqliteStore(std::unique_ptr<SqliteDatabase> db) : db_(std::move(db)), commits_(*db_) {}

    void append(v1::Entry draft, AppendDone done) override {
        commits_.submit<Appended>(
            [this, draft = std::move(draft)]() mutable { return append_in_transaction(std::move(draft)); },
            std::move(done));
    }

    void close() override { commits_.stop(); }

    sdk::Result<std::vector<v1::Entry>> query(const Filter& filter, uint64_t after_sequence, uint32_t limit) override {
        return db_->read([&]() -> sdk::Result<std::vector<v1::Entry>> {
            Statement select(*db_, std::string("SELECT ") + kColumns +
                                       " FROM entries WHERE sequence > ?1 AND time_unix_ms >= ?2 AND (?3 = 0 OR "
                                       "time_unix_ms < ?3) AND (?4 = '' OR actor = ?4) AND (?5 = '' OR action = ?5) "
                                       "ORDER BY sequence LIMIT ?6");
            select.bind(1, static_cast<int64_t>(after_sequence))
                .bind(2, filter.from_unix_ms)
                .bind(3, filter.to_unix_ms)
                .bind(4, filter.actor)
                .bind(5, filter.action)
                .bind(6, static_cast<int64_t>(limit));
            return select.rows(read_entry, "query");
        });
    }

    sdk::Result<Verdict> verify() override {
        return db_->read([&]() -> sdk::Result<Verdict> {
            Statement select(*db_, std::string("SELECT ") + kColumns + " FROM entries ORDER BY sequence");
            Verdict verdict;
            std::string previous;
            uint64_t expected_sequence = 1;
            while (select.step()) {
                v1::Entry entry = read_entry(select);
                ++verdict.entries;
                std::string reason;
                if (entry.sequence() != expected_sequence) {
                    reason = "sequence " + std::to_string(expected_sequence) + " is missing";
                } else if (entry.previous_hash() != previous) {
                    reason = "its previous_hash does not match the hash of the entry before it";
                } else if (entry_hash(entry) != entry.hash()) {
                    reason = "its content does not match its hash (the entry was changed after it was written)";
                }
                if (!reason.empty() && verdict.intact) {
                    verdict = {false, verdict.entries, expected_sequence,
                               "entry " + std::to_string(expected_sequence) + ": " + reason};
                }
                previous = entry.hash();
                expected_sequence = entry.sequence() + 1;
            }
            if (sdk::Status done = select.status("verify"); !done.ok()) return done;
            return verdict;
        });
    }

    sdk::Result<std::string> hash_at(uint64_t sequence) override {
        return db_->read([&]() -> sdk::Result<std::string> {
            Statement select(*db_, "SELECT hash FROM entries WHERE sequence = ?1");
            select.bind(1, static_cast<int64_t>(sequence));
            std::string hash = select.step() ? select.text(0) : std::string();
            if (sdk::Status done = select.status("read a hash"); !done.ok()) return done;
            return hash;
        });
    }

    sdk::Result<uint64_t> count() override {
        return db_->read([&]() -> sdk::Result<uint64_t> {
            Statement select(*db_, "SELECT count(*) FROM entries");
            uint64_t entries = select.step() ? static_cast<uint64_t>(select.integer(0)) : 0;
            if (sdk::Status done = select.status("count entries"); !done.ok()) return done;
            return entries;
        });
    }

private:
    sdk::Result<Appended> append_in_transaction(v1::Entry draft) {
        if (!draft.idempotency_key().empty()) {
            Statement existing(*db_, std::string("SELECT ") + kColumns + " FROM entries WHERE idempotency_key = ?1");
            existing.bind(1, draft.idempotency_key());
            if (existing.step()) return Appended{read_entry(existing), true};
        }
        Statement last(*db_, "SELECT sequence, hash FROM entries ORDER BY sequence DESC LIMIT 1");
        uint64_t sequence = 1;
        std::string previous_hash;
        if (last.step()) {
            sequence = static_cast<uint64_t>(last.integer(0)) + 1;
            previous_hash = last.text(1);
        }
        draft.set_sequence(sequence);
        draft.set_time_unix_ms(
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                .count());
        draft.set_previous_hash(previous_hash);
        draft.set_hash(entry_hash(draft));
        v1::Entry details;
        *details.mutable_details() = draft.details();
        Statement insert(*db_,
                         "INSERT INTO entries (sequence, actor, action, target, outcome, correlation_id, "
                         "time_unix_ms, details, idempotency_key, recorded_by, previous_hash, hash) VALUES "
                         "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULLIF(?9, ''), ?10, ?11, ?12)");
        insert.bind(1, static_cast<int64_t>(sequence))
            .bind(2, draft.actor())
            .bind(3, draft.action())
            .bind(4, draft.target())
            .bind(5, draft.outcome())
            .bind(6, draft.correlation_id())
            .bind(7, draft.time_unix_ms())
            .bind_blob(8, details.SerializeAsString())
            .bind(9, draft.idempotency_key())
            .bind(10, draft.recorded_by())
            .bind(11, draft.previous_hash())
            .bind(12, draft.hash());
        if (sdk::Status inserted = insert.run("insert"); !inserted.ok()) return inserted;
        return Appended{std::move(draft), false};
    }

    std::unique_ptr<SqliteDatabase> db_;
    GroupCommit commits_;  // after db_: stopped, and so every append answered, before the database closes
};

}  // namespace

sdk::Result<std::unique_ptr<AuditStore>> open_sqlite_store(const std::filesystem::path& file) {
    return plugin_support::open_owning_store<AuditStore, SqliteStore>(file, "audit store", kSchema);
}

}  // namespace lanchat::audit
