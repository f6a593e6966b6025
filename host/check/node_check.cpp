#include "check/node_check.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <span>
#include <system_error>

#include "abi/host_api.hpp"
#include "check/authorization_keys.hpp"
#include "lanchat/pki/certificate_authority.hpp"
#include "lanchat/sdk/config.hpp"
#include "lanchat/sdk/settings.hpp"
#include "loader/plugin_library.hpp"
#include "metrics/registry.hpp"
#include "runtime/executor.hpp"
#include "runtime/host_context.hpp"
#include "runtime/plugin_instance.hpp"

namespace lanchat::host {
namespace fs = std::filesystem;
namespace {

// The message with the entry's place in the node file; an instance's own "plugin 'NAME': " is not repeated.
sdk::Status in_entry(const PluginSpec& spec, const sdk::Status& status) {
    std::string message = status.message();
    const std::string named = "plugin '" + spec.name + "': ";
    if (message.rfind(named, 0) == 0) message.erase(0, named.size());
    return {status.code(), "plugin '" + spec.name + "' (" + spec.defined_at + "): " + message};
}

// The SDK's own check, reading the node file through the same config table a plugin instance gets.
sdk::Status check_plugin_config(const PluginSpec& spec, std::span<const lanchat_setting> table,
                                const abi::HostApiTable& api) {
    lanchat_host_context context;
    context.plugin_name = spec.name;
    context.config = spec.config;
    sdk::Config config(api.get(), &context);
    return sdk::Settings(config, table).check();
}

// What a plugin instance made by --check gets: the node's host table without the mesh (calls answer
// UNAVAILABLE), its own metrics and executor, and a scratch data directory removed afterwards, so that
// checking changes nothing a running node would see.
struct CheckSandbox {
    CheckSandbox(const NodeConfig& config, NodeLog& node_log) : api(config.node_name, nullptr), log(node_log) {}
    ~CheckSandbox() {
        std::error_code ignored;
        if (!data_dir.empty()) fs::remove_all(data_dir, ignored);
    }

    sdk::Status make_data_dir() {
        std::string pattern = (fs::temp_directory_path() / "lanchatd-check-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) {
            return sdk::internal_error("cannot make a scratch data directory in " + fs::temp_directory_path().string() +
                                       ": " + std::strerror(errno));
        }
        data_dir = pattern;
        return {};
    }
    HostServices services() { return HostServices{*api.get(), log, executor, nullptr, metrics, nullptr, data_dir}; }

    abi::HostApiTable api;
    NodeLog& log;
    Executor executor{1};
    metrics::Registry metrics;
    fs::path data_dir;
};

// The plugin's own code checks its config, as when the node starts: an instance is created and destroyed,
// never started. The file must then unload completely, as a reload needs.
sdk::Status create_and_destroy(const PluginSpec& spec, std::unique_ptr<PluginLibrary> library, CheckSandbox& sandbox) {
    PluginInstance instance(spec, std::move(library), sandbox.services());
    if (sdk::Status created = instance.create(); !created.ok()) return in_entry(spec, created);
    instance.destroy();
    if (sdk::Status unloaded = instance.unload(); !unloaded.ok()) {
        return in_entry(spec, {unloaded.code(), "cannot be reloaded safely: " + unloaded.message()});
    }
    return {};
}

sdk::Status check_plugin(const PluginSpec& spec, CheckSandbox& sandbox) {
    auto library = PluginLibrary::open(spec.path);
    if (!library.ok()) return in_entry(spec, library.status());
    if (const DeclaredSettings& settings = (*library)->settings()) {
        if (sdk::Status checked = check_plugin_config(spec, *settings, sandbox.api); !checked.ok()) {
            return in_entry(spec, checked);
        }
    } else {
        sandbox.log.warn("the plugin declares no settings table: its [plugin.config] is checked only by its own code",
                         {{"plugin", spec.name}, {"abi", (*library)->abi().text()}, {"file", spec.path.string()}});
    }
    return create_and_destroy(spec, std::move(library).value(), sandbox);
}

sdk::Status check_pki(const MeshConfig& mesh, const std::string& node_name) {
    const pki::PkiLayout pki{mesh.pki_dir};
    const std::string dir = mesh.pki_dir.string();
    const std::string issue = "lanchatctl pki issue --dir " + dir + " --node " + node_name + " --service ...";
    std::error_code error;
    if (!fs::is_directory(pki.dir, error)) {
        return sdk::invalid_argument(mesh.pki_dir_at + ": [mesh] pki_dir \"" + dir +
                                     "\" is not a directory; make "
                                     "one with lanchatctl pki init --dir " +
                                     dir + " and " + issue);
    }
    const std::vector<std::pair<fs::path, std::string>> needed = {
        {pki.ca_certificate(), "the CA certificate; lanchatctl pki init --dir " + dir + " makes it"},
        {pki.node_dir(node_name) / "node.crt", "the certificate of node '" + node_name + "'; " + issue + " makes it"},
        {pki.node_dir(node_name) / "node.key", "the key of node '" + node_name + "'; " + issue + " makes it"},
    };
    for (const auto& [file, what] : needed) {
        if (!fs::is_regular_file(file, error)) {
            return sdk::invalid_argument(mesh.pki_dir_at + ": [mesh] pki_dir has no " + file.string() + " (" + what +
                                         ")");
        }
    }
    return {};
}

}  // namespace

sdk::Status check_node(const NodeConfig& config, NodeLog& log) {
    if (config.mesh) {
        if (sdk::Status pki = check_pki(*config.mesh, config.node_name); !pki.ok()) return pki;
        if (sdk::Status keys = check_authorization_keys(config); !keys.ok()) return keys;
    }
    CheckSandbox sandbox(config, log);
    if (sdk::Status made = sandbox.make_data_dir(); !made.ok()) return made;
    for (const PluginSpec& spec : config.plugins) {
        if (sdk::Status checked = check_plugin(spec, sandbox); !checked.ok()) return checked;
    }
    return {};
}

}  // namespace lanchat::host
