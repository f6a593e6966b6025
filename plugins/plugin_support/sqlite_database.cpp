#include "sqlite_database.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace lanchat::plugin_support {
namespace {

// Makes `file` readable and writable by its owner only, creating it (empty) when `create` and missing.
// SQLite gives the -wal and -shm files it creates the database file's mode, so they follow.
sdk::Status restrict_to_owner(const std::filesystem::path& file, bool create) {
    int fd = ::open(file.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0), 0600);
    if (fd < 0) {
        if (!create && errno == ENOENT) return {};
        return sdk::failed_precondition("cannot open " + file.string() + ": " + std::strerror(errno));
    }
    int changed = ::fchmod(fd, 0600);
    int saved = errno;
    ::close(fd);
    if (changed != 0)
        return sdk::failed_precondition("cannot chmod 600 " + file.string() + ": " + std::strerror(saved));
    return {};
}

}  // namespace

Statement::Statement(SqliteDatabase& database, std::string_view sql) : database_(database) {
    statement_ = database.take_prepared(std::string(sql));
    if (statement_ != nullptr) return;
    last_ = sqlite3_prepare_v2(database.handle(), sql.data(), static_cast<int>(sql.size()), &statement_, nullptr);
}

Statement::~Statement() {
    if (statement_ != nullptr) database_.keep_prepared(statement_);
}

Statement& Statement::bind(int index, std::string_view text) {
    sqlite3_bind_text(statement_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
}

Statement& Statement::bind(int index, int64_t number) {
    sqlite3_bind_int64(statement_, index, number);
    return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
    sqlite3_bind_blob(statement_, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
    return *this;
}

Statement& Statement::bind_null(int index) {
    sqlite3_bind_null(statement_, index);
    return *this;
}

bool Statement::step() {
    if (statement_ == nullptr) return false;
    last_ = sqlite3_step(statement_);
    return last_ == SQLITE_ROW;
}

sdk::Status Statement::run(std::string_view doing) {
    step();
    return status(doing);
}

sdk::Status Statement::status(std::string_view doing) const {
    if (statement_ != nullptr && (last_ == SQLITE_DONE || last_ == SQLITE_ROW || last_ == SQLITE_OK)) return {};
    return database_.error(doing);
}

std::string Statement::text(int column) const {
    const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(statement_, column));
    return data != nullptr ? std::string(data, static_cast<size_t>(sqlite3_column_bytes(statement_, column))) : "";
}

std::string Statement::blob(int column) const {
    const auto* data = static_cast<const char*>(sqlite3_column_blob(statement_, column));
    return data != nullptr ? std::string(data, static_cast<size_t>(sqlite3_column_bytes(statement_, column))) : "";
}

int64_t Statement::integer(int column) const { return sqlite3_column_int64(statement_, column); }

bool Statement::is_null(int column) const { return sqlite3_column_type(statement_, column) == SQLITE_NULL; }

sdk::Result<std::unique_ptr<SqliteDatabase>> SqliteDatabase::open(const std::filesystem::path& file, std::string what,
                                                                  std::string_view schema) {
    // Files left by an older version (or another umask) are tightened too, not only new ones.
    for (const char* suffix : {"", "-wal", "-shm"}) {
        std::filesystem::path part = file.string() + suffix;
        if (sdk::Status made = restrict_to_owner(part, *suffix == '\0'); !made.ok()) {
            return sdk::Status(made.code(), what + ": " + made.message());
        }
    }
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        nullptr) != SQLITE_OK) {
        std::string reason = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
        sqlite3_close(db);
        return sdk::Status(sdk::Code::failed_precondition, "cannot open " + what + " " + file.string() + ": " + reason);
    }
    std::unique_ptr<SqliteDatabase> database(new SqliteDatabase(db, std::move(what)));
    for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA busy_timeout=5000",
                               "PRAGMA foreign_keys=ON", "PRAGMA secure_delete=ON"}) {
        if (sdk::Status done = database->exec(pragma, "setting up " + file.string()); !done.ok()) return done;
    }
    if (sdk::Status done = database->exec(schema, "creating the schema in " + file.string()); !done.ok()) return done;
    return database;
}

SqliteDatabase::~SqliteDatabase() {
    for (auto& [sql, statement] : prepared_) sqlite3_finalize(statement);
    sqlite3_close(db_);
}

sqlite3_stmt* SqliteDatabase::take_prepared(const std::string& sql) {
    std::lock_guard lock(prepared_mutex_);
    auto idle = prepared_.find(sql);
    if (idle == prepared_.end()) return nullptr;
    sqlite3_stmt* statement = idle->second;
    prepared_.erase(idle);
    return statement;
}

void SqliteDatabase::keep_prepared(sqlite3_stmt* statement) {
    constexpr size_t kMaxPrepared = 128;
    sqlite3_reset(statement);
    sqlite3_clear_bindings(statement);
    std::lock_guard lock(prepared_mutex_);
    if (prepared_.size() < kMaxPrepared && prepared_.emplace(sqlite3_sql(statement), statement).second) return;
    sqlite3_finalize(statement);  // a second copy of SQL in use twice at once, or a full cache
}

sdk::Status SqliteDatabase::exec(std::string_view sql, std::string_view doing) {
    std::string statements(sql);
    if (sqlite3_exec(db_, statements.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) return error(doing);
    return {};
}

sdk::Status SqliteDatabase::error(std::string_view doing) const {
    const std::string where = what_ + ": " + std::string(doing) + ": ";
    // A full disk is not a bug of ours and passes once the operator frees space: RESOURCE_EXHAUSTED (gRPC's
    // code for an out-of-space file system) says "retry later", and, unlike UNAVAILABLE, does not count
    // against the serving endpoint, so the mesh's breaker keeps the reads that still work flowing to it.
    if (disk_full()) {
        return sdk::Status(sdk::Code::resource_exhausted,
                           where + std::string(kDiskFull) + "; nothing was stored (" + sqlite3_errmsg(db_) + ")");
    }
    return sdk::Status(sdk::Code::internal, where + sqlite3_errmsg(db_));
}

bool SqliteDatabase::disk_full() const {
    // SQLite reports a short write as SQLITE_FULL; a failing resize of the WAL index is an I/O error whose
    // errno says the same.
    return (sqlite3_extended_errcode(db_) & 0xff) == SQLITE_FULL || sqlite3_system_errno(db_) == ENOSPC;
}

int64_t SqliteDatabase::changes() const { return sqlite3_changes(db_); }

bool SqliteDatabase::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

}  // namespace lanchat::plugin_support
