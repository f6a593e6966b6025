// The shared IdentityStore, in PostgreSQL (plugins/plugin_support/postgres_database.hpp), for nodes that
// share their users. Usernames and device fingerprints are unique by constraint, so two nodes creating the
// same name at once meet in PostgreSQL: one commits, the other is told the name is taken. The audit
// outbox's table lives beside the users (postgres_outbox.hpp), named for Identity: a database that also
// holds Channel's or Auth's store has their outbox too, which Identity must not send.
#include "identity_store.hpp"
#include "postgres_database.hpp"
#include "postgres_outbox.hpp"

namespace lanchat::identity {
namespace {

using plugin_support::PgRows;
using plugin_support::PostgresDatabase;

constexpr std::string_view kOutboxTable = "identity_audit_outbox";

const std::vector<plugin_support::Migration> kMigrations = {
    {1,
     "CREATE TABLE users (id TEXT PRIMARY KEY, username TEXT COLLATE \"C\" NOT NULL UNIQUE, "
     "display_name TEXT NOT NULL, role INTEGER NOT NULL, disabled BOOLEAN NOT NULL DEFAULT false, "
     "created_unix_ms BIGINT NOT NULL, password_hash TEXT NOT NULL);"
     "CREATE TABLE devices (id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users (id), name TEXT NOT NULL, "
     "fingerprint TEXT NOT NULL, created_unix_ms BIGINT NOT NULL, last_seen_unix_ms BIGINT NOT NULL, "
     "revoked BOOLEAN NOT NULL DEFAULT false, UNIQUE (user_id, fingerprint))"},
    {2, "CREATE TABLE identity_audit_outbox (id BIGSERIAL PRIMARY KEY, entry BYTEA NOT NULL)"},
};

constexpr const char* kUserColumns = "id, username, display_name, role, disabled, created_unix_ms, password_hash";
constexpr const char* kDeviceColumns = "id, user_id, name, fingerprint, created_unix_ms, last_seen_unix_ms, revoked";

StoredUser read_user(const PgRows& rows, int row) {
    StoredUser stored;
    stored.user.set_id(rows.text(row, 0));
    stored.user.set_username(rows.text(row, 1));
    stored.user.set_display_name(rows.text(row, 2));
    stored.user.set_role(static_cast<v1::Role>(rows.integer(row, 3)));
    stored.user.set_disabled(rows.boolean(row, 4));
    stored.user.set_created_unix_ms(rows.integer(row, 5));
    stored.password_hash = rows.text(row, 6);
    return stored;
}

v1::Device read_device(const PgRows& rows, int row) {
    v1::Device device;
    device.set_id(rows.text(row, 0));
    device.set_user_id(rows.text(row, 1));
    device.set_name(rows.text(row, 2));
    device.set_fingerprint(rows.text(row, 3));
    device.set_created_unix_ms(rows.integer(row, 4));
    device.set_last_seen_unix_ms(rows.integer(row, 5));
    device.set_revoked(rows.boolean(row, 6));
    return device;
}

const char* boolean(bool value) { return value ? "true" : "false"; }

// A unique violation told as what it means to the caller; any other failure as it is.
sdk::Status taken_or(const sdk::Status& failed, const std::string& meaning) {
    if (failed.code() != sdk::Code::already_exists) return failed;
    return {sdk::Code::already_exists, meaning};
}

class PostgresStore final : public IdentityStore {
public:
    explicit PostgresStore(std::unique_ptr<PostgresDatabase> db) : db_(std::move(db)) {}

    sdk::Status create_user(const v1::User& user, const std::string& password_hash,
                            const AuditRecords& records) override {
        return db_->transaction([&]() -> sdk::Status {
            auto inserted =
                db_->run(std::string("INSERT INTO users (") + kUserColumns + ") VALUES ($1, $2, $3, $4, $5, $6, $7)",
                         {user.id(), user.username(), user.display_name(), int64_t{user.role()},
                          boolean(user.disabled()), user.created_unix_ms(), password_hash},
                         "insert user");
            if (!inserted.ok()) return taken_or(inserted.status(), "the username '" + user.username() + "' is taken");
            return plugin_support::stage_all_in_postgres(*db_, records, kOutboxTable);
        });
    }

    sdk::Result<std::optional<StoredUser>> find_user_by_id(const std::string& id) override {
        return find_user("id", id);
    }

    sdk::Result<std::optional<StoredUser>> find_user_by_name(const std::string& username) override {
        return find_user("username", username);
    }

    sdk::Result<std::vector<v1::User>> list_users(const std::string& after_username, uint32_t limit) override {
        auto rows = db_->query(
            std::string("SELECT ") + kUserColumns + " FROM users WHERE username > $1 ORDER BY username LIMIT $2",
            {after_username, int64_t{limit}}, "list users");
        if (!rows.ok()) return rows.status();
        std::vector<v1::User> users;
        for (int row = 0; row < rows->size(); ++row) users.push_back(read_user(*rows, row).user);
        return users;
    }

