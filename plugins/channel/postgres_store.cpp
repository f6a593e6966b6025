// The shared ChannelStore, in PostgreSQL (plugins/plugin_support/postgres_database.hpp), for nodes that
// share their channels. Several Channel instances, on several nodes, may write one database at once: every
// write that gives a sequence or judges a message first locks its channel's row (SELECT ... FOR UPDATE), so
// appends to one channel are serialised by PostgreSQL and each sees the last sequence and the idempotency
// keys the others committed. Ids compare as bytes (COLLATE "C"), as in SQLite, so pages keep their order.
#include "audit_outbox.hpp"
#include "channel_store.hpp"
#include "group_commit.hpp"
#include "postgres_database.hpp"
#include "postgres_outbox.hpp"

namespace lanchat::channel {

namespace {

using plugin_support::GroupCommit;
using plugin_support::PgParam;
using plugin_support::PgRows;
using plugin_support::PostgresDatabase;

constexpr const char* kChannelColumns =
    "c.id, c.name, c.kind, c.topic, c.archived, c.created_by, c.created_unix_ms, c.last_sequence, "
    "(SELECT count(*) FROM members m WHERE m.channel_id = c.id)";
constexpr const char* kMessageColumns =
    "channel_id, sequence, author_id, body, server_time_unix_ms, client_message_id, event, target_sequence, actor_id";

v1::ChannelInfo read_channel(const PgRows& rows, int row) {
    v1::ChannelInfo channel;
    channel.set_id(rows.text(row, 0));
    channel.set_name(rows.text(row, 1));
    channel.set_kind(static_cast<v1::Kind>(rows.integer(row, 2)));
    channel.set_topic(rows.text(row, 3));
    channel.set_archived(rows.boolean(row, 4));
    channel.set_created_by(rows.text(row, 5));
    channel.set_created_unix_ms(rows.integer(row, 6));
    channel.set_last_sequence(static_cast<uint64_t>(rows.integer(row, 7)));
    channel.set_member_count(static_cast<uint32_t>(rows.integer(row, 8)));
    return channel;
}

v1::Message read_message(const PgRows& rows, int row) {
    v1::Message message;
    message.set_channel_id(rows.text(row, 0));
    message.set_sequence(static_cast<uint64_t>(rows.integer(row, 1)));
    message.set_author_id(rows.text(row, 2));
    message.set_body(rows.text(row, 3));
    message.set_server_time_unix_ms(rows.integer(row, 4));
    message.set_client_message_id(rows.text(row, 5));
    message.set_event(static_cast<v1::Message::Event>(rows.integer(row, 6)));
    message.set_target_sequence(static_cast<uint64_t>(rows.integer(row, 7)));
    message.set_actor_id(rows.text(row, 8));
    return message;
}

v1::Position read_position(const PgRows& rows, int row) {
    v1::Position position;
    position.set_channel_id(rows.text(row, 0));
    position.set_last_sequence(static_cast<uint64_t>(rows.integer(row, 1)));
    return position;
}

v1::Member read_member(const PgRows& rows, int row) {
    v1::Member member;
    member.set_channel_id(rows.text(row, 0));
    member.set_user_id(rows.text(row, 1));
    member.set_role(static_cast<v1::Role>(rows.integer(row, 2)));
    member.set_joined_unix_ms(rows.integer(row, 3));
    return member;
}

// Every row of `rows`, each made by `read`; the failure instead when the statement failed.
template <class Read>
auto all(sdk::Result<PgRows> rows, Read read) -> sdk::Result<std::vector<decltype(read(*rows, 0))>> {
    if (!rows.ok()) return rows.status();
    std::vector<decltype(read(*rows, 0))> made;
    for (int row = 0; row < rows->size(); ++row) made.push_back(read(*rows, row));
    return made;
}

// The event that says `user_id` joined or left, made by `actor_id` (empty: by themselves).
v1::Message membership_event(const std::string& channel_id, const std::string& user_id, v1::Message::Event event,
                             const std::string& actor_id, int64_t unix_ms) {
    v1::Message message;
    message.set_channel_id(channel_id);
    message.set_author_id(user_id);
    message.set_server_time_unix_ms(unix_ms);
    message.set_event(event);
    if (actor_id != user_id) message.set_actor_id(actor_id);
    return message;
}

int64_t as_integer(uint64_t value) { return static_cast<int64_t>(value); }

class PostgresStore final : public ChannelStore {
public:
    PostgresStore(PostgresDatabase& db, GroupCommit& commits) : db_(db), commits_(commits) {}

