#include "check/node_check.hpp"

#include <span>
#include <system_error>

#include "abi/host_api.hpp"
#include "lanchat/pki/certificate_authority.hpp"
#include "lanchat/sdk/config.hpp"
#include "lanchat/sdk/settings.hpp"
#include "loader/plugin_library.hpp"
#include "runtime/host_context.hpp"

namespace lanchat::host {
namespace fs = std::filesystem;
namespace {

sdk::Status in_entry(const PluginSpec& spec, const sdk::Status& status) {
    return {status.code(), "plugin '" + spec.name + "' (" + spec.defined_at + "): " + status.message()};
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

sdk::Status check_plugin(const PluginSpec& spec, const abi::HostApiTable& api, NodeLog& log) {
    auto library = PluginLibrary::open(spec.path);
    if (!library.ok()) return in_entry(spec, library.status());
    if (const DeclaredSettings& settings = (*library)->settings()) {
        if (sdk::Status checked = check_plugin_config(spec, *settings, api); !checked.ok()) {
            return in_entry(spec, checked);
        }
    } else {
        log.warn("the plugin declares no settings table: its [plugin.config] is checked only when it starts",
                 {{"plugin", spec.name}, {"abi", (*library)->abi().text()}, {"file", spec.path.string()}});
    }
    if (sdk::Status unloaded = (*library)->unload(); !unloaded.ok()) return in_entry(spec, unloaded);
    return {};
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
    }
    abi::HostApiTable api(config.node_name, nullptr);
    for (const PluginSpec& spec : config.plugins) {
        if (sdk::Status checked = check_plugin(spec, api, log); !checked.ok()) return checked;
    }
    return {};
}

}  // namespace lanchat::host
