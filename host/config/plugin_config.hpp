// PluginConfig: one plugin's `[plugin.config]` table, answered by path for the ABI's config functions.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "lanchat/plugin_abi.h"

namespace lanchat::host {

// Immutable after construction, so any thread may read it. Strings handed out point into this object.
class PluginConfig {
public:
    class Tree;  // the parsed TOML table, hidden from includers

    PluginConfig(std::string file, std::shared_ptr<const Tree> tree);
    ~PluginConfig();

    // An empty config (no `[plugin.config]` table).
    static PluginConfig empty(std::string file);

    // Paths: `key`, `table.key`, `list[2]`, `list[2].key`; the empty path is the table itself.
    lanchat_config_value get(std::string_view path) const;
    std::optional<std::string> key_at(std::string_view path, size_t index) const;
    std::string where(std::string_view path) const;

    // True when both tables hold the same keys and values (positions aside): a reload is not needed.
    bool same_values(const PluginConfig& other) const;

private:
    std::string file_;
    std::shared_ptr<const Tree> tree_;
};

}  // namespace lanchat::host
