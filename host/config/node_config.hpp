// NodeConfig: the node TOML file, validated. Every error names the file, line, column and key.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "config/plugin_config.hpp"
#include "lanchat/sdk/status.hpp"
#include "logging/log.hpp"

namespace lanchat::host {

// One `[[plugin]]` entry.
struct PluginSpec {
    std::string name;
    std::filesystem::path path;  // absolute: relative paths are resolved against the plugin directory
    bool core = false;           // core plugins never reload
    std::string defined_at;      // "file:line" of the entry, for messages
    std::shared_ptr<const PluginConfig> config;
};

struct NodeConfig {
    std::filesystem::path file;
    std::string node_name;
    std::filesystem::path data_dir;
    std::filesystem::path plugin_dir;
    LogFormat log_format = LogFormat::json;
    lanchat_log_level log_level = LANCHAT_LOG_INFO;
    unsigned executor_threads = 2;
    std::chrono::milliseconds drain_timeout{5000};
    std::vector<PluginSpec> plugins;
};

// Reads and validates `file`. `default_plugin_dir` applies when `[node] plugin_dir` is absent.
sdk::Result<NodeConfig> load_node_config(const std::filesystem::path& file,
                                         const std::filesystem::path& default_plugin_dir);

}  // namespace lanchat::host
