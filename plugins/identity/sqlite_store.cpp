// The embedded IdentityStore: one SQLite file in the plugin's data dir (plugins/plugin_support/sqlite_database.hpp),
// holding the audit outbox's table too.
#include "audit_outbox.hpp"
#include "identity_store.hpp"
#include "sqlite_database.hpp"

namespace lanchat::identity {
namespace {

using plugin_support::AuditOutbox;
using plugin_support::SqliteDatabase;
using plugin_support::Statement;

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, display_name TEXT NOT "
    "NULL, role INTEGER NOT NULL, disabled INTEGER NOT NULL DEFAULT 0, created_unix_ms INTEGER NOT NULL, "
    "password_hash TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS devices (id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users (id), name TEXT "
    "NOT NULL, fingerprint TEXT NOT NULL, created_unix_ms INTEGER NOT NULL, last_seen_unix_ms INTEGER NOT NULL, "
    "revoked INTEGER NOT NULL DEFAULT 0, UNIQUE (user_id, fingerprint));";

constexpr const char* kUserColumns = "id, username, display_name, role, disabled, created_unix_ms, password_hash";
constexpr const char* kDeviceColumns = "id, user_id, name, fingerprint, created_unix_ms, last_seen_unix_ms, revoked";

StoredUser read_user(const Statement& row) {
    StoredUser stored;
    stored.user.set_id(row.text(0));
    stored.user.set_username(row.text(1));
    stored.user.set_display_name(row.text(2));
    stored.user.set_role(static_cast<v1::Role>(row.integer(3)));
    stored.user.set_disabled(row.integer(4) != 0);
    stored.user.set_created_unix_ms(row.integer(5));
    stored.password_hash = row.text(6);
    return stored;
}

v1::Device read_device(const Statement& row) {
    v1::Device device;
    device.set_id(row.text(0));
    device.set_user_id(row.text(1));
    device.set_name(row.text(2));
    device.set_fingerprint(row.text(3));
    device.set_created_unix_ms(row.integer(4));
    device.set_last_seen_unix_ms(row.integer(5));
    device.set_revoked(row.integer(6) != 0);
    return device;
}

class SqliteStore final : public IdentityStore {
public:
    explicit SqliteStore(std::unique_ptr<SqliteDatabase> db) : db_(std::move(db)) {}

