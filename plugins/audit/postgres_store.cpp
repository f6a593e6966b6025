// The shared AuditStore, in PostgreSQL (plugins/plugin_support/postgres_database.hpp): one chain for every
// node. Each append takes the chain's advisory lock first (held until its commit), so appends from all nodes
// are serialised by PostgreSQL: each sees the last entry and the idempotency keys the others committed, and
// chains to the entry before it whichever node wrote that.
#include <chrono>

#include "audit_store.hpp"
#include "group_commit.hpp"
#include "hash_chain.hpp"
#include "postgres_database.hpp"

namespace lanchat::audit {
namespace {

using plugin_support::GroupCommit;
using plugin_support::PgParam;
using plugin_support::PgRows;
using plugin_support::PostgresDatabase;

const std::vector<plugin_support::Migration> kMigrations = {
    {1,
     "CREATE TABLE entries (sequence BIGINT PRIMARY KEY, actor TEXT NOT NULL, action TEXT NOT NULL, "
     "target TEXT NOT NULL, outcome TEXT NOT NULL, correlation_id TEXT NOT NULL, time_unix_ms BIGINT NOT NULL, "
     "details BYTEA, idempotency_key TEXT UNIQUE, recorded_by TEXT NOT NULL, previous_hash TEXT NOT NULL, "
     "hash TEXT NOT NULL);"
     "CREATE INDEX entries_by_time ON entries (time_unix_ms)"},
};

// pg_advisory_xact_lock's key for the chain: any constant every node agrees on ("audit" in ASCII).
constexpr int64_t kChainLock = 0x6175646974;

constexpr const char* kColumns =
    "sequence, actor, action, target, outcome, correlation_id, time_unix_ms, details, idempotency_key, "
    "recorded_by, previous_hash, hash";

v1::Entry read_entry(const PgRows& rows, int row) {
    v1::Entry entry;
    entry.set_sequence(static_cast<uint64_t>(rows.integer(row, 0)));
    entry.set_actor(rows.text(row, 1));
    entry.set_action(rows.text(row, 2));
    entry.set_target(rows.text(row, 3));
    entry.set_outcome(rows.text(row, 4));
    entry.set_correlation_id(rows.text(row, 5));
    entry.set_time_unix_ms(rows.integer(row, 6));
    v1::Entry details;  // stored as an Entry holding only its details map
    details.ParseFromString(rows.bytes(row, 7));
    *entry.mutable_details() = details.details();
    entry.set_idempotency_key(rows.text(row, 8));
    entry.set_recorded_by(rows.text(row, 9));
    entry.set_previous_hash(rows.text(row, 10));
    entry.set_hash(rows.text(row, 11));
    return entry;
}

int64_t as_integer(uint64_t value) { return static_cast<int64_t>(value); }

class PostgresStore final : public AuditStore {
public:
    explicit PostgresStore(std::unique_ptr<PostgresDatabase> db) : db_(std::move(db)), commits_(*db_) {}

    void append(v1::Entry draft, AppendDone done) override {
        commits_.submit<Appended>(
            [this, draft = std::move(draft)]() mutable { return append_in_transaction(std::move(draft)); },
            std::move(done));
    }

    void close() override { commits_.stop(); }

    sdk::Result<std::vector<v1::Entry>> query(const Filter& filter, uint64_t after_sequence, uint32_t limit) override {
        auto rows = db_->query(std::string("SELECT ") + kColumns +
                                   " FROM entries WHERE sequence > $1 AND time_unix_ms >= $2 AND ($3::bigint = 0 OR "
                                   "time_unix_ms < $3) AND ($4 = '' OR actor = $4) AND ($5 = '' OR action = $5) "
                                   "ORDER BY sequence LIMIT $6",
                               {as_integer(after_sequence), filter.from_unix_ms, filter.to_unix_ms, filter.actor,
                                filter.action, int64_t{limit}},
                               "query");
        if (!rows.ok()) return rows.status();
        std::vector<v1::Entry> entries;
        for (int row = 0; row < rows->size(); ++row) entries.push_back(read_entry(*rows, row));
        return entries;
    }