    sdk::Status create_channel(const v1::ChannelInfo& channel, const std::vector<v1::Member>& members,
                               const Records& records) override {
        return db_.transaction([&]() -> sdk::Status {
            if (sdk::Status free = public_name_free(channel.name(), ""); !free.ok()) return free;
            if (sdk::Status inserted = insert_channel(channel, ""); !inserted.ok()) return inserted;
            if (auto added = add_all(members, channel.created_by()); !added.ok()) return added.status();
            return stage(records);
        });
    }

    // Two nodes opening the same pair at once: the second's insert waits for the first's commit and does
    // nothing, and both answer the one channel.
    sdk::Result<v1::ChannelInfo> open_direct(const std::string& direct_key, const v1::ChannelInfo& draft,
                                             const std::vector<v1::Member>& members, const Records& records) override {
        return db_.transaction([&]() -> sdk::Result<v1::ChannelInfo> {
            auto inserted = db_.run(
                "INSERT INTO channels (id, name, kind, topic, created_by, created_unix_ms, direct_key) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (direct_key) DO NOTHING",
                {draft.id(), draft.name(), int64_t{draft.kind()}, draft.topic(), draft.created_by(),
                 draft.created_unix_ms(), direct_key},
                "insert direct channel");
            if (!inserted.ok()) return inserted.status();
            if (*inserted == 0) {
                auto existing =
                    db_.query(std::string("SELECT ") + kChannelColumns + " FROM channels c WHERE direct_key = $1",
                              {direct_key}, "find direct channel");
                if (!existing.ok()) return existing.status();
                if (!existing->empty()) return read_channel(*existing, 0);
                return sdk::internal_error("the direct channel " + direct_key + " vanished while being opened");
            }
            auto added = add_all(members, draft.created_by());
            if (!added.ok()) return added.status();
            if (sdk::Status staged = stage(records); !staged.ok()) return staged;
            v1::ChannelInfo created = draft;
            created.set_member_count(static_cast<uint32_t>(members.size()));
            created.set_last_sequence(*added);
            return created;
        });
    }

    sdk::Result<std::optional<v1::ChannelInfo>> find_channel(const std::string& id) override {
        auto rows = db_.query(std::string("SELECT ") + kChannelColumns + " FROM channels c WHERE c.id = $1", {id},
                              "find channel");
        if (!rows.ok()) return rows.status();
        if (rows->empty()) return std::optional<v1::ChannelInfo>();
        return std::optional<v1::ChannelInfo>(read_channel(*rows, 0));
    }

    sdk::Result<std::vector<v1::ChannelInfo>> visible_channels(const std::string& user_id, bool include_archived,
                                                               const ChannelCursor& cursor, uint32_t limit) override {
        return all(
            db_.query(std::string("SELECT ") + kChannelColumns +
                          " FROM channels c WHERE (c.kind = 1 OR EXISTS (SELECT 1 FROM members m WHERE "
                          "m.channel_id = c.id AND m.user_id = $1)) AND ($2::boolean OR NOT c.archived) AND "
                          "(c.created_unix_ms, c.id) > ($3::bigint, $4::text) ORDER BY c.created_unix_ms, c.id "
                          "LIMIT $5",
                      {user_id, include_archived ? "true" : "false", cursor.created_unix_ms, cursor.id, int64_t{limit}},
                      "list channels"),
            read_channel);
    }

    sdk::Status record(const Records& records) override {
        return db_.transaction([&]() -> sdk::Status { return stage(records); });
    }

    // Each change writes only its own column, so a rename and an archive racing cannot undo each other.
    sdk::Status rename_channel(const std::string& id, const std::string& name, const Records& records) override {
        return db_.transaction([&]() -> sdk::Status {
            if (sdk::Status free = public_name_free(name, id); !free.ok()) return free;
            auto renamed = db_.run("UPDATE channels SET name = $2 WHERE id = $1", {id, name}, "rename channel");
            if (!renamed.ok()) return name_taken_or(renamed.status(), name);
            return stage(records);
        });
    }

    sdk::Status archive_channel(const std::string& id, const Records& records) override {
        return db_.transaction([&]() -> sdk::Status {
            auto archived =
                db_.run("UPDATE channels SET archived = true WHERE id = $1 AND NOT archived", {id}, "archive channel");
            if (!archived.ok()) return archived.status();
            if (*archived == 0) return {};  // archived already: nothing to record
            return stage(records);
        });
    }

    sdk::Result<std::optional<v1::Member>> find_member(const std::string& channel_id,
                                                       const std::string& user_id) override {
        auto rows = db_.query(
            "SELECT channel_id, user_id, role, joined_unix_ms FROM members WHERE channel_id = $1 AND user_id = $2",
            {channel_id, user_id}, "find member");
        if (!rows.ok()) return rows.status();
        if (rows->empty()) return std::optional<v1::Member>();
        return std::optional<v1::Member>(read_member(*rows, 0));
    }

