// The running node changing its plugins: a hot reload of one (admin endpoint), or the node file applied
// again (SIGHUP) by carrying out the plan reconcile() makes. The rest of Node is in node.cpp.
#include <algorithm>
#include <filesystem>

#include "runtime/node.hpp"
#include "runtime/reconcile.hpp"

namespace lanchat::host {

sdk::Status Node::reload(const std::string& name) {
    std::lock_guard reload_lock(reload_mutex_);
    if (!serving_) return sdk::unavailable("the node is stopping");
    PluginInstance* old = find_running(name);
    if (old == nullptr) return sdk::not_found("no plugin named '" + name + "' on this node");
    if (old->spec().core) {
        return sdk::failed_precondition("plugin '" + name +
                                        "' is core (core = true in the node file) and never reloads");
    }
    // The entry as the node file says now: a changed path or config applies with the reload.
    auto fresh = load_node_config(config_.file, config_.plugin_dir);
    if (!fresh.ok()) return {fresh.status().code(), "the node file no longer loads: " + fresh.status().message()};
    for (const PluginSpec& spec : fresh->plugins) {
        if (spec.name != name) continue;
        if (spec.core) {
            return sdk::failed_precondition("plugin '" + name + "' is now core in the node file; restart the node");
        }
        return reload_locked(*old, spec);
    }
    return sdk::not_found("plugin '" + name + "' is no longer in " + config_.file.string());
}

sdk::Status Node::reload_locked(PluginInstance& old, const PluginSpec& spec) {
    const std::string name = spec.name;
    sdk::Status replaced = replace(old, spec);
    if (!replaced.ok()) {
        metrics_
            .must(metrics::Kind::counter, "lanchat_plugin_failures_total",
                  "Failed lifecycle steps or reloads of each plugin.", {"plugin"})
            ->add({name}, 1);
        log_.error("reload failed; the running instance keeps serving",
                   {{"plugin", name}, {"reason", replaced.message()}});
        return {sdk::Code::aborted, replaced.message()};  // the new version failed, not the request
    }
    metrics_.must(metrics::Kind::counter, "lanchat_plugin_reloads_total", "Hot reloads of each plugin.", {"plugin"})
        ->add({name}, 1);
    return {};
}

void Node::apply(const NodeConfig& fresh) {
    std::lock_guard reload_lock(reload_mutex_);
    if (!serving_) return;
    std::vector<PluginRevision> wanted;
    for (const PluginSpec& spec : fresh.plugins) {
        std::error_code ignored;
        wanted.push_back({spec, std::filesystem::last_write_time(spec.path, ignored)});
    }
    int reloaded = 0, started = 0, stopped = 0, refused = 0;
    for (const ReconcileStep& step : reconcile(running_revisions(), wanted)) {
        const std::string& name = step.spec.name;
        switch (step.action) {
            case ReconcileAction::add: {
                int& outcome = add_plugin(step.spec) ? started : refused;
                ++outcome;
                break;
            }
            case ReconcileAction::reload: {
                // Looked up now: an earlier reload replaced (and freed) the instance it found.
                PluginInstance* current = find_running(name);
                if (current == nullptr) break;
                int& outcome = reload_locked(*current, step.spec).ok() ? reloaded : refused;
                ++outcome;
                break;
            }
            case ReconcileAction::keep: break;
            case ReconcileAction::remove:
                if (remove_plugin(name)) ++stopped;
                break;
            case ReconcileAction::refuse_core:
                ++refused;
                log_.warn("SIGHUP: " + step.reason, {{"plugin", name}});
                break;
        }
    }
    log_.info("SIGHUP: node file applied", {{"reloaded", std::to_string(reloaded)},
                                            {"started", std::to_string(started)},
                                            {"stopped", std::to_string(stopped)},
                                            {"refused", std::to_string(refused)}});
}

std::vector<PluginRevision> Node::running_revisions() const {
    std::lock_guard lock(plugins_mutex_);
    std::vector<PluginRevision> running;
    for (const auto& plugin : plugins_) running.push_back({plugin->spec(), plugin->file_time()});
    return running;
}

PluginInstance* Node::find_running(const std::string& name) const {
    std::lock_guard lock(plugins_mutex_);
    for (const auto& plugin : plugins_) {
        if (plugin->spec().name == name) return plugin.get();
    }
    return nullptr;
}

bool Node::add_plugin(const PluginSpec& spec) {
    sdk::Status status = start_plugin(spec);
    if (status.ok()) {
        if (mesh_) mesh_->host(spec.name);
        return true;
    }
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
    return false;
}

bool Node::remove_plugin(const std::string& name) {
    std::unique_ptr<PluginInstance> leaving;
    {
        std::lock_guard lock(plugins_mutex_);
        auto found = std::find_if(plugins_.begin(), plugins_.end(),
                                  [&](const auto& plugin) { return plugin->spec().name == name; });
        if (found == plugins_.end()) return false;
        leaving = std::move(*found);
        plugins_.erase(found);
    }
    if (mesh_) mesh_->unhost(name);
    stop_plugin(*leaving);
    return true;
}

sdk::Status Node::replace(PluginInstance& old, const PluginSpec& spec) {
    auto library = open_library(spec);
    if (!library.ok()) return library.status();
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
