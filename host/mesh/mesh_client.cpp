#include "mesh/mesh_client.hpp"

#include <atomic>
#include <map>
#include <mutex>

#include "lanchat/grpc_buffers/byte_buffer.hpp"
#include "logging/request_scope.hpp"
#include "mesh/client_telemetry.hpp"
#include "mesh/endpoint_resolver.hpp"
#include "mesh/retry_policy.hpp"
#include "mesh/rpc_owner.hpp"
#include "mesh/stream_call.hpp"
#include "mesh/stub_cache.hpp"
#include "runtime/executor.hpp"

namespace lanchat::host::mesh {
using grpc_buffers::buffer_of;
using grpc_buffers::bytes_of;
namespace {

using Clock = std::chrono::system_clock;

struct Endpoint {
    std::shared_ptr<CircuitBreaker> breaker;
    std::shared_ptr<grpc::GenericStub> stub;
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
    std::mutex mutex;
    bool cancelled = false;
    bool completed = false;
    grpc::ClientContext* in_flight = nullptr;  // the attempt under way, for cancellation
};

}  // namespace

struct MeshClient::Impl {
    std::chrono::milliseconds default_deadline;
    Executor& executor;
    EndpointResolver endpoints;
    StubCache stubs;
    ClientTelemetry telemetry;
    RetryPolicy retry_policy;
    std::atomic<uint64_t> next_id{1};

    std::mutex streams_mutex;
    std::map<uint64_t, StreamCall*> streams;  // open streams, for cancel_stream

    Impl(const MeshConfig& config, const std::string& node, std::string local_address,
         const std::vector<std::string>& local_services, Executor& executor, metrics::Registry& metrics,
         TraceWriter* traces)
        : default_deadline(config.default_deadline),
          executor(executor),
          endpoints(std::move(local_address), config.discovery, {local_services.begin(), local_services.end()}),
          stubs(config.pki_dir, node, config.max_message_bytes),
          telemetry(metrics, traces) {}

    // An endpoint of `call.service` whose circuit allows a call, and the channel to it for this caller.
    sdk::Result<Endpoint> choose(const OutboundCall& call) {
        auto endpoint = endpoints.resolve(call.service);
        if (!endpoint.ok()) return endpoint.status();
        auto stub = stubs.stub_for(endpoint->address, call.caller_service, call.service);
        if (!stub.ok()) return stub.status();
        return Endpoint{endpoint->breaker, *stub};
    }

    void attempt(const std::shared_ptr<UnaryRun>& run);
    void retry_later(const std::shared_ptr<UnaryRun>& run, lanchat_status_code code, const std::string& message);
    static void complete(const std::shared_ptr<UnaryRun>& run, lanchat_status_code code, const std::string& message,
                         const std::string& response = {});
};

void MeshClient::Impl::complete(const std::shared_ptr<UnaryRun>& run, lanchat_status_code code,
                                const std::string& message, const std::string& response) {
    {
        std::lock_guard lock(run->mutex);
        if (run->completed) return;
        run->completed = true;
        run->in_flight = nullptr;
    }
    run->client->telemetry.finished(run->call, run->span, code);
    {
        RequestScope scope(run->call.lineage.correlation_id, run->call.lineage.trace_id);
        run->reply(code, message, response);
    }
    run->owner->untrack_outbound(run->id);
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
    struct Attempt {
        grpc::ClientContext context;
        grpc::ByteBuffer request;
        grpc::ByteBuffer response;
    };
    auto current = std::make_shared<Attempt>();
    current->request = buffer_of(run->call.request);
    prepare_context(current->context, run->call, run->span.span_id, run->deadline);
    bool cancelled = false;
    {
        std::lock_guard lock(run->mutex);
        cancelled = run->cancelled;
        if (!cancelled) {
            run->in_flight = &current->context;
            ++run->attempts;
        }
    }
    if (cancelled) return complete(run, LANCHAT_CANCELLED, "cancelled: the calling plugin stopped");
    endpoint->stub->UnaryCall(&current->context, run->call.method, grpc::StubOptions(), &current->request,
                              &current->response,
                              [this, run, current, breaker = endpoint->breaker](grpc::Status status) {
                                  {
                                      std::lock_guard lock(run->mutex);
                                      run->in_flight = nullptr;
                                  }
                                  auto code = static_cast<lanchat_status_code>(status.error_code());
                                  breaker->record(counts_against_endpoint(code));
                                  if (status.ok()) return complete(run, LANCHAT_OK, {}, bytes_of(current->response));
                                  if (retry_policy.should_retry(run->call.idempotent, code)) {
                                      return retry_later(run, code, status.error_message());
                                  }
                                  complete(run, code, status.error_message());
                              });
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

MeshClient::MeshClient(const MeshConfig& config, std::string node_name, std::string local_address,
                       std::vector<std::string> local_services, Executor& executor, metrics::Registry& metrics,
                       TraceWriter* traces)
    : impl_(std::make_unique<Impl>(config, node_name, std::move(local_address), local_services, executor, metrics,
                                   traces)) {}

MeshClient::~MeshClient() { impl_->executor.cancel_all(impl_.get()); }

void MeshClient::set_discovered(std::map<std::string, std::vector<std::string>> endpoints) {
    impl_->endpoints.set_discovered(std::move(endpoints));
}

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
    owner->track_outbound(run->id, [run] {
        std::lock_guard lock(run->mutex);
        run->cancelled = true;
        if (run->in_flight != nullptr) run->in_flight->TryCancel();
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
    auto forget = [impl = impl_.get()](uint64_t done) {
        std::lock_guard lock(impl->streams_mutex);
        impl->streams.erase(done);
    };
    auto* stream = new StreamCall(impl_->telemetry, id, owner, endpoint->breaker, std::move(on_message),
                                  std::move(reply), std::move(forget));
    {
        std::lock_guard lock(impl_->streams_mutex);
        impl_->streams.emplace(id, stream);
    }
    owner->track_outbound(id, [this, id] { cancel_stream(id); });
    stream->start(*endpoint->stub, call, deadline_of(call, impl_->default_deadline, true));
    return id;
}

void MeshClient::cancel_stream(lanchat_rpc_stream_id id) {
    std::lock_guard lock(impl_->streams_mutex);
    if (auto found = impl_->streams.find(id); found != impl_->streams.end()) found->second->cancel();
}

}  // namespace lanchat::host::mesh
