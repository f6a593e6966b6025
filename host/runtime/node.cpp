#include "runtime/node.hpp"

namespace lanchat::host {
namespace {

sdk::Status in_entry(const PluginSpec& spec, const sdk::Status& status) {
    return {status.code(), "plugin '" + spec.name + "' (" + spec.defined_at + "): " + status.message()};
}

}  // namespace

Node::Node(NodeConfig config, NodeLog& log)
    : config_(std::move(config)), log_(log), api_(config_.node_name, rpc::rpc_api_table()),
      executor_(config_.executor_threads) {}

Node::~Node() { stop(); }

sdk::Status Node::start() {
    std::error_code error;
    std::filesystem::create_directories(config_.data_dir, error);
    if (error) {
        return sdk::failed_precondition("cannot create the data directory " + config_.data_dir.string() +
                                        " ([node] data_dir in " + config_.file.string() + "): " + error.message());
    }
    if (config_.mesh) {
        std::vector<std::string> hosted;
        for (const PluginSpec& spec : config_.plugins) hosted.push_back(spec.name);
        auto mesh = rpc::Mesh::start(*config_.mesh, config_.node_name, hosted, log_, executor_);
        if (!mesh.ok()) return {mesh.status().code(), "[mesh] in " + config_.file.string() + ": " + mesh.status().message()};
        mesh_ = std::move(mesh).value();
    }
    for (const PluginSpec& spec : config_.plugins) {
        if (sdk::Status status = start_plugin(spec); !status.ok()) {
            stop();
            return status;
        }
    }
    if (mesh_) mesh_->join();
    return {};
}

sdk::Status Node::start_plugin(const PluginSpec& spec) {
    auto library = PluginLibrary::open(spec.path);
    if (!library.ok()) return in_entry(spec, library.status());
    auto plugin = std::make_unique<PluginInstance>(spec, std::move(library).value(), *api_.get(), log_, executor_,
                                                   mesh_.get(), config_.data_dir);
    if (sdk::Status status = plugin->create(); !status.ok()) return status;
    sdk::Status started = plugin->start();
    const PluginLibrary& loaded = *plugin->library();
    std::vector<LogField> fields = {{"plugin", spec.name},
                                    {"version", std::string(loaded.version())},
                                    {"abi", loaded.abi().text()},
                                    {"core", spec.core ? "true" : "false"},
                                    {"file", spec.path.string()}};
    plugins_.push_back(std::move(plugin));  // a failed start still needs stop(), which Node::stop gives it
    if (!started.ok()) return started;
    log_.info("plugin started", fields);
    return {};
}

bool Node::stop() {
    if (mesh_) mesh_->leave();
    bool all_unloaded = true;
    while (!plugins_.empty()) {
        all_unloaded = stop_plugin(*plugins_.back()) && all_unloaded;
        plugins_.pop_back();
    }
    if (mesh_) mesh_->shutdown();
    return all_unloaded;
}

bool Node::stop_plugin(PluginInstance& plugin) {
    const std::string name = plugin.spec().name;
    bool drained = plugin.drain(config_.drain_timeout);
    if (!drained) {
        log_.warn("plugin did not finish draining in time; stopping it anyway",
                  {{"plugin", name}, {"drain_timeout_ms", std::to_string(config_.drain_timeout.count())}});
    }
    plugin.stop();
    plugin.destroy();
    sdk::Status unloaded = plugin.unload();
    if (!unloaded.ok()) {
        log_.error("plugin '" + name + "': " + unloaded.message(), {{"plugin", name}});
        return false;
    }
    log_.info("plugin stopped", {{"plugin", name}, {"drained", drained ? "true" : "false"}});
    return true;
}

sdk::Status check_plugins(const NodeConfig& config) {
    for (const PluginSpec& spec : config.plugins) {
        auto library = PluginLibrary::open(spec.path);
        if (!library.ok()) return in_entry(spec, library.status());
        if (sdk::Status unloaded = (*library)->unload(); !unloaded.ok()) return in_entry(spec, unloaded);
    }
    return {};
}

}  // namespace lanchat::host
