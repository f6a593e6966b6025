#include "mesh/stream_call.hpp"

#include "lanchat/grpc_buffers/byte_buffer.hpp"
#include "logging/request_scope.hpp"
#include "mesh/rpc_owner.hpp"

namespace lanchat::host::mesh {
using grpc_buffers::buffer_of;
using grpc_buffers::bytes_of;

StreamCall::StreamCall(ClientTelemetry& telemetry, uint64_t id, std::shared_ptr<RpcOwner> owner,
                       std::shared_ptr<CircuitBreaker> breaker, MessageFn on_message, ReplyFn reply,
                       std::function<void(uint64_t id)> on_done)
    : telemetry_(telemetry),
      id_(id),
      owner_(std::move(owner)),
      breaker_(std::move(breaker)),
      on_message_(std::move(on_message)),
      reply_(std::move(reply)),
      on_done_(std::move(on_done)) {}

void StreamCall::start(grpc::GenericStub& stub, const OutboundCall& call,
                       std::chrono::system_clock::time_point deadline) {
    call_ = call;
    prepare_context(context_, call, span_.span_id, deadline);
    request_ = buffer_of(call.request);
    stub.PrepareBidiStreamingCall(&context_, call.method, grpc::StubOptions(), this);
    StartWriteLast(&request_, grpc::WriteOptions());
    StartRead(&incoming_);
    StartCall();
}

void StreamCall::OnReadDone(bool ok) {
    if (!ok) return;
    if (!recorded_) {
        recorded_ = true;
        record_outcome(breaker_.get(), LANCHAT_OK);
    }
    {
        RequestScope scope(call_.lineage.correlation_id, call_.lineage.trace_id);
        on_message_(bytes_of(incoming_));
    }
    StartRead(&incoming_);
}

void StreamCall::OnDone(const grpc::Status& status) {
    on_done_(id_);
    auto code = static_cast<lanchat_status_code>(status.error_code());
    if (!recorded_) record_outcome(breaker_.get(), code);
    telemetry_.finished(call_, span_, code, false);
    {
        RequestScope scope(call_.lineage.correlation_id, call_.lineage.trace_id);
        reply_(code, status.error_message(), {});
    }
    owner_->untrack_outbound(id_);
    delete this;
}

}  // namespace lanchat::host::mesh
