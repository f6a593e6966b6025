#include "mesh/local_call.hpp"

#include <utility>

#include "logging/request_scope.hpp"
#include "mesh/admission.hpp"
#include "mesh/deadline_timer.hpp"
#include "mesh/local_threads.hpp"
#include "mesh/routing_table.hpp"
#include "mesh/rpc_owner.hpp"

namespace lanchat::host::mesh {
namespace {

using Clock = std::chrono::system_clock;

const char* kind_name(lanchat_rpc_kind kind) { return kind == LANCHAT_RPC_UNARY ? "unary" : "server-streaming"; }

std::string too_large(const char* what, size_t size, size_t limit) {
    return std::string(what) + " of " + std::to_string(size) + " bytes is larger than [mesh] max_message_bytes (" +
           std::to_string(limit) + ")";
}

}  // namespace

LocalCall::LocalCall(const Transport& transport, const OutboundCall& call, lanchat_rpc_kind kind,
                     std::string caller_identity, std::string client_span_id, Clock::time_point deadline,
                     MessageFn on_message, AnswerFn answer)
    : transport_(transport),
      kind_(kind),
      call_(call),
      client_span_id_(std::move(client_span_id)),
      deadline_(deadline),
      on_message_(std::move(on_message)),
      answer_fn_(std::move(answer)) {
    span_.peer = std::move(caller_identity);
}

void LocalCall::start() {
    if (call_.request.size() > transport_.max_message_bytes) {
        return cancel(LANCHAT_RESOURCE_EXHAUSTED,
                      too_large("the request", call_.request.size(), transport_.max_message_bytes));
    }
    if (deadline_ != Clock::time_point::max()) {
        uint64_t timer = transport_.deadlines.arm(deadline_, [watched = weak_from_this()] {
            if (auto call = watched.lock()) call->cancel(LANCHAT_DEADLINE_EXCEEDED, "Deadline Exceeded");
        });
        std::lock_guard lock(mutex_);
        deadline_timer_ = timer;
    }
    transport_.threads.post([self = shared_from_this()] { self->dispatch(); });
}

void LocalCall::dispatch() {
    {
        std::lock_guard lock(mutex_);
        if (answer_) return;  // the caller gave up before the call arrived
    }
    auto route = transport_.admission.admit(call_.method, span_.peer, deadline_);
    if (!route.ok()) return refuse(static_cast<lanchat_status_code>(route.status().code()), route.status().message());
    if ((*route)->kind != kind_) {
        (*route)->owner->leave();
        return refuse(LANCHAT_UNIMPLEMENTED,
                      call_.method + " is " + kind_name((*route)->kind) + ", called as " + kind_name(kind_));
    }
    InboundLineage inbound = inbound_lineage(call_.lineage.correlation_id,
                                             "00-" + call_.lineage.trace_id + "-" + client_span_id_ + "-01", deadline_);
    span_.parent_span_id = std::move(inbound.parent_span_id);
    {
        std::lock_guard lock(mutex_);
        served_ = std::move(inbound.lineage);
        route_ = *route;
        held_by_plugin_ = shared_from_this();
    }
    (*route)->owner->track_inbound(&handle_, [self = shared_from_this()] {
        self->finish(LANCHAT_UNAVAILABLE, {"the serving plugin stopped", 26}, {});
    });
    hand_over(**route, &handle_, span_.peer, served_, call_.request);
    std::string().swap(call_.request);  // a subscription may live long; its request is not needed again
}

// Answered before any plugin saw the call, and counted as the gRPC server counts such calls.
void LocalCall::refuse(lanchat_status_code code, std::string message) {
    transport_.telemetry.finished(nullptr, {}, span_, code);
    cancel(code, std::move(message));
}

void LocalCall::cancel(lanchat_status_code code, std::string message) {
    std::lock_guard lock(mutex_);
    end(Answer{code, std::move(message), {}});
}

void LocalCall::end(Answer answer) {
    if (answer_) return;
    queue_.clear();
    answer_ = std::move(answer);
    deliver_soon();
    if (held_by_plugin_ && !plugin_finished_) {
        transport_.threads.post([self = shared_from_this()] { self->tell_plugin_cancelled(); });
    }
}

void LocalCall::tell_plugin_cancelled() {
    std::shared_ptr<const Route> route;
    {
        std::lock_guard lock(mutex_);
        if (plugin_finished_ || !held_by_plugin_) return;
        route = route_;
    }
    if (route->cancelled != nullptr && route->owner->enter()) {
        RequestScope scope(served_.correlation_id, served_.trace_id);
        route->cancelled(route->user, &handle_);
        route->owner->leave();
    }
}

lanchat_status_code LocalCall::write(lanchat_bytes message) {
    std::lock_guard lock(mutex_);
    if (kind_ != LANCHAT_RPC_SERVER_STREAMING) return LANCHAT_FAILED_PRECONDITION;
    if (answer_ || plugin_finished_) return LANCHAT_CANCELLED;
    if (queue_.size() >= transport_.stream_queue_limit) return LANCHAT_RESOURCE_EXHAUSTED;
    if (message.size > transport_.max_message_bytes) {
        end(Answer{
            LANCHAT_RESOURCE_EXHAUSTED, too_large("a stream message", message.size, transport_.max_message_bytes), {}});
        return LANCHAT_CANCELLED;
    }
    queue_.emplace_back(reinterpret_cast<const char*>(message.data), message.size);
    deliver_soon();
    return LANCHAT_OK;
}

void LocalCall::finish(lanchat_status_code code, lanchat_str message, lanchat_bytes response) {
    std::shared_ptr<LocalCall> release_after_finishing;
    std::shared_ptr<const Route> route;
    {
        std::lock_guard lock(mutex_);
        if (plugin_finished_) return;  // a second finish is ignored
        plugin_finished_ = true;
        release_after_finishing = std::move(held_by_plugin_);
        route = route_;
        // Counted before the caller can hear the answer, so whoever it tells finds the call counted.
        if (route) transport_.telemetry.finished(route.get(), served_, span_, code);
        if (!answer_) {
            Answer answer{code, std::string(message.data != nullptr ? message.data : "", message.size), {}};
            if (code == LANCHAT_OK && kind_ == LANCHAT_RPC_UNARY) {
                if (response.size > transport_.max_message_bytes) {
                    answer = {LANCHAT_RESOURCE_EXHAUSTED,
                              too_large("the reply", response.size, transport_.max_message_bytes),
                              {}};
                } else {
                    answer.response.assign(reinterpret_cast<const char*>(response.data), response.size);
                }
            }
            answer_ = std::move(answer);
            deliver_soon();
        }
    }
    if (route) route->owner->untrack_inbound(&handle_);
}

CallLineage LocalCall::lineage() const {
    std::lock_guard lock(mutex_);
    return served_;
}

void LocalCall::deliver_soon() {
    if (delivering_ || answered_ || (queue_.empty() && !answer_)) return;
    delivering_ = true;
    transport_.threads.post([self = shared_from_this()] { self->deliver(); });
}

// One delivery at a time per call, so a stream's messages arrive one by one, in order, before its answer.
void LocalCall::deliver() {
    std::unique_lock lock(mutex_);
    while (!queue_.empty()) {
        std::string message = std::move(queue_.front());
        queue_.pop_front();
        lock.unlock();
        {
            RequestScope scope(call_.lineage.correlation_id, call_.lineage.trace_id);
            on_message_(message);
        }
        lock.lock();
    }
    if (!answer_) {
        delivering_ = false;
        return;
    }
    answered_ = true;
    Answer answer = std::move(*answer_);
    uint64_t timer = std::exchange(deadline_timer_, 0);
    lock.unlock();
    if (timer != 0) transport_.deadlines.cancel(timer);
    answer_fn_(answer.code, answer.message, answer.response);
    answer_fn_ = nullptr;
    on_message_ = nullptr;
}

}  // namespace lanchat::host::mesh
