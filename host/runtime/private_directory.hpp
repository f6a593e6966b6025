// The node's data directory and each plugin's directory in it hold secrets (token signing keys, password
// hashes, every direct message): only the node's own user may read or write them, whatever the umask.
#pragma once

#include <filesystem>
#include <string>

#include "lanchat/sdk/status.hpp"

namespace lanchat::host {

// Creates `dir` (and its parents) when missing and leaves it mode 0700. Refuses a directory that its group
// or others can write: whoever can write there could already have replaced the node's data or plugins, so
// tightening it silently would hide that. `what` names the setting for the error ("[node] data_dir in f").
sdk::Status make_private_directory(const std::filesystem::path& dir, const std::string& what);

}  // namespace lanchat::host
