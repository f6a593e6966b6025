// `[discovery]`: where services not hosted on this node are — the static table, and the etcd cluster whose
// membership the node joins ([discovery] etcd).
#pragma once

#include "config/node_config.hpp"
#include "config/toml_reader.hpp"

namespace lanchat::host {

// Fills settings.discovery and settings.etcd from the node file's `[discovery]` (nothing when it is absent);
// reads settings.registry, which must already be set. Throws node_file::ConfigError.
void read_discovery(const node_file::Reader& reader, const toml::table& root, MeshConfig& settings);

}  // namespace lanchat::host
