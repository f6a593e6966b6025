// The terminal client's interactive mode (`lanchat chat`): lines typed are commands (/join, /switch, /dm,
// /invite, ...) or messages to the current channel; deliveries print as they come, above the line being
// typed, through the Printer fed by `session` and `editor`.
#pragma once

#include <optional>
#include <string>

#include "chat_client.hpp"
#include "line_editor.hpp"
#include "session.hpp"

namespace lanchat::client {

// Runs until /quit, the end of stdin or of the connection; returns the process's exit code.
// On a terminal the input is edited in raw mode (line_editor.hpp) until the chat ends.
int chat(Session& session, ChatClient& client, LineEditor& editor, const std::optional<std::string>& start_channel);

}  // namespace lanchat::client
