#include "runtime/plugin_instance.hpp"

#include "client_edge/dispatcher.hpp"

#include <filesystem>

#include "abi/sink.hpp"
#include "mesh/mesh.hpp"
#include "mesh/rpc_owner.hpp"
#include "metrics/registry.hpp"
#include "runtime/private_directory.hpp"

namespace lanchat::host {
namespace fs = std::filesystem;
using abi::StringSink;

const char* state_name(PluginState state) {
    switch (state) {
        case PluginState::loaded: return "loaded";
        case PluginState::created: return "created";
        case PluginState::started: return "started";
        case PluginState::draining: return "draining";
        case PluginState::stopped: return "stopped";
        case PluginState::destroyed: return "destroyed";
    }
    return "unknown";
}

PluginInstance::PluginInstance(PluginSpec spec, std::unique_ptr<PluginLibrary> library, const HostServices& services)
    : spec_(std::move(spec)), library_(std::move(library)), api_(services.api) {
    context_.plugin_name = spec_.name;
    context_.mesh = services.mesh;
    context_.rpc_owner = std::make_shared<mesh::RpcOwner>(spec_.name);
    context_.metrics = &services.metrics;
    context_.client_edge = services.client_edge;
    context_.log = &services.log;
    context_.executor = &services.executor;
    context_.config = spec_.config;
    context_.data_dir = (services.data_dir / spec_.name).string();
    std::error_code ignored;
    file_time_ = fs::last_write_time(spec_.path, ignored);
}

PluginInstance::~PluginInstance() {
    if (state_ == PluginState::started || state_ == PluginState::draining) stop();
    if (state_ != PluginState::destroyed) destroy();
    (void)unload();
}

sdk::Status PluginInstance::failure(std::string_view step, lanchat_status_code code, const std::string& message) const {
    std::string reason = message.empty() ? "(the plugin gave no reason)" : message;
    return {static_cast<sdk::Code>(code == LANCHAT_OK ? LANCHAT_INTERNAL : code),
            "plugin '" + spec_.name + "': " + std::string(step) + " failed: " + reason};
}

sdk::Status PluginInstance::create() {
    if (sdk::Status made = make_private_directory(context_.data_dir, "its data directory"); !made.ok()) {
        return failure("create", LANCHAT_FAILED_PRECONDITION, made.message());
    }
    StringSink message;
    lanchat_status_code code = library_->vtable().create(&api_, &context_, &instance_, message.get());
    if (code != LANCHAT_OK || instance_ == nullptr) {
        instance_ = nullptr;
        state_ = PluginState::destroyed;
        return failure("create", code, message.text());
    }
    state_ = PluginState::created;
    return {};
}

sdk::Status PluginInstance::import_state(std::string_view state) {
    StringSink message;
    lanchat_bytes bytes{reinterpret_cast<const uint8_t*>(state.data()), state.size()};
    lanchat_status_code code = library_->vtable().import_state(instance_, bytes, message.get());
    return code == LANCHAT_OK ? sdk::Status{} : failure("import_state", code, message.text());
}

sdk::Status PluginInstance::start() {
    StringSink message;
    lanchat_status_code code = library_->vtable().start(instance_, message.get());
    state_ = PluginState::started;  // even a failed start gets stop(): it may have registered things
    if (code != LANCHAT_OK) return failure("start", code, message.text());
    if (!context_.health().set_by_plugin) context_.set_health(LANCHAT_HEALTH_SERVING, {}, false);
    return {};
}

bool PluginInstance::drain(std::chrono::milliseconds timeout) {
    if (state_ != PluginState::started) return true;
    state_ = PluginState::draining;
    context_.rpc_owner->begin_drain();  // new calls are refused with UNAVAILABLE; those in flight finish
    drain_wait_ = std::make_unique<DrainWait>();
    DrainWait* wait = drain_wait_.get();
    auto deadline = std::chrono::system_clock::now() + timeout;
    wait->request.struct_size = sizeof(lanchat_drain_request);
    wait->request.deadline_unix_ms = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline.time_since_epoch()).count());
    wait->request.done_user = wait;
    wait->request.done = [](void* user) {
        auto* waiting = static_cast<DrainWait*>(user);
        std::lock_guard lock(waiting->mutex);
        waiting->finished = true;
        waiting->finished_cv.notify_all();
    };
    library_->vtable().drain(instance_, &wait->request);
    bool plugin_done = false;
    {
        std::unique_lock lock(wait->mutex);
        plugin_done = wait->finished_cv.wait_until(lock, deadline, [wait] { return wait->finished; });
    }
    // The host counts the calls it handed the plugin too: drained means all of them have been answered.
    auto steady_deadline = std::chrono::steady_clock::now() + (deadline - std::chrono::system_clock::now());
    return context_.rpc_owner->wait_for_inbound(steady_deadline) && plugin_done;
}

sdk::Result<std::string> PluginInstance::export_state() {
    StringSink state;
    StringSink message;
    lanchat_status_code code = library_->vtable().export_state(instance_, state.get(), message.get());
    if (code != LANCHAT_OK) return failure("export_state", code, message.text());
    return state.text();
}

void PluginInstance::stop() {
    if (state_ != PluginState::started && state_ != PluginState::draining) return;
    context_.set_health(LANCHAT_HEALTH_NOT_SERVING, "stopped", false);             // while its services are still known
    if (context_.client_edge != nullptr) context_.client_edge->detach(&context_);  // no callback after this
    library_->vtable().stop(instance_);
    if (context_.mesh != nullptr) context_.mesh->routes().remove_owner(context_.rpc_owner.get());
    context_.rpc_owner->stop();
    if (size_t left = context_.executor->cancel_all(&context_); left > 0) {
        context_.log->error("plugin keeps scheduling work after its stop() returned",
                            {{"plugin", spec_.name}, {"tasks_left", std::to_string(left)}});
    }
    state_ = PluginState::stopped;
}

void PluginInstance::destroy() {
    if (instance_ != nullptr) {
        context_.executor->cancel_all(&context_);  // a plugin that failed before start may have scheduled work
        if (context_.client_edge != nullptr) context_.client_edge->detach(&context_);
        library_->vtable().destroy(instance_);
        instance_ = nullptr;
    }
    drain_wait_.reset();
    state_ = PluginState::destroyed;
}

void PluginInstance::publish_health() {
    HealthReport report = context_.health();
    context_.set_health(report.status, report.reason, report.set_by_plugin);
}

sdk::Status PluginInstance::unload() {
    if (!library_) return {};
    sdk::Status status = library_->unload();
    library_.reset();
    return status;
}

}  // namespace lanchat::host
