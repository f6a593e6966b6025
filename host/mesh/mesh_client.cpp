#include "mesh/mesh_client.hpp"

#include <atomic>
#include <map>
#include <mutex>

#include "lanchat/grpc_buffers/byte_buffer.hpp"
#include "logging/request_scope.hpp"
#include "mesh/client_telemetry.hpp"
#include "mesh/endpoint_resolver.hpp"
#include "mesh/retry_policy.hpp"
#include "mesh/routing_table.hpp"
#include "mesh/rpc_owner.hpp"
#include "mesh/stream_call.hpp"
#include "mesh/stub_cache.hpp"
#include "runtime/executor.hpp"

namespace lanchat::host::mesh {
using grpc_buffers::buffer_of;
using grpc_buffers::bytes_of;
namespace {

using Clock = std::chrono::system_clock;

constexpr const char* kCancelled = "Cancelled";  // what gRPC says of a call cancelled on the client side

struct Endpoint {
    std::shared_ptr<CircuitBreaker> breaker;
    std::shared_ptr<grpc::GenericStub> stub;  // null for a method served in this process
    std::string caller_identity;              // for a method served in this process: whom the callee sees
};

// One outbound unary call across its attempts.
struct UnaryRun {
    uint64_t id = 0;
    MeshClient::Impl* client = nullptr;
    ClientSpan span;
    OutboundCall call;
    ReplyFn reply;
    std::shared_ptr<RpcOwner> owner;
    Clock::time_point deadline;
    int attempts = 0;
    bool in_process = false;  // how the last attempt went
    std::mutex mutex;
    bool cancelled = false;
    bool completed = false;
    std::function<void()> cancel_attempt;  // the attempt under way, for cancellation
};

}  // namespace

struct MeshClient::Impl {
    std::chrono::milliseconds default_deadline;
    Executor& executor;
    const std::string local_address;
    const LocalCall::Transport* in_process;
    EndpointResolver endpoints;
    StubCache stubs;
    ClientTelemetry telemetry;
    RetryPolicy retry_policy;
    std::atomic<uint64_t> next_id{1};

    std::mutex streams_mutex;
    std::map<uint64_t, std::function<void()>> streams;  // how to cancel each open stream, for cancel_stream

    Impl(const MeshConfig& config, const std::string& node, std::string local_address,
         const std::vector<std::string>& local_services, Executor& executor, metrics::Registry& metrics,
         TraceWriter* traces, const LocalCall::Transport* in_process, std::shared_ptr<net::Revocations> revocations)
        : default_deadline(config.default_deadline),
          executor(executor),
          local_address(local_address),
          in_process(in_process),
          endpoints(std::move(local_address), config.discovery, {local_services.begin(), local_services.end()}, {},
                    std::chrono::steady_clock::now, node),
          stubs(config.pki_dir, node, config.max_message_bytes, std::move(revocations)),
          telemetry(metrics, traces) {}

    // An endpoint of `call.service` whose circuit allows a call, and the channel to it for this caller; or,
    // for a method served in this process, the caller's identity. A caller without a certificate is refused
    // alike on both paths.
    sdk::Result<Endpoint> choose(const OutboundCall& call) {
        auto endpoint = endpoints.resolve(call.service, call.node);
        if (!endpoint.ok()) return endpoint.status();
        if (in_process != nullptr && endpoint->address == local_address && in_process->routes.find(call.method)) {
            auto identity = stubs.identity_of(call.caller_service);
            if (!identity.ok()) return identity.status();
            return Endpoint{endpoint->breaker, nullptr, *identity};
        }
        auto stub = stubs.stub_for(endpoint->address, call.caller_service, call.service);
        if (!stub.ok()) return stub.status();
        return Endpoint{endpoint->breaker, *stub, {}};
    }

