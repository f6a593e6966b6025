// The terminal client's scriptable commands (`lanchat send|channels|history|create|join`), one request or
// two each; their output is meant for scripts. Each returns the process's exit code.
#pragma once

#include <string>
#include <vector>

#include "chat_client.hpp"

namespace lanchat::client {

constexpr int kExitOk = 0, kExitFailed = 1, kExitUsage = 2;

// `words`: "send", CHANNEL, then the words of the message (at least one). Prints the message's sequence.
int send_command(ChatClient& client, const std::vector<std::string>& words);
// The last `count` messages of the channel named (or with the id) `name`, oldest first.
int history_command(ChatClient& client, const std::string& name, int count);
// One line per visible channel: name, kind, members, messages, id (tab-separated).
int channels_command(ChatClient& client);
int create_command(ChatClient& client, const std::string& name, bool is_private);
int join_command(ChatClient& client, const std::string& name);

}  // namespace lanchat::client
