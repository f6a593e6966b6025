// lanchatd: the lanchat node host. Reads a node file, runs its plugins, stops them on SIGTERM/SIGINT.
#include <csignal>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include <boost/dll/runtime_symbol_info.hpp>

#include "abi/host_api.hpp"
#include "check/node_check.hpp"
#include "check/plugin_description.hpp"
#include "config/descriptor_limit.hpp"
#include "config/node_config.hpp"
#include "loader/plugin_library.hpp"
#include "logging/log.hpp"
#include "runtime/node.hpp"

namespace {

using namespace lanchat::host;

// Exit codes, documented in `lanchatd --help` and the README.
constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;     // a plugin failed to load, start or unload
constexpr int kExitBadConfig = 2;  // usage or node file error

constexpr const char* kUsage =
    "usage: lanchatd [--check] [--log-format json|text] [--log-level LEVEL] NODE_FILE\n"
    "       lanchatd --describe PLUGIN_FILE\n"
    "       lanchatd --version\n"
    "\n"
    "Runs the plugins listed in NODE_FILE (TOML) until SIGTERM or SIGINT, then drains and stops them in\n"
    "reverse order and exits 0.\n"
    "  --check          validate NODE_FILE, every plugin file (ABI included), every [plugin.config] against\n"
    "                   its plugin's settings and the mesh's PKI files, without serving\n"
    "  --describe F     print the settings plugin file F reads from its [plugin.config]\n"
    "  --log-format F   json (default: one JSON object per line) or text (readable, for a terminal)\n"
    "  --log-level L    trace, debug, info (default), warn or error\n"
    "Exit codes: 0 stopped cleanly, 1 a plugin failed, 2 bad usage or bad node file.\n";

struct Options {
    bool check = false;
    std::string describe;  // a plugin file
    std::string config_file;
    std::optional<LogFormat> log_format;
    std::optional<lanchat_log_level> log_level;
};

// Fails with a message for stderr, or fills `options`. `exit_now` is set for --help and --version.
std::optional<std::string> parse_options(int argc, char** argv, Options& options, bool& exit_now) {
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        auto next = [&]() -> std::optional<std::string_view> {
            if (i + 1 >= argc) return std::nullopt;
            return std::string_view(argv[++i]);
        };
        if (arg == "--help" || arg == "-h") {
            std::cout << kUsage;
            exit_now = true;
            return std::nullopt;
        }
        if (arg == "--version") {
            std::cout << "lanchatd " << abi::host_version() << " (plugin ABI " << host_abi().text() << ")\n";
            exit_now = true;
            return std::nullopt;
        }
        if (arg == "--check") {
            options.check = true;
        } else if (arg == "--describe") {
            auto value = next();
            if (!value) return "--describe needs a plugin file";
            options.describe = *value;
        } else if (arg == "--log-format") {
            auto value = next();
            LogFormat format;
            if (!value || !parse_log_format(*value, format)) return "--log-format needs json or text";
            options.log_format = format;
        } else if (arg == "--log-level") {
            auto value = next();
            lanchat_log_level level;
            if (!value || !parse_log_level(*value, level)) return "--log-level needs trace, debug, info, warn or error";
            options.log_level = level;
        } else if (!arg.empty() && arg[0] == '-') {
            return "unknown option " + std::string(arg);
        } else if (options.config_file.empty()) {
            options.config_file = arg;
        } else {
            return "only one NODE_FILE may be given (got " + options.config_file + " and " + std::string(arg) + ")";
        }
    }
    if (!options.describe.empty()) {
        if (options.check || !options.config_file.empty()) return "--describe takes a plugin file and nothing else";
        return std::nullopt;
    }
    if (options.config_file.empty()) return "missing NODE_FILE";
    return std::nullopt;
}

// Plugins live in <prefix>/<libdir>/lanchat/plugins beside <prefix>/bin/lanchatd, in the build tree and installed.
std::filesystem::path default_plugin_dir() {
    return (boost::dll::program_location().parent_path() / LANCHAT_DEFAULT_PLUGIN_DIR).lexically_normal();
}

