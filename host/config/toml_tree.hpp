// The one place toml++ enters the host's headers; included only by config/*.cpp.
#pragma once

#include <toml++/toml.h>

#include "config/plugin_config.hpp"

namespace lanchat::host {

// A plugin's table inside the parsed node file. The whole document is kept alive, because a copied
// toml++ node loses its source position, and positions are what config errors are made of.
struct PluginConfig::Tree {
    std::shared_ptr<const toml::table> document;
    const toml::table* table = nullptr;  // inside `document`; nullptr for an absent [plugin.config]
};

}  // namespace lanchat::host
