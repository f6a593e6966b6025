#include "mesh/endpoint_resolver.hpp"

namespace lanchat::host::mesh {

EndpointResolver::EndpointResolver(std::string local_address, EndpointTable configured,
                                   std::set<std::string> local_services, BreakerPolicy breaker_policy,
                                   CircuitBreaker::Clock clock, std::string self_node)
    : local_address_(std::move(local_address)),
      configured_(std::move(configured)),
      breaker_policy_(breaker_policy),
      clock_(std::move(clock)),
      self_node_(std::move(self_node)),
      local_services_(std::move(local_services)) {}

sdk::Result<ResolvedEndpoint> EndpointResolver::resolve(const std::string& service, const std::string& node) {
    std::lock_guard lock(mutex_);
    sdk::Result<std::vector<std::string>> found = addresses_on(service, node);
    if (!found.ok()) return found.status();
    const std::vector<std::string>& addresses = *found;
    if (addresses.size() == 1 && addresses.front() == local_address_) return ResolvedEndpoint{local_address_, nullptr};
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

sdk::Result<std::vector<std::string>> EndpointResolver::addresses_on(const std::string& service,
                                                                     const std::string& node) const {
    if (node.empty()) {
        std::vector<std::string> addresses = addresses_of(service);
        if (!addresses.empty()) return addresses;
        return sdk::unavailable("no endpoint for service '" + service +
                                "': host it on this node, list it under [discovery], or register a node that "
                                "hosts it with the Discovery service");
    }
    if (node == self_node_ && local_services_.count(service) != 0) return std::vector<std::string>{local_address_};
    auto member = members_.find(node);
    if (node != self_node_ && member == members_.end()) {
        return sdk::unavailable("node '" + node + "' is not in the cluster's membership");
    }
    if (node == self_node_ || member->second.services.count(service) == 0) {
        return sdk::unavailable("node '" + node + "' does not host service '" + service + "'");
    }
    return member->second.addresses;
}

std::vector<std::string> EndpointResolver::addresses_of(const std::string& service) const {
    if (local_services_.count(service) != 0) return {local_address_};
    if (auto listed = configured_.find(service); listed != configured_.end()) return listed->second;
    std::vector<std::string> addresses;
    for (const auto& [name, member] : members_) {
        if (member.services.count(service) != 0) {
            addresses.insert(addresses.end(), member.addresses.begin(), member.addresses.end());
        }
    }
    return addresses;
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

void EndpointResolver::set_discovered(MemberTable members) {
    std::lock_guard lock(mutex_);
    members_ = std::move(members);
}

}  // namespace lanchat::host::mesh
