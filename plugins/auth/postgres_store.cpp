// The shared AuthStore, in PostgreSQL (plugins/plugin_support/postgres_database.hpp), for nodes that share
// their logins. A refresh token's rotation locks the token's row first, so two nodes handed the same token
// at once rotate it once: the second sees it spent, as a reuse, and revokes its family.
#include "auth_store.hpp"
#include "postgres_database.hpp"
#include "postgres_outbox.hpp"

namespace lanchat::auth {
namespace {

using plugin_support::PgRows;
using plugin_support::PostgresDatabase;

constexpr const char* kSchemaVersion1 =
    "CREATE TABLE signing_keys (id TEXT PRIMARY KEY, private_key_pem TEXT NOT NULL, public_key_pem TEXT NOT NULL, "
    "created_unix_ms BIGINT NOT NULL, retired_unix_ms BIGINT NOT NULL DEFAULT 0);"
    "CREATE TABLE refresh_families (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, username TEXT NOT NULL, "
    "device TEXT NOT NULL, revoked_unix_ms BIGINT NOT NULL DEFAULT 0);"
    "CREATE TABLE refresh_tokens (token_hash TEXT PRIMARY KEY, family_id TEXT NOT NULL REFERENCES "
    "refresh_families (id), issued_unix_ms BIGINT NOT NULL, expires_unix_ms BIGINT NOT NULL, "
    "used_unix_ms BIGINT NOT NULL DEFAULT 0);"
    "CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);"
    "CREATE TABLE revoked_access_tokens (token_id TEXT PRIMARY KEY, expires_unix_s BIGINT NOT NULL)";

constexpr const char* kRefreshColumns =
    "SELECT t.token_hash, t.family_id, f.user_id, f.username, f.device, t.issued_unix_ms, t.expires_unix_ms, "
    "t.used_unix_ms, f.revoked_unix_ms FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id "
    "WHERE t.token_hash = $1";

RefreshRecord read_refresh(const PgRows& rows) {
    return RefreshRecord{rows.text(0, 0),    rows.text(0, 1),    rows.text(0, 2),
                         rows.text(0, 3),    rows.text(0, 4),    rows.integer(0, 5),
                         rows.integer(0, 6), rows.integer(0, 7), rows.integer(0, 8) != 0};
}

class PostgresStore final : public AuthStore {
public:
    explicit PostgresStore(PostgresDatabase& db) : db_(db) {}

    sdk::Result<std::vector<SigningKey>> signing_keys() override {
        auto rows = db_.query(
            "SELECT id, private_key_pem, public_key_pem, created_unix_ms, retired_unix_ms FROM signing_keys "
            "ORDER BY created_unix_ms",
            {}, "read signing keys");
        if (!rows.ok()) return rows.status();
        std::vector<SigningKey> keys;
        for (int row = 0; row < rows->size(); ++row) {
            keys.push_back({rows->text(row, 0), rows->text(row, 1), rows->text(row, 2), rows->integer(row, 3),
                            rows->integer(row, 4)});
        }
        return keys;
    }

    sdk::Status add_signing_key(const SigningKey& key) override {
        return db_
            .run("INSERT INTO signing_keys VALUES ($1, $2, $3, $4, $5)",
                 {key.id, key.private_key_pem, key.public_key_pem, key.created_unix_ms, key.retired_unix_ms},
                 "add signing key")
            .status();
    }

    sdk::Status retire_signing_key(const std::string& id, int64_t retired_unix_ms) override {
        return db_
            .run("UPDATE signing_keys SET retired_unix_ms = $2 WHERE id = $1", {id, retired_unix_ms},
                 "retire signing key")
            .status();
    }

    sdk::Status delete_signing_key(const std::string& id) override {
        return db_.run("DELETE FROM signing_keys WHERE id = $1", {id}, "delete signing key").status();
    }

    sdk::Status start_family(const RefreshRecord& first) override {
        return db_.transaction([&]() -> sdk::Status {
            auto family =
                db_.run("INSERT INTO refresh_families (id, user_id, username, device) VALUES ($1, $2, $3, $4)",
                        {first.family_id, first.user_id, first.username, first.device}, "start refresh family");
            if (!family.ok()) return family.status();
            return insert_token(first);
        });
    }

