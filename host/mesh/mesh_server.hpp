// MeshServer: the node's one gRPC server. Mutual TLS, a generic (callback) service that admits every call
// (authorization, the RoutingTable's route) and hands it to its plugin, and grpc.health.v1.Health.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "config/node_config.hpp"
#include "host_fwd.hpp"
#include "lanchat/sdk/status.hpp"
#include "mesh/inbound_call.hpp"

namespace grpc {
class ServerCredentials;
}

namespace lanchat::host::mesh {

class Admission;
class ServerTelemetry;

class MeshServer {
public:
    // Borrows `admission` and `telemetry`, which must outlive the server.
    static sdk::Result<std::unique_ptr<MeshServer>> start(const MeshConfig& config,
                                                          std::shared_ptr<grpc::ServerCredentials> credentials,
                                                          const Admission& admission, ServerTelemetry& telemetry);
    ~MeshServer();

    const std::string& address() const;  // "host:port" with the port actually bound
    void set_health(const std::string& service, bool serving);
    void shutdown(std::chrono::milliseconds grace);

private:
    struct Impl;
    explicit MeshServer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace lanchat::host::mesh