int describe(const std::filesystem::path& file) {
    auto library = PluginLibrary::open(std::filesystem::absolute(file));
    if (!library.ok()) {
        std::cerr << "lanchatd: " << library.status().message() << "\n";
        return kExitFailed;
    }
    std::cout << describe_plugin(**library);
    return kExitOk;
}

// SIGTERM, SIGINT and SIGHUP are blocked in every thread and taken by sigwait in main, so no plugin
// thread is ever interrupted by them.
sigset_t block_node_signals() {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    return signals;
}

// Waits for SIGTERM or SIGINT; on SIGHUP re-reads the node file and applies it (certificates are re-read
// on their own within a second).
int wait_for_stop_signal(const sigset_t& signals, Node& node, const std::filesystem::path& file, NodeLog& log) {
    for (;;) {
        int signal = 0;
        if (sigwait(&signals, &signal) != 0) continue;
        if (signal != SIGHUP) return signal;
        auto fresh = load_node_config(file, node.config().plugin_dir);
        if (!fresh.ok()) {
            log.error("SIGHUP: the node file has an error; nothing changed", {{"reason", fresh.status().message()}});
            continue;
        }
        node.apply(*fresh);
    }
}

int serve(const NodeConfig& config, NodeLog& log, const sigset_t& signals) {
    Node node(config, log);
    if (lanchat::sdk::Status started = node.start(); !started.ok()) {
        log.error(started.message());
        return kExitFailed;
    }
    std::vector<LogField> ready = {{"plugins", std::to_string(node.plugins().size())},
                                   {"data_dir", config.data_dir.string()},
                                   {"abi", host_abi().text()},
                                   {"version", abi::host_version()}};
    if (std::string admin = node.admin_address(); !admin.empty()) ready.push_back({"admin", admin});
    if (std::string edge = node.client_edge_address(); !edge.empty())
        ready.push_back({"clients", "https://" + edge + "/"});
    if (lanchat::host::mesh::Mesh* mesh = node.mesh()) {
        ready.push_back({"grpc", mesh->address()});
        ready.push_back({"pki", mesh->pki_dir().string()});
    }
    log.info("node ready", ready);
    int signal = wait_for_stop_signal(signals, node, config.file, log);
    log.info("stopping", {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
    bool clean = node.stop();
    log.info("node stopped");
    return clean ? kExitOk : kExitFailed;
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    bool exit_now = false;
    if (auto error = parse_options(argc, argv, options, exit_now)) {
        std::cerr << "lanchatd: " << *error << "\n" << kUsage;
        return kExitBadConfig;
    }
    if (exit_now) return kExitOk;
    if (!options.describe.empty()) return describe(options.describe);

    sigset_t signals = block_node_signals();
    auto config = load_node_config(options.config_file, default_plugin_dir());
    if (!config.ok()) {
        // Before the node file is read there is no node name or log format: one plain line.
        std::cerr << "lanchatd: " << config.status().message() << "\n";
        return kExitBadConfig;
    }
    NodeLog log(options.log_format.value_or(config->log_format), options.log_level.value_or(config->log_level));
    log.set_node(config->node_name);

    if (auto room = check_descriptor_room(*config, raise_descriptor_limit()); !room.ok()) {
        log.error(room.message());
        return kExitBadConfig;
    }
    if (options.check) {
        if (lanchat::sdk::Status checked = check_node(*config, log); !checked.ok()) {
            log.error(checked.message());
            return kExitFailed;
        }
        log.info("node file is valid",
                 {{"file", options.config_file}, {"plugins", std::to_string(config->plugins.size())}});
        return kExitOk;
    }
    try {
        return serve(*config, log, signals);
    } catch (const std::exception& e) {
        log.error(std::string("unexpected failure: ") + e.what());
        return kExitFailed;
    }
}
