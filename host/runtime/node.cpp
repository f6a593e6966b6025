#include "runtime/node.hpp"

#include <filesystem>

#include "abi/tables.hpp"
#include "admin/admin_routes.hpp"
#include "lanchat/pki/certificate_authority.hpp"
#include "mesh/tls.hpp"
#include "runtime/private_directory.hpp"
#include "runtime/process_metrics.hpp"

namespace lanchat::host {
namespace {

sdk::Status in_entry(const PluginSpec& spec, const sdk::Status& status) {
    return {status.code(), "plugin '" + spec.name + "' (" + spec.defined_at + "): " + status.message()};
}

// Where each plugin file is copied before it is loaded (so a reload never maps a half-written file).
std::filesystem::path loaded_copies_dir(const NodeConfig& config) { return config.data_dir / ".loaded"; }

}  // namespace

Node::Node(NodeConfig config, NodeLog& log)
    : config_(std::move(config)),
      log_(log),
      api_(config_.node_name, abi::rpc_api_table()),
      executor_(config_.executor_threads) {
    if (config_.client_edge) edge_ = std::make_unique<edge::Dispatcher>(log_);
    metrics_.on_collect([this] { collect_metrics(); });
}

Node::~Node() { stop(); }

sdk::Status Node::start() {
    if (sdk::Status made = make_private_directory(config_.data_dir, "[node] data_dir in " + config_.file.string());
        !made.ok()) {
        return made;
    }
    if (sdk::Status made = make_private_directory(loaded_copies_dir(config_), "the copies of the loaded plugin files");
        !made.ok()) {
        return made;
    }
    if (config_.export_traces) {
        traces_ = std::make_unique<TraceWriter>(config_.data_dir / "traces.jsonl", config_.node_name,
                                                config_.export_traces_max_bytes);
        if (!traces_->ok()) {
            return sdk::failed_precondition("cannot append to " + traces_->file().string() + " ([node] export_traces)");
        }
    }
    if (config_.mesh) {
        std::vector<std::string> hosted;
        for (const PluginSpec& spec : config_.plugins) hosted.push_back(spec.name);
        auto mesh =
            mesh::Mesh::start(*config_.mesh, config_.node_name, hosted, log_, executor_, metrics_, traces_.get());
        if (!mesh.ok())
            return {mesh.status().code(), "[mesh] in " + config_.file.string() + ": " + mesh.status().message()};
        mesh_ = std::move(mesh).value();
    }
    for (const PluginSpec& spec : config_.plugins) {
        if (sdk::Status status = start_plugin(spec); !status.ok()) {
            stop();
            return status;
        }
    }
    if (sdk::Status edge = start_client_edge(); !edge.ok()) {
        stop();
        return edge;
    }
    // Offered to clients and other nodes only once it can serve them.
    if (sdk::Status joined = mesh_ ? mesh_->join(client_edge_address()) : sdk::Status(); !joined.ok()) {
        stop();
        return joined;  // it names the node file's line
    }
    if (sdk::Status admin = start_admin(); !admin.ok()) {
        stop();
        return admin;
    }
    serving_ = true;
    return {};
}

sdk::Status Node::start_client_edge() {
    if (!config_.client_edge) return {};
    pki::PkiLayout pki{config_.mesh->pki_dir};
    auto listener =
        edge::Listener::start(*config_.client_edge, pki.ca_certificate(), mesh_->revocations(), *edge_, metrics_, log_);
    if (!listener.ok()) return {listener.status().code(), config_.file.string() + ": " + listener.status().message()};
    edge_listener_ = std::move(listener).value();
    if (!edge_->has_handler()) {
        log_.warn("[client_edge] is set but no plugin handles it: clients are refused until a gateway plugin runs");
    }
    return {};
}

std::string Node::client_edge_address() const { return edge_listener_ ? edge_listener_->address() : std::string(); }

sdk::Status Node::start_admin() {
    if (!config_.admin) return {};
    std::optional<admin::Tls> tls;
    if ((config_.admin->https || !admin::is_loopback(config_.admin->listen)) && mesh_) {
        pki::PkiLayout pki{config_.mesh->pki_dir};
        auto domain = pki::trust_domain_of(pki.ca_certificate());
        if (!domain.ok()) return {domain.status().code(), "[admin]: " + domain.status().message()};
        tls = admin::Tls{pki.ca_certificate(), pki.node_dir(config_.node_name) / "node.crt",
                         pki.node_dir(config_.node_name) / "node.key", "spiffe://" + *domain + "/operator/",
                         mesh_->revocations()};
    }
    auto server = admin::AdminServer::start(config_.admin->listen, tls, admin::routes_for(*this, log_), log_);
    if (!server.ok()) return server.status();
    admin_ = std::move(server).value();
    return {};
}

std::string Node::admin_address() const {
    if (!admin_) return {};
    return (admin_->https() ? "https://" : "http://") + admin_->address();
}

std::vector<PluginStatus> Node::plugin_statuses() const {
    std::lock_guard lock(plugins_mutex_);
    std::vector<PluginStatus> statuses;
    for (const auto& plugin : plugins_) {
        const PluginLibrary* library = plugin->library();
        statuses.push_back({plugin->spec().name, library ? std::string(library->version()) : "",
                            library ? library->abi().text() : "", plugin->spec().core, plugin->state(),
                            plugin->health(), plugin->loaded_at(), plugin->spec().path.string()});
    }
    return statuses;
}

// Gauges read at scrape time: the process and the plugins.
void Node::collect_metrics() {
    record_process_metrics(metrics_, started_at_);
    auto state = metrics_.must(metrics::Kind::gauge, "lanchat_plugin_state",
                               "1 for the state each plugin is in (loaded, created, started, draining, stopped).",
                               {"plugin", "state"});
    auto healthy =
        metrics_.must(metrics::Kind::gauge, "lanchat_plugin_healthy", "1 when the plugin reports SERVING.", {"plugin"});
    metrics_.must(metrics::Kind::counter, "lanchat_plugin_reloads_total", "Hot reloads of each plugin.", {"plugin"});
    metrics_.must(metrics::Kind::counter, "lanchat_plugin_failures_total",
                  "Failed lifecycle steps or reloads of each plugin.", {"plugin"});
    for (const PluginStatus& plugin : plugin_statuses()) {
        for (PluginState candidate : {PluginState::loaded, PluginState::created, PluginState::started,
                                      PluginState::draining, PluginState::stopped}) {
            state->set({plugin.name, state_name(candidate)}, plugin.state == candidate ? 1 : 0);
        }
        healthy->set({plugin.name}, plugin.health.status == LANCHAT_HEALTH_SERVING ? 1 : 0);
    }
}

HostServices Node::services() {
    return HostServices{*api_.get(), log_, executor_, mesh_.get(), metrics_, edge_.get(), config_.data_dir};
}

// Loaded files are private copies in <data_dir>/.loaded, so a plugin file rebuilt in place never changes
// running code.
sdk::Result<std::unique_ptr<PluginLibrary>> Node::open_library(const PluginSpec& spec) const {
    auto library = PluginLibrary::open(spec.path, loaded_copies_dir(config_));
    if (!library.ok()) return in_entry(spec, library.status());
    return library;
}

sdk::Status Node::start_plugin(const PluginSpec& spec) {
    auto library = open_library(spec);
    if (!library.ok()) return library.status();
    auto plugin = std::make_unique<PluginInstance>(spec, std::move(library).value(), services());
    if (sdk::Status status = plugin->create(); !status.ok()) return status;
    sdk::Status started = plugin->start();
    const PluginLibrary& loaded = *plugin->library();
    std::vector<LogField> fields = {{"plugin", spec.name},
                                    {"version", std::string(loaded.version())},
                                    {"abi", loaded.abi().text()},
                                    {"core", spec.core ? "true" : "false"},
                                    {"file", spec.path.string()}};
    {
        std::lock_guard lock(plugins_mutex_);
        plugins_.push_back(std::move(plugin));  // a failed start still needs stop(), which Node::stop gives it
    }
    if (!started.ok()) return started;
    log_.info("plugin started", fields);
    return {};
}

bool Node::stop() {
    serving_ = false;
    admin_.reset();  // no reload can start any more
    std::lock_guard reload_lock(reload_mutex_);
    if (mesh_) mesh_->leave();
    bool all_unloaded = true;
    for (;;) {
        std::unique_ptr<PluginInstance> plugin;
        {
            std::lock_guard lock(plugins_mutex_);
            if (plugins_.empty()) break;
            plugin = std::move(plugins_.back());
            plugins_.pop_back();
        }
        all_unloaded = stop_plugin(*plugin) && all_unloaded;
    }
    edge_listener_.reset();
    if (mesh_) mesh_->shutdown();
    return all_unloaded;
}

bool Node::stop_plugin(PluginInstance& plugin) {
    const std::string name = plugin.spec().name;
    bool drained = plugin.drain(config_.drain_timeout);
    auto failures = metrics_.must(metrics::Kind::counter, "lanchat_plugin_failures_total",
                                  "Failed lifecycle steps or reloads of each plugin.", {"plugin"});
    if (!drained) {
        failures->add({name}, 1);
        log_.warn("plugin did not finish draining in time; stopping it anyway",
                  {{"plugin", name}, {"drain_timeout_ms", std::to_string(config_.drain_timeout.count())}});
    }
    plugin.stop();
    plugin.destroy();
    sdk::Status unloaded = plugin.unload();
    if (!unloaded.ok()) {
        failures->add({name}, 1);
        log_.error("plugin '" + name + "': " + unloaded.message(), {{"plugin", name}});
        return false;
    }
    metrics_.remove_owner(name);  // its own metrics leave /metrics with it
    log_.info("plugin stopped", {{"plugin", name}, {"drained", drained ? "true" : "false"}});
    return true;
}

}  // namespace lanchat::host
