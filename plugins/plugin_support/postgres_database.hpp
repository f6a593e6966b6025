// PostgresDatabase: the shared store of a cluster, through libpq (its headers stay in the .cpp). One
// connection from a DSN, `synchronous_commit = on`: a transaction that returned OK is on the server's disk,
// so a write may be acknowledged. Several nodes may share one database: each store's statements take the
// row locks they need, so what two nodes write at once is serialised by PostgreSQL, never by us.
//
// A lost connection fails what was in flight with UNAVAILABLE ("not acknowledged"), never OK: a COMMIT
// whose answer was lost may have committed or not, and only a retry with the same idempotency key learns
// which. The next call reconnects.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lanchat/sdk/status.hpp"
#include "transactional.hpp"

struct pg_conn;
struct pg_result;

namespace lanchat::plugin_support {

// One parameter of a statement ($1, $2, ...): text, a number, bytes, or NULL.
class PgParam {
public:
    PgParam(std::string_view text) : value_(std::string(text)) {}  // NOLINT: parameters read as values
    PgParam(const std::string& text) : value_(text) {}             // NOLINT
    PgParam(const char* text) : value_(std::string(text)) {}       // NOLINT
    PgParam(int64_t number) : value_(std::to_string(number)) {}    // NOLINT
    static PgParam bytes(std::string_view bytes);
    static PgParam null() { return PgParam(); }
    // An empty text stored as NULL (optional columns such as a client's message id).
    static PgParam text_or_null(std::string_view text) { return text.empty() ? null() : PgParam(text); }

    const std::optional<std::string>& value() const { return value_; }
    bool binary() const { return binary_; }

private:
    PgParam() = default;
    std::optional<std::string> value_;
    bool binary_ = false;
};

// The rows a statement returned, read by row and column (both 0-based), and how many rows it changed.
class PgRows {
public:
    explicit PgRows(pg_result* result);
    ~PgRows();
    PgRows(PgRows&& other) noexcept;
    PgRows& operator=(PgRows&& other) noexcept;
    PgRows(const PgRows&) = delete;
    PgRows& operator=(const PgRows&) = delete;

    int size() const;
    bool empty() const { return size() == 0; }
    int64_t changed() const;  // rows an INSERT, UPDATE or DELETE touched
    std::string text(int row, int column) const;
    int64_t integer(int row, int column) const;
    bool boolean(int row, int column) const;
    std::string bytes(int row, int column) const;
    bool is_null(int row, int column) const;

private:
    friend class PostgresDatabase;
    pg_result* result_;
};

// A store's schema as numbered steps: step N takes version N-1 to N. A database at a newer version than
// the last step is refused (it was written by a newer lanchat).
struct Migration {
    int version;
    const char* sql;  // statements separated by ';'
};

class PostgresDatabase final : public Transactional {
public:
    // Connects with `dsn` (a libpq connection string or URI), names the store `what` in errors ("channel
    // store"), and brings its schema to the last of `migrations` in one transaction.
    static sdk::Result<std::unique_ptr<PostgresDatabase>> open(const std::string& dsn, std::string what,
                                                               const std::vector<Migration>& migrations);
    ~PostgresDatabase() override;
    PostgresDatabase(const PostgresDatabase&) = delete;
    PostgresDatabase& operator=(const PostgresDatabase&) = delete;

    // Runs `work` (returning a Status or a Result) inside BEGIN ... COMMIT under the connection's lock;
    // rolls back if it fails. Returns only after the commit is durable on the server.
    template <class Work>
    auto transaction(Work&& work) -> decltype(work()) {
        std::lock_guard lock(mutex_);
        if (sdk::Status begun = begin(); !begun.ok()) return begun;
        auto result = work();
        if (!result.ok()) {
            rollback();
            return result;
        }
        if (sdk::Status committed = commit(); !committed.ok()) return committed;
        return result;
    }

    // Runs `work` under the connection's lock, each statement its own transaction (reads).
    template <class Work>
    auto read(Work&& work) {
        std::lock_guard lock(mutex_);
        return work();
    }

    // One statement with its parameters; the error names what was being done.
    sdk::Result<PgRows> query(std::string_view sql, const std::vector<PgParam>& params, std::string_view doing);
    // A statement whose rows do not matter; the result says how many rows it changed.
    sdk::Result<int64_t> run(std::string_view sql, const std::vector<PgParam>& params, std::string_view doing);

    sdk::Status run_transaction(const std::function<sdk::Status()>& work) override { return transaction(work); }
    sdk::Status step(std::string_view sql, std::string_view doing) override;
    bool in_transaction() const override;
    const std::string& name() const override { return what_; }
    // The schema version the database was at once open() returned.
    int schema_version() const { return schema_version_; }

private:
    PostgresDatabase(pg_conn* connection, std::string what) : connection_(connection), what_(std::move(what)) {}

    sdk::Status reconnect_if_lost();
    sdk::Status configure_session();
    // Reconnects if the connection was lost, then BEGIN.
    sdk::Status begin();
    sdk::Status commit();
    void rollback();
    sdk::Status migrate(const std::vector<Migration>& migrations);
    // Statements separated by ';', without parameters (a migration step).
    sdk::Status script(const char* sql, std::string_view doing);
    // The failure of the last statement as a Status naming `doing`: UNAVAILABLE when the connection is
    // gone and for a deadlock or serialization failure (nothing stored: the client edge tells clients to
    // retry), ALREADY_EXISTS for a unique violation, INTERNAL otherwise.
    sdk::Status error(std::string_view doing, const pg_result* result) const;

    pg_conn* connection_;
    std::string what_;
    int schema_version_ = 0;
    std::recursive_mutex mutex_;
};

// The connection string in `file` (its first line; surrounding blanks dropped), so a password stays out of
// the node file. Errors name the file and what is wrong with it.
sdk::Result<std::string> read_dsn_file(const std::string& file);

}  // namespace lanchat::plugin_support
