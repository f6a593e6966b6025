#include "mesh/mesh_server.hpp"

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <deque>
#include <mutex>
#include <optional>

#include "lanchat/grpc_buffers/byte_buffer.hpp"
#include "logging/request_scope.hpp"
#include "mesh/admission.hpp"
#include "mesh/routing_table.hpp"
#include "mesh/rpc_owner.hpp"
#include "mesh/server_telemetry.hpp"

namespace lanchat::host::mesh {
using grpc_buffers::buffer_of;
using grpc_buffers::bytes_of;
namespace {

constexpr const char* kCorrelationHeader = "x-lanchat-correlation-id";
constexpr const char* kTraceparentHeader = "traceparent";

std::string metadata(const grpc::CallbackServerContext& context, const char* key) {
    auto found = context.client_metadata().find(key);
    if (found == context.client_metadata().end()) return {};
    return std::string(found->second.data(), found->second.size());
}

std::string peer_identity(const grpc::CallbackServerContext& context) {
    auto auth = context.auth_context();
    if (!auth) return {};
    auto values = auth->FindPropertyValues(GRPC_PEER_SPIFFE_ID_PROPERTY_NAME);
    if (values.size() != 1) return {};
    return std::string(values[0].data(), values[0].size());
}

grpc::ByteBuffer to_buffer(lanchat_bytes bytes) {
    return buffer_of({reinterpret_cast<const char*>(bytes.data), bytes.size});
}

}  // namespace

// One call through the gRPC server, shared by the reactor (until OnDone) and the plugin (from dispatch until
// it calls finish).
struct CallState final : InboundCall {
    class Reactor;

    lanchat_rpc_call handle{this};
    std::shared_ptr<CallState> held_by_plugin;  // set at dispatch, released by finish

    mutable std::mutex mutex;
    Reactor* reactor = nullptr;  // alive until Finish has been started and completed
    std::shared_ptr<const Route> route;
    CallLineage served_lineage;  // set at dispatch
    size_t queue_limit = 0;
    std::deque<grpc::ByteBuffer> queue;
    bool write_in_flight = false;
    std::optional<grpc::Status> finish_pending;
    bool finish_started = false;
    bool cancelled = false;
    bool plugin_finished = false;

    lanchat_status_code write(lanchat_bytes message) override;
    void finish(lanchat_status_code code, lanchat_str message, lanchat_bytes response) override;
    CallLineage lineage() const override {
        std::lock_guard lock(mutex);
        return served_lineage;
    }

    // Starts the next write or the finish; called with `mutex` held, acts after releasing it.
    void progress(std::unique_lock<std::mutex>& lock);
};

class CallState::Reactor final : public grpc::ServerGenericBidiReactor {
public:
    struct Server {
        const Admission& admission;
        ServerTelemetry& telemetry;
        size_t stream_queue_limit;
    };

    Reactor(grpc::GenericCallbackServerContext* context, Server server)
        : context_(context), server_(server), state_(std::make_shared<CallState>()) {
        state_->reactor = this;
        state_->queue_limit = server.stream_queue_limit;
        StartRead(&request_);
    }

    void OnReadDone(bool ok) override {
        if (!ok) return finish_now({grpc::StatusCode::INVALID_ARGUMENT, "the call carried no request message"});
        dispatch();
    }

    void OnWriteDone(bool ok) override {
        std::unique_lock lock(state_->mutex);
        state_->write_in_flight = false;
        if (!state_->queue.empty()) state_->queue.pop_front();
        if (!ok) {
            state_->cancelled = true;
            state_->queue.clear();
        }
        state_->progress(lock);
    }

    void OnCancel() override {
        std::shared_ptr<const Route> route;
        {
            std::lock_guard lock(state_->mutex);
            state_->cancelled = true;
            state_->queue.clear();
            if (state_->plugin_finished || !state_->held_by_plugin) return;
            route = state_->route;
        }
        // state_ keeps the handle valid during the callback even if the plugin finishes concurrently.
        if (route->cancelled != nullptr && route->owner->enter()) {
            RequestScope scope(state_->served_lineage.correlation_id, state_->served_lineage.trace_id);
            route->cancelled(route->user, &state_->handle);
            route->owner->leave();
        }
    }

    void OnDone() override {
        grpc::StatusCode code;
        {
            std::lock_guard lock(state_->mutex);
            state_->reactor = nullptr;
            code = state_->finish_pending ? state_->finish_pending->error_code() : grpc::StatusCode::CANCELLED;
        }
        server_.telemetry.finished(state_->route.get(), state_->served_lineage, span_,
                                   static_cast<lanchat_status_code>(code));
        delete this;
    }

    void start_write(grpc::ByteBuffer* message) { StartWrite(message); }
    void start_finish(const grpc::Status& status) { Finish(status); }
    // A unary reply: the message and the status in one batch.
    void start_write_and_finish(grpc::ByteBuffer* message, const grpc::Status& status) {
        StartWriteAndFinish(message, grpc::WriteOptions(), status);
    }

private:
    void finish_now(const grpc::Status& status) {
        std::unique_lock lock(state_->mutex);
        state_->finish_pending = status;
        state_->progress(lock);
    }

