// MeshClient: calls from plugins to services, through discovery, mutual TLS (each calling service presents
// its own certificate), deadlines, retries of idempotent methods, and a circuit breaker per endpoint.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/node_config.hpp"
#include "host_fwd.hpp"
#include "lanchat/plugin_abi.h"
#include "mesh/outbound_call.hpp"

namespace lanchat::host::mesh {

class MeshClient {
public:
    // `local_address` is this node's own server, where services hosted here are reached (same path as
    // remote calls: TLS, authorization, deadline).
    MeshClient(const MeshConfig& config, std::string node_name, std::string local_address,
               std::vector<std::string> local_services, Executor& executor, metrics::Registry& metrics,
               TraceWriter* traces);
    ~MeshClient();

    void call_unary(std::shared_ptr<RpcOwner> owner, OutboundCall call, ReplyFn reply);
    lanchat_rpc_stream_id call_server_stream(std::shared_ptr<RpcOwner> owner, OutboundCall call, MessageFn on_message,
                                             ReplyFn reply);
    void cancel_stream(lanchat_rpc_stream_id id);
    void add_local_service(const std::string& service);
    void remove_local_service(const std::string& service);
    // Where services are according to Discovery; consulted after local services and [discovery].
    void set_discovered(std::map<std::string, std::vector<std::string>> endpoints);

    struct Impl;  // defined in mesh_client.cpp only

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace lanchat::host::mesh