    sdk::Result<std::optional<RefreshRecord>> find_refresh(const std::string& token_hash) override {
        auto rows = db_.query(kRefreshColumns, {token_hash}, "find refresh token");
        if (!rows.ok()) return rows.status();
        if (rows->empty()) return std::optional<RefreshRecord>();
        return std::optional<RefreshRecord>(read_refresh(*rows));
    }

    sdk::Result<Rotation> rotate_refresh(const std::string& old_hash, const RefreshRecord& next,
                                         int64_t now_unix_ms) override {
        return db_.transaction([&]() -> sdk::Result<Rotation> {
            auto rows =
                db_.query(std::string(kRefreshColumns) + " FOR UPDATE OF t, f", {old_hash}, "lock refresh token");
            if (!rows.ok()) return rows.status();
            if (rows->empty()) return Rotation::unknown;
            const RefreshRecord old = read_refresh(*rows);
            if (old.family_revoked) return Rotation::revoked;
            if (old.used_unix_ms != 0) {
                if (sdk::Status revoked = revoke_family_now(old.family_id, now_unix_ms); !revoked.ok()) return revoked;
                return Rotation::reused;
            }
            auto spent = db_.run("UPDATE refresh_tokens SET used_unix_ms = $2 WHERE token_hash = $1",
                                 {old_hash, now_unix_ms}, "spend refresh token");
            if (!spent.ok()) return spent.status();
            if (sdk::Status stored = insert_token(next); !stored.ok()) return stored;
            return Rotation::rotated;
        });
    }

    sdk::Status revoke_family(const std::string& family_id, int64_t now_unix_ms) override {
        return revoke_family_now(family_id, now_unix_ms);
    }

    sdk::Status revoke_access_token(const std::string& token_id, int64_t expires_unix_s) override {
        return db_
            .run("INSERT INTO revoked_access_tokens VALUES ($1, $2) ON CONFLICT DO NOTHING", {token_id, expires_unix_s},
                 "revoke access token")
            .status();
    }

    sdk::Result<bool> access_token_revoked(const std::string& token_id) override {
        auto rows = db_.query("SELECT 1 FROM revoked_access_tokens WHERE token_id = $1", {token_id},
                              "check revoked access token");
        if (!rows.ok()) return rows.status();
        return !rows->empty();
    }

    sdk::Status forget_expired(int64_t now_unix_ms) override {
        return db_.transaction([&]() -> sdk::Status {
            auto tokens = db_.run("DELETE FROM refresh_tokens WHERE expires_unix_ms < $1", {now_unix_ms},
                                  "forget refresh tokens");
            if (!tokens.ok()) return tokens.status();
            auto families =
                db_.run("DELETE FROM refresh_families WHERE id NOT IN (SELECT family_id FROM refresh_tokens)", {},
                        "forget refresh families");
            if (!families.ok()) return families.status();
            return db_
                .run("DELETE FROM revoked_access_tokens WHERE expires_unix_s < $1", {now_unix_ms / 1000},
                     "forget revoked access tokens")
                .status();
        });
    }

private:
    sdk::Status insert_token(const RefreshRecord& record) {
        return db_
            .run(
                "INSERT INTO refresh_tokens (token_hash, family_id, issued_unix_ms, expires_unix_ms) VALUES ($1, $2, "
                "$3, $4)",
                {record.token_hash, record.family_id, record.issued_unix_ms, record.expires_unix_ms},
                "store refresh token")
            .status();
    }

    sdk::Status revoke_family_now(const std::string& family_id, int64_t now_unix_ms) {
        return db_
            .run("UPDATE refresh_families SET revoked_unix_ms = $2 WHERE id = $1 AND revoked_unix_ms = 0",
                 {family_id, now_unix_ms}, "revoke refresh family")
            .status();
    }

    PostgresDatabase& db_;
};

}  // namespace

const std::vector<plugin_support::Migration>& auth_postgres_schema() {
    static const std::vector<plugin_support::Migration> steps = {
        {1, kSchemaVersion1},
        {2, plugin_support::kPostgresOutboxSchema},
    };
    return steps;
}

std::unique_ptr<AuthStore> open_postgres_store(plugin_support::PostgresDatabase& database) {
    return std::make_unique<PostgresStore>(database);
}

}  // namespace lanchat::auth
