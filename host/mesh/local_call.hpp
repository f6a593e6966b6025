// LocalCall: one call to a service hosted in this process, carried without the network. The request goes
// straight to the serving instance's handler, admitted as the gRPC server admits calls (authorization by
// the caller's service identity, the routing table's route at that moment, the instance's drain gate); the
// answer and a stream's messages come straight back. Everything the caller or the serving plugin is told
// runs on the mesh's LocalThreads, never inside the call, write() or finish() that caused it. Deadlines,
// cancellation from either side, the stream queue limit and the message size limit hold as over the network.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "host_fwd.hpp"
#include "lanchat/plugin_abi.h"
#include "mesh/inbound_call.hpp"
#include "mesh/outbound_call.hpp"
#include "mesh/server_telemetry.hpp"

namespace lanchat::host::mesh {

class Admission;
class DeadlineTimer;
class LocalThreads;
struct Route;

class LocalCall final : public InboundCall, public std::enable_shared_from_this<LocalCall> {
public:
    // What every in-process call of the node shares; owned by the Mesh, which outlives every call.
    struct Transport {
        const RoutingTable& routes;  // a call goes in process only to a method served here
        const Admission& admission;
        ServerTelemetry& telemetry;
        DeadlineTimer& deadlines;
        LocalThreads& threads;
        size_t max_message_bytes;
        size_t stream_queue_limit;
    };
    // The call's final result, once, after every message; `response` is a unary call's reply.
    using AnswerFn =
        std::function<void(lanchat_status_code code, const std::string& message, const std::string& response)>;

    // `caller_identity` is the SPIFFE ID of the caller's certificate; `client_span_id` is the caller's span,
    // the parent of the served call's span; `deadline` is time_point::max() for none. Nothing happens until
    // start().
    LocalCall(const Transport& transport, const OutboundCall& call, lanchat_rpc_kind kind, std::string caller_identity,
              std::string client_span_id, std::chrono::system_clock::time_point deadline, MessageFn on_message,
              AnswerFn answer);

    // Hands the call to its serving instance on another thread, and arms its deadline.
    void start();
    // The caller ends the call (cancel_stream, its instance stopping, its deadline): the answer is `code`
    // unless the call has one already, what was not delivered is dropped, and the serving plugin is told.
    void cancel(lanchat_status_code code, std::string message);

    lanchat_status_code write(lanchat_bytes message) override;
    void finish(lanchat_status_code code, lanchat_str message, lanchat_bytes response) override;
    CallLineage lineage() const override;

private:
    struct Answer {
        lanchat_status_code code = LANCHAT_OK;
        std::string message;
        std::string response;
    };

    void dispatch();
    void refuse(lanchat_status_code code, std::string message);
    void tell_plugin_cancelled();
    // Called with `mutex_` held: makes sure a delivery runs while there is something to deliver.
    void deliver_soon();
    void deliver();
    void end(Answer answer);  // called with `mutex_` held: the caller's answer, the plugin told if serving

    const Transport& transport_;
    lanchat_rpc_call handle_{this};
    const lanchat_rpc_kind kind_;
    OutboundCall call_;
    const std::string client_span_id_;
    const std::chrono::system_clock::time_point deadline_;
    MessageFn on_message_;
    AnswerFn answer_fn_;
    ServerSpan span_;

    mutable std::mutex mutex_;
    std::shared_ptr<LocalCall> held_by_plugin_;  // from the handler until the plugin's finish()
    std::shared_ptr<const Route> route_;
    CallLineage served_;
    std::deque<std::string> queue_;  // written by the plugin, not yet delivered to the caller
    std::optional<Answer> answer_;   // decided, delivered after the queue
    uint64_t deadline_timer_ = 0;    // the DeadlineTimer's id, 0 for none
    bool delivering_ = false;
    bool answered_ = false;
    bool plugin_finished_ = false;
};

}  // namespace lanchat::host::mesh
