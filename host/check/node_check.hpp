// What `lanchatd --check` knows about a node file without starting anything.
#pragma once

#include "config/node_config.hpp"
#include "lanchat/sdk/status.hpp"
#include "logging/log.hpp"

namespace lanchat::host {

// Opens every plugin file (architecture, what would make it unsafe to unload, entry symbol, ABI, settings
// table); checks each `[plugin.config]` against the plugin's declared settings; creates an instance of each
// (its own code reads its config, as at start; never started, its data directory a scratch one) and destroys
// it; then proves the file unloaded, as a reload needs. Looks for the mesh's PKI files and checks that every
// `[authorization]` key names a service (check_authorization_keys). Returns the first problem, naming the
// entry and the file:line:column it is about. A plugin without a settings table (built before ABI 1.4, or
// without one) is logged: its config is checked only by its own code.
sdk::Status check_node(const NodeConfig& config, NodeLog& log);

}  // namespace lanchat::host
