#include "channel_backends.hpp"

#include <fstream>
#include <iterator>

#include "audit_outbox.hpp"
#include "postgres_database.hpp"
#include "postgres_server.hpp"
#include "sqlite_database.hpp"

namespace lanchat::channel {

namespace {

[[maybe_unused]] const auto* const kPostgres =
    ::testing::AddGlobalTestEnvironment(new lanchat::testing::PostgresEnvironment);

std::string file_bytes(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

ChannelBackend::ChannelBackend(Backend backend, plugin_support::GroupCommit::Limits limits)
    : ChannelBackend(
          backend,
          backend == Backend::postgresql ? lanchat::testing::PostgresEnvironment::server().create_database() : "",
          limits) {}

ChannelBackend::ChannelBackend(Backend backend, std::string dsn, plugin_support::GroupCommit::Limits limits)
    : backend_(backend), dsn_(std::move(dsn)) {
    open(limits);
}

ChannelBackend::~ChannelBackend() {
    store_.reset();
    commits_.reset();
}

void ChannelBackend::open(plugin_support::GroupCommit::Limits limits) {
    if (backend_ == Backend::sqlite) {
        auto database = sdk::value_or_throw(
            plugin_support::SqliteDatabase::open(dir_.path() / "channel.sqlite", "channel store",
                                                 std::string(kChannelSchema) + plugin_support::AuditOutbox::kSchema));
        commits_ = std::make_unique<plugin_support::GroupCommit>(*database, limits);
        store_ = sdk::value_or_throw(open_sqlite_store(*database, *commits_));
        database_ = std::move(database);
        return;
    }
    auto database =
        sdk::value_or_throw(plugin_support::PostgresDatabase::open(dsn_, "channel store", channel_postgres_schema()));
    commits_ = std::make_unique<plugin_support::GroupCommit>(*database, limits);
    store_ = open_postgres_store(*database, *commits_);
    database_ = std::move(database);
}

std::unique_ptr<ChannelBackend> ChannelBackend::another_node() const {
    return std::unique_ptr<ChannelBackend>(new ChannelBackend(backend_, dsn_, {}));
}

std::vector<audit::v1::AppendRequest> ChannelBackend::staged() {
    std::vector<std::string> entries;
    if (backend_ == Backend::sqlite) {
        auto& db = static_cast<plugin_support::SqliteDatabase&>(*database_);
        entries = sdk::value_or_throw(db.read([&] {
            plugin_support::Statement select(db, "SELECT entry FROM audit_outbox ORDER BY id");
            return select.rows([](const plugin_support::Statement& row) { return row.blob(0); }, "read outbox");
        }));
    } else {
        auto& db = static_cast<plugin_support::PostgresDatabase&>(*database_);
        auto rows = sdk::value_or_throw(db.query("SELECT entry FROM audit_outbox ORDER BY id", {}, "read outbox"));
        for (int row = 0; row < rows.size(); ++row) entries.push_back(rows.bytes(row, 0));
    }
    std::vector<audit::v1::AppendRequest> staged(entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
        if (!staged[i].ParseFromString(entries[i])) throw std::runtime_error("an unreadable audit entry was staged");
    }
    return staged;
}

bool ChannelBackend::holds_text(const std::string& text) {
    if (backend_ == Backend::sqlite) {
        auto& db = static_cast<plugin_support::SqliteDatabase&>(*database_);
        db.read([&] {
            plugin_support::Statement checkpoint(db, "PRAGMA wal_checkpoint(TRUNCATE)");
            return checkpoint.step();
        });
        for (const char* suffix : {"", "-wal"}) {
            if (file_bytes(dir_.path() / (std::string("channel.sqlite") + suffix)).find(text) != std::string::npos) {
                return true;
            }
        }
        return false;
    }
    auto& db = static_cast<plugin_support::PostgresDatabase&>(*database_);
    auto rows = sdk::value_or_throw(
        db.query("SELECT count(*) FROM messages WHERE strpos(body, $1) > 0", {text}, "look for a text"));
    return rows.integer(0, 0) > 0;
}

}  // namespace lanchat::channel
