// Membership: this node's registration with the Discovery service. Every heartbeat announces the node's
// address and services, and the reply — the live membership — tells the client where other services are.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "host_fwd.hpp"
#include "lanchat/discovery/v1/discovery.pb.h"

namespace lanchat::host::mesh {

class Membership {
public:
    // `self` is what every heartbeat announces: name, mesh address, services and client address.
    Membership(MeshClient& client, Executor& executor, NodeLog& log, discovery::v1::Node self, std::string registry,
               std::chrono::milliseconds interval);
    ~Membership();  // stops heartbeating; no callback runs afterwards

    // The services this node registers from the next heartbeat on (plugins added or removed by SIGHUP).
    void set_services(std::vector<std::string> services);

private:
    void heartbeat();

    MeshClient& client_;
    Executor& executor_;
    NodeLog& log_;
    std::string registry_;
    std::mutex self_mutex_;
    discovery::v1::Node self_;
    std::shared_ptr<RpcOwner> owner_;  // the host's own calls, under the node's certificate
    uint64_t timer_ = 0;
    enum class Standing { unknown, registered, failing };
    std::shared_ptr<Standing> standing_ = std::make_shared<Standing>(Standing::unknown);
};

}  // namespace lanchat::host::mesh
