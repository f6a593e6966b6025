#include "postgres_database.hpp"

#include <libpq-fe.h>

#include <cstdlib>
#include <fstream>
#include <utility>

namespace lanchat::plugin_support {

namespace {

// SQLSTATEs a caller can act on (PostgreSQL's errcodes.h).
constexpr std::string_view kUniqueViolation = "23505";
constexpr std::string_view kSerializationFailure = "40001";
constexpr std::string_view kDeadlockDetected = "40P01";

// Where the server is, for errors: never the DSN itself, which may hold a password.
std::string server_of(const PGconn* connection) {
    const char* host = PQhost(connection);
    const char* port = PQport(connection);
    std::string where = host != nullptr && *host != '\0' ? host : "the default socket";
    if (port != nullptr && *port != '\0') where += ":" + std::string(port);
    return where;
}

// libpq's messages end in a newline (and sometimes hold several lines): one line for a log.
std::string one_line(const char* message) {
    std::string text = message != nullptr ? message : "";
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    for (char& c : text) {
        if (c == '\n') c = ' ';
    }
    return text;
}

sdk::Status check_dsn(const std::string& dsn) {
    char* problem = nullptr;
    PQconninfoOption* options = PQconninfoParse(dsn.c_str(), &problem);
    if (options == nullptr) {
        std::string why = problem != nullptr ? one_line(problem) : "out of memory";
        PQfreemem(problem);
        return sdk::invalid_argument("the PostgreSQL connection string is not valid: " + why +
                                     " (write key=value pairs or a postgresql:// URI)");
    }
    PQconninfoFree(options);
    return {};
}

// The server's notices ("relation already exists, skipping", "terminating connection") are not the node's
// to print: libpq's default writes them to stderr, among the node's JSON log lines.
void ignore_notice(void*, const char*) {}

// The DSN with a 5 s connect timeout unless it sets its own (the DSN's own keys are applied after ours).
PGconn* connect(const std::string& dsn) {
    const char* keywords[] = {"connect_timeout", "dbname", nullptr};
    const char* values[] = {"5", dsn.c_str(), nullptr};
    PGconn* connection = PQconnectdbParams(keywords, values, 1);
    if (connection != nullptr) PQsetNoticeProcessor(connection, ignore_notice, nullptr);
    return connection;
}

}  // namespace

PgParam PgParam::bytes(std::string_view bytes) {
    PgParam param(bytes);
    param.binary_ = true;
    return param;
}

PgRows::PgRows(pg_result* result) : result_(result) {}
PgRows::~PgRows() { PQclear(result_); }
PgRows::PgRows(PgRows&& other) noexcept : result_(std::exchange(other.result_, nullptr)) {}
PgRows& PgRows::operator=(PgRows&& other) noexcept {
    if (this != &other) {
        PQclear(result_);
        result_ = std::exchange(other.result_, nullptr);
    }
    return *this;
}

int PgRows::size() const { return PQntuples(result_); }

int64_t PgRows::changed() const {
    const char* count = PQcmdTuples(result_);
    return count != nullptr && *count != '\0' ? std::strtoll(count, nullptr, 10) : 0;
}

std::string PgRows::text(int row, int column) const {
    return std::string(PQgetvalue(result_, row, column), static_cast<size_t>(PQgetlength(result_, row, column)));
}

int64_t PgRows::integer(int row, int column) const {
    return std::strtoll(PQgetvalue(result_, row, column), nullptr, 10);
}

bool PgRows::boolean(int row, int column) const { return PQgetvalue(result_, row, column)[0] == 't'; }

std::string PgRows::bytes(int row, int column) const {
    size_t length = 0;
    unsigned char* raw =
        PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(result_, row, column)), &length);
    if (raw == nullptr) return {};
    std::string bytes(reinterpret_cast<const char*>(raw), length);
    PQfreemem(raw);
    return bytes;
}

bool PgRows::is_null(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }

