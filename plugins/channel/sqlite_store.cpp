// The embedded ChannelStore, in the plugin's SQLite file (plugins/plugin_support/sqlite_database.hpp).
#include "audit_outbox.hpp"
#include "channel_store.hpp"
#include "group_commit.hpp"
#include "sqlite_database.hpp"
#include "sqlite_rows.hpp"

namespace lanchat::channel {

const char* const kChannelSchema =
    "CREATE TABLE IF NOT EXISTS channels (id TEXT PRIMARY KEY, name TEXT NOT NULL, kind INTEGER NOT NULL, topic TEXT "
    "NOT "
    "NULL, archived INTEGER NOT NULL DEFAULT 0, created_by TEXT NOT NULL, created_unix_ms INTEGER NOT NULL, "
    "last_sequence INTEGER NOT NULL DEFAULT 0, direct_key TEXT UNIQUE);"
    "DROP INDEX IF EXISTS channel_names;"  // names were unique among private channels too (see public_name_free)
    "CREATE UNIQUE INDEX IF NOT EXISTS public_channel_names ON channels (name) WHERE kind = 1;"
    "CREATE TABLE IF NOT EXISTS members (channel_id TEXT NOT NULL REFERENCES channels (id), user_id TEXT NOT NULL, "
    "role INTEGER NOT NULL, joined_unix_ms INTEGER NOT NULL, PRIMARY KEY (channel_id, user_id));"
    "CREATE INDEX IF NOT EXISTS members_by_user ON members (user_id);"
    "CREATE TABLE IF NOT EXISTS messages (channel_id TEXT NOT NULL REFERENCES channels (id), sequence INTEGER NOT "
    "NULL, "
    "author_id TEXT NOT NULL, body TEXT NOT NULL, server_time_unix_ms INTEGER NOT NULL, client_message_id TEXT, "
    "event INTEGER NOT NULL, target_sequence INTEGER NOT NULL DEFAULT 0, actor_id TEXT NOT NULL DEFAULT '', "
    "PRIMARY KEY (channel_id, sequence));"
    "CREATE UNIQUE INDEX IF NOT EXISTS messages_by_client_id ON messages (channel_id, author_id, client_message_id) "
    "WHERE client_message_id IS NOT NULL;";

namespace {

using plugin_support::AuditOutbox;
using plugin_support::GroupCommit;
using plugin_support::SqliteDatabase;
using plugin_support::Statement;

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

class SqliteStore final : public ChannelStore {
public:
    SqliteStore(SqliteDatabase& db, GroupCommit& commits) : db_(db), commits_(commits) {}

    sdk::Status create_channel(const v1::ChannelInfo& channel, const std::vector<v1::Member>& members,
                               const Records& records) override {
        return db_.transaction([&]() -> sdk::Status {
            if (sdk::Status free = public_name_free(channel.name(), ""); !free.ok()) return free;
            if (sdk::Status inserted = insert_channel(channel, ""); !inserted.ok()) return inserted;
            if (auto added = add_all(members, channel.created_by()); !added.ok()) return added.status();
            return stage(records);
        });
    }

