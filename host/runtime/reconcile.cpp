#include "runtime/reconcile.hpp"

#include <algorithm>

#include "config/plugin_config.hpp"

namespace lanchat::host {
namespace {

const PluginRevision* named(const std::vector<PluginRevision>& plugins, const std::string& name) {
    auto found = std::find_if(plugins.begin(), plugins.end(),
                              [&](const PluginRevision& plugin) { return plugin.spec.name == name; });
    return found == plugins.end() ? nullptr : &*found;
}

bool changed(const PluginRevision& running, const PluginRevision& wanted) {
    return wanted.spec.path != running.spec.path || !wanted.spec.config->same_values(*running.spec.config) ||
           wanted.file_time != running.file_time;
}

ReconcileStep step_for(const PluginRevision* running, const PluginRevision& wanted) {
    if (running == nullptr) return {ReconcileAction::add, wanted.spec, {}};
    if (!changed(*running, wanted)) return {ReconcileAction::keep, running->spec, {}};
    if (running->spec.core || wanted.spec.core) {
        return {ReconcileAction::refuse_core, running->spec, "core plugins never reload; restart the node to apply"};
    }
    return {ReconcileAction::reload, wanted.spec, {}};
}

}  // namespace

std::vector<ReconcileStep> reconcile(const std::vector<PluginRevision>& running,
                                     const std::vector<PluginRevision>& wanted) {
    std::vector<ReconcileStep> plan;
    for (const PluginRevision& entry : wanted) plan.push_back(step_for(named(running, entry.spec.name), entry));
    for (const PluginRevision& plugin : running) {
        if (named(wanted, plugin.spec.name) != nullptr) continue;
        if (plugin.spec.core) {
            plan.push_back({ReconcileAction::refuse_core, plugin.spec,
                            "core plugins are never removed while running; restart the node"});
        } else {
            plan.push_back({ReconcileAction::remove, plugin.spec, {}});
        }
    }
    return plan;
}

const char* action_name(ReconcileAction action) {
    switch (action) {
        case ReconcileAction::add: return "add";
        case ReconcileAction::reload: return "reload";
        case ReconcileAction::keep: return "keep";
        case ReconcileAction::remove: return "remove";
        case ReconcileAction::refuse_core: return "refuse_core";
    }
    return "unknown";
}

}  // namespace lanchat::host
