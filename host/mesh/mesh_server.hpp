// MeshServer: the node's one gRPC server. Mutual TLS, a generic (callback) service dispatching by full
// method name through the RoutingTable, authorization of every call, and grpc.health.v1.Health.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "config/node_config.hpp"
#include "host_fwd.hpp"
#include "lanchat/plugin_abi.h"
#include "lanchat/sdk/status.hpp"

namespace grpc {
class ServerCredentials;
}

namespace lanchat::host::mesh {

// What an inbound call hands down to the calls its handler makes.
struct CallLineage {
    std::string correlation_id;
    std::string trace_id;
    std::string span_id;  // the inbound call's server span: the parent of the spans of calls it makes
    uint64_t deadline_unix_ms = 0;
};

class MeshServer {
public:
    static sdk::Result<std::unique_ptr<MeshServer>> start(const MeshConfig& config,
                                                          std::shared_ptr<grpc::ServerCredentials> credentials,
                                                          const RoutingTable& routes, const AuthorizationPolicy& policy,
                                                          NodeLog& log, metrics::Registry& metrics,
                                                          TraceWriter* traces);
    ~MeshServer();

    const std::string& address() const;  // "host:port" with the port actually bound
    void set_health(const std::string& service, bool serving);
    uint64_t refused_calls() const;  // calls denied by authorization so far
    void shutdown(std::chrono::milliseconds grace);

private:
    struct Impl;
    explicit MeshServer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// The ABI's functions on an inbound call (lanchat_rpc_api.write and .finish).
lanchat_status_code write_call(lanchat_rpc_call* call, lanchat_bytes message);
void finish_call(lanchat_rpc_call* call, lanchat_status_code code, lanchat_str message, lanchat_bytes response);
CallLineage lineage_of(const lanchat_rpc_call* call);

}  // namespace lanchat::host::mesh
