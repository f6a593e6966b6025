// Node: the plugins of one node file, started in the listed order and stopped in reverse.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "abi/host_api.hpp"
#include "admin/admin_server.hpp"
#include "client_edge/dispatcher.hpp"
#include "client_edge/listener.hpp"
#include "config/node_config.hpp"
#include "lanchat/sdk/status.hpp"
#include "logging/log.hpp"
#include "mesh/mesh.hpp"
#include "metrics/registry.hpp"
#include "observability/trace_writer.hpp"
#include "runtime/executor.hpp"
#include "runtime/host_context.hpp"
#include "runtime/plugin_instance.hpp"

namespace lanchat::host {

struct PluginRevision;

// What the admin endpoint shows of one plugin.
struct PluginStatus {
    std::string name;
    std::string version;
    std::string abi;
    bool core = false;
    PluginState state = PluginState::loaded;
    HealthReport health;
    std::chrono::system_clock::time_point loaded_at;
    std::string file;
};

class Node {
public:
    Node(NodeConfig config, NodeLog& log);
    ~Node();  // stops whatever still runs

    // Loads, creates and starts every plugin in order. On the first failure it stops what it had started,
    // in reverse, and returns that failure; the node then serves nothing.
    sdk::Status start();

    // Drains, stops, destroys and unloads every plugin in reverse order, each drain bounded by the
    // node's drain timeout. Returns false when some plugin could not be proven unloaded.
    bool stop();

    // Hot reload of plugin `name` from its entry in the node file as it is now: load the file (a private
    // copy) next to the running instance, create it, hand over state, start it, switch its routes atomically,
    // then drain, stop and unload the old one. Any failure before the switch leaves the old instance
    // serving, untouched. Core plugins are refused. Thread-safe; reloads run one at a time.
    sdk::Status reload(const std::string& name);

    // SIGHUP: applies a re-read node file, carrying out the plan of reconcile() (runtime/reconcile.hpp).
    // Plugins that are new start, those gone stop, and those whose path, [plugin.config] or file (a new
    // build) changed are reloaded; core plugins are never touched. Node-level settings ([node], [mesh],
    // [admin]) need a restart. Logs what it did and what it refused.
    void apply(const NodeConfig& fresh);

    const NodeConfig& config() const { return config_; }
    mesh::Mesh* mesh() const { return mesh_.get(); }
    metrics::Registry& metrics() { return metrics_; }
    std::vector<PluginStatus> plugin_statuses() const;  // thread-safe
    bool serving() const { return serving_; }
    // "host:port" of the admin endpoint, or empty without [admin].
    std::string admin_address() const;
    // "host:port" of the client edge, or empty without [client_edge].
    std::string client_edge_address() const;
    const std::vector<std::unique_ptr<PluginInstance>>& plugins() const { return plugins_; }

private:
    sdk::Result<std::unique_ptr<PluginLibrary>> open_library(const PluginSpec& spec) const;
    sdk::Status start_plugin(const PluginSpec& spec);
    // node_reload.cpp: hot reload and SIGHUP
    sdk::Status replace(PluginInstance& old, const PluginSpec& spec);
    sdk::Status reload_locked(PluginInstance& old, const PluginSpec& spec);
    std::vector<PluginRevision> running_revisions() const;
    PluginInstance* find_running(const std::string& name) const;
    bool add_plugin(const PluginSpec& spec);      // SIGHUP: started, or refused and cleaned up
    bool remove_plugin(const std::string& name);  // SIGHUP: stopped and unloaded; false when not running
    HostServices services();
    bool stop_plugin(PluginInstance& plugin);
    sdk::Status start_admin();
    sdk::Status start_client_edge();
    void collect_metrics();

    NodeConfig config_;
    NodeLog& log_;
    metrics::Registry metrics_;            // before the mesh, which records into it
    std::unique_ptr<TraceWriter> traces_;  // with [node] export_traces
    abi::HostApiTable api_;
    Executor executor_;
    std::unique_ptr<mesh::Mesh> mesh_;                      // started before the plugins, shut down after them
    std::unique_ptr<edge::Dispatcher> edge_;                // with [client_edge]: exists before any plugin
    std::unique_ptr<edge::Listener> edge_listener_;         // accepts once the plugins run; closed after they stop
    std::mutex reload_mutex_;                               // one reload (or stop) at a time
    mutable std::mutex plugins_mutex_;                      // the vector's shape; the admin endpoint reads it
    std::vector<std::unique_ptr<PluginInstance>> plugins_;  // in start order
    std::atomic<bool> serving_{false};
    std::unique_ptr<admin::AdminServer> admin_;  // started last, stopped first
    std::chrono::system_clock::time_point started_at_ = std::chrono::system_clock::now();
};

}  // namespace lanchat::host
