#include "config/node_config.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <string_view>

#include "config/discovery_config.hpp"
#include "config/toml_reader.hpp"
#include "config/toml_tree.hpp"

namespace lanchat::host {
namespace fs = std::filesystem;
namespace {

using node_file::check_port;
using node_file::ConfigError;
using node_file::Reader;
using node_file::string_list;

std::string one_line(std::string_view text) {
    std::string line(text);
    std::replace(line.begin(), line.end(), '\n', ' ');
    return line;
}

fs::path resolve(const fs::path& base, const fs::path& path) {
    return (path.is_absolute() ? path : base / path).lexically_normal();
}

// Smaller trace files would rotate on every few spans.
constexpr int64_t kMinTraceFileBytes = 64 * 1024;

void read_node_table(const Reader& reader, const toml::table& root, NodeConfig& config) {
    const toml::node* node_entry = root.get("node");
    if (node_entry == nullptr) throw ConfigError{reader.name() + ": missing the required table [node]"};
    const toml::table* node = node_entry->as_table();
    if (node == nullptr) reader.fail(*node_entry, "[node] must be a table");

    reader.only_known_keys(*node, "[node]",
                           {"name", "data_dir", "plugin_dir", "log_format", "log_level", "executor_threads",
                            "drain_timeout_ms", "export_traces", "export_traces_max_bytes"});
    const fs::path base = fs::absolute(reader.file()).parent_path();
    config.node_name = reader.required<std::string>(*node, "name", "[node]", "a string");
    if (config.node_name.empty()) reader.fail(*node->get("name"), "[node] name must not be empty");
    config.data_dir =
        resolve(base, reader.optional<std::string>(*node, "data_dir", "[node]", "a string").value_or("data"));
    if (auto dir = reader.optional<std::string>(*node, "plugin_dir", "[node]", "a string")) {
        config.plugin_dir = resolve(base, *dir);
    }
    if (auto format = reader.optional<std::string>(*node, "log_format", "[node]", "a string")) {
        if (!parse_log_format(*format, config.log_format)) {
            reader.fail(*node->get("log_format"),
                        "[node] log_format must be \"json\" or \"text\", found \"" + *format + "\"");
        }
    }
    if (auto level = reader.optional<std::string>(*node, "log_level", "[node]", "a string")) {
        if (!parse_log_level(*level, config.log_level)) {
            reader.fail(*node->get("log_level"),
                        "[node] log_level must be one of trace, debug, info, warn, error; found \"" + *level + "\"");
        }
    }
    if (auto threads = reader.optional<int64_t>(*node, "executor_threads", "[node]", "an integer")) {
        if (*threads < 1 || *threads > 256) {
            reader.fail(*node->get("executor_threads"),
                        "[node] executor_threads must be between 1 and 256, found " + std::to_string(*threads));
        }
        config.executor_threads = static_cast<unsigned>(*threads);
    }
    config.export_traces = reader.optional<bool>(*node, "export_traces", "[node]", "a boolean").value_or(false);
    if (auto bytes = reader.optional<int64_t>(*node, "export_traces_max_bytes", "[node]", "an integer")) {
        if (*bytes < kMinTraceFileBytes) {
            reader.fail(*node->get("export_traces_max_bytes"), "[node] export_traces_max_bytes must be at least " +
                                                                   std::to_string(kMinTraceFileBytes) + ", found " +
                                                                   std::to_string(*bytes));
        }
        config.export_traces_max_bytes = static_cast<uint64_t>(*bytes);
    }
    if (auto drain = reader.optional<int64_t>(*node, "drain_timeout_ms", "[node]", "an integer")) {
        if (*drain < 0) {
            reader.fail(*node->get("drain_timeout_ms"),
                        "[node] drain_timeout_ms must not be negative, found " + std::to_string(*drain));
        }
        config.drain_timeout = std::chrono::milliseconds(*drain);
    }
}

PluginSpec read_plugin(const Reader& reader, const std::shared_ptr<const toml::table>& document,
                       const toml::table& entry, const fs::path& plugin_dir) {
    const std::string table_name = "[[plugin]]";
    reader.only_known_keys(entry, table_name, {"name", "path", "core", "config"});
    PluginSpec spec;
    spec.name = reader.required<std::string>(entry, "name", table_name, "a string");
    const std::string named = "[[plugin]] '" + spec.name + "'";
    if (spec.name.empty() || spec.name.find_first_of(" \t/\\\"'") != std::string::npos) {
        reader.fail(*entry.get("name"),
                    "plugin name '" + spec.name + "' must be non-empty without spaces, slashes or quotes");
    }
    std::string path = reader.required<std::string>(entry, "path", named, "a string");
    if (path.empty()) reader.fail(*entry.get("path"), "key 'path' in " + named + " must not be empty");
    spec.path = resolve(plugin_dir, path);
    spec.core = reader.optional<bool>(entry, "core", named, "a boolean").value_or(false);
    spec.defined_at = reader.at(entry);

    auto tree = std::make_shared<PluginConfig::Tree>();
    tree->document = document;
    if (const toml::node* config = entry.get("config")) {
        if (!config->is_table()) {
            reader.fail(*config, "key 'config' in " + named + " must be a table ([plugin.config]), found " +
                                     Reader::type_description(*config));
        }
        tree->table = config->as_table();
    }
    spec.config = std::make_shared<PluginConfig>(reader.name(), std::move(tree));
    return spec;
}

void read_plugins(const Reader& reader, const std::shared_ptr<const toml::table>& root, NodeConfig& config) {
    const toml::node* plugins = root->get("plugin");
    if (plugins == nullptr) return;
    const toml::array* entries = plugins->as_array();
    if (entries == nullptr || !entries->is_array_of_tables()) {
        reader.fail(*plugins, "'plugin' must be an array of tables, written [[plugin]]");
    }
    std::map<std::string, std::string> first_seen;
    for (const toml::node& element : *entries) {
        PluginSpec spec = read_plugin(reader, root, *element.as_table(), config.plugin_dir);
        auto [previous, inserted] = first_seen.emplace(spec.name, spec.defined_at);
        if (!inserted) {
            throw ConfigError{spec.defined_at + ": duplicate plugin name '" + spec.name + "' (first defined at " +
                              previous->second + "); plugin names must be unique"};
        }
        config.plugins.push_back(std::move(spec));
    }
}

std::map<std::string, std::vector<std::string>> string_list_table(const Reader& reader, const toml::table& root,
                                                                  const std::string& name) {
    std::map<std::string, std::vector<std::string>> result;
    const toml::node* node = root.get(name);
    if (node == nullptr) return result;
    const toml::table* table = node->as_table();
    if (table == nullptr) reader.fail(*node, "[" + name + "] must be a table");
    for (const auto& [key, value] : *table) {
        result[std::string(key.str())] = string_list(reader, value, "[" + name + "] " + std::string(key.str()));
    }
    return result;
}

void read_mesh(const Reader& reader, const toml::table& root, NodeConfig& config) {
    const toml::node* mesh_node = root.get("mesh");
    if (mesh_node == nullptr) {
        for (const char* dependent : {"discovery", "authorization"}) {
            if (const toml::node* orphan = root.get(dependent)) {
                reader.fail(*orphan, std::string("[") + dependent + "] needs a [mesh] table");
            }
        }
        return;
    }
    const toml::table* mesh = mesh_node->as_table();
    if (mesh == nullptr) reader.fail(*mesh_node, "[mesh] must be a table");
    reader.only_known_keys(*mesh, "[mesh]",
                           {"listen", "pki_dir", "default_deadline_ms", "max_message_bytes", "stream_queue_limit",
                            "registry", "heartbeat_ms", "local_calls"});
    MeshConfig settings;
    settings.listen = reader.required<std::string>(*mesh, "listen", "[mesh]", "a string");
    if (settings.listen.rfind(':') == std::string::npos) {
        reader.fail(*mesh->get("listen"),
                    "[mesh] listen must be host:port, e.g. \"127.0.0.1:7443\", found \"" + settings.listen + "\"");
    }
    check_port(reader, *mesh->get("listen"), "[mesh] listen", settings.listen);
    settings.pki_dir = resolve(fs::absolute(reader.file()).parent_path(),
                               reader.required<std::string>(*mesh, "pki_dir", "[mesh]", "a string"));
    settings.pki_dir_at = reader.at(*mesh->get("pki_dir"));
    auto positive = [&](const char* key, int64_t fallback) {
        int64_t value = reader.optional<int64_t>(*mesh, key, "[mesh]", "an integer").value_or(fallback);
        if (value <= 0)
            reader.fail(*mesh->get(key),
                        std::string("[mesh] ") + key + " must be positive, found " + std::to_string(value));
        return value;
    };
    settings.default_deadline = std::chrono::milliseconds(positive("default_deadline_ms", 2000));
    settings.max_message_bytes = static_cast<size_t>(positive("max_message_bytes", 4 * 1024 * 1024));
    settings.stream_queue_limit = static_cast<size_t>(positive("stream_queue_limit", 1024));
    if (auto local_calls = reader.optional<std::string>(*mesh, "local_calls", "[mesh]", "a string")) {
        if (*local_calls == "network") {
            settings.local_calls = LocalCalls::network;
        } else if (*local_calls != "in_process") {
            reader.fail(*mesh->get("local_calls"),
                        "[mesh] local_calls must be \"in_process\" or \"network\", found \"" + *local_calls + "\"");
        }
    }
    settings.registry = reader.optional<std::string>(*mesh, "registry", "[mesh]", "a string").value_or("");
    settings.heartbeat = std::chrono::milliseconds(positive("heartbeat_ms", 5000));
    read_discovery(reader, root, settings);
    settings.authorization = string_list_table(reader, root, "authorization");
    config.mesh = std::move(settings);
}

void read_admin(const Reader& reader, const toml::table& root, NodeConfig& config) {
    const toml::node* admin_node = root.get("admin");
    if (admin_node == nullptr) return;
    const toml::table* admin = admin_node->as_table();
    if (admin == nullptr) reader.fail(*admin_node, "[admin] must be a table");
    reader.only_known_keys(*admin, "[admin]", {"listen", "https"});
    AdminConfig settings;
    settings.listen = reader.optional<std::string>(*admin, "listen", "[admin]", "a string").value_or(settings.listen);
    if (settings.listen.rfind(':') == std::string::npos) {
        reader.fail(*admin->get("listen"), "[admin] listen must be host:port, e.g. \"127.0.0.1:9464\"");
    }
    if (const toml::node* listen = admin->get("listen")) check_port(reader, *listen, "[admin] listen", settings.listen);
    settings.https = reader.optional<bool>(*admin, "https", "[admin]", "a boolean").value_or(false);
    if (settings.https && !config.mesh) {
        reader.fail(*admin->get("https"), "[admin] https needs a [mesh] table: its pki_dir holds the certificates");
    }
    config.admin = settings;
}

void read_client_edge(const Reader& reader, const toml::table& root, NodeConfig& config) {
    const toml::node* edge_node = root.get("client_edge");
    if (edge_node == nullptr) return;
    const toml::table* edge = edge_node->as_table();
    if (edge == nullptr) reader.fail(*edge_node, "[client_edge] must be a table");
    reader.only_known_keys(*edge, "[client_edge]",
                           {"listen", "certificate", "key", "threads", "max_connections", "max_connections_per_address",
                            "max_message_bytes", "send_queue_bytes", "socket_send_buffer_bytes", "handshake_timeout_ms",
                            "idle_timeout_ms", "write_timeout_ms"});
    if (!config.mesh)
        reader.fail(*edge_node, "[client_edge] needs a [mesh] table: the gateway calls the services through it");
    ClientEdgeConfig settings;
    settings.listen =
        reader.optional<std::string>(*edge, "listen", "[client_edge]", "a string").value_or(settings.listen);
    if (settings.listen.rfind(':') == std::string::npos) {
        reader.fail(*edge->get("listen"), "[client_edge] listen must be host:port, e.g. \"0.0.0.0:8443\"");
    }
    if (const toml::node* listen = edge->get("listen")) {
        check_port(reader, *listen, "[client_edge] listen", settings.listen);
    }
    const fs::path base = fs::absolute(reader.file()).parent_path();
    auto certificate = reader.optional<std::string>(*edge, "certificate", "[client_edge]", "a string");
    auto key = reader.optional<std::string>(*edge, "key", "[client_edge]", "a string");
    if (certificate.has_value() != key.has_value()) {
        reader.fail(*edge_node, "[client_edge] certificate and key go together: give both or neither");
    }
    settings.certificate =
        certificate ? resolve(base, *certificate) : config.mesh->pki_dir / "nodes" / config.node_name / "node.crt";
    settings.key = key ? resolve(base, *key) : config.mesh->pki_dir / "nodes" / config.node_name / "node.key";
    auto within = [&](const char* key_name, int64_t fallback, int64_t low, int64_t high) {
        int64_t value = reader.optional<int64_t>(*edge, key_name, "[client_edge]", "an integer").value_or(fallback);
        if (value < low || value > high) {
            reader.fail(*edge->get(key_name), std::string("[client_edge] ") + key_name + " must be between " +
                                                  std::to_string(low) + " and " + std::to_string(high) + ", found " +
                                                  std::to_string(value));
        }
        return value;
    };
    settings.threads = static_cast<unsigned>(within("threads", 2, 1, 64));
    settings.max_connections = static_cast<size_t>(within("max_connections", 20000, 1, 1000000));
    settings.max_connections_given = edge->contains("max_connections");
    settings.max_connections_per_address = static_cast<size_t>(within("max_connections_per_address", 64, 1, 1000000));
    settings.max_message_bytes = static_cast<size_t>(within("max_message_bytes", 64 * 1024, 1024, 16 * 1024 * 1024));
    settings.send_queue_bytes = static_cast<size_t>(within("send_queue_bytes", 1024 * 1024, 4096, 1024 * 1024 * 1024));
    settings.socket_send_buffer_bytes = static_cast<size_t>(within("socket_send_buffer_bytes", 0, 0, 64 * 1024 * 1024));
    settings.handshake_timeout = std::chrono::milliseconds(within("handshake_timeout_ms", 10000, 100, 600000));
    settings.idle_timeout = std::chrono::milliseconds(within("idle_timeout_ms", 60000, 200, 3600000));
    settings.write_timeout = std::chrono::milliseconds(within("write_timeout_ms", 30000, 100, 3600000));
    config.client_edge = settings;
}

}  // namespace

sdk::Result<NodeConfig> load_node_config(const fs::path& file, const fs::path& default_plugin_dir) {
    std::error_code error;
    if (!fs::is_regular_file(file, error)) {
        return sdk::invalid_argument(file.string() + ": config file not found (or not a regular file)");
    }
    Reader reader(file);
    try {
        auto root = std::make_shared<const toml::table>(toml::parse_file(file.string()));
        reader.only_known_keys(*root, "the top level",
                               {"node", "plugin", "mesh", "discovery", "authorization", "admin", "client_edge"});
        NodeConfig config;
        config.file = fs::absolute(file);
        config.plugin_dir = default_plugin_dir;
        read_node_table(reader, *root, config);
        read_plugins(reader, root, config);
        read_mesh(reader, *root, config);
        read_admin(reader, *root, config);
        read_client_edge(reader, *root, config);
        return config;
    } catch (const toml::parse_error& e) {
        return sdk::invalid_argument(reader.at(e.source()) + ": TOML syntax error: " + one_line(e.description()));
    } catch (const ConfigError& e) {
        return sdk::invalid_argument(e.message);
    }
}

}  // namespace lanchat::host
