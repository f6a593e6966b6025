// PluginInstance: one plugin loaded into the node, driven through its lifecycle by the host.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "config/node_config.hpp"
#include "lanchat/sdk/status.hpp"
#include "loader/plugin_library.hpp"
#include "runtime/host_context.hpp"

namespace lanchat::host {

enum class PluginState { loaded, created, started, draining, stopped, destroyed };
const char* state_name(PluginState state);

// What the node lends every plugin instance.
struct HostServices {
    const lanchat_host_api& api;
    NodeLog& log;
    Executor& executor;
    mesh::Mesh* mesh;  // null when the node has no [mesh]
    metrics::Registry& metrics;
    edge::Dispatcher* client_edge;   // null when the node has no [client_edge]
    std::filesystem::path data_dir;  // the node's; each plugin gets <data_dir>/<name>
};

// Not thread-safe: the node drives one instance from one thread at a time. Every failure message starts
// with "plugin '<name>'" so an operator knows which entry of the node file to look at.
class PluginInstance {
public:
    PluginInstance(PluginSpec spec, std::unique_ptr<PluginLibrary> library, const HostServices& services);
    ~PluginInstance();  // stops, destroys and unloads whatever is left
    PluginInstance(const PluginInstance&) = delete;
    PluginInstance& operator=(const PluginInstance&) = delete;

    sdk::Status create();
    sdk::Status import_state(std::string_view state);
    sdk::Status start();
    // Asks the plugin to finish in-flight work; true when it said so before `timeout` ran out.
    bool drain(std::chrono::milliseconds timeout);
    sdk::Result<std::string> export_state();
    // Calls the plugin's stop, then ends what it left behind: its routes, open calls and scheduled tasks.
    void stop();
    void destroy();
    // Unloads the library and proves it is unmapped.
    sdk::Status unload();

    const PluginSpec& spec() const { return spec_; }
    const PluginLibrary* library() const { return library_.get(); }
    PluginState state() const { return state_; }
    HealthReport health() const { return context_.health(); }
    mesh::RpcOwner* rpc_owner() const { return context_.rpc_owner.get(); }
    lanchat_host_context* context() { return &context_; }
    // Publishes this instance's health for the services it serves (after a reload switched them to it).
    void publish_health();
    std::chrono::system_clock::time_point loaded_at() const { return loaded_at_; }
    // The plugin file's modification time when it was loaded: a different one now means a new build.
    std::filesystem::file_time_type file_time() const { return file_time_; }

private:
    struct DrainWait {
        std::mutex mutex;
        std::condition_variable finished_cv;
        bool finished = false;
        lanchat_drain_request request{};
    };

    sdk::Status failure(std::string_view step, lanchat_status_code code, const std::string& message) const;

    PluginSpec spec_;
    std::unique_ptr<PluginLibrary> library_;
    const lanchat_host_api& api_;
    lanchat_host_context context_;
    lanchat_instance* instance_ = nullptr;
    std::atomic<PluginState> state_{PluginState::loaded};  // read by the admin endpoint's thread
    std::chrono::system_clock::time_point loaded_at_ = std::chrono::system_clock::now();
    std::filesystem::file_time_type file_time_;
    std::unique_ptr<DrainWait> drain_wait_;  // lives until destroy(): a late done() must find it
};

}  // namespace lanchat::host
