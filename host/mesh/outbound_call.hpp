// OutboundCall: one call a plugin (or the host) makes through the mesh, with the lineage it carries and the
// deadline it runs under.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "lanchat/plugin_abi.h"
#include "mesh/inbound_call.hpp"

namespace grpc {
class ClientContext;
}

namespace lanchat::host::mesh {

struct OutboundCall {
    std::string caller_service;  // whose certificate is presented: the calling plugin's name
    std::string service;         // logical service to reach
    std::string node;            // the member to reach it on; empty: any that hosts it, this node first
    std::string method;
    std::chrono::milliseconds timeout{0};
    bool idempotent = false;
    CallLineage lineage;  // from the inbound call being served, if any
    std::string request;
};

// Final result of a call; `response` is empty for streams.
using ReplyFn = std::function<void(lanchat_status_code code, const std::string& message, const std::string& response)>;
using MessageFn = std::function<void(const std::string& message)>;

// A call made outside any inbound call starts a new correlation id and trace (the first hop).
void begin_lineage(OutboundCall& call);

// Unary calls always have a deadline (`default_deadline` when the caller set none); streams only when the
// caller set one or inherited one, because a subscription lives as long as its subscriber. An inherited
// deadline that comes sooner wins. time_point::max() means none.
std::chrono::system_clock::time_point deadline_of(const OutboundCall& call, std::chrono::milliseconds default_deadline,
                                                  bool streaming = false);

// Sets the deadline and the metadata that carries the lineage to the server: the correlation id, and a
// traceparent whose parent is `span_id`, this call's client span.
void prepare_context(grpc::ClientContext& context, const OutboundCall& call, const std::string& span_id,
                     std::chrono::system_clock::time_point deadline);

}  // namespace lanchat::host::mesh