sdk::Result<std::unique_ptr<PostgresDatabase>> PostgresDatabase::open(const std::string& dsn, std::string what,
                                                                      const std::vector<Migration>& migrations) {
    if (sdk::Status valid = check_dsn(dsn); !valid.ok()) return sdk::invalid_argument(what + ": " + valid.message());
    PGconn* connection = connect(dsn);
    if (connection == nullptr) return sdk::internal_error(what + ": cannot allocate a PostgreSQL connection");
    if (PQstatus(connection) != CONNECTION_OK) {
        sdk::Status failed = sdk::unavailable(what + ": cannot connect to PostgreSQL at " + server_of(connection) +
                                              ": " + one_line(PQerrorMessage(connection)));
        PQfinish(connection);
        return failed;
    }
    std::unique_ptr<PostgresDatabase> database(new PostgresDatabase(connection, std::move(what)));
    if (sdk::Status migrated = database->migrate(migrations); !migrated.ok()) return migrated;
    return database;
}

PostgresDatabase::~PostgresDatabase() { PQfinish(connection_); }

// Nodes starting at once migrate one after another: the advisory lock is held until the commit. Each store
// keeps its own version, so stores may share one database.
sdk::Status PostgresDatabase::migrate(const std::vector<Migration>& migrations) {
    if (sdk::Status set = configure_session(); !set.ok()) return set;
    const int latest = migrations.empty() ? 0 : migrations.back().version;
    auto version = transaction([&]() -> sdk::Result<int> {
        if (auto locked = query("SELECT pg_advisory_xact_lock(hashtext('lanchat_schema'))", {}, "lock the schema");
            !locked.ok()) {
            return locked.status();
        }
        if (sdk::Status made = script("CREATE TABLE IF NOT EXISTS lanchat_schema (store TEXT PRIMARY KEY, "
                                      "version INTEGER NOT NULL)",
                                      "create the schema version table");
            !made.ok()) {
            return made;
        }
        auto found = query("SELECT version FROM lanchat_schema WHERE store = $1", {what_}, "read the schema version");
        if (!found.ok()) return found.status();
        const int current = found->empty() ? 0 : static_cast<int>(found->integer(0, 0));
        if (current > latest) {
            return sdk::failed_precondition(
                what_ + ": the PostgreSQL schema is at version " + std::to_string(current) +
                ", newer than this lanchat knows (" + std::to_string(latest) +
                "): a newer lanchat wrote it; run that version, or give this node another database");
        }
        for (const Migration& step : migrations) {
            if (step.version <= current) continue;
            if (sdk::Status applied = script(step.sql, "apply schema version " + std::to_string(step.version));
                !applied.ok()) {
                return applied;
            }
        }
        auto stored = run(
            "INSERT INTO lanchat_schema (store, version) VALUES ($1, $2) ON CONFLICT (store) DO UPDATE SET version = "
            "EXCLUDED.version",
            {what_, int64_t{latest}}, "record the schema version");
        if (!stored.ok()) return stored.status();
        return latest;
    });
    if (!version.ok()) return version.status();
    schema_version_ = *version;
    return {};
}

sdk::Status PostgresDatabase::script(const char* sql, std::string_view doing) {
    PgRows done(PQexec(connection_, sql));
    return error(doing, done.result_);
}

sdk::Result<PgRows> PostgresDatabase::query(std::string_view sql, const std::vector<PgParam>& params,
                                            std::string_view doing) {
    std::lock_guard lock(mutex_);
    if (sdk::Status connected = reconnect_if_lost(); !connected.ok()) return connected;
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats;
    for (const PgParam& param : params) {
        values.push_back(param.value() ? param.value()->data() : nullptr);
        lengths.push_back(param.value() ? static_cast<int>(param.value()->size()) : 0);
        formats.push_back(param.binary() ? 1 : 0);
    }
    const std::string statement(sql);
    PgRows rows(PQexecParams(connection_, statement.c_str(), static_cast<int>(params.size()), nullptr, values.data(),
                             lengths.data(), formats.data(), 0));
    if (sdk::Status failed = error(doing, rows.result_); !failed.ok()) return failed;
    return rows;
}

