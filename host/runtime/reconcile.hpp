// Reconciliation: what a re-read node file asks of the running node (SIGHUP), worked out as a plan before
// anything is touched. Pure: the caller reads the files and carries the plan out.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "config/node_config.hpp"

namespace lanchat::host {

// A plugin entry as reconciliation compares it: the spec, and the modification time of its file (when it
// was loaded, for a running plugin; now, for an entry of the new node file).
struct PluginRevision {
    PluginSpec spec;
    std::filesystem::file_time_type file_time;
};

enum class ReconcileAction {
    add,          // new in the node file: load and start it
    reload,       // its path, [plugin.config] or file (a new build) changed: hot reload it
    keep,         // unchanged
    remove,       // gone from the node file: stop and unload it
    refuse_core,  // a core plugin would have to reload or leave: only a restart does that
};

struct ReconcileStep {
    ReconcileAction action = ReconcileAction::keep;
    PluginSpec spec;     // add, reload: the new entry; keep, remove, refuse_core: the running plugin's
    std::string reason;  // refuse_core: what the operator should do
};

// Steps for the new file's entries in its order, then removals in `running`'s order. Node-level settings
// are not compared: they need a restart.
std::vector<ReconcileStep> reconcile(const std::vector<PluginRevision>& running,
                                     const std::vector<PluginRevision>& wanted);

const char* action_name(ReconcileAction action);

}  // namespace lanchat::host
