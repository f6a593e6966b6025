// IdentityStore: where users, password hashes and devices live. The service logic sees only this
// interface; SQLite is the embedded default, PostgreSQL the store several nodes share. Every change takes
// the audit entries that record it and stages them in the store's audit outbox in its own transaction, so
// both commit together or neither does: a crash cannot keep an operator's change and lose its record.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lanchat/identity/v1/identity.pb.h"
#include "lanchat/sdk/status.hpp"
#include "outbox_queue.hpp"

namespace lanchat::identity {

using plugin_support::AuditRecords;

struct StoredUser {
    v1::User user;
    std::string password_hash;
};

class IdentityStore {
public:
    virtual ~IdentityStore() = default;

    // ALREADY_EXISTS when the username is taken. Returns once committed.
    virtual sdk::Status create_user(const v1::User& user, const std::string& password_hash,
                                    const AuditRecords& records) = 0;
    virtual sdk::Result<std::optional<StoredUser>> find_user_by_id(const std::string& id) = 0;
    virtual sdk::Result<std::optional<StoredUser>> find_user_by_name(const std::string& username) = 0;
    // Up to `limit` users with usernames after `after_username`, by username.
    virtual sdk::Result<std::vector<v1::User>> list_users(const std::string& after_username, uint32_t limit) = 0;
    // Writes display name, role and disabled flag of an existing user.
    virtual sdk::Status update_user(const v1::User& user, const AuditRecords& records) = 0;
    virtual sdk::Status set_password_hash(const std::string& user_id, const std::string& password_hash,
                                          const AuditRecords& records) = 0;

    // ALREADY_EXISTS when the user already has a device with this fingerprint.
    virtual sdk::Status add_device(const v1::Device& device, const AuditRecords& records) = 0;
    virtual sdk::Result<std::optional<v1::Device>> find_device(const std::string& id) = 0;
    virtual sdk::Result<std::optional<v1::Device>> find_device_by_fingerprint(const std::string& user_id,
                                                                              const std::string& fingerprint) = 0;
    virtual sdk::Result<std::vector<v1::Device>> list_devices(const std::string& user_id) = 0;
    virtual sdk::Status revoke_device(const std::string& id, const AuditRecords& records) = 0;
    virtual sdk::Status touch_device(const std::string& id, int64_t seen_unix_ms) = 0;

    // Stages audit entries on their own: the record of a change that was refused.
    virtual sdk::Status record(const AuditRecords& records) = 0;
    // The audit outbox's queue in this store's database, for the AuditOutbox that sends it; the store
    // outlives it.
    virtual std::unique_ptr<plugin_support::OutboxQueue> audit_queue() = 0;
};

// The users in `file` (with the audit outbox's table).
sdk::Result<std::unique_ptr<IdentityStore>> open_sqlite_store(const std::filesystem::path& file);
// The users in the PostgreSQL database `dsn` reaches, its tables (and the audit outbox's) created or
// upgraded first.
sdk::Result<std::unique_ptr<IdentityStore>> open_postgres_store(const std::string& dsn);

}  // namespace lanchat::identity
