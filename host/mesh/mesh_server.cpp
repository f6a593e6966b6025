#include "mesh/mesh_server.hpp"

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <atomic>
#include <deque>
#include <mutex>
#include <optional>
#include <random>

#include "lanchat/grpc_buffers/byte_buffer.hpp"
#include "lanchat/ids/random_id.hpp"
#include "logging/log.hpp"
#include "logging/request_scope.hpp"
#include "mesh/authorization.hpp"
#include "mesh/routing_table.hpp"
#include "mesh/rpc_owner.hpp"
#include "metrics/registry.hpp"
#include "observability/trace_writer.hpp"

namespace lanchat::host::mesh {
using grpc_buffers::buffer_of;
using grpc_buffers::bytes_of;
namespace {

// The [authorization] line that lets `peer` call `method`'s service: a service identity by its name.
std::string rule_to_allow(const std::string& method, const std::string& peer) {
    const size_t service_path = peer.find("/svc/");
    const std::string caller = service_path == std::string::npos ? peer : peer.substr(service_path + 5);
    return "\"" + std::string(service_of(method)) + "\" = [\"" + caller + "\"]";
}

constexpr const char* kCorrelationHeader = "x-lanchat-correlation-id";
constexpr const char* kTraceparentHeader = "traceparent";

std::string metadata(const grpc::CallbackServerContext& context, const char* key) {
    auto found = context.client_metadata().find(key);
    if (found == context.client_metadata().end()) return {};
    return std::string(found->second.data(), found->second.size());
}

// A W3C traceparent: "00-<32 hex trace id>-<16 hex parent span id>-<2 hex flags>".
bool is_hex(std::string_view text) { return text.find_first_not_of("0123456789abcdef") == std::string_view::npos; }
struct TraceParent {
    std::string trace_id;
    std::string parent_span_id;  // empty when the caller sent no valid traceparent
};
TraceParent parse_traceparent(const std::string& header) {
    if (header.size() == 55 && header[2] == '-' && header[35] == '-' && header[52] == '-' &&
        is_hex(std::string_view(header).substr(3, 32)) && is_hex(std::string_view(header).substr(36, 16))) {
        return {header.substr(3, 32), header.substr(36, 16)};
    }
    return {ids::random_hex(16), {}};
}

int64_t unix_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string peer_identity(const grpc::CallbackServerContext& context) {
    auto auth = context.auth_context();
    if (!auth) return {};
    auto values = auth->FindPropertyValues(GRPC_PEER_SPIFFE_ID_PROPERTY_NAME);
    if (values.size() != 1) return {};
    return std::string(values[0].data(), values[0].size());
}

uint64_t unix_ms(std::chrono::system_clock::time_point time) {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count());
}

grpc::ByteBuffer to_buffer(lanchat_bytes bytes) {
    return buffer_of({reinterpret_cast<const char*>(bytes.data), bytes.size});
}

}  // namespace

struct CallState;

}  // namespace lanchat::host::mesh

// The plugin's handle is a member of the call's state, so it stays valid while either side holds the state.
struct lanchat_rpc_call {
    lanchat::host::mesh::CallState* state;
};

namespace lanchat::host::mesh {

// Shared by the reactor (until OnDone) and the plugin (from dispatch until it calls finish).
struct CallState {
    class Reactor;

    lanchat_rpc_call handle{this};
    std::shared_ptr<CallState> held_by_plugin;  // set at dispatch, released by finish

    std::mutex mutex;
    Reactor* reactor = nullptr;  // alive until Finish has been started and completed
    std::shared_ptr<const Route> route;
    CallLineage lineage;
    size_t queue_limit = 0;
    std::deque<grpc::ByteBuffer> queue;
    bool write_in_flight = false;
    std::optional<grpc::Status> finish_pending;
    bool finish_started = false;
    bool cancelled = false;
    bool plugin_finished = false;

