// MeshClient: calls from plugins to services, through discovery, mutual TLS (each calling service presents
// its own certificate), deadlines, retries of idempotent methods, and a circuit breaker per endpoint. Calls
// to a method served in this very process go in process (LocalCall) unless [mesh] local_calls = "network".
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/node_config.hpp"
#include "host_fwd.hpp"
#include "lanchat/plugin_abi.h"
#include "mesh/endpoint_resolver.hpp"
#include "mesh/local_call.hpp"
#include "mesh/outbound_call.hpp"

namespace lanchat::host::mesh {

class MeshClient {
public:
    // `local_address` is this node's own server, where services hosted here are reached. With `in_process`
    // (borrowed, outliving the client), a call to a method an instance of this process serves goes straight
    // to it instead, with the same authorization, deadline and limits; other calls to the node's own
    // address (grpc.health.v1.Health) still go through its server. Servers reached are checked against
    // `revocations`.
    MeshClient(const MeshConfig& config, std::string node_name, std::string local_address,
               std::vector<std::string> local_services, Executor& executor, metrics::Registry& metrics,
               TraceWriter* traces, const LocalCall::Transport* in_process,
               std::shared_ptr<net::Revocations> revocations);
    ~MeshClient();

    void call_unary(std::shared_ptr<RpcOwner> owner, OutboundCall call, ReplyFn reply);
    lanchat_rpc_stream_id call_server_stream(std::shared_ptr<RpcOwner> owner, OutboundCall call, MessageFn on_message,
                                             ReplyFn reply);
    void cancel_stream(lanchat_rpc_stream_id id);
    void add_local_service(const std::string& service);
    void remove_local_service(const std::string& service);
    // Where the other nodes and their services are according to the membership; consulted after local
    // services and [discovery], and for calls that name a node.
    void set_discovered(MemberTable members);

    struct Impl;  // defined in mesh_client.cpp only

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace lanchat::host::mesh
