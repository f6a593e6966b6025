// StreamCall: one outbound server-streaming call, driven by gRPC's callback reactor. The request is written
// once; every message read goes to `on_message`; the final status goes to `reply`.
#pragma once

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/client_callback.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "host_fwd.hpp"
#include "mesh/circuit_breaker.hpp"
#include "mesh/client_telemetry.hpp"
#include "mesh/outbound_call.hpp"

namespace lanchat::host::mesh {

// The first message read counts as the call's success on the endpoint's breaker: a subscription lives as long
// as its subscriber, and a breaker's half-open probe must not wait for its end. The end counts only when no
// message came: after one, it says how the service ended the stream (a reload, say), not whether the
// endpoint is reachable.
// Deletes itself when gRPC says the call is done, after `on_done(id)`, the reply, and untracking it from
// its owner. `telemetry` must outlive every call.
class StreamCall final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
public:
    StreamCall(ClientTelemetry& telemetry, uint64_t id, std::shared_ptr<RpcOwner> owner,
               std::shared_ptr<CircuitBreaker> breaker, MessageFn on_message, ReplyFn reply,
               std::function<void(uint64_t id)> on_done);

    void start(grpc::GenericStub& stub, const OutboundCall& call, std::chrono::system_clock::time_point deadline);
    // Ends the call from this side; its reply still comes, with CANCELLED.
    void cancel() { context_.TryCancel(); }

    void OnReadDone(bool ok) override;
    void OnDone(const grpc::Status& status) override;

private:
    ClientTelemetry& telemetry_;
    const uint64_t id_;
    std::shared_ptr<RpcOwner> owner_;
    std::shared_ptr<CircuitBreaker> breaker_;  // null for this node's own services
    bool recorded_ = false;                    // on the breaker: the first message said the endpoint works
    MessageFn on_message_;
    ReplyFn reply_;
    std::function<void(uint64_t id)> on_done_;
    grpc::ClientContext context_;
    grpc::ByteBuffer request_;
    grpc::ByteBuffer incoming_;
    OutboundCall call_;
    ClientSpan span_;
};

}  // namespace lanchat::host::mesh