    sdk::Result<uint64_t> add_member(const v1::Member& member, const std::string& actor_id,
                                     const Records& records) override {
        return db_.transaction([&]() -> sdk::Result<uint64_t> {
            auto added = add_all({member}, actor_id);
            if (!added.ok() || *added == 0) return added;
            if (sdk::Status staged = stage(records); !staged.ok()) return staged;
            return added;
        });
    }

    sdk::Result<uint64_t> remove_member(const std::string& channel_id, const std::string& user_id,
                                        const std::string& actor_id, int64_t unix_ms, const Records& records) override {
        return db_.transaction([&]() -> sdk::Result<uint64_t> {
            auto removed = db_.run("DELETE FROM members WHERE channel_id = $1 AND user_id = $2", {channel_id, user_id},
                                   "remove member");
            if (!removed.ok()) return removed.status();
            if (*removed == 0) return uint64_t{0};  // not a member (any more): nothing to tell
            v1::Message left = membership_event(channel_id, user_id, v1::Message::LEFT, actor_id, unix_ms);
            if (sdk::Status inserted = insert_next(left); !inserted.ok()) return inserted;
            if (sdk::Status staged = stage(records); !staged.ok()) return staged;
            return left.sequence();
        });
    }

    sdk::Result<std::vector<v1::Position>> memberships(const std::string& user_id, const std::string& after_channel_id,
                                                       uint32_t limit) override {
        return all(db_.query("SELECT c.id, c.last_sequence FROM members m JOIN channels c ON c.id = m.channel_id "
                             "WHERE m.user_id = $1 AND m.channel_id > $2 ORDER BY m.channel_id LIMIT $3",
                             {user_id, after_channel_id, int64_t{limit}}, "list memberships"),
                   read_position);
    }

    sdk::Result<std::vector<std::string>> co_members(const std::string& user_id,
                                                     const std::vector<std::string>& others) override {
        std::vector<std::string> found;
        for (const std::string& other : others) {
            auto rows = db_.query(
                "SELECT 1 FROM members mine JOIN members theirs ON theirs.channel_id = "
                "mine.channel_id AND theirs.user_id = $2 WHERE mine.user_id = $1 LIMIT 1",
                {user_id, other}, "find a shared channel");
            if (!rows.ok()) return rows.status();
            if (!rows->empty()) found.push_back(other);
        }
        return found;
    }

    sdk::Result<std::vector<v1::Position>> positions(const std::vector<std::string>& channel_ids) override {
        std::vector<v1::Position> found;
        for (const std::string& id : channel_ids) {
            auto rows = db_.query("SELECT id, last_sequence FROM channels WHERE id = $1", {id}, "read position");
            if (!rows.ok()) return rows.status();
            if (rows->empty()) return sdk::not_found("no channel " + id);
            found.push_back(read_position(*rows, 0));
        }
        return found;
    }

    sdk::Result<std::vector<v1::Member>> members(const std::string& channel_id, const std::string& after_user_id,
                                                 uint32_t limit) override {
        return all(db_.query("SELECT channel_id, user_id, role, joined_unix_ms FROM members WHERE channel_id = $1 "
                             "AND user_id > $2 ORDER BY user_id LIMIT $3",
                             {channel_id, after_user_id, int64_t{limit}}, "list members"),
                   read_member);
    }

    void append(v1::Message draft, Records records, AppendDone done) override {
        commits_.submit<Appended>(
            [this, draft = std::move(draft), records = std::move(records)]() mutable {
                return append_in_transaction(std::move(draft), records);
            },
            std::move(done));
    }

    void amend(v1::Message event, Records records, AppendDone done) override {
        commits_.submit<Appended>(
            [this, event = std::move(event), records = std::move(records)]() mutable {
                return amend_in_transaction(std::move(event), records);
            },
            std::move(done));
    }