    void attempt(const std::shared_ptr<UnaryRun>& run);
    void attempt_in_process(const std::shared_ptr<UnaryRun>& run, const Endpoint& endpoint);
    static bool begin_attempt(UnaryRun& run, std::function<void()> cancel, bool in_process);
    void attempt_done(const std::shared_ptr<UnaryRun>& run, CircuitBreaker* breaker, lanchat_status_code code,
                      const std::string& message, const std::string& response);
    void retry_later(const std::shared_ptr<UnaryRun>& run, lanchat_status_code code, const std::string& message);
    static void complete(const std::shared_ptr<UnaryRun>& run, lanchat_status_code code, const std::string& message,
                         const std::string& response = {});
    void stream_in_process(uint64_t id, const std::shared_ptr<RpcOwner>& owner, const OutboundCall& call,
                           const Endpoint& endpoint, MessageFn on_message, ReplyFn reply);
    void forget_stream(uint64_t id) {
        std::lock_guard lock(streams_mutex);
        streams.erase(id);
    }
    void cancel_stream(uint64_t id) {
        std::lock_guard lock(streams_mutex);
        if (auto found = streams.find(id); found != streams.end()) found->second();
    }
};

void MeshClient::Impl::complete(const std::shared_ptr<UnaryRun>& run, lanchat_status_code code,
                                const std::string& message, const std::string& response) {
    {
        std::lock_guard lock(run->mutex);
        if (run->completed) return;
        run->completed = true;
        run->cancel_attempt = nullptr;
    }
    run->client->telemetry.finished(run->call, run->span, code, run->in_process);
    {
        RequestScope scope(run->call.lineage.correlation_id, run->call.lineage.trace_id);
        run->reply(code, message, response);
    }
    run->owner->untrack_outbound(run->id);
}

// False when the run was cancelled before this attempt could start.
bool MeshClient::Impl::begin_attempt(UnaryRun& run, std::function<void()> cancel, bool in_process) {
    std::lock_guard lock(run.mutex);
    if (run.cancelled) return false;
    run.cancel_attempt = std::move(cancel);
    run.in_process = in_process;
    ++run.attempts;
    return true;
}

void MeshClient::Impl::attempt_done(const std::shared_ptr<UnaryRun>& run, CircuitBreaker* breaker,
                                    lanchat_status_code code, const std::string& message, const std::string& response) {
    {
        std::lock_guard lock(run->mutex);
        run->cancel_attempt = nullptr;
    }
    record_outcome(breaker, code);
    if (code == LANCHAT_OK) return complete(run, LANCHAT_OK, {}, response);
    if (retry_policy.should_retry(run->call.idempotent, code)) return retry_later(run, code, message);
    complete(run, code, message);
}

void MeshClient::Impl::attempt(const std::shared_ptr<UnaryRun>& run) {
    if (Clock::now() >= run->deadline) {
        return complete(
            run, LANCHAT_DEADLINE_EXCEEDED,
            "deadline passed after " + std::to_string(run->attempts) + " attempt(s) calling " + run->call.method);
    }
    auto endpoint = choose(run->call);
    if (!endpoint.ok()) {
        return complete(run, static_cast<lanchat_status_code>(endpoint.status().code()), endpoint.status().message());
    }
    if (!endpoint->stub) return attempt_in_process(run, *endpoint);
    struct Attempt {
        grpc::ClientContext context;
        grpc::ByteBuffer request;
        grpc::ByteBuffer response;
    };
    auto current = std::make_shared<Attempt>();
    current->request = buffer_of(run->call.request);
    prepare_context(current->context, run->call, run->span.span_id, run->deadline);
    if (!begin_attempt(
            *run, [context = &current->context] { context->TryCancel(); }, false)) {
        return complete(run, LANCHAT_CANCELLED, "cancelled: the calling plugin stopped");
    }
    endpoint->stub->UnaryCall(
        &current->context, run->call.method, grpc::StubOptions(), &current->request, &current->response,
        [this, run, current, breaker = endpoint->breaker](grpc::Status status) {
            attempt_done(run, breaker.get(), static_cast<lanchat_status_code>(status.error_code()),
                         status.error_message(), status.ok() ? bytes_of(current->response) : "");
        });
}

void MeshClient::Impl::attempt_in_process(const std::shared_ptr<UnaryRun>& run, const Endpoint& endpoint) {
    auto local = std::make_shared<LocalCall>(
        *in_process, run->call, LANCHAT_RPC_UNARY, endpoint.caller_identity, run->span.span_id, run->deadline, nullptr,
        [this, run, breaker = endpoint.breaker](lanchat_status_code code, const std::string& message,
                                                const std::string& response) {
            attempt_done(run, breaker.get(), code, message, response);
        });
    if (!begin_attempt(
            *run, [local] { local->cancel(LANCHAT_CANCELLED, kCancelled); }, true)) {
        return complete(run, LANCHAT_CANCELLED, "cancelled: the calling plugin stopped");
    }
    local->start();
}

// Only while the deadline leaves room for another attempt after the backoff.
void MeshClient::Impl::retry_later(const std::shared_ptr<UnaryRun>& run, lanchat_status_code code,
                                   const std::string& message) {
    auto delay = retry_policy.delay(run->attempts);
    bool cancelled = false;
    {
        std::lock_guard lock(run->mutex);
        cancelled = run->cancelled;
    }
    if (cancelled || Clock::now() + delay >= run->deadline) return complete(run, code, message);
    auto* pending = new std::pair<Impl*, std::shared_ptr<UnaryRun>>(this, run);
    executor.schedule(
        this, static_cast<uint64_t>(delay.count()), 0,
        [](void* user) {
            auto* self = static_cast<std::pair<Impl*, std::shared_ptr<UnaryRun>>*>(user);
            self->first->attempt(self->second);
        },
        [](void* user) { delete static_cast<std::pair<Impl*, std::shared_ptr<UnaryRun>>*>(user); }, pending);
}

void MeshClient::Impl::stream_in_process(uint64_t id, const std::shared_ptr<RpcOwner>& owner, const OutboundCall& call,
                                         const Endpoint& endpoint, MessageFn on_message, ReplyFn reply) {
    ClientSpan span;
    OutboundCall named = call;
    named.request.clear();  // what telemetry needs of the call after it ends
    auto local = std::make_shared<LocalCall>(
        *in_process, call, LANCHAT_RPC_SERVER_STREAMING, endpoint.caller_identity, span.span_id,
        deadline_of(call, default_deadline, true), std::move(on_message),
        [this, id, owner, breaker = endpoint.breaker, named = std::move(named), span, reply = std::move(reply)](
            lanchat_status_code code, const std::string& message, const std::string&) {
            forget_stream(id);
            record_outcome(breaker.get(), code);
            telemetry.finished(named, span, code, true);
            {
                RequestScope scope(named.lineage.correlation_id, named.lineage.trace_id);
                reply(code, message, {});
            }
            owner->untrack_outbound(id);
        });
    {
        std::lock_guard lock(streams_mutex);
        streams.emplace(id, [local] { local->cancel(LANCHAT_CANCELLED, kCancelled); });
    }
    owner->track_outbound(id, [this, id] { cancel_stream(id); });
    local->start();
}

MeshClient::MeshClient(const MeshConfig& config, std::string node_name, std::string local_address,
                       std::vector<std::string> local_services, Executor& executor, metrics::Registry& metrics,
                       TraceWriter* traces, const LocalCall::Transport* in_process,
                       std::shared_ptr<net::Revocations> revocations)
    : impl_(std::make_unique<Impl>(config, node_name, std::move(local_address), local_services, executor, metrics,
                                   traces, in_process, std::move(revocations))) {}

MeshClient::~MeshClient() { impl_->executor.cancel_all(impl_.get()); }

void MeshClient::set_discovered(MemberTable members) { impl_->endpoints.set_discovered(std::move(members)); }

void MeshClient::add_local_service(const std::string& service) { impl_->endpoints.add_local_service(service); }

void MeshClient::remove_local_service(const std::string& service) { impl_->endpoints.remove_local_service(service); }

void MeshClient::call_unary(std::shared_ptr<RpcOwner> owner, OutboundCall call, ReplyFn reply) {
    begin_lineage(call);
    auto run = std::make_shared<UnaryRun>();
    run->id = impl_->next_id++;
    run->client = impl_.get();
    run->deadline = deadline_of(call, impl_->default_deadline);
    run->call = std::move(call);
    run->reply = std::move(reply);
    run->owner = owner;
    // Under the run's lock: a gRPC attempt's context lives only until its completion clears cancel_attempt.
    owner->track_outbound(run->id, [run] {
        std::lock_guard lock(run->mutex);
        run->cancelled = true;
        if (run->cancel_attempt) run->cancel_attempt();
    });
    impl_->attempt(run);
}

lanchat_rpc_stream_id MeshClient::call_server_stream(std::shared_ptr<RpcOwner> owner, OutboundCall call,
                                                     MessageFn on_message, ReplyFn reply) {
    begin_lineage(call);
    uint64_t id = impl_->next_id++;
    auto endpoint = impl_->choose(call);
    if (!endpoint.ok()) {
        reply(static_cast<lanchat_status_code>(endpoint.status().code()), endpoint.status().message(), {});
        return id;
    }
    if (!endpoint->stub) {
        impl_->stream_in_process(id, owner, call, *endpoint, std::move(on_message), std::move(reply));
        return id;
    }
    auto* stream = new StreamCall(impl_->telemetry, id, owner, endpoint->breaker, std::move(on_message),
                                  std::move(reply), [impl = impl_.get()](uint64_t done) { impl->forget_stream(done); });
    {
        std::lock_guard lock(impl_->streams_mutex);
        impl_->streams.emplace(id, [stream] { stream->cancel(); });
    }
    owner->track_outbound(id, [this, id] { cancel_stream(id); });
    stream->start(*endpoint->stub, call, deadline_of(call, impl_->default_deadline, true));
    return id;
}

void MeshClient::cancel_stream(lanchat_rpc_stream_id id) { impl_->cancel_stream(id); }

}  // namespace lanchat::host::mesh
