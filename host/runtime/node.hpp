// Node: the plugins of one node file, started in the listed order and stopped in reverse.
#pragma once

#include <memory>
#include <vector>

#include "config/node_config.hpp"
#include "lanchat/sdk/status.hpp"
#include "logging/log.hpp"
#include "runtime/executor.hpp"
#include "runtime/host_context.hpp"
#include "rpc/mesh.hpp"
#include "runtime/plugin_instance.hpp"

namespace lanchat::host {

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

    const NodeConfig& config() const { return config_; }
    rpc::Mesh* mesh() const { return mesh_.get(); }
    const std::vector<std::unique_ptr<PluginInstance>>& plugins() const { return plugins_; }

private:
    sdk::Status start_plugin(const PluginSpec& spec);
    bool stop_plugin(PluginInstance& plugin);

    NodeConfig config_;
    NodeLog& log_;
    HostApiTable api_;
    Executor executor_;
    std::unique_ptr<rpc::Mesh> mesh_;  // started before the plugins, shut down after them
    std::vector<std::unique_ptr<PluginInstance>> plugins_;  // in start order
};

// Loads every plugin file of `config` and negotiates its ABI without creating anything: `lanchatd --check`.
sdk::Status check_plugins(const NodeConfig& config);

}  // namespace lanchat::host