    void dispatch() {
        const std::string& method = context_->method();
        span_.peer = peer_identity(*context_);
        auto route = server_.admission.admit(method, span_.peer, context_->deadline());
        if (!route.ok()) {
            return finish_now({static_cast<grpc::StatusCode>(route.status().code()), route.status().message()});
        }
        InboundLineage inbound = inbound_lineage(metadata(*context_, kCorrelationHeader),
                                                 metadata(*context_, kTraceparentHeader), context_->deadline());
        span_.parent_span_id = std::move(inbound.parent_span_id);
        {
            std::lock_guard lock(state_->mutex);
            state_->served_lineage = std::move(inbound.lineage);
            state_->route = *route;
            state_->held_by_plugin = state_;
        }
        (*route)->owner->track_inbound(&state_->handle, [state = state_] {
            state->finish(LANCHAT_UNAVAILABLE, {"the serving plugin stopped", 26}, {});
        });
        std::string request = bytes_of(request_);
        hand_over(**route, &state_->handle, span_.peer, state_->served_lineage, request);
    }

    grpc::GenericCallbackServerContext* context_;
    Server server_;
    std::shared_ptr<CallState> state_;
    grpc::ByteBuffer request_;
    ServerSpan span_;
};

void CallState::progress(std::unique_lock<std::mutex>& lock) {
    if (reactor == nullptr || finish_started || write_in_flight) return;
    Reactor* target = reactor;
    if (queue.size() == 1 && finish_pending && !cancelled) {
        finish_started = true;
        write_in_flight = true;
        grpc::ByteBuffer* last = &queue.front();
        grpc::Status status = *finish_pending;
        lock.unlock();
        target->start_write_and_finish(last, status);
        return;
    }
    if (!queue.empty() && !cancelled) {
        write_in_flight = true;
        grpc::ByteBuffer* next = &queue.front();
        lock.unlock();
        target->start_write(next);
        return;
    }
    if (!finish_pending) return;
    finish_started = true;
    grpc::Status status = *finish_pending;
    lock.unlock();
    target->start_finish(status);
}

lanchat_status_code CallState::write(lanchat_bytes message) {
    std::unique_lock lock(mutex);
    if (route && route->kind != LANCHAT_RPC_SERVER_STREAMING) return LANCHAT_FAILED_PRECONDITION;
    if (cancelled || plugin_finished || reactor == nullptr) return LANCHAT_CANCELLED;
    if (queue.size() >= queue_limit) return LANCHAT_RESOURCE_EXHAUSTED;
    queue.push_back(to_buffer(message));
    progress(lock);
    return LANCHAT_OK;
}

void CallState::finish(lanchat_status_code code, lanchat_str message, lanchat_bytes response) {
    std::shared_ptr<CallState> release_after_finishing;
    std::unique_lock lock(mutex);
    if (plugin_finished) return;  // a second finish is ignored
    plugin_finished = true;
    release_after_finishing = std::move(held_by_plugin);
    if (code == LANCHAT_OK && route && route->kind == LANCHAT_RPC_UNARY && !cancelled) {
        queue.push_back(to_buffer(response));
    }
    finish_pending = grpc::Status(static_cast<grpc::StatusCode>(code),
                                  std::string(message.data != nullptr ? message.data : "", message.size));
    if (route) route->owner->untrack_inbound(&handle);
    progress(lock);
}

class GenericDispatch final : public grpc::CallbackGenericService {
public:
    explicit GenericDispatch(CallState::Reactor::Server server) : server_(server) {}
    grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext* context) override {
        return new CallState::Reactor(context, server_);
    }

private:
    CallState::Reactor::Server server_;
};

struct MeshServer::Impl {
    std::unique_ptr<GenericDispatch> dispatch;
    std::unique_ptr<grpc::Server> server;
    std::string address;
};

MeshServer::MeshServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MeshServer::~MeshServer() { shutdown(std::chrono::milliseconds(0)); }

sdk::Result<std::unique_ptr<MeshServer>> MeshServer::start(const MeshConfig& config,
                                                           std::shared_ptr<grpc::ServerCredentials> credentials,
                                                           const Admission& admission, ServerTelemetry& telemetry) {
    auto impl = std::make_unique<Impl>();
    impl->dispatch =
        std::make_unique<GenericDispatch>(CallState::Reactor::Server{admission, telemetry, config.stream_queue_limit});
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort(config.listen, credentials, &port);
    builder.RegisterCallbackGenericService(impl->dispatch.get());
    builder.SetMaxReceiveMessageSize(static_cast<int>(config.max_message_bytes));
    builder.SetMaxSendMessageSize(static_cast<int>(config.max_message_bytes));
    impl->server = builder.BuildAndStart();
    if (!impl->server || port == 0) {
        return sdk::unavailable("cannot listen on " + config.listen +
                                " ([mesh] listen): the address is in use or "
                                "not local to this machine");
    }
    impl->address = config.listen.substr(0, config.listen.rfind(':')) + ":" + std::to_string(port);
    impl->server->GetHealthCheckService()->SetServingStatus(true);
    return std::unique_ptr<MeshServer>(new MeshServer(std::move(impl)));
}

const std::string& MeshServer::address() const { return impl_->address; }

void MeshServer::set_health(const std::string& service, bool serving) {
    if (impl_->server) impl_->server->GetHealthCheckService()->SetServingStatus(service, serving);
}

void MeshServer::shutdown(std::chrono::milliseconds grace) {
    if (!impl_ || !impl_->server) return;
    impl_->server->Shutdown(std::chrono::system_clock::now() + grace);
    impl_->server->Wait();
    impl_->server.reset();
}

}  // namespace lanchat::host::mesh