    sdk::Result<std::vector<v1::Message>> messages(const std::string& channel_id, uint64_t from,
                                                   v1::HistoryRequest::Direction direction, uint32_t limit) override {
        const bool after = direction == v1::HistoryRequest::AFTER;
        return all(db_.query(std::string("SELECT ") + kMessageColumns + " FROM messages WHERE channel_id = $1 AND " +
                                 (after ? "sequence > $2 ORDER BY sequence"
                                        : "($2::bigint = 0 OR sequence < $2) ORDER BY sequence DESC") +
                                 " LIMIT $3",
                             {channel_id, as_integer(from), int64_t{limit}}, "read history"),
                   read_message);
    }

private:
    // Inside a transaction the caller holds (a group commit's batch, or a change of the caller's own). The
    // channel's row stays locked until the commit: another node's append to it waits, then sees this one.
    sdk::Result<Appended> append_in_transaction(v1::Message draft, const Records& records) {
        auto channel = db_.query("SELECT archived, last_sequence FROM channels WHERE id = $1 FOR UPDATE",
                                 {draft.channel_id()}, "lock channel");
        if (!channel.ok()) return channel.status();
        if (channel->empty()) return sdk::not_found("no channel " + draft.channel_id());
        if (channel->boolean(0, 0)) return sdk::failed_precondition("the channel is archived");
        const uint64_t last = static_cast<uint64_t>(channel->integer(0, 1));
        auto member = db_.query("SELECT 1 FROM members WHERE channel_id = $1 AND user_id = $2",
                                {draft.channel_id(), draft.author_id()}, "check membership");
        if (!member.ok()) return member.status();
        if (member->empty()) return sdk::Status(sdk::Code::permission_denied, "you are not a member of this channel");
        if (!draft.client_message_id().empty()) {
            auto seen =
                db_.query(std::string("SELECT ") + kMessageColumns +
                              " FROM messages WHERE channel_id = $1 AND author_id = $2 AND client_message_id = $3",
                          {draft.channel_id(), draft.author_id(), draft.client_message_id()}, "find a repeat");
            if (!seen.ok()) return seen.status();
            if (!seen->empty()) return repeat_of(read_message(*seen, 0), draft);
        }
        if (sdk::Status inserted = insert_at(draft, last + 1); !inserted.ok()) return inserted;
        if (sdk::Status staged = stage(records); !staged.ok()) return staged;
        return Appended{std::move(draft), false};
    }

    // A retry of a message deleted since has nothing left to compare with: it is the same send.
    sdk::Result<Appended> repeat_of(v1::Message first, const v1::Message& draft) {
        if (first.body() != draft.body()) {
            auto deleted = was_deleted(first.channel_id(), first.sequence());
            if (!deleted.ok()) return deleted.status();
            if (!*deleted) {
                return sdk::Status(sdk::Code::already_exists, "client_message_id " + draft.client_message_id() +
                                                                  " was already used for a different message");
            }
        }
        return Appended{std::move(first), true};
    }

    // Gives `entry` the channel's next sequence and stores it, inside the caller's transaction.
    sdk::Status insert_next(v1::Message& entry) {
        auto channel = db_.query("SELECT last_sequence FROM channels WHERE id = $1 FOR UPDATE", {entry.channel_id()},
                                 "lock channel");
        if (!channel.ok()) return channel.status();
        if (channel->empty()) return sdk::not_found("no channel " + entry.channel_id());
        return insert_at(entry, static_cast<uint64_t>(channel->integer(0, 0)) + 1);
    }

    // Stores `entry` as the channel's `sequence` (the one after its last) and advances the channel to it.
    sdk::Status insert_at(v1::Message& entry, uint64_t sequence) {
        entry.set_sequence(sequence);
        auto inserted = db_.run(
            std::string("INSERT INTO messages (") + kMessageColumns + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            {entry.channel_id(), as_integer(sequence), entry.author_id(), entry.body(), entry.server_time_unix_ms(),
             PgParam::text_or_null(entry.client_message_id()), int64_t{entry.event()},
             as_integer(entry.target_sequence()), entry.actor_id()},
            "insert message");
        if (!inserted.ok()) return inserted.status();
        return db_
            .run("UPDATE channels SET last_sequence = $2 WHERE id = $1", {entry.channel_id(), as_integer(sequence)},
                 "advance sequence")
            .status();
    }

    sdk::Result<Appended> amend_in_transaction(v1::Message event, const Records& records) {
        // The channel's lock first, so that an edit and a deletion from two nodes judge one after the other.
        auto locked =
            db_.query("SELECT 1 FROM channels WHERE id = $1 FOR UPDATE", {event.channel_id()}, "lock channel");
        if (!locked.ok()) return locked.status();
        auto target = db_.query("SELECT author_id, event FROM messages WHERE channel_id = $1 AND sequence = $2",
                                {event.channel_id(), as_integer(event.target_sequence())}, "find amended message");
        if (!target.ok()) return target.status();
        if (target->empty() || target->integer(0, 1) != v1::Message::POSTED) {
            return sdk::not_found("no message " + std::to_string(event.target_sequence()) + " in this channel");
        }
        if (target->text(0, 0) != event.author_id()) {
            return sdk::Status(sdk::Code::permission_denied, "only its author may edit or delete a message");
        }
        auto deleted = was_deleted(event.channel_id(), event.target_sequence());
        if (!deleted.ok()) return deleted.status();
        if (*deleted) {
            return sdk::failed_precondition("message " + std::to_string(event.target_sequence()) + " was deleted");
        }
        if (event.event() == v1::Message::DELETED) {
            if (sdk::Status erased = erase_text(event.channel_id(), event.target_sequence()); !erased.ok()) {
                return erased;
            }
        }
        return append_in_transaction(std::move(event), records);
    }