    // Reads the chain a page at a time, so a long record never sits in memory whole.
    sdk::Result<Verdict> verify() override {
        Verdict verdict;
        std::string previous;
        uint64_t expected_sequence = 1;
        for (uint64_t after = 0;;) {
            auto page = db_->query(
                std::string("SELECT ") + kColumns + " FROM entries WHERE sequence > $1 ORDER BY sequence LIMIT 1000",
                {as_integer(after)}, "verify");
            if (!page.ok()) return page.status();
            if (page->empty()) return verdict;
            for (int row = 0; row < page->size(); ++row) {
                v1::Entry entry = read_entry(*page, row);
                ++verdict.entries;
                const std::string reason = fault_of(entry, expected_sequence, previous);
                if (!reason.empty() && verdict.intact) {
                    verdict = {false, verdict.entries, expected_sequence,
                               "entry " + std::to_string(expected_sequence) + ": " + reason};
                }
                previous = entry.hash();
                expected_sequence = entry.sequence() + 1;
                after = entry.sequence();
            }
        }
    }

    sdk::Result<std::string> hash_at(uint64_t sequence) override {
        auto rows = db_->query("SELECT hash FROM entries WHERE sequence = $1", {as_integer(sequence)}, "read a hash");
        if (!rows.ok()) return rows.status();
        return rows->empty() ? std::string() : rows->text(0, 0);
    }

    sdk::Result<uint64_t> count() override {
        auto rows = db_->query("SELECT count(*) FROM entries", {}, "count entries");
        if (!rows.ok()) return rows.status();
        return static_cast<uint64_t>(rows->integer(0, 0));
    }

private:
    static std::string fault_of(const v1::Entry& entry, uint64_t expected_sequence, const std::string& previous) {
        if (entry.sequence() != expected_sequence)
            return "sequence " + std::to_string(expected_sequence) + " is missing";
        if (entry.previous_hash() != previous)
            return "its previous_hash does not match the hash of the entry before it";
        if (entry_hash(entry) != entry.hash()) {
            return "its content does not match its hash (the entry was changed after it was written)";
        }
        return {};
    }

    sdk::Result<Appended> append_in_transaction(v1::Entry draft) {
        if (auto locked = db_->query("SELECT pg_advisory_xact_lock($1)", {kChainLock}, "lock the chain");
            !locked.ok()) {
            return locked.status();
        }
        if (!draft.idempotency_key().empty()) {
            auto existing = db_->query(std::string("SELECT ") + kColumns + " FROM entries WHERE idempotency_key = $1",
                                       {draft.idempotency_key()}, "find a repeat");
            if (!existing.ok()) return existing.status();
            if (!existing->empty()) return Appended{read_entry(*existing, 0), true};
        }
        auto last =
            db_->query("SELECT sequence, hash FROM entries ORDER BY sequence DESC LIMIT 1", {}, "read the last");
        if (!last.ok()) return last.status();
        const uint64_t sequence = last->empty() ? 1 : static_cast<uint64_t>(last->integer(0, 0)) + 1;
        draft.set_sequence(sequence);
        draft.set_time_unix_ms(
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                .count());
        draft.set_previous_hash(last->empty() ? std::string() : last->text(0, 1));
        draft.set_hash(entry_hash(draft));
        v1::Entry details;
        *details.mutable_details() = draft.details();
        auto inserted = db_->run(
            "INSERT INTO entries (sequence, actor, action, target, outcome, correlation_id, time_unix_ms, details, "
            "idempotency_key, recorded_by, previous_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
            "$11, $12)",
            {as_integer(sequence), draft.actor(), draft.action(), draft.target(), draft.outcome(),
             draft.correlation_id(), draft.time_unix_ms(), PgParam::bytes(details.SerializeAsString()),
             PgParam::text_or_null(draft.idempotency_key()), draft.recorded_by(), draft.previous_hash(), draft.hash()},
            "insert");
        if (!inserted.ok()) return inserted.status();
        return Appended{std::move(draft), false};
    }

    std::unique_ptr<PostgresDatabase> db_;
    GroupCommit commits_;  // after db_: stopped, and so every append answered, before the connection closes
};

}  // namespace

sdk::Result<std::unique_ptr<AuditStore>> open_postgres_store(const std::string& dsn) {
    auto db = PostgresDatabase::open(dsn, "audit store", kMigrations);
    if (!db.ok()) return db.status();
    return std::unique_ptr<AuditStore>(std::make_unique<PostgresStore>(std::move(db).value()));
}

}  // namespace lanchat::audit
