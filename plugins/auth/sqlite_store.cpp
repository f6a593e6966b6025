// The embedded AuthStore, in the plugin's SQLite file (plugins/common/sqlite_database.hpp).
#include "auth_store.hpp"
#include "sqlite_database.hpp"

namespace lanchat::auth {

const char* const kAuthSchema =
    "CREATE TABLE IF NOT EXISTS signing_keys (id TEXT PRIMARY KEY, private_key_pem TEXT NOT NULL, public_key_pem TEXT "
    "NOT NULL, created_unix_ms INTEGER NOT NULL, retired_unix_ms INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS refresh_families (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, username TEXT NOT NULL, "
    "device TEXT NOT NULL, revoked_unix_ms INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS refresh_tokens (token_hash TEXT PRIMARY KEY, family_id TEXT NOT NULL REFERENCES "
    "refresh_families (id), issued_unix_ms INTEGER NOT NULL, expires_unix_ms INTEGER NOT NULL, used_unix_ms INTEGER "
    "NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS refresh_tokens_by_family ON refresh_tokens (family_id);"
    "CREATE TABLE IF NOT EXISTS revoked_access_tokens (token_id TEXT PRIMARY KEY, expires_unix_s INTEGER NOT NULL);";

namespace {

using plugin_support::SqliteDatabase;
using plugin_support::Statement;

class SqliteStore final : public AuthStore {
public:
    explicit SqliteStore(SqliteDatabase& db) : db_(db) {}

    sdk::Result<std::vector<SigningKey>> signing_keys() override {
        return db_.read([&]() -> sdk::Result<std::vector<SigningKey>> {
            Statement select(db_,
                             "SELECT id, private_key_pem, public_key_pem, created_unix_ms, retired_unix_ms FROM "
                             "signing_keys ORDER BY created_unix_ms");
            std::vector<SigningKey> keys;
            while (select.step()) {
                keys.push_back({select.text(0), select.text(1), select.text(2), select.integer(3), select.integer(4)});
            }
            if (sdk::Status done = select.status("read signing keys"); !done.ok()) return done;
            return keys;
        });
    }

    sdk::Status add_signing_key(const SigningKey& key) override {
        return db_.transaction([&]() -> sdk::Status {
            Statement insert(db_, "INSERT INTO signing_keys VALUES (?1, ?2, ?3, ?4, ?5)");
            return insert.bind(1, key.id)
                .bind(2, key.private_key_pem)
                .bind(3, key.public_key_pem)
                .bind(4, key.created_unix_ms)
                .bind(5, key.retired_unix_ms)
                .run("add signing key");
        });
    }

    sdk::Status retire_signing_key(const std::string& id, int64_t retired_unix_ms) override {
        return db_.transaction([&]() -> sdk::Status {
            Statement update(db_, "UPDATE signing_keys SET retired_unix_ms = ?2 WHERE id = ?1");
            return update.bind(1, id).bind(2, retired_unix_ms).run("retire signing key");
        });
    }

    sdk::Status delete_signing_key(const std::string& id) override {
        return db_.transaction([&]() -> sdk::Status {
            Statement remove(db_, "DELETE FROM signing_keys WHERE id = ?1");
            return remove.bind(1, id).run("delete signing key");
        });
    }

    sdk::Status start_family(const RefreshRecord& first) override {
        return db_.transaction([&]() -> sdk::Status {
            Statement family(db_,
                             "INSERT INTO refresh_families (id, user_id, username, device) VALUES (?1, ?2, ?3, ?4)");
            family.bind(1, first.family_id).bind(2, first.user_id).bind(3, first.username).bind(4, first.device);
            if (sdk::Status added = family.run("start refresh family"); !added.ok()) return added;
            return insert_token(first);
        });
    }

    sdk::Result<std::optional<RefreshRecord>> find_refresh(const std::string& token_hash) override {
        return db_.read([&]() -> sdk::Result<std::optional<RefreshRecord>> {
            Statement select(db_,
                             "SELECT t.token_hash, t.family_id, f.user_id, f.username, f.device, t.issued_unix_ms, "
                             "t.expires_unix_ms, t.used_unix_ms, f.revoked_unix_ms FROM refresh_tokens t JOIN "
                             "refresh_families f ON f.id = t.family_id WHERE t.token_hash = ?1");
            if (!select.bind(1, token_hash).step()) {
                if (sdk::Status done = select.status("find refresh token"); !done.ok()) return done;
                return std::optional<RefreshRecord>();
            }
            return std::optional<RefreshRecord>(
                RefreshRecord{select.text(0), select.text(1), select.text(2), select.text(3), select.text(4),
                              select.integer(5), select.integer(6), select.integer(7), select.integer(8) != 0});
        });
    }

