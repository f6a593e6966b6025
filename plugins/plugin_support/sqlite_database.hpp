// SqliteDatabase: the embedded store every service plugin uses by default. One file in the plugin's data
// dir, WAL, synchronous=FULL: a transaction that returned is on the disk, so a write may be acknowledged.
// Each service keeps its own store interface above this; postgres_database.hpp is the shared alternative.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "lanchat/sdk/status.hpp"
#include "transactional.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace lanchat::plugin_support {

class SqliteDatabase;

// What every store's error says when a write found the disk full; the gateway tells clients `unavailable`
// by it, and a retry with the same request succeeds once space returns.
inline constexpr std::string_view kDiskFull = "the server's disk is full";

// One prepared statement; bind by 1-based index, read columns by 0-based index while step() is true.
// Its SQL is prepared once per database and reused: a Statement takes the database's idle copy, if any, and
// gives it back reset when it goes.
class Statement {
public:
    Statement(SqliteDatabase& database, std::string_view sql);
    ~Statement();
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    Statement& bind(int index, std::string_view text);
    Statement& bind(int index, int64_t number);
    Statement& bind_blob(int index, std::string_view bytes);
    Statement& bind_null(int index);

    // True while a row is available; false when done. A failure is kept and reported by status().
    bool step();
    // Steps a statement that returns no rows; the error names what was being done.
    sdk::Status run(std::string_view doing);
    sdk::Status status(std::string_view doing) const;
    // Every remaining row, each made by `read` from this statement; a failure while stepping is the result
    // instead, naming what was being done.
    template <class Read>
    auto rows(Read&& read, std::string_view doing) -> sdk::Result<std::vector<decltype(read(*this))>> {
        std::vector<decltype(read(*this))> all;
        while (step()) all.push_back(read(*this));
        if (sdk::Status done = status(doing); !done.ok()) return done;
        return all;
    }

    std::string text(int column) const;
    std::string blob(int column) const;
    int64_t integer(int column) const;
    bool is_null(int column) const;

private:
    SqliteDatabase& database_;
    sqlite3_stmt* statement_ = nullptr;
    int last_ = 0;
};

class SqliteDatabase final : public Transactional {
public:
    // Opens (creating if needed) `file` and runs `schema` (statements separated by ';') once.
    // `what` names the store in errors, e.g. "identity store".
    static sdk::Result<std::unique_ptr<SqliteDatabase>> open(const std::filesystem::path& file, std::string what,
                                                             std::string_view schema);
    ~SqliteDatabase() override;
    SqliteDatabase(const SqliteDatabase&) = delete;
    SqliteDatabase& operator=(const SqliteDatabase&) = delete;

    // Runs `work` (returning a Status or a Result) inside BEGIN IMMEDIATE ... COMMIT under the database's
    // lock; rolls back if it fails. Returns only after the commit is durable.
    template <class Work>
    auto transaction(Work&& work) -> decltype(work()) {
        std::lock_guard lock(mutex_);
        if (sdk::Status begun = exec("BEGIN IMMEDIATE", "begin"); !begun.ok()) return begun;
        auto result = work();
        if (!result.ok()) {
            (void)exec("ROLLBACK", "rollback");
            return result;
        }
        if (sdk::Status committed = exec("COMMIT", "commit"); !committed.ok()) {
            (void)exec("ROLLBACK", "rollback");
            return committed;
        }
        return result;
    }

    sdk::Status run_transaction(const std::function<sdk::Status()>& work) override { return transaction(work); }
    sdk::Status step(std::string_view sql, std::string_view doing) override { return Statement(*this, sql).run(doing); }

    // Runs `work` under the database's lock without a transaction (reads).
    template <class Work>
    auto read(Work&& work) {
        std::lock_guard lock(mutex_);
        return work();
    }

    sdk::Status exec(std::string_view sql, std::string_view doing);
    // The last failure as a Status naming `doing`: RESOURCE_EXHAUSTED saying kDiskFull when the disk is
    // full, INTERNAL otherwise.
    sdk::Status error(std::string_view doing) const;
    int64_t changes() const;
    // False outside BEGIN ... COMMIT, and after SQLite rolled a transaction back by itself (I/O error, full
    // disk).
    bool in_transaction() const override;
    const std::string& name() const override { return what_; }
    sqlite3* handle() const { return db_; }

private:
    friend class Statement;
    SqliteDatabase(sqlite3* db, std::string what) : db_(db), what_(std::move(what)) {}

    bool disk_full() const;  // whether the last failure was a write the disk had no room for
    // The idle prepared copy of `sql`, taken out of the cache; nullptr when there is none.
    sqlite3_stmt* take_prepared(const std::string& sql);
    // Keeps `statement` (reset) for the next Statement of the same SQL, or finalizes it.
    void keep_prepared(sqlite3_stmt* statement);

    sqlite3* db_;
    std::string what_;
    std::recursive_mutex mutex_;
    std::mutex prepared_mutex_;
    std::unordered_map<std::string, sqlite3_stmt*> prepared_;  // by SQL text; the code has a bounded set
};

// Opens a store that owns its database: `file` with `schema`, handed to `Store` and returned as the
// `Interface` the service uses.
template <class Interface, class Store>
sdk::Result<std::unique_ptr<Interface>> open_owning_store(const std::filesystem::path& file, std::string what,
                                                          std::string_view schema) {
    auto db = SqliteDatabase::open(file, std::move(what), schema);
    if (!db.ok()) return db.status();
    return std::unique_ptr<Interface>(std::make_unique<Store>(std::move(db).value()));
}

}  // namespace lanchat::plugin_support
