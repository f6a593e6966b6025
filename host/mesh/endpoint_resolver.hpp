// EndpointResolver: where a logical service is reached, and which of its endpoints takes the next call.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "lanchat/sdk/status.hpp"
#include "mesh/circuit_breaker.hpp"

namespace lanchat::host::mesh {

// Logical service -> endpoints ("host:port").
using EndpointTable = std::map<std::string, std::vector<std::string>>;

// One other node of the membership: where its mesh server listens and what it hosts.
struct MemberNode {
    std::vector<std::string> addresses;
    std::set<std::string> services;
};
using MemberTable = std::map<std::string, MemberNode>;  // by node name

struct ResolvedEndpoint {
    std::string address;
    // The address's; record the call's outcome on it. Null for this node's own services: a service answering
    // UNAVAILABLE here says how its own dependencies are (a database, say), not whether this node is reachable,
    // and must not fail fast every other service of the node.
    std::shared_ptr<CircuitBreaker> breaker;
};

// Looks in three places, first match wins: services hosted on this node (always `local_address`, so local
// calls take the same TLS and authorization path as remote ones), the node file's [discovery] table, then
// the membership (the Discovery registry's or etcd's). Among a service's endpoints it rotates, skipping those
// whose circuit is open. One breaker per remote address, shared by every service reached there. A call may
// also name the node to reach (a gateway's delivery stream from every node's Router). Thread-safe.
class EndpointResolver {
public:
    EndpointResolver(std::string local_address, EndpointTable configured, std::set<std::string> local_services,
                     BreakerPolicy breaker_policy = {}, CircuitBreaker::Clock clock = std::chrono::steady_clock::now,
                     std::string self_node = {});

    // An endpoint whose circuit allows a call now; UNAVAILABLE when the service is nowhere to be found, is
    // not hosted on `node` (when one is named), or every endpoint's circuit is open.
    sdk::Result<ResolvedEndpoint> resolve(const std::string& service, const std::string& node = {});

    void add_local_service(const std::string& service);
    void remove_local_service(const std::string& service);
    // Replaces what the membership said before; this node is not in it.
    void set_discovered(MemberTable members);

private:
    std::vector<std::string> addresses_of(const std::string& service) const;
    sdk::Result<std::vector<std::string>> addresses_on(const std::string& service, const std::string& node) const;
    std::shared_ptr<CircuitBreaker>& breaker_of(const std::string& address);

    const std::string local_address_;
    const EndpointTable configured_;
    const BreakerPolicy breaker_policy_;
    const CircuitBreaker::Clock clock_;
    const std::string self_node_;
    std::mutex mutex_;  // guards everything below
    std::set<std::string> local_services_;
    MemberTable members_;
    std::map<std::string, std::shared_ptr<CircuitBreaker>> breakers_;  // by address
    size_t rotation_ = 0;
};

}  // namespace lanchat::host::mesh