    sdk::Result<Rotation> rotate_refresh(const std::string& old_hash, const RefreshRecord& next,
                                         int64_t now_unix_ms) override {
        return db_.transaction([&]() -> sdk::Result<Rotation> {
            auto old = find_refresh(old_hash);
            if (!old.ok()) return old.status();
            if (!old->has_value()) return Rotation::unknown;
            if ((*old)->family_revoked) return Rotation::revoked;
            if ((*old)->used_unix_ms != 0) {
                if (sdk::Status revoked = revoke_family_now((*old)->family_id, now_unix_ms); !revoked.ok())
                    return revoked;
                return Rotation::reused;
            }
            Statement spend(db_, "UPDATE refresh_tokens SET used_unix_ms = ?2 WHERE token_hash = ?1");
            if (sdk::Status spent = spend.bind(1, old_hash).bind(2, now_unix_ms).run("spend refresh token");
                !spent.ok()) {
                return spent;
            }
            if (sdk::Status stored = insert_token(next); !stored.ok()) return stored;
            return Rotation::rotated;
        });
    }

    sdk::Status revoke_family(const std::string& family_id, int64_t now_unix_ms) override {
        return db_.transaction([&] { return revoke_family_now(family_id, now_unix_ms); });
    }

    sdk::Status revoke_access_token(const std::string& token_id, int64_t expires_unix_s) override {
        return db_.transaction([&]() -> sdk::Status {
            Statement insert(db_, "INSERT OR IGNORE INTO revoked_access_tokens VALUES (?1, ?2)");
            return insert.bind(1, token_id).bind(2, expires_unix_s).run("revoke access token");
        });
    }

    sdk::Result<bool> access_token_revoked(const std::string& token_id) override {
        return db_.read([&]() -> sdk::Result<bool> {
            Statement select(db_, "SELECT 1 FROM revoked_access_tokens WHERE token_id = ?1");
            bool found = select.bind(1, token_id).step();
            if (sdk::Status done = select.status("check revoked access token"); !done.ok()) return done;
            return found;
        });
    }

    sdk::Status forget_expired(int64_t now_unix_ms) override {
        return db_.transaction([&]() -> sdk::Status {
            Statement tokens(db_, "DELETE FROM refresh_tokens WHERE expires_unix_ms < ?1");
            if (sdk::Status done = tokens.bind(1, now_unix_ms).run("forget refresh tokens"); !done.ok()) return done;
            Statement families(db_,
                               "DELETE FROM refresh_families WHERE id NOT IN (SELECT family_id FROM refresh_tokens)");
            if (sdk::Status done = families.run("forget refresh families"); !done.ok()) return done;
            Statement access(db_, "DELETE FROM revoked_access_tokens WHERE expires_unix_s < ?1");
            return access.bind(1, now_unix_ms / 1000).run("forget revoked access tokens");
        });
    }

private:
    sdk::Status insert_token(const RefreshRecord& record) {
        Statement insert(db_,
                         "INSERT INTO refresh_tokens (token_hash, family_id, issued_unix_ms, expires_unix_ms) "
                         "VALUES (?1, ?2, ?3, ?4)");
        return insert.bind(1, record.token_hash)
            .bind(2, record.family_id)
            .bind(3, record.issued_unix_ms)
            .bind(4, record.expires_unix_ms)
            .run("store refresh token");
    }

    sdk::Status revoke_family_now(const std::string& family_id, int64_t now_unix_ms) {
        Statement update(db_, "UPDATE refresh_families SET revoked_unix_ms = ?2 WHERE id = ?1 AND revoked_unix_ms = 0");
        return update.bind(1, family_id).bind(2, now_unix_ms).run("revoke refresh family");
    }

    SqliteDatabase& db_;
};

}  // namespace

sdk::Result<std::unique_ptr<AuthStore>> open_sqlite_store(plugin_support::SqliteDatabase& database) {
    return std::unique_ptr<AuthStore>(std::make_unique<SqliteStore>(database));
}

}  // namespace lanchat::auth
