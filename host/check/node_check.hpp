// What `lanchatd --check` knows about a node file without starting anything.
#pragma once

#include "config/node_config.hpp"
#include "lanchat/sdk/status.hpp"
#include "logging/log.hpp"

namespace lanchat::host {

// Opens every plugin file (architecture, entry symbol, ABI, settings table) and unloads it again; checks each
// `[plugin.config]` against the plugin's declared settings, as the SDK will at create; and looks for the
// mesh's PKI files. Returns the first problem, naming the entry and the file:line:column it is about. A
// plugin without a settings table (built before ABI 1.4, or without one) is logged: its config is checked
// only when it starts.
sdk::Status check_node(const NodeConfig& config, NodeLog& log);

}  // namespace lanchat::host
