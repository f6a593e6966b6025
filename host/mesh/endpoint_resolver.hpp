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

struct ResolvedEndpoint {
    std::string address;
    std::shared_ptr<CircuitBreaker> breaker;  // the address's; record the call's outcome on it
};

// Looks in three places, first match wins: services hosted on this node (always `local_address`, so local
// calls take the same TLS and authorization path as remote ones), the node file's [discovery] table, then
// what the Discovery service reported. Among a service's endpoints it rotates, skipping those whose circuit
// is open. One breaker per address, shared by every service reached there. Thread-safe.
class EndpointResolver {
public:
    EndpointResolver(std::string local_address, EndpointTable configured, std::set<std::string> local_services,
                     BreakerPolicy breaker_policy = {}, CircuitBreaker::Clock clock = std::chrono::steady_clock::now);

    // An endpoint whose circuit allows a call now; UNAVAILABLE when the service is nowhere to be found or
    // every endpoint's circuit is open.
    sdk::Result<ResolvedEndpoint> resolve(const std::string& service);

    void add_local_service(const std::string& service);
    void remove_local_service(const std::string& service);
    // Replaces what the Discovery service said before.
    void set_discovered(EndpointTable endpoints);

private:
    std::vector<std::string> addresses_of(const std::string& service) const;
    std::shared_ptr<CircuitBreaker>& breaker_of(const std::string& address);

    const std::string local_address_;
    const EndpointTable configured_;
    const BreakerPolicy breaker_policy_;
    const CircuitBreaker::Clock clock_;
    std::mutex mutex_;  // guards everything below
    std::set<std::string> local_services_;
    EndpointTable discovered_;
    std::map<std::string, std::shared_ptr<CircuitBreaker>> breakers_;  // by address
    size_t rotation_ = 0;
};

}  // namespace lanchat::host::mesh