    // Starts the next write or the finish; called with `mutex` held, acts after releasing it.
    void progress(std::unique_lock<std::mutex>& lock);
};

class CallState::Reactor final : public grpc::ServerGenericBidiReactor {
public:
    struct Server {
        const RoutingTable& routes;
        const AuthorizationPolicy& policy;
        NodeLog& log;
        size_t stream_queue_limit;
        std::atomic<uint64_t>& refused;
        metrics::Family& requests;  // by service, method, code
        metrics::Family& seconds;   // by service, method
        metrics::Family& denied;    // by method
        TraceWriter* traces;        // null unless [node] export_traces
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
            RequestScope scope(state_->lineage.correlation_id, state_->lineage.trace_id);
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
        record(code);
        if (server_.traces != nullptr && state_->route) {
            Span span;
            span.trace_id = state_->lineage.trace_id;
            span.span_id = state_->lineage.span_id;
            span.parent_span_id = parent_span_id_;
            span.name = state_->route->method;
            span.kind = "server";
            span.service = state_->route->owner->plugin_name();
            span.peer = peer_;
            span.correlation_id = state_->lineage.correlation_id;
            span.start_unix_us = started_unix_us_;
            span.duration_us = unix_us() - started_unix_us_;
            span.code = sdk::code_name(static_cast<sdk::Code>(code));
            server_.traces->write(span);
        }
        delete this;
    }

    void start_write(grpc::ByteBuffer* message) { StartWrite(message); }
    void start_finish(const grpc::Status& status) { Finish(status); }
    // A unary reply: the message and the status in one batch.
    void start_write_and_finish(grpc::ByteBuffer* message, const grpc::Status& status) {
        StartWriteAndFinish(message, grpc::WriteOptions(), status);
    }

private:
    // Label values come from the routing table, never from the request: a method nobody serves is "unknown",
    // so clients cannot grow the number of series.
    void record(grpc::StatusCode code) {
        std::string service = state_->route ? std::string(service_of(state_->route->method)) : "unknown";
        std::string method =
            state_->route ? state_->route->method.substr(state_->route->method.rfind('/') + 1) : "unknown";
        server_.requests.add({service, method, sdk::code_name(static_cast<sdk::Code>(code))}, 1);
        server_.seconds.observe({service, method},
                                std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count());
    }

    void finish_now(const grpc::Status& status) {
        std::unique_lock lock(state_->mutex);
        state_->finish_pending = status;
        state_->progress(lock);
    }

    void dispatch() {
        const std::string& method = context_->method();
        std::string peer = peer_identity(*context_);
        if (!server_.policy.allows(method, peer)) {
            ++server_.refused;
            server_.denied.add({server_.routes.find(method) ? method : "unknown"}, 1);
            const std::string rule = peer.empty() ? "" : rule_to_allow(method, peer);
            server_.log.warn("refused a call: caller not allowed", {{"caller", peer.empty() ? "(no SPIFFE ID)" : peer},
                                                                    {"method", method},
                                                                    {"to_allow_add_to_authorization", rule}});
            return finish_now({grpc::StatusCode::PERMISSION_DENIED,
                               peer.empty() ? "a caller without a SPIFFE ID may not call " + method
                                            : peer + " may not call " + method + "; to allow it, add " + rule +
                                                  " to [authorization] in the node file"});
        }
        std::shared_ptr<const Route> route = server_.routes.find(method);
        if (!route) return finish_now({grpc::StatusCode::UNIMPLEMENTED, "no plugin on this node serves " + method});

        std::string request = bytes_of(request_);
        CallLineage& lineage = state_->lineage;
        lineage.correlation_id = metadata(*context_, kCorrelationHeader);
        if (lineage.correlation_id.empty() || lineage.correlation_id.size() > 128)
            lineage.correlation_id = ids::random_hex(8);
        TraceParent trace = parse_traceparent(metadata(*context_, kTraceparentHeader));
        lineage.trace_id = std::move(trace.trace_id);
        lineage.span_id = ids::random_hex(8);
        parent_span_id_ = std::move(trace.parent_span_id);
        peer_ = peer;
        if (context_->deadline() != std::chrono::system_clock::time_point::max()) {
            lineage.deadline_unix_ms = unix_ms(context_->deadline());
        }
        if (!route->owner->begin_call()) {
            // A hot reload may have switched the route after our lookup: then the successor takes the call.
            auto again = server_.routes.find(method);
            if (!again || again->owner == route->owner || !again->owner->begin_call()) {
                return finish_now({grpc::StatusCode::UNAVAILABLE,
                                   "plugin '" + route->owner->plugin_name() + "' serving " + method + " is draining"});
            }
            route = again;
        }
        state_->route = route;
        state_->held_by_plugin = state_;
        route->owner->track_inbound(&state_->handle, [state = state_] {
            finish_call(&state->handle, LANCHAT_UNAVAILABLE, {"the serving plugin stopped", 26}, {});
        });
        lanchat_rpc_call_info info{};
        info.struct_size = sizeof info;
        info.method = {method.data(), method.size()};
        info.peer_identity = {peer.data(), peer.size()};
        info.correlation_id = {lineage.correlation_id.data(), lineage.correlation_id.size()};
        info.trace_id = {lineage.trace_id.data(), lineage.trace_id.size()};
        info.deadline_unix_ms = lineage.deadline_unix_ms;
        {
            RequestScope scope(lineage.correlation_id, lineage.trace_id);
            route->handler(route->user, &state_->handle, &info,
                           {reinterpret_cast<const uint8_t*>(request.data()), request.size()});
        }
        route->owner->leave();
    }

