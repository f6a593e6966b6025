#include "sqlite_rows.hpp"

namespace lanchat::channel {

const char* const kChannelColumns =
    "c.id, c.name, c.kind, c.topic, c.archived, c.created_by, c.created_unix_ms, c.last_sequence, "
    "(SELECT count(*) FROM members m WHERE m.channel_id = c.id)";
const char* const kMessageColumns =
    "channel_id, sequence, author_id, body, server_time_unix_ms, client_message_id, event, target_sequence, actor_id";

v1::ChannelInfo read_channel(const plugin_support::Statement& row) {
    v1::ChannelInfo channel;
    channel.set_id(row.text(0));
    channel.set_name(row.text(1));
    channel.set_kind(static_cast<v1::Kind>(row.integer(2)));
    channel.set_topic(row.text(3));
    channel.set_archived(row.integer(4) != 0);
    channel.set_created_by(row.text(5));
    channel.set_created_unix_ms(row.integer(6));
    channel.set_last_sequence(static_cast<uint64_t>(row.integer(7)));
    channel.set_member_count(static_cast<uint32_t>(row.integer(8)));
    return channel;
}

v1::Message read_message(const plugin_support::Statement& row) {
    v1::Message message;
    message.set_channel_id(row.text(0));
    message.set_sequence(static_cast<uint64_t>(row.integer(1)));
    message.set_author_id(row.text(2));
    message.set_body(row.text(3));
    message.set_server_time_unix_ms(row.integer(4));
    message.set_client_message_id(row.text(5));
    message.set_event(static_cast<v1::Message::Event>(row.integer(6)));
    message.set_target_sequence(static_cast<uint64_t>(row.integer(7)));
    message.set_actor_id(row.text(8));
    return message;
}

v1::Position read_position(const plugin_support::Statement& row) {
    v1::Position position;
    position.set_channel_id(row.text(0));
    position.set_last_sequence(static_cast<uint64_t>(row.integer(1)));
    return position;
}

}  // namespace lanchat::channel
