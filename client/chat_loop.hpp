// The terminal client's interactive mode (`lanchat chat`): stdin lines are commands (/join, /switch, ...) or
// messages to the current channel; deliveries print as they come, through the Printer fed by `session`.
#pragma once

#include <optional>
#include <string>

#include "chat_client.hpp"
#include "session.hpp"

namespace lanchat::client {

// Runs until /quit, the end of stdin or of the connection; returns the process's exit code.
int chat(Session& session, ChatClient& client, const std::optional<std::string>& start_channel);

}  // namespace lanchat::client
