// The channel store's tables in PostgreSQL, as numbered migrations (postgres_database.hpp): a step is
// never edited once released, only followed by the next.
#include "channel_store.hpp"
#include "postgres_database.hpp"
#include "postgres_outbox.hpp"

namespace lanchat::channel {

namespace {

constexpr const char* kSchemaVersion1 =
    "CREATE TABLE channels (id TEXT COLLATE \"C\" PRIMARY KEY, name TEXT NOT NULL, kind INTEGER NOT NULL, "
    "topic TEXT NOT NULL, archived BOOLEAN NOT NULL DEFAULT false, created_by TEXT NOT NULL, "
    "created_unix_ms BIGINT NOT NULL, last_sequence BIGINT NOT NULL DEFAULT 0, direct_key TEXT UNIQUE);"
    "CREATE UNIQUE INDEX public_channel_names ON channels (name) WHERE kind = 1;"
    "CREATE TABLE members (channel_id TEXT COLLATE \"C\" NOT NULL REFERENCES channels (id), "
    "user_id TEXT COLLATE \"C\" NOT NULL, role INTEGER NOT NULL, joined_unix_ms BIGINT NOT NULL, "
    "PRIMARY KEY (channel_id, user_id));"
    "CREATE INDEX members_by_user ON members (user_id);"
    "CREATE TABLE messages (channel_id TEXT COLLATE \"C\" NOT NULL REFERENCES channels (id), "
    "sequence BIGINT NOT NULL, author_id TEXT NOT NULL, body TEXT NOT NULL, server_time_unix_ms BIGINT NOT NULL, "
    "client_message_id TEXT, event INTEGER NOT NULL, target_sequence BIGINT NOT NULL DEFAULT 0, "
    "actor_id TEXT NOT NULL DEFAULT '', PRIMARY KEY (channel_id, sequence));"
    "CREATE UNIQUE INDEX messages_by_client_id ON messages (channel_id, author_id, client_message_id) "
    "WHERE client_message_id IS NOT NULL;";

}  // namespace

const std::vector<plugin_support::Migration>& channel_postgres_schema() {
    static const std::vector<plugin_support::Migration> steps = {
        {1, kSchemaVersion1},
        {2, plugin_support::kPostgresOutboxSchema},
    };
    return steps;
}

}  // namespace lanchat::channel
