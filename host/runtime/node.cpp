#include "runtime/node.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "admin/admin_routes.hpp"
#include "lanchat/pki/certificate_authority.hpp"
#include "mesh/tls.hpp"
#include "runtime/private_directory.hpp"

namespace lanchat::host {
namespace {

sdk::Status in_entry(const PluginSpec& spec, const sdk::Status& status) {
    return {status.code(), "plugin '" + spec.name + "' (" + spec.defined_at + "): " + status.message()};
}

// Where each plugin file is copied before it is loaded (so a reload never maps a half-written file).
std::filesystem::path copy_dir_of(const NodeConfig& config) { return config.data_dir / ".loaded"; }

}  // namespace

Node::Node(NodeConfig config, NodeLog& log)
    : config_(std::move(config)), log_(log), api_(config_.node_name, mesh::rpc_api_table()),
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
    if (sdk::Status made = make_private_directory(copy_dir_of(config_), "the copies of the loaded plugin files");
        !made.ok()) {
        return made;
    }
    if (config_.export_traces) {
        traces_ = std::make_unique<TraceWriter>(config_.data_dir / "traces.jsonl", config_.node_name);
        if (!traces_->ok()) {
            return sdk::failed_precondition("cannot append to " + traces_->file().string() + " ([node] export_traces)");
        }
    }
    if (config_.mesh) {
        std::vector<std::string> hosted;
        for (const PluginSpec& spec : config_.plugins) hosted.push_back(spec.name);
        auto mesh = mesh::Mesh::start(*config_.mesh, config_.node_name, hosted, log_, executor_, metrics_,
                                     traces_.get());
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
    if (sdk::Status edge = start_client_edge(); !edge.ok()) {
        stop();
        return edge;
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
    auto listener = edge::Listener::start(*config_.client_edge, pki.ca_certificate(), *edge_, metrics_, log_);
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
    if ((config_.admin->https || !admin::is_loopback(config_.admin->listen)) && config_.mesh) {
        pki::PkiLayout pki{config_.mesh->pki_dir};
        auto domain = pki::trust_domain_of(pki.ca_certificate());
        if (!domain.ok()) return {domain.status().code(), "[admin]: " + domain.status().message()};
        tls = admin::Tls{pki.ca_certificate(), pki.node_dir(config_.node_name) / "node.crt",
                         pki.node_dir(config_.node_name) / "node.key", "spiffe://" + *domain + "/operator/"};
    }
    auto server = admin::AdminServer::start(config_.admin->listen, tls, admin::routes_for(*this), log_);
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
    auto uptime = metrics_.must(metrics::Kind::gauge, "lanchat_uptime_seconds", "Seconds since lanchatd started.", {});
    auto resident = metrics_.must(metrics::Kind::gauge, "process_resident_memory_bytes", "Resident memory size in bytes.", {});
    auto fds = metrics_.must(metrics::Kind::gauge, "process_open_fds", "Number of open file descriptors.", {});
    auto sockets = metrics_.must(metrics::Kind::gauge, "lanchat_open_sockets",
                                 "Open sockets: listeners and connections (gRPC, admin, clients).", {});
    auto state = metrics_.must(metrics::Kind::gauge, "lanchat_plugin_state",
                               "1 for the state each plugin is in (loaded, created, started, draining, stopped).",
                               {"plugin", "state"});
    auto healthy = metrics_.must(metrics::Kind::gauge, "lanchat_plugin_healthy", "1 when the plugin reports SERVING.",
                                 {"plugin"});
    metrics_.must(metrics::Kind::counter, "lanchat_plugin_reloads_total", "Hot reloads of each plugin.", {"plugin"});
    metrics_.must(metrics::Kind::counter, "lanchat_plugin_failures_total",
                  "Failed lifecycle steps or reloads of each plugin.", {"plugin"});

    uptime->set({}, std::chrono::duration<double>(std::chrono::system_clock::now() - started_at_).count());
    std::ifstream statm("/proc/self/statm");
    double pages = 0, resident_pages = 0;
    statm >> pages >> resident_pages;
    resident->set({}, resident_pages * static_cast<double>(sysconf(_SC_PAGESIZE)));
    double open = 0, open_sockets = 0;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", error)) {
        ++open;
        std::error_code ignored;
        if (std::filesystem::read_symlink(entry.path(), ignored).string().rfind("socket:", 0) == 0) ++open_sockets;
    }
    fds->set({}, open);
    sockets->set({}, open_sockets);
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

// Loaded files are private copies here, so a plugin file rebuilt in place never changes running code.

sdk::Status Node::start_plugin(const PluginSpec& spec) {
    auto library = PluginLibrary::open(spec.path, copy_dir_of(config_));
    if (!library.ok()) return in_entry(spec, library.status());
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

sdk::Status Node::reload(const std::string& name) {
    std::lock_guard reload_lock(reload_mutex_);
    if (!serving_) return sdk::unavailable("the node is stopping");
    PluginInstance* old = nullptr;
    {
        std::lock_guard lock(plugins_mutex_);
        for (const auto& plugin : plugins_) {
            if (plugin->spec().name == name) old = plugin.get();
        }
    }
    if (old == nullptr) return sdk::not_found("no plugin named '" + name + "' on this node");
    if (old->spec().core) {
        return sdk::failed_precondition("plugin '" + name + "' is core (core = true in the node file) and never reloads");
    }
    // The entry as the node file says now: a changed path or config applies with the reload.
    auto fresh = load_node_config(config_.file, config_.plugin_dir);
    if (!fresh.ok()) return {fresh.status().code(), "the node file no longer loads: " + fresh.status().message()};
    for (const PluginSpec& spec : fresh->plugins) {
        if (spec.name != name) continue;
        if (spec.core) return sdk::failed_precondition("plugin '" + name + "' is now core in the node file; restart the node");
        return reload_locked(*old, spec);
    }
    return sdk::not_found("plugin '" + name + "' is no longer in " + config_.file.string());
}

sdk::Status Node::reload_locked(PluginInstance& old, const PluginSpec& spec) {
    const std::string name = spec.name;
    sdk::Status replaced = replace(old, spec);
    if (!replaced.ok()) {
        metrics_.must(metrics::Kind::counter, "lanchat_plugin_failures_total",
                      "Failed lifecycle steps or reloads of each plugin.", {"plugin"})
            ->add({name}, 1);
        log_.error("reload failed; the running instance keeps serving", {{"plugin", name}, {"reason", replaced.message()}});
        return {sdk::Code::aborted, replaced.message()};  // the new version failed, not the request
    }
    metrics_.must(metrics::Kind::counter, "lanchat_plugin_reloads_total", "Hot reloads of each plugin.", {"plugin"})
        ->add({name}, 1);
    return {};
}

void Node::apply(const NodeConfig& fresh) {
    std::lock_guard reload_lock(reload_mutex_);
    if (!serving_) return;
    // Instances are looked up by name each time: a reload replaces (and frees) the one found before.
    auto find_running = [&](const std::string& name) -> PluginInstance* {
        std::lock_guard lock(plugins_mutex_);
        for (const auto& plugin : plugins_) {
            if (plugin->spec().name == name) return plugin.get();
        }
        return nullptr;
    };
    std::vector<std::string> running;
    {
        std::lock_guard lock(plugins_mutex_);
        for (const auto& plugin : plugins_) running.push_back(plugin->spec().name);
    }
    int reloaded = 0, started = 0, stopped = 0, refused = 0;
    for (const PluginSpec& spec : fresh.plugins) {
        PluginInstance* current = find_running(spec.name);
        if (current == nullptr) {
            if (sdk::Status status = start_plugin(spec); !status.ok()) {
                ++refused;
                log_.error("SIGHUP: cannot add plugin", {{"plugin", spec.name}, {"reason", status.message()}});
                std::unique_ptr<PluginInstance> failed;  // a failed start still needs its stop
                {
                    std::lock_guard lock(plugins_mutex_);
                    if (!plugins_.empty() && plugins_.back()->spec().name == spec.name) {
                        failed = std::move(plugins_.back());
                        plugins_.pop_back();
                    }
                }
                if (failed) stop_plugin(*failed);
            } else {
                ++started;
                if (mesh_) mesh_->host(spec.name);
            }
            continue;
        }
        std::error_code ignored;
        bool changed = spec.path != current->spec().path || !spec.config->same_values(*current->spec().config) ||
                       std::filesystem::last_write_time(spec.path, ignored) != current->file_time();
        if (!changed) continue;
        if (current->spec().core || spec.core) {
            ++refused;
            log_.warn("SIGHUP: core plugins never reload; restart the node to apply", {{"plugin", spec.name}});
            continue;
        }
        if (reload_locked(*current, spec).ok()) ++reloaded;
        else ++refused;
    }
    for (const std::string& name : running) {
        bool kept = std::any_of(fresh.plugins.begin(), fresh.plugins.end(),
                                [&](const PluginSpec& spec) { return spec.name == name; });
        if (kept) continue;
        PluginInstance* plugin = find_running(name);
        if (plugin == nullptr) continue;
        if (plugin->spec().core) {
            ++refused;
            log_.warn("SIGHUP: core plugins are never removed while running; restart the node", {{"plugin", name}});
            continue;
        }
        std::unique_ptr<PluginInstance> leaving;
        {
            std::lock_guard lock(plugins_mutex_);
            for (auto it = plugins_.begin(); it != plugins_.end(); ++it) {
                if (it->get() == plugin) {
                    leaving = std::move(*it);
                    plugins_.erase(it);
                    break;
                }
            }
        }
        if (leaving) {
            if (mesh_) mesh_->unhost(name);
            stop_plugin(*leaving);
            ++stopped;
        }
    }
    log_.info("SIGHUP: node file applied", {{"reloaded", std::to_string(reloaded)},
                                            {"started", std::to_string(started)},
                                            {"stopped", std::to_string(stopped)},
                                            {"refused", std::to_string(refused)}});
}

sdk::Status Node::replace(PluginInstance& old, const PluginSpec& spec) {
    auto library = PluginLibrary::open(spec.path, copy_dir_of(config_));
    if (!library.ok()) return in_entry(spec, library.status());
    auto fresh = std::make_unique<PluginInstance>(spec, std::move(library).value(), services());
    mesh::RoutingTable* routes = mesh_ ? &mesh_->routes() : nullptr;
    if (routes != nullptr) routes->stage(old.rpc_owner(), fresh->rpc_owner());
    auto abandon = [&](sdk::Status why) {
        if (fresh->state() == PluginState::started) fresh->stop();
        fresh->destroy();
        if (routes != nullptr) routes->discard(fresh->rpc_owner());
        if (edge_) edge_->detach(fresh->context());
        return why;
    };
    if (sdk::Status created = fresh->create(); !created.ok()) return abandon(created);
    auto state = old.export_state();
    if (!state.ok()) return abandon(state.status());
    if (sdk::Status imported = fresh->import_state(*state); !imported.ok()) return abandon(imported);
    if (sdk::Status started = fresh->start(); !started.ok()) return abandon(started);

    // The switch: from here new calls reach the new instance; calls in flight finish on the old one.
    if (routes != nullptr) routes->promote(fresh->rpc_owner());
    if (edge_) edge_->promote(fresh->context());  // its client connections too, with their sessions
    fresh->publish_health();
    const std::string old_version(old.library()->version());
    const std::string new_version(fresh->library()->version());
    std::unique_ptr<PluginInstance> retired;
    {
        std::lock_guard lock(plugins_mutex_);
        for (auto& slot : plugins_) {
            if (slot.get() == &old) {
                retired = std::move(slot);
                slot = std::move(fresh);
            }
        }
    }
    bool drained = retired->drain(config_.drain_timeout);
    retired->stop();
    retired->destroy();
    sdk::Status unloaded = retired->unload();
    log_.info("plugin reloaded", {{"plugin", spec.name},
                                  {"from_version", old_version},
                                  {"to_version", new_version},
                                  {"drained", drained ? "true" : "false"},
                                  {"state_bytes", std::to_string(state->size())}});
    if (!unloaded.ok()) log_.error("plugin '" + spec.name + "': " + unloaded.message(), {{"plugin", spec.name}});
    return {};
}

}  // namespace lanchat::host
