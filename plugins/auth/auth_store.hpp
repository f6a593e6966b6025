// AuthStore: signing keys, refresh-token families and revoked access tokens. The service logic sees only
// this interface; SQLite is the embedded default, PostgreSQL the store several nodes share.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "access_token.hpp"
#include "lanchat/sdk/status.hpp"

namespace lanchat::plugin_support {
class PostgresDatabase;
class SqliteDatabase;
struct Migration;
}  // namespace lanchat::plugin_support

namespace lanchat::auth {

// A refresh token as stored: only its SHA-256 is kept, never the token.
struct RefreshRecord {
    std::string token_hash;
    std::string family_id;  // every token rotated from one login
    std::string user_id;
    std::string username;
    std::string device;  // fingerprint the family is bound to; empty when unbound
    int64_t issued_unix_ms = 0;
    int64_t expires_unix_ms = 0;
    int64_t used_unix_ms = 0;  // 0 until spent
    bool family_revoked = false;
};

enum class Rotation {
    rotated,  // the old token is spent and the new one stored
    reused,   // the old token had been spent before: its whole family is now revoked
    revoked,  // the family had been revoked (logout, reuse)
    unknown,  // no such token
};

class AuthStore {
public:
    virtual ~AuthStore() = default;

    virtual sdk::Result<std::vector<SigningKey>> signing_keys() = 0;
    virtual sdk::Status add_signing_key(const SigningKey& key) = 0;
    virtual sdk::Status retire_signing_key(const std::string& id, int64_t retired_unix_ms) = 0;
    virtual sdk::Status delete_signing_key(const std::string& id) = 0;

    // Stores the first token of a new family.
    virtual sdk::Status start_family(const RefreshRecord& first) = 0;
    virtual sdk::Result<std::optional<RefreshRecord>> find_refresh(const std::string& token_hash) = 0;
    // In one transaction: spends `old_hash` and stores `next` in its family — or, if `old_hash` was already
    // spent, revokes the family and stores nothing.
    virtual sdk::Result<Rotation> rotate_refresh(const std::string& old_hash, const RefreshRecord& next,
                                                 int64_t now_unix_ms) = 0;
    virtual sdk::Status revoke_family(const std::string& family_id, int64_t now_unix_ms) = 0;

    // Access tokens stay revoked until they would have expired anyway.
    virtual sdk::Status revoke_access_token(const std::string& token_id, int64_t expires_unix_s) = 0;
    virtual sdk::Result<bool> access_token_revoked(const std::string& token_id) = 0;

    // Drops refresh tokens and revocations that have expired.
    virtual sdk::Status forget_expired(int64_t now_unix_ms) = 0;
};

// The tables live in `database` (shared with the service's audit outbox).
sdk::Result<std::unique_ptr<AuthStore>> open_sqlite_store(plugin_support::SqliteDatabase& database);
// The schema to open the database with.
extern const char* const kAuthSchema;

// The same store in PostgreSQL: `database`, opened with auth_postgres_schema() (its tables and the audit
// outbox's), must outlive it.
std::unique_ptr<AuthStore> open_postgres_store(plugin_support::PostgresDatabase& database);
const std::vector<plugin_support::Migration>& auth_postgres_schema();

}  // namespace lanchat::auth
