// The rows of the embedded ChannelStore (sqlite_store.cpp) as the contract's messages: which columns a
// query selects, in the order the readers take them.
#pragma once

#include "lanchat/channel/v1/channel.pb.h"
#include "sqlite_database.hpp"

namespace lanchat::channel {

// A channel's columns (`c` is the channels table) ending with its member count; read by read_channel().
extern const char* const kChannelColumns;
// A message's columns, for read_message() and for inserting one.
extern const char* const kMessageColumns;

v1::ChannelInfo read_channel(const plugin_support::Statement& row);
v1::Message read_message(const plugin_support::Statement& row);
// (channel id, last sequence)
v1::Position read_position(const plugin_support::Statement& row);

}  // namespace lanchat::channel
