#include "mesh/endpoint_resolver.hpp"

namespace lanchat::host::mesh {

EndpointResolver::EndpointResolver(std::string local_address, EndpointTable configured,
                                   std::set<std::string> local_services, BreakerPolicy breaker_policy,
                                   CircuitBreaker::Clock clock)
    : local_address_(std::move(local_address)),
      configured_(std::move(configured)),
      breaker_policy_(breaker_policy),
      clock_(std::move(clock)),
      local_services_(std::move(local_services)) {}

sdk::Result<ResolvedEndpoint> EndpointResolver::resolve(const std::string& service) {
    std::lock_guard lock(mutex_);
    std::vector<std::string> addresses = addresses_of(service);
    if (addresses.empty()) {
        return sdk::unavailable("no endpoint for service '" + service +
                                "': host it on this node, list it under [discovery], or register a node that "
                                "hosts it with the Discovery service");
    }
    for (size_t i = 0; i < addresses.size(); ++i) {
        const std::string& address = addresses[(rotation_ + i) % addresses.size()];
        std::shared_ptr<CircuitBreaker>& breaker = breaker_of(address);
        if (!breaker->allow()) continue;
        ++rotation_;
        return ResolvedEndpoint{address, breaker};
    }
    return sdk::unavailable("circuit open for every endpoint of service '" + service +
                            "' after repeated failures; retrying after " +
                            std::to_string(breaker_policy_.cooldown.count()) + " ms");
}

std::vector<std::string> EndpointResolver::addresses_of(const std::string& service) const {
    if (local_services_.count(service) != 0) return {local_address_};
    if (auto listed = configured_.find(service); listed != configured_.end()) return listed->second;
    if (auto found = discovered_.find(service); found != discovered_.end()) return found->second;
    return {};
}

std::shared_ptr<CircuitBreaker>& EndpointResolver::breaker_of(const std::string& address) {
    auto& breaker = breakers_[address];
    if (!breaker) breaker = std::make_shared<CircuitBreaker>(breaker_policy_, clock_);
    return breaker;
}

void EndpointResolver::add_local_service(const std::string& service) {
    std::lock_guard lock(mutex_);
    local_services_.insert(service);
}

void EndpointResolver::remove_local_service(const std::string& service) {
    std::lock_guard lock(mutex_);
    local_services_.erase(service);
}

void EndpointResolver::set_discovered(EndpointTable endpoints) {
    std::lock_guard lock(mutex_);
    discovered_ = std::move(endpoints);
}

}  // namespace lanchat::host::mesh
