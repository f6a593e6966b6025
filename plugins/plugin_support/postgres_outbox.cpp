#include "postgres_outbox.hpp"

#include <string>

#include "audit_outbox.hpp"

namespace lanchat::plugin_support {

namespace {

class PostgresQueue final : public OutboxQueue {
public:
    PostgresQueue(PostgresDatabase& database, std::string_view table) : database_(database), table_(table) {}

    sdk::Status push(const audit::v1::AppendRequest& entry) override {
        return database_.transaction([&] { return stage_in_postgres(database_, entry, table_); });
    }

    std::optional<Entry> oldest() override {
        auto rows =
            database_.query("SELECT id, entry FROM " + table_ + " ORDER BY id LIMIT 1", {}, "read audit outbox");
        if (!rows.ok() || rows->empty()) return std::nullopt;
        return Entry{rows->integer(0, 0), rows->bytes(0, 1)};
    }

    sdk::Status remove(int64_t id) override {
        return database_.run("DELETE FROM " + table_ + " WHERE id = $1", {id}, "remove sent audit entry").status();
    }

    uint64_t size() override {
        auto rows = database_.query("SELECT count(*) FROM " + table_, {}, "count audit outbox");
        return rows.ok() ? static_cast<uint64_t>(rows->integer(0, 0)) : 0;
    }

private:
    PostgresDatabase& database_;
    const std::string table_;
};

}  // namespace

sdk::Status stage_in_postgres(PostgresDatabase& database, audit::v1::AppendRequest entry, std::string_view table) {
    return database
        .run("INSERT INTO " + std::string(table) + " (entry) VALUES ($1)",
             {PgParam::bytes(AuditOutbox::keyed(entry).SerializeAsString())}, "queue audit entry")
        .status();
}

sdk::Status stage_all_in_postgres(PostgresDatabase& database, const AuditRecords& records, std::string_view table) {
    for (const audit::v1::AppendRequest& record : records) {
        if (sdk::Status staged = stage_in_postgres(database, record, table); !staged.ok()) return staged;
    }
    return {};
}

std::unique_ptr<OutboxQueue> postgres_outbox(PostgresDatabase& database, std::string_view table) {
    return std::make_unique<PostgresQueue>(database, table);
}

}  // namespace lanchat::plugin_support
