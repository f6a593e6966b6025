// The embedded AuditStore: one SQLite file in the plugin's data dir, WAL, synchronous=FULL (an append is
// acknowledged only after its commit reached the disk).
#include <sqlite3.h>

#include <chrono>
#include <mutex>

#include "audit_store.hpp"
#include "hash_chain.hpp"

namespace lanchat::audit {
namespace {

class Statement {
public:
    Statement(sqlite3* db, const char* sql) { sqlite3_prepare_v2(db, sql, -1, &statement_, nullptr); }
    ~Statement() { sqlite3_finalize(statement_); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    sqlite3_stmt* get() const { return statement_; }
    explicit operator bool() const { return statement_ != nullptr; }

    void bind(int index, const std::string& text) {
        sqlite3_bind_text(statement_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    }
    void bind(int index, int64_t number) { sqlite3_bind_int64(statement_, index, number); }
    std::string text(int column) const {
        const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(statement_, column));
        return data != nullptr ? std::string(data, static_cast<size_t>(sqlite3_column_bytes(statement_, column))) : "";
    }
    std::string blob(int column) const {
        const auto* data = static_cast<const char*>(sqlite3_column_blob(statement_, column));
        return data != nullptr ? std::string(data, static_cast<size_t>(sqlite3_column_bytes(statement_, column))) : "";
    }

private:
    sqlite3_stmt* statement_ = nullptr;
};

constexpr const char* kColumns =
    "sequence, actor, action, target, outcome, correlation_id, time_unix_ms, details, idempotency_key, "
    "recorded_by, previous_hash, hash";

v1::Entry read_entry(const Statement& row) {
    v1::Entry entry;
    entry.set_sequence(static_cast<uint64_t>(sqlite3_column_int64(row.get(), 0)));
    entry.set_actor(row.text(1));
    entry.set_action(row.text(2));
    entry.set_target(row.text(3));
    entry.set_outcome(row.text(4));
    entry.set_correlation_id(row.text(5));
    entry.set_time_unix_ms(sqlite3_column_int64(row.get(), 6));
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
    explicit SqliteStore(sqlite3* db) : db_(db) {}
    ~SqliteStore() override { sqlite3_close(db_); }

    sdk::Status error(const std::string& doing) const {
        return sdk::Status(sdk::Code::internal, "audit store: " + doing + ": " + sqlite3_errmsg(db_));
    }

    sdk::Status exec(const char* sql, const std::string& doing) {
        if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) return error(doing);
        return {};
    }

    sdk::Result<Appended> append(v1::Entry draft) override {
        std::lock_guard lock(mutex_);
        if (sdk::Status begun = exec("BEGIN IMMEDIATE", "begin"); !begun.ok()) return begun;
        auto appended = append_in_transaction(std::move(draft));
        if (!appended.ok()) {
            exec("ROLLBACK", "rollback");
            return appended.status();
        }
        if (sdk::Status committed = exec("COMMIT", "commit"); !committed.ok()) {
            exec("ROLLBACK", "rollback");
            return committed;
        }
        return appended;
    }

    sdk::Result<std::vector<v1::Entry>> query(const Filter& filter, uint64_t after_sequence, uint32_t limit) override {
        std::lock_guard lock(mutex_);
        std::string sql = std::string("SELECT ") + kColumns +
                          " FROM entries WHERE sequence > ?1 AND time_unix_ms >= ?2 AND (?3 = 0 OR time_unix_ms < ?3)"
                          " AND (?4 = '' OR actor = ?4) AND (?5 = '' OR action = ?5) ORDER BY sequence LIMIT ?6";
        Statement select(db_, sql.c_str());
        if (!select) return error("prepare query");
        select.bind(1, static_cast<int64_t>(after_sequence));
        select.bind(2, filter.from_unix_ms);
        select.bind(3, filter.to_unix_ms);
        select.bind(4, filter.actor);
        select.bind(5, filter.action);
        select.bind(6, static_cast<int64_t>(limit));
        std::vector<v1::Entry> entries;
        int step;
        while ((step = sqlite3_step(select.get())) == SQLITE_ROW) entries.push_back(read_entry(select));
        if (step != SQLITE_DONE) return error("query");
        return entries;
    }

