#include "mesh/mesh_client.hpp"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>

#include "lanchat/grpc_buffers/byte_buffer.hpp"
#include "lanchat/ids/random_id.hpp"
#include "lanchat/pki/certificate_authority.hpp"
#include "logging/log.hpp"
#include "logging/request_scope.hpp"
#include "mesh/rpc_owner.hpp"
#include "mesh/tls.hpp"
#include "metrics/registry.hpp"
#include "observability/trace_writer.hpp"
#include "runtime/executor.hpp"

namespace lanchat::host::mesh {
using grpc_buffers::buffer_of;
using grpc_buffers::bytes_of;
namespace {

using Clock = std::chrono::system_clock;

constexpr int kBreakerThreshold = 5;  // consecutive failures that open the circuit
constexpr auto kBreakerCooldown = std::chrono::seconds(2);
constexpr auto kFirstBackoff = std::chrono::milliseconds(20);
constexpr auto kMaxBackoff = std::chrono::milliseconds(1000);

// Failures that say the endpoint (not the request) is unwell.
bool endpoint_failure(grpc::StatusCode code) {
    return code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::DEADLINE_EXCEEDED;
}

// Opens after kBreakerThreshold consecutive endpoint failures, fails fast for kBreakerCooldown, then lets
// one probe through (half-open): its success closes the circuit, its failure opens it again.
class Breaker {
public:
    bool allow() {
        std::lock_guard lock(mutex_);
        if (failures_ < kBreakerThreshold) return true;
        if (std::chrono::steady_clock::now() < open_until_ || probing_) return false;
        probing_ = true;
        return true;
    }
    void record(bool failed) {
        std::lock_guard lock(mutex_);
        probing_ = false;
        failures_ = failed ? failures_ + 1 : 0;
        if (failures_ >= kBreakerThreshold) open_until_ = std::chrono::steady_clock::now() + kBreakerCooldown;
    }

private:
    std::mutex mutex_;
    int failures_ = 0;
    bool probing_ = false;
    std::chrono::steady_clock::time_point open_until_;
};

struct Endpoint {
    std::string address;
    std::shared_ptr<Breaker> breaker;
    std::shared_ptr<grpc::GenericStub> stub;
};

// One outbound unary call across its attempts.
struct UnaryRun {
    uint64_t id = 0;
    MeshClient::Impl* client = nullptr;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    int64_t start_unix_us =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    std::string span_id = ids::random_hex(8);
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

class StreamReactor;

}  // namespace

struct MeshClient::Impl {
    MeshConfig config;
    std::string node;
    std::string local_address;
    Executor& executor;
    NodeLog& log;
    std::atomic<uint64_t> next_id{1};

    std::mutex mutex;  // guards everything below
    std::set<std::string> local_services;
    std::map<std::string, std::vector<std::string>> discovered;                    // from Discovery's membership
    std::map<std::string, std::shared_ptr<grpc::ChannelCredentials>> credentials;  // by calling service
    std::map<std::string, std::shared_ptr<grpc::GenericStub>> stubs;               // endpoint|caller|service
    std::map<std::string, std::shared_ptr<Breaker>> breakers;                      // by endpoint
    std::map<uint64_t, StreamReactor*> streams;
    size_t rotation = 0;

    TraceWriter* traces = nullptr;              // null unless [node] export_traces
    std::shared_ptr<metrics::Family> requests;  // by target service, method, code
    std::shared_ptr<metrics::Family> seconds;   // by target service, method

    Impl(const MeshConfig& config, std::string node, std::string local, Executor& executor, NodeLog& log,
         metrics::Registry& metrics)
        : config(config),
          node(std::move(node)),
          local_address(std::move(local)),
          executor(executor),
          log(log),
          requests(metrics.must(metrics::Kind::counter, "lanchat_rpc_client_requests_total",
                                "Calls made through the mesh, by target service, method and final status code.",
                                {"service", "method", "code"})),
          seconds(metrics.must(metrics::Kind::histogram, "lanchat_rpc_client_handling_seconds",
                               "Time from a call's start to its final result, retries included.",
                               {"service", "method"})) {}

    // The client span of a call: its own span id, the inbound call's span as parent.
    void trace(const OutboundCall& call, const std::string& span_id, lanchat_status_code code, int64_t start_unix_us) {
        if (traces == nullptr) return;
        Span span;
        span.trace_id = call.lineage.trace_id;
        span.span_id = span_id;
        span.parent_span_id = call.lineage.span_id;
        span.name = call.method;
        span.kind = "client";
        span.service = call.service;
        span.correlation_id = call.lineage.correlation_id;
        span.start_unix_us = start_unix_us;
        span.duration_us =
            std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
                .count() -
            start_unix_us;
        span.code = sdk::code_name(static_cast<sdk::Code>(code));
        traces->write(span);
    }