    sdk::Status create_user(const v1::User& user, const std::string& password_hash,
                            const AuditRecords& records) override {
        return db_->transaction([&]() -> sdk::Status {
            Statement taken(*db_, "SELECT 1 FROM users WHERE username = ?1");
            if (taken.bind(1, user.username()).step()) {
                return {sdk::Code::already_exists, "the username '" + user.username() + "' is taken"};
            }
            Statement insert(
                *db_, std::string("INSERT INTO users (") + kUserColumns + ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
            insert.bind(1, user.id())
                .bind(2, user.username())
                .bind(3, user.display_name())
                .bind(4, static_cast<int64_t>(user.role()))
                .bind(5, static_cast<int64_t>(user.disabled()))
                .bind(6, user.created_unix_ms())
                .bind(7, password_hash);
            if (sdk::Status inserted = insert.run("insert user"); !inserted.ok()) return inserted;
            return AuditOutbox::stage_all(*db_, records);
        });
    }

    sdk::Result<std::optional<StoredUser>> find_user_by_id(const std::string& id) override {
        return find_user("id", id);
    }

    sdk::Result<std::optional<StoredUser>> find_user_by_name(const std::string& username) override {
        return find_user("username", username);
    }

    sdk::Result<std::vector<v1::User>> list_users(const std::string& after_username, uint32_t limit) override {
        return db_->read([&]() -> sdk::Result<std::vector<v1::User>> {
            Statement select(*db_, std::string("SELECT ") + kUserColumns +
                                       " FROM users WHERE username > ?1 ORDER BY username LIMIT ?2");
            select.bind(1, after_username).bind(2, static_cast<int64_t>(limit));
            return select.rows([](const Statement& row) { return read_user(row).user; }, "list users");
        });
    }

    sdk::Status update_user(const v1::User& user, const AuditRecords& records) override {
        return db_->transaction([&]() -> sdk::Status {
            Statement update(*db_, "UPDATE users SET display_name = ?2, role = ?3, disabled = ?4 WHERE id = ?1");
            update.bind(1, user.id())
                .bind(2, user.display_name())
                .bind(3, static_cast<int64_t>(user.role()))
                .bind(4, static_cast<int64_t>(user.disabled()));
            return staged_if_changed(update.run("update user"), "user " + user.id(), records);
        });
    }

    sdk::Status set_password_hash(const std::string& user_id, const std::string& password_hash,
                                  const AuditRecords& records) override {
        return db_->transaction([&]() -> sdk::Status {
            Statement update(*db_, "UPDATE users SET password_hash = ?2 WHERE id = ?1");
            update.bind(1, user_id).bind(2, password_hash);
            return staged_if_changed(update.run("set password"), "user " + user_id, records);
        });
    }

    sdk::Status add_device(const v1::Device& device, const AuditRecords& records) override {
        return db_->transaction([&]() -> sdk::Status {
            Statement known(*db_, "SELECT 1 FROM devices WHERE user_id = ?1 AND fingerprint = ?2");
            if (known.bind(1, device.user_id()).bind(2, device.fingerprint()).step()) {
                return {sdk::Code::already_exists, "the user already has a device with this fingerprint"};
            }
            Statement insert(
                *db_, std::string("INSERT INTO devices (") + kDeviceColumns + ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
            insert.bind(1, device.id())
                .bind(2, device.user_id())
                .bind(3, device.name())
                .bind(4, device.fingerprint())
                .bind(5, device.created_unix_ms())
                .bind(6, device.last_seen_unix_ms())
                .bind(7, static_cast<int64_t>(device.revoked()));
            if (sdk::Status inserted = insert.run("insert device"); !inserted.ok()) return inserted;
            return AuditOutbox::stage_all(*db_, records);
        });
    }

    sdk::Result<std::optional<v1::Device>> find_device(const std::string& id) override {
        return find_one_device("id = ?1", id, "");
    }

    sdk::Result<std::optional<v1::Device>> find_device_by_fingerprint(const std::string& user_id,
                                                                      const std::string& fingerprint) override {
        return find_one_device("user_id = ?1 AND fingerprint = ?2", user_id, fingerprint);
    }

    sdk::Result<std::vector<v1::Device>> list_devices(const std::string& user_id) override {
        return db_->read([&]() -> sdk::Result<std::vector<v1::Device>> {
            Statement select(*db_, std::string("SELECT ") + kDeviceColumns +
                                       " FROM devices WHERE user_id = ?1 ORDER BY created_unix_ms, id");
            select.bind(1, user_id);
            return select.rows(read_device, "list devices");
        });
    }

    sdk::Status revoke_device(const std::string& id, const AuditRecords& records) override {
        return db_->transaction([&]() -> sdk::Status {
            Statement update(*db_, "UPDATE devices SET revoked = 1 WHERE id = ?1");
            return staged_if_changed(update.bind(1, id).run("revoke device"), "device " + id, records);
        });
    }

    sdk::Status touch_device(const std::string& id, int64_t seen_unix_ms) override {
        return db_->transaction([&]() -> sdk::Status {
            Statement update(*db_, "UPDATE devices SET last_seen_unix_ms = ?2 WHERE id = ?1");
            return changed_one(update.bind(1, id).bind(2, seen_unix_ms).run("touch device"), "device " + id);
        });
    }

    sdk::Status record(const AuditRecords& records) override {
        return db_->transaction([&] { return AuditOutbox::stage_all(*db_, records); });
    }

    std::unique_ptr<plugin_support::OutboxQueue> audit_queue() override { return plugin_support::sqlite_outbox(*db_); }

private:
    sdk::Status changed_one(sdk::Status ran, const std::string& what) const {
        if (!ran.ok()) return ran;
        if (db_->changes() == 0) return sdk::not_found(what + " does not exist");
        return {};
    }

    // The update that ran changed its row: `records` go with it.
    sdk::Status staged_if_changed(sdk::Status ran, const std::string& what, const AuditRecords& records) {
        if (sdk::Status changed = changed_one(std::move(ran), what); !changed.ok()) return changed;
        return AuditOutbox::stage_all(*db_, records);
    }

    sdk::Result<std::optional<StoredUser>> find_user(const char* column, const std::string& value) {
        return db_->read([&]() -> sdk::Result<std::optional<StoredUser>> {
            Statement select(*db_, std::string("SELECT ") + kUserColumns + " FROM users WHERE " + column + " = ?1");
            if (select.bind(1, value).step()) return std::optional<StoredUser>(read_user(select));
            if (sdk::Status done = select.status("find user"); !done.ok()) return done;
            return std::optional<StoredUser>();
        });
    }

    sdk::Result<std::optional<v1::Device>> find_one_device(const char* where, const std::string& first,
                                                           const std::string& second) {
        return db_->read([&]() -> sdk::Result<std::optional<v1::Device>> {
            Statement select(*db_, std::string("SELECT ") + kDeviceColumns + " FROM devices WHERE " + where);
            select.bind(1, first);
            if (!second.empty()) select.bind(2, second);
            if (select.step()) return std::optional<v1::Device>(read_device(select));
            if (sdk::Status done = select.status("find device"); !done.ok()) return done;
            return std::optional<v1::Device>();
        });
    }

    std::unique_ptr<SqliteDatabase> db_;
};

}  // namespace

sdk::Result<std::unique_ptr<IdentityStore>> open_sqlite_store(const std::filesystem::path& file) {
    return plugin_support::open_owning_store<IdentityStore, SqliteStore>(file, "identity store",
                                                                         std::string(kSchema) + AuditOutbox::kSchema);
}

}  // namespace lanchat::identity
