// ChannelStore: channels, members and each channel's message log. The service logic sees only this
// interface; SQLite is the embedded default, PostgreSQL the store several nodes share. Every change that the
// audit record must show takes the entries to stage with it, so both commit together or neither does.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "lanchat/audit/v1/audit.pb.h"
#include "lanchat/channel/v1/channel.pb.h"
#include "lanchat/sdk/status.hpp"

namespace lanchat::plugin_support {
class GroupCommit;
class PostgresDatabase;
class SqliteDatabase;
struct Migration;
}  // namespace lanchat::plugin_support

namespace lanchat::channel {

using Records = std::vector<audit::v1::AppendRequest>;

struct Appended {
    v1::Message message;
    bool duplicate = false;
};

// Told once with what append() or amend() stored, only after its commit reached the disk, or why not.
using AppendDone = std::function<void(sdk::Result<Appended>)>;

// Where a list page starts: after this (created time, id).
struct ChannelCursor {
    int64_t created_unix_ms = 0;
    std::string id;
};

class ChannelStore {
public:
    virtual ~ChannelStore() = default;

    // ALREADY_EXISTS when a public or private channel has this name. Each member's JOINED event (by the
    // creator) starts the log; so for a direct channel created by open_direct.
    virtual sdk::Status create_channel(const v1::ChannelInfo& channel, const std::vector<v1::Member>& members,
                                       const Records& records) = 0;
    // The channel whose direct_key this is, created with `members` if there is none yet.
    virtual sdk::Result<v1::ChannelInfo> open_direct(const std::string& direct_key, const v1::ChannelInfo& draft,
                                                     const std::vector<v1::Member>& members,
                                                     const Records& records) = 0;
    virtual sdk::Result<std::optional<v1::ChannelInfo>> find_channel(const std::string& id) = 0;
    // Public channels and those `user_id` is a member of, oldest first, after `cursor`.
    virtual sdk::Result<std::vector<v1::ChannelInfo>> visible_channels(const std::string& user_id,
                                                                       bool include_archived,
                                                                       const ChannelCursor& cursor, uint32_t limit) = 0;
    // ALREADY_EXISTS when the new name is taken.
    // Stages audit entries on their own, for a read worth recording (an admin reading a private channel).
    virtual sdk::Status record(const Records& records) = 0;
    virtual sdk::Status rename_channel(const std::string& id, const std::string& name, const Records& records) = 0;
    // Records nothing when the channel was archived already.
    virtual sdk::Status archive_channel(const std::string& id, const Records& records) = 0;

    virtual sdk::Result<std::optional<v1::Member>> find_member(const std::string& channel_id,
                                                               const std::string& user_id) = 0;
    // Membership changes are entries in the channel's log: each adds or removes the member and appends its
    // JOINED or LEFT event (made by `actor_id`) in one commit, and returns that event's sequence; 0 when
    // nothing changed (a member already; not a member).
    virtual sdk::Result<uint64_t> add_member(const v1::Member& member, const std::string& actor_id,
                                             const Records& records) = 0;
    virtual sdk::Result<uint64_t> remove_member(const std::string& channel_id, const std::string& user_id,
                                                const std::string& actor_id, int64_t unix_ms,
                                                const Records& records) = 0;
    virtual sdk::Result<std::vector<v1::Member>> members(const std::string& channel_id,
                                                         const std::string& after_user_id, uint32_t limit) = 0;
    // The channels `user_id` is a member of with their last sequences, by channel id, after `after_channel_id`.
    virtual sdk::Result<std::vector<v1::Position>> memberships(const std::string& user_id,
                                                               const std::string& after_channel_id, uint32_t limit) = 0;
    // Those of `others` who are a member of at least one channel `user_id` is a member of, in the order given.
    virtual sdk::Result<std::vector<std::string>> co_members(const std::string& user_id,
                                                             const std::vector<std::string>& others) = 0;
    // Each channel's last sequence, in the order given; NOT_FOUND names the first that does not exist.
    virtual sdk::Result<std::vector<v1::Position>> positions(const std::vector<std::string>& channel_ids) = 0;

    // In one commit, shared with the appends and amends made at the same time (a group commit): refuses a
    // missing or archived channel (NOT_FOUND, FAILED_PRECONDITION) and an author who is not a member
    // (PERMISSION_DENIED); returns the first message for a repeated client_message_id (and ALREADY_EXISTS if
    // its body differs), also when both are in one commit; else gives `draft` the next sequence and stores it
    // with `records`. A refusal takes back only this append. RESOURCE_EXHAUSTED when too many writes are
    // waiting for the disk, UNAVAILABLE once the store is closing. `done` runs on the thread that committed
    // (the group commit's committer, or this caller's when it wrote alone).
    virtual void append(v1::Message draft, Records records, AppendDone done) = 0;
    // `event` (EDITED or DELETED) as append() stores a message, after checking in the same commit that its
    // target is a POSTED message of the same author (NOT_FOUND, PERMISSION_DENIED) not yet deleted
    // (FAILED_PRECONDITION).
    virtual void amend(v1::Message event, Records records, AppendDone done) = 0;
    // AFTER: sequence > from, ascending. BEFORE: sequence < from (0: any), descending. One more than `limit`
    // may be asked for to learn whether there are more.
    virtual sdk::Result<std::vector<v1::Message>> messages(const std::string& channel_id, uint64_t from,
                                                           v1::HistoryRequest::Direction direction, uint32_t limit) = 0;
};

// Appends and amends go through `commits`, which writes to `database`; both must outlive the store.
sdk::Result<std::unique_ptr<ChannelStore>> open_sqlite_store(plugin_support::SqliteDatabase& database,
                                                             plugin_support::GroupCommit& commits);
extern const char* const kChannelSchema;

// The same store in PostgreSQL; `database` must have been opened with channel_postgres_schema(). Appends
// and amends go through `commits`, which writes to `database`; both must outlive the store.
std::unique_ptr<ChannelStore> open_postgres_store(plugin_support::PostgresDatabase& database,
                                                  plugin_support::GroupCommit& commits);
// The migrations of the channel store's tables (and its audit outbox) in PostgreSQL.
const std::vector<plugin_support::Migration>& channel_postgres_schema();

}  // namespace lanchat::channel