    grpc::GenericCallbackServerContext* context_;
    Server server_;
    std::shared_ptr<CallState> state_;
    grpc::ByteBuffer request_;
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
    int64_t started_unix_us_ = unix_us();
    std::string parent_span_id_;
    std::string peer_;
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

lanchat_status_code write_call(lanchat_rpc_call* call, lanchat_bytes message) {
    if (call == nullptr) return LANCHAT_INVALID_ARGUMENT;
    CallState& state = *call->state;
    std::unique_lock lock(state.mutex);
    if (state.route && state.route->kind != LANCHAT_RPC_SERVER_STREAMING) return LANCHAT_FAILED_PRECONDITION;
    if (state.cancelled || state.plugin_finished || state.reactor == nullptr) return LANCHAT_CANCELLED;
    if (state.queue.size() >= state.queue_limit) return LANCHAT_RESOURCE_EXHAUSTED;
    state.queue.push_back(to_buffer(message));
    state.progress(lock);
    return LANCHAT_OK;
}

void finish_call(lanchat_rpc_call* call, lanchat_status_code code, lanchat_str message, lanchat_bytes response) {
    if (call == nullptr) return;
    CallState* state = call->state;
    std::shared_ptr<CallState> release_after_finishing;
    {
        std::unique_lock lock(state->mutex);
        if (state->plugin_finished) return;  // a second finish is ignored
        state->plugin_finished = true;
        release_after_finishing = std::move(state->held_by_plugin);
        if (code == LANCHAT_OK && state->route && state->route->kind == LANCHAT_RPC_UNARY && !state->cancelled) {
            state->queue.push_back(to_buffer(response));
        }
        state->finish_pending = grpc::Status(static_cast<grpc::StatusCode>(code),
                                             std::string(message.data != nullptr ? message.data : "", message.size));
        if (state->route) state->route->owner->untrack_inbound(call);
        state->progress(lock);
    }
}

CallLineage lineage_of(const lanchat_rpc_call* call) {
    if (call == nullptr) return {};
    std::lock_guard lock(call->state->mutex);
    return call->state->lineage;
}

// ---- the server ----

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
    std::atomic<uint64_t> refused{0};
    std::vector<std::shared_ptr<metrics::Family>> families;  // kept alive for the reactors
    std::unique_ptr<GenericDispatch> dispatch;
    std::unique_ptr<grpc::Server> server;
    std::string address;
};

MeshServer::MeshServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MeshServer::~MeshServer() { shutdown(std::chrono::milliseconds(0)); }

sdk::Result<std::unique_ptr<MeshServer>> MeshServer::start(const MeshConfig& config,
                                                           std::shared_ptr<grpc::ServerCredentials> credentials,
                                                           const RoutingTable& routes,
                                                           const AuthorizationPolicy& policy, NodeLog& log,
                                                           metrics::Registry& metrics, TraceWriter* traces) {
    auto impl = std::make_unique<Impl>();
    auto requests =
        metrics.must(metrics::Kind::counter, "lanchat_rpc_server_requests_total",
                     "Calls served, by proto service, method and status code.", {"service", "method", "code"});
    auto seconds =
        metrics.must(metrics::Kind::histogram, "lanchat_rpc_server_handling_seconds",
                     "Time from a call's arrival to its end, by proto service and method.", {"service", "method"});
    auto denied = metrics.must(metrics::Kind::counter, "lanchat_rpc_refused_total",
                               "Calls refused by authorization, by method.", {"method"});
    impl->families = {requests, seconds, denied};
    impl->dispatch = std::make_unique<GenericDispatch>(CallState::Reactor::Server{
        routes, policy, log, config.stream_queue_limit, impl->refused, *requests, *seconds, *denied, traces});
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

uint64_t MeshServer::refused_calls() const { return impl_->refused.load(); }

void MeshServer::shutdown(std::chrono::milliseconds grace) {
    if (!impl_ || !impl_->server) return;
    impl_->server->Shutdown(std::chrono::system_clock::now() + grace);
    impl_->server->Wait();
    impl_->server.reset();
}

}  // namespace lanchat::host::mesh