sdk::Result<int64_t> PostgresDatabase::run(std::string_view sql, const std::vector<PgParam>& params,
                                           std::string_view doing) {
    auto rows = query(sql, params, doing);
    if (!rows.ok()) return rows.status();
    return rows->changed();
}

sdk::Status PostgresDatabase::step(std::string_view sql, std::string_view doing) {
    return run(sql, {}, doing).status();
}

bool PostgresDatabase::in_transaction() const {
    const PGTransactionStatusType state = PQtransactionStatus(connection_);
    return state == PQTRANS_INTRANS || state == PQTRANS_INERROR || state == PQTRANS_ACTIVE;
}

// A connection lost between transactions is made again; one lost inside a transaction fails it first (the
// server rolled it back), and the next transaction reconnects.
sdk::Status PostgresDatabase::reconnect_if_lost() {
    if (PQstatus(connection_) == CONNECTION_OK || in_transaction()) return {};
    PQreset(connection_);
    if (PQstatus(connection_) == CONNECTION_OK) return configure_session();
    return sdk::unavailable(what_ + ": lost PostgreSQL at " + server_of(connection_) + " and cannot reconnect: " +
                            one_line(PQerrorMessage(connection_)) + "; nothing is acknowledged until it is back");
}

// Every commit waits for the server's disk, whatever the server's or the role's default says.
sdk::Status PostgresDatabase::configure_session() {
    return script("SET synchronous_commit = on", "set synchronous_commit");
}

sdk::Status PostgresDatabase::begin() {
    if (sdk::Status connected = reconnect_if_lost(); !connected.ok()) return connected;
    return step("BEGIN", "begin");
}

sdk::Status PostgresDatabase::commit() {
    sdk::Status committed = step("COMMIT", "commit");
    if (committed.ok()) return committed;
    if (in_transaction()) rollback();
    if (committed.code() == sdk::Code::unavailable) {
        return sdk::unavailable(committed.message() +
                                "; the write may or may not have committed: it was not "
                                "acknowledged, retry with the same idempotency key");
    }
    return committed;
}

void PostgresDatabase::rollback() {
    if (in_transaction()) (void)step("ROLLBACK", "rollback");
}

sdk::Status PostgresDatabase::error(std::string_view doing, const pg_result* result) const {
    const ExecStatusType state = result != nullptr ? PQresultStatus(result) : PGRES_FATAL_ERROR;
    if (state == PGRES_COMMAND_OK || state == PGRES_TUPLES_OK) return {};
    const std::string where = what_ + ": " + std::string(doing) + ": ";
    if (PQstatus(connection_) != CONNECTION_OK) {
        return sdk::unavailable(where + "lost the connection to PostgreSQL at " + server_of(connection_) + " (" +
                                one_line(PQerrorMessage(connection_)) + ")");
    }
    const char* code = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    const std::string message =
        one_line(result != nullptr ? PQresultErrorMessage(result) : PQerrorMessage(connection_));
    const std::string_view sqlstate = code != nullptr ? code : "";
    if (sqlstate == kUniqueViolation) return {sdk::Code::already_exists, where + message};
    if (sqlstate == kDeadlockDetected || sqlstate == kSerializationFailure) {
        return sdk::unavailable(where + "a concurrent write (another node's?) conflicted: " + message +
                                "; nothing was stored, retry");
    }
    return sdk::internal_error(where + message);
}

sdk::Result<std::string> read_dsn_file(const std::string& file) {
    std::ifstream in(file);
    if (!in) return sdk::invalid_argument("postgres_dsn_file " + file + " cannot be read");
    std::string line;
    std::getline(in, line);
    const size_t first = line.find_first_not_of(" \t\r");
    const size_t last = line.find_last_not_of(" \t\r");
    if (first == std::string::npos) {
        return sdk::invalid_argument("postgres_dsn_file " + file +
                                     " is empty: write the connection string on its first line");
    }
    return line.substr(first, last - first + 1);
}

}  // namespace lanchat::plugin_support