    sdk::Status update_user(const v1::User& user, const AuditRecords& records) override {
        return db_->transaction([&] {
            return staged_if_changed(
                db_->run("UPDATE users SET display_name = $2, role = $3, disabled = $4 WHERE id = $1",
                         {user.id(), user.display_name(), int64_t{user.role()}, boolean(user.disabled())},
                         "update user"),
                "user " + user.id(), records);
        });
    }

    sdk::Status set_password_hash(const std::string& user_id, const std::string& password_hash,
                                  const AuditRecords& records) override {
        return db_->transaction([&] {
            return staged_if_changed(
                db_->run("UPDATE users SET password_hash = $2 WHERE id = $1", {user_id, password_hash}, "set password"),
                "user " + user_id, records);
        });
    }

    sdk::Status add_device(const v1::Device& device, const AuditRecords& records) override {
        return db_->transaction([&]() -> sdk::Status {
            auto inserted = db_->run(
                std::string("INSERT INTO devices (") + kDeviceColumns + ") VALUES ($1, $2, $3, $4, $5, $6, $7)",
                {device.id(), device.user_id(), device.name(), device.fingerprint(), device.created_unix_ms(),
                 device.last_seen_unix_ms(), boolean(device.revoked())},
                "insert device");
            if (!inserted.ok()) {
                return taken_or(inserted.status(), "the user already has a device with this fingerprint");
            }
            return plugin_support::stage_all_in_postgres(*db_, records, kOutboxTable);
        });
    }

    sdk::Result<std::optional<v1::Device>> find_device(const std::string& id) override {
        return find_one_device("id = $1", {id});
    }

    sdk::Result<std::optional<v1::Device>> find_device_by_fingerprint(const std::string& user_id,
                                                                      const std::string& fingerprint) override {
        return find_one_device("user_id = $1 AND fingerprint = $2", {user_id, fingerprint});
    }

    sdk::Result<std::vector<v1::Device>> list_devices(const std::string& user_id) override {
        auto rows = db_->query(
            std::string("SELECT ") + kDeviceColumns + " FROM devices WHERE user_id = $1 ORDER BY created_unix_ms, id",
            {user_id}, "list devices");
        if (!rows.ok()) return rows.status();
        std::vector<v1::Device> devices;
        for (int row = 0; row < rows->size(); ++row) devices.push_back(read_device(*rows, row));
        return devices;
    }

    sdk::Status revoke_device(const std::string& id, const AuditRecords& records) override {
        return db_->transaction([&] {
            return staged_if_changed(db_->run("UPDATE devices SET revoked = true WHERE id = $1", {id}, "revoke device"),
                                     "device " + id, records);
        });
    }

    sdk::Status touch_device(const std::string& id, int64_t seen_unix_ms) override {
        return changed_one(
            db_->run("UPDATE devices SET last_seen_unix_ms = $2 WHERE id = $1", {id, seen_unix_ms}, "touch device"),
            "device " + id);
    }

    sdk::Status record(const AuditRecords& records) override {
        return db_->transaction([&] { return plugin_support::stage_all_in_postgres(*db_, records, kOutboxTable); });
    }

    std::unique_ptr<plugin_support::OutboxQueue> audit_queue() override {
        return plugin_support::postgres_outbox(*db_, kOutboxTable);
    }

private:
    static sdk::Status changed_one(const sdk::Result<int64_t>& changed, const std::string& what) {
        if (!changed.ok()) return changed.status();
        if (*changed == 0) return sdk::not_found(what + " does not exist");
        return {};
    }

    // The update that ran changed its row: `records` go with it.
    sdk::Status staged_if_changed(const sdk::Result<int64_t>& changed, const std::string& what,
                                  const AuditRecords& records) {
        if (sdk::Status found = changed_one(changed, what); !found.ok()) return found;
        return plugin_support::stage_all_in_postgres(*db_, records, kOutboxTable);
    }

    sdk::Result<std::optional<StoredUser>> find_user(const char* column, const std::string& value) {
        auto rows = db_->query(std::string("SELECT ") + kUserColumns + " FROM users WHERE " + column + " = $1", {value},
                               "find user");
        if (!rows.ok()) return rows.status();
        if (rows->empty()) return std::optional<StoredUser>();
        return std::optional<StoredUser>(read_user(*rows, 0));
    }

    sdk::Result<std::optional<v1::Device>> find_one_device(const char* where,
                                                           const std::vector<plugin_support::PgParam>& params) {
        auto rows =
            db_->query(std::string("SELECT ") + kDeviceColumns + " FROM devices WHERE " + where, params, "find device");
        if (!rows.ok()) return rows.status();
        if (rows->empty()) return std::optional<v1::Device>();
        return std::optional<v1::Device>(read_device(*rows, 0));
    }

    std::unique_ptr<PostgresDatabase> db_;
};

}  // namespace

sdk::Result<std::unique_ptr<IdentityStore>> open_postgres_store(const std::string& dsn) {
    auto db = PostgresDatabase::open(dsn, "identity store", kMigrations);
    if (!db.ok()) return db.status();
    return std::unique_ptr<IdentityStore>(std::make_unique<PostgresStore>(std::move(db).value()));
}

}  // namespace lanchat::identity