    void record(const OutboundCall& call, lanchat_status_code code, std::chrono::steady_clock::time_point started) {
        std::string method = call.method.substr(call.method.rfind('/') + 1);
        requests->add({call.service, method, sdk::code_name(static_cast<sdk::Code>(code))}, 1);
        seconds->observe({call.service, method},
                         std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }

    // Unary calls always have a deadline (the node's default when the caller set none); streams only when the
    // caller set one or inherited one, because a subscription lives as long as its subscriber.
    Clock::time_point deadline_of(const OutboundCall& call, bool streaming = false) const {
        auto timeout = call.timeout.count() > 0 ? call.timeout : config.default_deadline;
        Clock::time_point deadline =
            streaming && call.timeout.count() == 0 ? Clock::time_point::max() : Clock::now() + timeout;
        if (call.lineage.deadline_unix_ms != 0) {
            Clock::time_point inherited{std::chrono::milliseconds(call.lineage.deadline_unix_ms)};
            deadline = std::min(deadline, inherited);
        }
        return deadline;
    }

    // Picks an endpoint of `call.service` whose circuit is closed (or ready to probe), rotating among them.
    sdk::Result<Endpoint> choose(const OutboundCall& call) {
        std::lock_guard lock(mutex);
        std::vector<std::string> addresses;
        if (local_services.count(call.service) != 0) {
            addresses.push_back(local_address);
        } else if (auto listed = config.discovery.find(call.service); listed != config.discovery.end()) {
            addresses = listed->second;
        } else if (auto found = discovered.find(call.service); found != discovered.end()) {
            addresses = found->second;
        }
        if (addresses.empty()) {
            return sdk::unavailable("no endpoint for service '" + call.service +
                                    "': host it on this node, list it under [discovery], or register a node that "
                                    "hosts it with the Discovery service");
        }
        for (size_t i = 0; i < addresses.size(); ++i) {
            const std::string& address = addresses[(rotation + i) % addresses.size()];
            auto& breaker = breakers[address];
            if (!breaker) breaker = std::make_shared<Breaker>();
            if (!breaker->allow()) continue;
            ++rotation;
            auto stub = stub_for(address, call);
            if (!stub.ok()) return stub.status();
            return Endpoint{address, breaker, *stub};
        }
        return sdk::unavailable("circuit open for every endpoint of service '" + call.service +
                                "' after repeated failures; retrying after " +
                                std::to_string(std::chrono::milliseconds(kBreakerCooldown).count()) + " ms");
    }

    // One channel per (endpoint, calling service, target service): the caller's certificate is its identity and
    // the target's DNS name is what the server certificate must carry.
    sdk::Result<std::shared_ptr<grpc::GenericStub>> stub_for(const std::string& address, const OutboundCall& call) {
        std::string key = address + "|" + call.caller_service + "|" + call.service;
        if (auto found = stubs.find(key); found != stubs.end()) return found->second;
        auto& creds = credentials[call.caller_service];
        if (!creds) {
            pki::PkiLayout pki{config.pki_dir};
            auto made = channel_credentials(pki.ca_certificate(), pki.node_dir(node) / (call.caller_service + ".crt"),
                                            pki.node_dir(node) / (call.caller_service + ".key"));
            if (!made.ok()) {
                credentials.erase(call.caller_service);
                return sdk::Status(
                    sdk::Code::unauthenticated,
                    "plugin '" + call.caller_service + "' has no mesh identity: " + made.status().message() +
                        " (lanchatctl pki issue --node " + node + " --service " + call.caller_service + ")");
            }
            creds = *made;
        }
        grpc::ChannelArguments arguments;
        arguments.SetSslTargetNameOverride(pki::service_dns_name(call.service));
        arguments.SetMaxReceiveMessageSize(static_cast<int>(config.max_message_bytes));
        arguments.SetMaxSendMessageSize(static_cast<int>(config.max_message_bytes));
        auto stub = std::make_shared<grpc::GenericStub>(grpc::CreateCustomChannel(address, creds, arguments));
        stubs.emplace(key, stub);
        return stub;
    }

    // `span_id` is this call's client span, the parent of the server span on the other side.
    void prepare(grpc::ClientContext& context, const OutboundCall& call, const std::string& span_id,
                 Clock::time_point deadline) {
        if (deadline != Clock::time_point::max()) context.set_deadline(deadline);
        context.AddMetadata("x-lanchat-correlation-id", call.lineage.correlation_id);
        context.AddMetadata("traceparent", "00-" + call.lineage.trace_id + "-" + span_id + "-01");
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
    run->client->record(run->call, code, run->started);
    run->client->trace(run->call, run->span_id, code, run->start_unix_us);
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
    prepare(current->context, run->call, run->span_id, run->deadline);
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
                                  breaker->record(endpoint_failure(status.error_code()));
                                  auto code = static_cast<lanchat_status_code>(status.error_code());
                                  if (status.ok()) return complete(run, LANCHAT_OK, {}, bytes_of(current->response));
                                  if (run->call.idempotent && status.error_code() == grpc::StatusCode::UNAVAILABLE) {
                                      return retry_later(run, code, status.error_message());
                                  }
                                  complete(run, code, status.error_message());
                              });
}

// Exponential backoff with full jitter, only while the deadline leaves room for another attempt.
void MeshClient::Impl::retry_later(const std::shared_ptr<UnaryRun>& run, lanchat_status_code code,
                                   const std::string& message) {
    auto ceiling = std::min<std::chrono::milliseconds>(kMaxBackoff, kFirstBackoff * (1 << std::min(run->attempts, 6)));
    thread_local std::mt19937 random{std::random_device{}()};
    auto delay = std::chrono::milliseconds(std::uniform_int_distribution<long>(1, ceiling.count())(random));
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

namespace {

// One outbound server-streaming call.
class StreamReactor final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
public:
    StreamReactor(MeshClient::Impl& client, uint64_t id, std::shared_ptr<RpcOwner> owner,
                  std::shared_ptr<Breaker> breaker, MessageFn on_message, ReplyFn reply)
        : client_(client),
          id_(id),
          owner_(std::move(owner)),
          breaker_(std::move(breaker)),
          on_message_(std::move(on_message)),
          reply_(std::move(reply)) {}

    void start(grpc::GenericStub& stub, const OutboundCall& call, Clock::time_point deadline) {
        call_ = call;
        client_.prepare(context_, call, span_id_, deadline);
        request_ = buffer_of(call.request);
        stub.PrepareBidiStreamingCall(&context_, call.method, grpc::StubOptions(), this);
        StartWriteLast(&request_, grpc::WriteOptions());
        StartRead(&incoming_);
        StartCall();
    }
    void cancel() { context_.TryCancel(); }

    void OnReadDone(bool ok) override {
        if (!ok) return;
        {
            RequestScope scope(call_.lineage.correlation_id, call_.lineage.trace_id);
            on_message_(bytes_of(incoming_));
        }
        StartRead(&incoming_);
    }
    void OnDone(const grpc::Status& status) override {
        {
            std::lock_guard lock(client_.mutex);
            client_.streams.erase(id_);
        }
        auto code = static_cast<lanchat_status_code>(status.error_code());
        breaker_->record(endpoint_failure(status.error_code()));
        client_.record(call_, code, started_);
        client_.trace(call_, span_id_, code, start_unix_us_);
        {
            RequestScope scope(call_.lineage.correlation_id, call_.lineage.trace_id);
            reply_(code, status.error_message(), {});
        }
        owner_->untrack_outbound(id_);
        delete this;
    }

private:
    MeshClient::Impl& client_;
    uint64_t id_;
    std::shared_ptr<RpcOwner> owner_;
    std::shared_ptr<Breaker> breaker_;
    MessageFn on_message_;
    ReplyFn reply_;
    grpc::ClientContext context_;
    grpc::ByteBuffer request_;
    grpc::ByteBuffer incoming_;
    OutboundCall call_;
    std::string span_id_ = ids::random_hex(8);
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
    int64_t start_unix_us_ =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
};

}  // namespace

MeshClient::MeshClient(const MeshConfig& config, std::string node_name, std::string local_address,
                       std::vector<std::string> local_services, Executor& executor, NodeLog& log,
                       metrics::Registry& metrics, TraceWriter* traces)
    : impl_(std::make_unique<Impl>(config, std::move(node_name), std::move(local_address), executor, log, metrics)) {
    impl_->traces = traces;
    impl_->local_services.insert(local_services.begin(), local_services.end());
}

MeshClient::~MeshClient() { impl_->executor.cancel_all(impl_.get()); }

void MeshClient::set_discovered(std::map<std::string, std::vector<std::string>> endpoints) {
    std::lock_guard lock(impl_->mutex);
    impl_->discovered = std::move(endpoints);
}

void MeshClient::add_local_service(const std::string& service) {
    std::lock_guard lock(impl_->mutex);
    impl_->local_services.insert(service);
}

void MeshClient::remove_local_service(const std::string& service) {
    std::lock_guard lock(impl_->mutex);
    impl_->local_services.erase(service);
}

// A call made outside any inbound call starts a new correlation id and trace (the first hop).
static void begin_lineage(OutboundCall& call) {
    if (call.lineage.correlation_id.empty()) call.lineage.correlation_id = ids::random_hex(8);
    if (call.lineage.trace_id.size() != 32) call.lineage.trace_id = ids::random_hex(16);
}

void MeshClient::call_unary(std::shared_ptr<RpcOwner> owner, OutboundCall call, ReplyFn reply) {
    begin_lineage(call);
    auto run = std::make_shared<UnaryRun>();
    run->id = impl_->next_id++;
    run->client = impl_.get();
    run->deadline = impl_->deadline_of(call);
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
    auto* reactor = new StreamReactor(*impl_, id, owner, endpoint->breaker, std::move(on_message), std::move(reply));
    {
        std::lock_guard lock(impl_->mutex);
        impl_->streams.emplace(id, reactor);
    }
    owner->track_outbound(id, [this, id] { cancel_stream(id); });
    reactor->start(*endpoint->stub, call, impl_->deadline_of(call, true));
    return id;
}

void MeshClient::cancel_stream(lanchat_rpc_stream_id id) {
    std::lock_guard lock(impl_->mutex);
    if (auto found = impl_->streams.find(id); found != impl_->streams.end()) found->second->cancel();
}

}  // namespace lanchat::host::mesh