    sdk::Result<v1::ChannelInfo> open_direct(const std::string& direct_key, const v1::ChannelInfo& draft,
                                             const std::vector<v1::Member>& members, const Records& records) override {
        return db_.transaction([&]() -> sdk::Result<v1::ChannelInfo> {
            Statement existing(db_,
                               std::string("SELECT ") + kChannelColumns + " FROM channels c WHERE direct_key = ?1");
            if (existing.bind(1, direct_key).step()) return read_channel(existing);
            if (sdk::Status inserted = insert_channel(draft, direct_key); !inserted.ok()) return inserted;
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
        return db_.read([&]() -> sdk::Result<std::optional<v1::ChannelInfo>> {
            Statement select(db_, std::string("SELECT ") + kChannelColumns + " FROM channels c WHERE c.id = ?1");
            if (select.bind(1, id).step()) return std::optional<v1::ChannelInfo>(read_channel(select));
            if (sdk::Status done = select.status("find channel"); !done.ok()) return done;
            return std::optional<v1::ChannelInfo>();
        });
    }

    sdk::Result<std::vector<v1::ChannelInfo>> visible_channels(const std::string& user_id, bool include_archived,
                                                               const ChannelCursor& cursor, uint32_t limit) override {
        return db_.read([&]() -> sdk::Result<std::vector<v1::ChannelInfo>> {
            Statement select(db_, std::string("SELECT ") + kChannelColumns +
                                      " FROM channels c WHERE (c.kind = 1 OR EXISTS (SELECT 1 FROM members m WHERE "
                                      "m.channel_id = c.id AND m.user_id = ?1)) AND (?2 OR c.archived = 0) AND "
                                      "(c.created_unix_ms, c.id) > (?3, ?4) ORDER BY c.created_unix_ms, c.id LIMIT ?5");
            select.bind(1, user_id)
                .bind(2, static_cast<int64_t>(include_archived))
                .bind(3, cursor.created_unix_ms)
                .bind(4, cursor.id)
                .bind(5, static_cast<int64_t>(limit));
            return select.rows(read_channel, "list channels");
        });
    }

    // Each change writes only its own column, so a rename and an archive racing cannot undo each other.
    sdk::Status record(const Records& records) override {
        return db_.transaction([&]() -> sdk::Status { return stage(records); });
    }

    sdk::Status rename_channel(const std::string& id, const std::string& name, const Records& records) override {
        return db_.transaction([&]() -> sdk::Status {
            if (sdk::Status free = public_name_free(name, id); !free.ok()) return free;
            Statement update(db_, "UPDATE channels SET name = ?2 WHERE id = ?1");
            if (sdk::Status updated = update.bind(1, id).bind(2, name).run("rename channel"); !updated.ok())
                return updated;
            return stage(records);
        });
    }

    sdk::Status archive_channel(const std::string& id, const Records& records) override {
        return db_.transaction([&]() -> sdk::Status {
            Statement update(db_, "UPDATE channels SET archived = 1 WHERE id = ?1 AND archived = 0");
            if (sdk::Status updated = update.bind(1, id).run("archive channel"); !updated.ok()) return updated;
            if (db_.changes() == 0) return {};  // archived already: nothing to record
            return stage(records);
        });
    }

    sdk::Result<std::optional<v1::Member>> find_member(const std::string& channel_id,
                                                       const std::string& user_id) override {
        return db_.read([&]() -> sdk::Result<std::optional<v1::Member>> {
            Statement select(db_,
                             "SELECT channel_id, user_id, role, joined_unix_ms FROM members WHERE channel_id = ?1 "
                             "AND user_id = ?2");
            if (select.bind(1, channel_id).bind(2, user_id).step())
                return std::optional<v1::Member>(read_member(select));
            if (sdk::Status done = select.status("find member"); !done.ok()) return done;
            return std::optional<v1::Member>();
        });
    }

    sdk::Result<uint64_t> add_member(const v1::Member& member, const std::string& actor_id,
                                     const Records& records) override {
        return db_.transaction([&]() -> sdk::Result<uint64_t> {
            sdk::Result<uint64_t> joined = add_all({member}, actor_id);
            if (!joined.ok()) return joined;
            if (sdk::Status staged = stage(records); !staged.ok()) return staged;
            return joined;
        });
    }

    sdk::Result<uint64_t> remove_member(const std::string& channel_id, const std::string& user_id,
                                        const std::string& actor_id, int64_t unix_ms, const Records& records) override {
        return db_.transaction([&]() -> sdk::Result<uint64_t> {
            Statement remove(db_, "DELETE FROM members WHERE channel_id = ?1 AND user_id = ?2");
            if (sdk::Status removed = remove.bind(1, channel_id).bind(2, user_id).run("remove member"); !removed.ok()) {
                return removed;
            }
            if (db_.changes() == 0) return uint64_t{0};  // not a member (any more): nothing to tell
            v1::Message left = membership_event(channel_id, user_id, v1::Message::LEFT, actor_id, unix_ms);
            if (sdk::Status inserted = insert_next(left); !inserted.ok()) return inserted;
            if (sdk::Status staged = stage(records); !staged.ok()) return staged;
            return left.sequence();
        });
    }

    sdk::Result<std::vector<v1::Position>> memberships(const std::string& user_id, const std::string& after_channel_id,
                                                       uint32_t limit) override {
        return db_.read([&]() -> sdk::Result<std::vector<v1::Position>> {
            Statement select(db_,
                             "SELECT c.id, c.last_sequence FROM members m JOIN channels c ON c.id = m.channel_id "
                             "WHERE m.user_id = ?1 AND m.channel_id > ?2 ORDER BY m.channel_id LIMIT ?3");
            select.bind(1, user_id).bind(2, after_channel_id).bind(3, static_cast<int64_t>(limit));
            return select.rows(read_position, "list memberships");
        });
    }

    // One indexed probe per candidate over the user's own channels: the cost follows the user's channels,
    // never a channel's member count.
    sdk::Result<std::vector<std::string>> co_members(const std::string& user_id,
                                                     const std::vector<std::string>& others) override {
        return db_.read([&]() -> sdk::Result<std::vector<std::string>> {
            std::vector<std::string> found;
            for (const std::string& other : others) {
                Statement shared(db_,
                                 "SELECT 1 FROM members mine JOIN members theirs ON theirs.channel_id = "
                                 "mine.channel_id AND theirs.user_id = ?2 WHERE mine.user_id = ?1 LIMIT 1");
                if (shared.bind(1, user_id).bind(2, other).step()) {
                    found.push_back(other);
                } else if (sdk::Status done = shared.status("find a shared channel"); !done.ok()) {
                    return done;
                }
            }
            return found;
        });
    }

    sdk::Result<std::vector<v1::Position>> positions(const std::vector<std::string>& channel_ids) override {
        return db_.read([&]() -> sdk::Result<std::vector<v1::Position>> {
            std::vector<v1::Position> found;
            for (const std::string& id : channel_ids) {
                Statement select(db_, "SELECT id, last_sequence FROM channels WHERE id = ?1");
                if (!select.bind(1, id).step()) {
                    if (sdk::Status done = select.status("read position"); !done.ok()) return done;
                    return sdk::not_found("no channel " + id);
                }
                found.push_back(read_position(select));
            }
            return found;
        });
    }

    sdk::Result<std::vector<v1::Member>> members(const std::string& channel_id, const std::string& after_user_id,
                                                 uint32_t limit) override {
        return db_.read([&]() -> sdk::Result<std::vector<v1::Member>> {
            Statement select(db_,
                             "SELECT channel_id, user_id, role, joined_unix_ms FROM members WHERE channel_id = ?1 "
                             "AND user_id > ?2 ORDER BY user_id LIMIT ?3");
            select.bind(1, channel_id).bind(2, after_user_id).bind(3, static_cast<int64_t>(limit));
            return select.rows(read_member, "list members");
        });
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
        return db_.read([&]() -> sdk::Result<std::vector<v1::Message>> {
            const bool after = direction == v1::HistoryRequest::AFTER;
            std::string sql =
                std::string("SELECT ") + kMessageColumns + " FROM messages WHERE channel_id = ?1 AND " +
                (after ? "sequence > ?2 ORDER BY sequence" : "(?2 = 0 OR sequence < ?2) ORDER BY sequence DESC") +
                " LIMIT ?3";
            Statement select(db_, sql);
            select.bind(1, channel_id).bind(2, static_cast<int64_t>(from)).bind(3, static_cast<int64_t>(limit));
            return select.rows(read_message, "read history");
        });
    }

private:
    // Inside a transaction the caller holds (a group commit's batch, or a change of the caller's own).
    sdk::Result<Appended> append_in_transaction(v1::Message draft, const Records& records) {
        Statement channel(db_, "SELECT archived, last_sequence FROM channels WHERE id = ?1");
        if (!channel.bind(1, draft.channel_id()).step()) return sdk::not_found("no channel " + draft.channel_id());
        if (channel.integer(0) != 0) return sdk::failed_precondition("the channel is archived");
        const uint64_t last = static_cast<uint64_t>(channel.integer(1));
        Statement member(db_, "SELECT 1 FROM members WHERE channel_id = ?1 AND user_id = ?2");
        if (!member.bind(1, draft.channel_id()).bind(2, draft.author_id()).step()) {
            return sdk::Status(sdk::Code::permission_denied, "you are not a member of this channel");
        }
        Appended appended;
        if (!draft.client_message_id().empty()) {
            Statement seen(db_,
                           std::string("SELECT ") + kMessageColumns +
                               " FROM messages WHERE channel_id = ?1 AND author_id = ?2 AND client_message_id = ?3");
            if (seen.bind(1, draft.channel_id()).bind(2, draft.author_id()).bind(3, draft.client_message_id()).step()) {
                v1::Message first = read_message(seen);
                // A retry of a message deleted since has nothing left to compare with: it is the same send.
                if (first.body() != draft.body() && !was_deleted(first.channel_id(), first.sequence())) {
                    return sdk::Status(sdk::Code::already_exists, "client_message_id " + draft.client_message_id() +
                                                                      " was already used for a different message");
                }
                appended.message = std::move(first);
                appended.duplicate = true;
            }
        }
        if (!appended.duplicate) {
            if (sdk::Status inserted = insert_at(draft, last + 1); !inserted.ok()) return inserted;
            if (sdk::Status staged = stage(records); !staged.ok()) return staged;
            appended.message = std::move(draft);
        }
        return appended;
    }

    // Gives `entry` the channel's next sequence and stores it, inside the caller's transaction.
    sdk::Status insert_next(v1::Message& entry) {
        Statement channel(db_, "SELECT last_sequence FROM channels WHERE id = ?1");
        if (!channel.bind(1, entry.channel_id()).step()) return sdk::not_found("no channel " + entry.channel_id());
        return insert_at(entry, static_cast<uint64_t>(channel.integer(0)) + 1);
    }

    // Stores `entry` as the channel's `sequence` (the one after its last) and advances the channel to it.
    sdk::Status insert_at(v1::Message& entry, uint64_t sequence) {
        entry.set_sequence(sequence);
        if (sdk::Status inserted = insert_message(entry); !inserted.ok()) return inserted;
        Statement advance(db_, "UPDATE channels SET last_sequence = ?2 WHERE id = ?1");
        return advance.bind(1, entry.channel_id()).bind(2, static_cast<int64_t>(sequence)).run("advance sequence");
    }

    sdk::Result<Appended> amend_in_transaction(v1::Message event, const Records& records) {
        Statement target(db_, "SELECT author_id, event FROM messages WHERE channel_id = ?1 AND sequence = ?2");
        target.bind(1, event.channel_id()).bind(2, static_cast<int64_t>(event.target_sequence()));
        if (!target.step() || target.integer(1) != v1::Message::POSTED) {
            return sdk::not_found("no message " + std::to_string(event.target_sequence()) + " in this channel");
        }
        if (target.text(0) != event.author_id()) {
            return sdk::Status(sdk::Code::permission_denied, "only its author may edit or delete a message");
        }
        if (was_deleted(event.channel_id(), event.target_sequence())) {
            return sdk::failed_precondition("message " + std::to_string(event.target_sequence()) + " was deleted");
        }
        if (event.event() == v1::Message::DELETED) {
            if (sdk::Status erased = erase_text(event.channel_id(), event.target_sequence()); !erased.ok()) {
                return erased;
            }
        }
        return append_in_transaction(std::move(event), records);
    }

    bool was_deleted(const std::string& channel_id, uint64_t sequence) {
        Statement deleted(db_, "SELECT 1 FROM messages WHERE channel_id = ?1 AND target_sequence = ?2 AND event = ?3");
        deleted.bind(1, channel_id)
            .bind(2, static_cast<int64_t>(sequence))
            .bind(3, static_cast<int64_t>(v1::Message::DELETED));
        return deleted.step();
    }

    // A deleted message keeps its place in the log (sequences stay gapless) but no read path may return its
    // text: the message and every edit of it lose their bodies in the commit that stores the deletion.
    // SQLite's secure_delete (sqlite_database.cpp) zeroes the freed bytes in the file as well.
    sdk::Status erase_text(const std::string& channel_id, uint64_t sequence) {
        Statement erase(db_,
                        "UPDATE messages SET body = '' WHERE channel_id = ?1 AND (sequence = ?2 OR "
                        "(target_sequence = ?2 AND event = ?3))");
        erase.bind(1, channel_id)
            .bind(2, static_cast<int64_t>(sequence))
            .bind(3, static_cast<int64_t>(v1::Message::EDITED));
        return erase.run("erase a deleted message's text");
    }

    static v1::Member read_member(const Statement& row) {
        v1::Member member;
        member.set_channel_id(row.text(0));
        member.set_user_id(row.text(1));
        member.set_role(static_cast<v1::Role>(row.integer(2)));
        member.set_joined_unix_ms(row.integer(3));
        return member;
    }

    // Names are unique among public channels only: a private channel's name is never a conflict, so trying to
    // create a channel cannot tell anyone that a private one of that name exists.
    sdk::Status public_name_free(const std::string& name, const std::string& except_id) {
        Statement taken(db_, "SELECT 1 FROM channels WHERE name = ?1 AND kind = 1 AND id != ?2");
        if (taken.bind(1, name).bind(2, except_id).step()) {
            return {sdk::Code::already_exists, "a public channel named '" + name + "' exists"};
        }
        return taken.status("check channel name");
    }

    sdk::Status insert_channel(const v1::ChannelInfo& channel, const std::string& direct_key) {
        Statement insert(db_,
                         "INSERT INTO channels (id, name, kind, topic, created_by, created_unix_ms, direct_key) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
        insert.bind(1, channel.id())
            .bind(2, channel.name())
            .bind(3, static_cast<int64_t>(channel.kind()))
            .bind(4, channel.topic())
            .bind(5, channel.created_by())
            .bind(6, channel.created_unix_ms());
        if (direct_key.empty())
            insert.bind_null(7);
        else
            insert.bind(7, direct_key);
        return insert.run("insert channel");
    }

    // Adds each member with its JOINED event (by `actor_id`); returns the last event's sequence.
    sdk::Result<uint64_t> add_all(const std::vector<v1::Member>& members, const std::string& actor_id) {
        uint64_t last = 0;
        for (const v1::Member& member : members) {
            Statement insert(db_,
                             "INSERT OR IGNORE INTO members (channel_id, user_id, role, joined_unix_ms) VALUES "
                             "(?1, ?2, ?3, ?4)");
            insert.bind(1, member.channel_id())
                .bind(2, member.user_id())
                .bind(3, static_cast<int64_t>(member.role()))
                .bind(4, member.joined_unix_ms());
            if (sdk::Status added = insert.run("add member"); !added.ok()) return added;
            if (db_.changes() == 0) continue;  // a member already: no event
            v1::Message joined = membership_event(member.channel_id(), member.user_id(), v1::Message::JOINED, actor_id,
                                                  member.joined_unix_ms());
            if (sdk::Status inserted = insert_next(joined); !inserted.ok()) return inserted;
            last = joined.sequence();
        }
        return last;
    }

    sdk::Status insert_message(const v1::Message& message) {
        Statement insert(db_, std::string("INSERT INTO messages (") + kMessageColumns +
                                  ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
        insert.bind(1, message.channel_id())
            .bind(2, static_cast<int64_t>(message.sequence()))
            .bind(3, message.author_id())
            .bind(4, message.body())
            .bind(5, message.server_time_unix_ms());
        if (message.client_message_id().empty())
            insert.bind_null(6);
        else
            insert.bind(6, message.client_message_id());
        insert.bind(7, static_cast<int64_t>(message.event()))
            .bind(8, static_cast<int64_t>(message.target_sequence()))
            .bind(9, message.actor_id());
        return insert.run("insert message");
    }

    sdk::Status stage(const Records& records) {
        for (const audit::v1::AppendRequest& record : records) {
            if (sdk::Status staged = AuditOutbox::stage(db_, record); !staged.ok()) return staged;
        }
        return {};
    }

    SqliteDatabase& db_;
    GroupCommit& commits_;
};

}  // namespace

sdk::Result<std::unique_ptr<ChannelStore>> open_sqlite_store(plugin_support::SqliteDatabase& database,
                                                             plugin_support::GroupCommit& commits) {
    // A log written before membership events has no actor_id column: it gains one (empty for old entries).
    const bool has_actor = database.read([&] {
        Statement column(database, "SELECT 1 FROM pragma_table_info('messages') WHERE name = 'actor_id'");
        return column.step();
    });
    if (!has_actor) {
        sdk::Status added =
            database.exec("ALTER TABLE messages ADD COLUMN actor_id TEXT NOT NULL DEFAULT ''", "add messages.actor_id");
        if (!added.ok()) return added;
    }
    return std::unique_ptr<ChannelStore>(std::make_unique<SqliteStore>(database, commits));
}

}  // namespace lanchat::channel