    sdk::Result<Verdict> verify() override {
        std::lock_guard lock(mutex_);
        Statement select(db_, (std::string("SELECT ") + kColumns + " FROM entries ORDER BY sequence").c_str());
        if (!select) return error("prepare verify");
        Verdict verdict;
        std::string previous;
        uint64_t expected_sequence = 1;
        int step;
        while ((step = sqlite3_step(select.get())) == SQLITE_ROW) {
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
                verdict = {false, verdict.entries, expected_sequence, "entry " + std::to_string(expected_sequence) +
                                                                          ": " + reason};
            }
            previous = entry.hash();
            expected_sequence = entry.sequence() + 1;
        }
        if (step != SQLITE_DONE) return error("verify");
        return verdict;
    }

private:
    sdk::Result<Appended> append_in_transaction(v1::Entry draft) {
        if (!draft.idempotency_key().empty()) {
            Statement existing(db_, (std::string("SELECT ") + kColumns + " FROM entries WHERE idempotency_key = ?1").c_str());
            existing.bind(1, draft.idempotency_key());
            if (sqlite3_step(existing.get()) == SQLITE_ROW) return Appended{read_entry(existing), true};
        }
        Statement last(db_, "SELECT sequence, hash FROM entries ORDER BY sequence DESC LIMIT 1");
        uint64_t sequence = 1;
        std::string previous_hash;
        if (sqlite3_step(last.get()) == SQLITE_ROW) {
            sequence = static_cast<uint64_t>(sqlite3_column_int64(last.get(), 0)) + 1;
            previous_hash = last.text(1);
        }
        draft.set_sequence(sequence);
        draft.set_time_unix_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch()).count());
        draft.set_previous_hash(previous_hash);
        draft.set_hash(entry_hash(draft));
        v1::Entry details;
        *details.mutable_details() = draft.details();
        Statement insert(db_, "INSERT INTO entries (sequence, actor, action, target, outcome, correlation_id, "
                              "time_unix_ms, details, idempotency_key, recorded_by, previous_hash, hash) VALUES "
                              "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULLIF(?9, ''), ?10, ?11, ?12)");
        if (!insert) return error("prepare insert");
        insert.bind(1, static_cast<int64_t>(sequence));
        insert.bind(2, draft.actor());
        insert.bind(3, draft.action());
        insert.bind(4, draft.target());
        insert.bind(5, draft.outcome());
        insert.bind(6, draft.correlation_id());
        insert.bind(7, draft.time_unix_ms());
        std::string blob = details.SerializeAsString();
        sqlite3_bind_blob(insert.get(), 8, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
        insert.bind(9, draft.idempotency_key());
        insert.bind(10, draft.recorded_by());
        insert.bind(11, draft.previous_hash());
        insert.bind(12, draft.hash());
        if (sqlite3_step(insert.get()) != SQLITE_DONE) return error("insert");
        return Appended{std::move(draft), false};
    }

    sqlite3* db_;
    std::mutex mutex_;
};

}  // namespace

sdk::Result<std::unique_ptr<AuditStore>> open_sqlite_store(const std::filesystem::path& file) {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        nullptr) != SQLITE_OK) {
        std::string reason = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
        sqlite3_close(db);
        return sdk::Status(sdk::Code::failed_precondition, "cannot open audit store " + file.string() + ": " + reason);
    }
    auto store = std::make_unique<SqliteStore>(db);
    for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA busy_timeout=5000",
                            "CREATE TABLE IF NOT EXISTS entries (sequence INTEGER PRIMARY KEY, actor TEXT NOT NULL, "
                            "action TEXT NOT NULL, target TEXT NOT NULL, outcome TEXT NOT NULL, correlation_id TEXT "
                            "NOT NULL, time_unix_ms INTEGER NOT NULL, details BLOB, idempotency_key TEXT UNIQUE, "
                            "recorded_by TEXT NOT NULL, previous_hash TEXT NOT NULL, hash TEXT NOT NULL)",
                            "CREATE INDEX IF NOT EXISTS entries_by_time ON entries (time_unix_ms)"}) {
        if (sdk::Status done = store->exec(sql, "setting up " + file.string()); !done.ok()) return done;
    }
    return std::unique_ptr<AuditStore>(std::move(store));
}

}  // namespace lanchat::audit