    sdk::Result<bool> was_deleted(const std::string& channel_id, uint64_t sequence) {
        auto deleted = db_.query("SELECT 1 FROM messages WHERE channel_id = $1 AND target_sequence = $2 AND event = $3",
                                 {channel_id, as_integer(sequence), int64_t{v1::Message::DELETED}}, "find a deletion");
        if (!deleted.ok()) return deleted.status();
        return !deleted->empty();
    }

    // A deleted message keeps its place in the log (sequences stay gapless) but no read path may return its
    // text: the message and every edit of it lose their bodies in the commit that stores the deletion.
    sdk::Status erase_text(const std::string& channel_id, uint64_t sequence) {
        return db_
            .run(
                "UPDATE messages SET body = '' WHERE channel_id = $1 AND (sequence = $2 OR "
                "(target_sequence = $2 AND event = $3))",
                {channel_id, as_integer(sequence), int64_t{v1::Message::EDITED}}, "erase a deleted message's text")
            .status();
    }

    // Names are unique among public channels only: a private channel's name is never a conflict, so trying to
    // create a channel cannot tell anyone that a private one of that name exists. Two nodes racing for one
    // name pass this check both and meet in the index public_channel_names (name_taken_or).
    sdk::Status public_name_free(const std::string& name, const std::string& except_id) {
        auto taken = db_.query("SELECT 1 FROM channels WHERE name = $1 AND kind = 1 AND id != $2", {name, except_id},
                               "check channel name");
        if (!taken.ok()) return taken.status();
        if (!taken->empty()) return {sdk::Code::already_exists, "a public channel named '" + name + "' exists"};
        return {};
    }

    static sdk::Status name_taken_or(const sdk::Status& failed, const std::string& name) {
        if (failed.code() != sdk::Code::already_exists) return failed;
        return {sdk::Code::already_exists, "a public channel named '" + name + "' exists"};
    }

    sdk::Status insert_channel(const v1::ChannelInfo& channel, const std::string& direct_key) {
        auto inserted = db_.run(
            "INSERT INTO channels (id, name, kind, topic, created_by, created_unix_ms, direct_key) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7)",
            {channel.id(), channel.name(), int64_t{channel.kind()}, channel.topic(), channel.created_by(),
             channel.created_unix_ms(), PgParam::text_or_null(direct_key)},
            "insert channel");
        return inserted.ok() ? sdk::Status() : name_taken_or(inserted.status(), channel.name());
    }

    // Adds each member with its JOINED event (by `actor_id`); returns the last event's sequence.
    sdk::Result<uint64_t> add_all(const std::vector<v1::Member>& members, const std::string& actor_id) {
        uint64_t last = 0;
        for (const v1::Member& member : members) {
            auto added = db_.run(
                "INSERT INTO members (channel_id, user_id, role, joined_unix_ms) VALUES ($1, $2, $3, $4) "
                "ON CONFLICT DO NOTHING",
                {member.channel_id(), member.user_id(), int64_t{member.role()}, member.joined_unix_ms()}, "add member");
            if (!added.ok()) return added.status();
            if (*added == 0) continue;  // a member already: no event
            v1::Message joined = membership_event(member.channel_id(), member.user_id(), v1::Message::JOINED, actor_id,
                                                  member.joined_unix_ms());
            if (sdk::Status inserted = insert_next(joined); !inserted.ok()) return inserted;
            last = joined.sequence();
        }
        return last;
    }

    sdk::Status stage(const Records& records) {
        for (const audit::v1::AppendRequest& record : records) {
            if (sdk::Status staged = plugin_support::stage_in_postgres(db_, record); !staged.ok()) return staged;
        }
        return {};
    }

    PostgresDatabase& db_;
    GroupCommit& commits_;
};

}  // namespace

std::unique_ptr<ChannelStore> open_postgres_store(plugin_support::PostgresDatabase& database,
                                                  plugin_support::GroupCommit& commits) {
    return std::make_unique<PostgresStore>(database, commits);
}

}  // namespace lanchat::channel
