// Reading a secret from the terminal without echo, or from stdin when it is not a terminal (scripts).
#pragma once

#include <optional>
#include <string>

namespace lanchat::cli {

// On a terminal: asks with `prompt` without echo (twice when `confirm`, and the two must match).
// Otherwise: the first line of stdin. nullopt with `error` set when there is none or they differ.
std::optional<std::string> read_secret(const std::string& prompt, bool confirm, std::string& error);

}  // namespace lanchat::cli
