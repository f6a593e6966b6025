#include "discovery_service.hpp"

#include <algorithm>

namespace lanchat::discovery {
namespace {

constexpr size_t kMaxAddresses = 16;
constexpr size_t kMaxServices = 64;
constexpr size_t kMaxName = 63;

int64_t unix_ms(DiscoveryService::Clock::time_point time) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

bool is_name(const std::string& name) {
    return !name.empty() && name.size() <= kMaxName && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    });
}

bool is_endpoint(const std::string& address) {
    size_t colon = address.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == address.size() || address.size() > 255) return false;
    return std::all_of(address.begin() + static_cast<long>(colon) + 1, address.end(),
                       [](char c) { return c >= '0' && c <= '9'; });
}

sdk::Status validate(const v1::Node& node) {
    if (!is_name(node.node_id())) {
        return sdk::invalid_argument("node_id must be 1 to 63 of a-z 0-9 - _ . (got '" + node.node_id() + "')");
    }
    if (node.addresses().empty() || node.addresses_size() > static_cast<int>(kMaxAddresses)) {
        return sdk::invalid_argument("a node needs 1 to 16 addresses");
    }
    for (const std::string& address : node.addresses()) {
        if (!is_endpoint(address)) return sdk::invalid_argument("address '" + address + "' is not host:port");
    }
    if (node.services_size() > static_cast<int>(kMaxServices)) return sdk::invalid_argument("at most 64 services");
    for (const std::string& service : node.services()) {
        if (!is_name(service)) return sdk::invalid_argument("service name '" + service + "' is not valid");
    }
    return {};
}

template <class Nodes>
std::vector<std::string> endpoints_of(const Nodes& nodes, const std::string& service) {
    std::vector<std::string> endpoints;
    for (const v1::Node& node : nodes) {
        if (std::find(node.services().begin(), node.services().end(), service) == node.services().end()) continue;
        endpoints.insert(endpoints.end(), node.addresses().begin(), node.addresses().end());
    }
    return endpoints;
}

}  // namespace

sdk::Status DiscoveryService::register_node(const std::string& peer, v1::Node node, Clock::time_point now) {
    if (sdk::Status valid = validate(node); !valid.ok()) return valid;
    const std::string expected_suffix = "/node/" + node.node_id();
    if (peer.rfind("spiffe://", 0) != 0 || peer.size() < expected_suffix.size() ||
        peer.compare(peer.size() - expected_suffix.size(), expected_suffix.size(), expected_suffix) != 0) {
        return {sdk::Code::permission_denied, peer + " may not register node '" + node.node_id() + "'"};
    }
    node.set_last_seen_unix_ms(unix_ms(now));
    std::lock_guard lock(mutex_);
    nodes_[node.node_id()] = std::move(node);
    return {};
}

void DiscoveryService::forget_expired(Clock::time_point now) {
    const int64_t oldest = unix_ms(now - ttl_);
    std::erase_if(nodes_, [oldest](const auto& entry) { return entry.second.last_seen_unix_ms() < oldest; });
}

std::vector<v1::Node> DiscoveryService::live_nodes(Clock::time_point now) {
    std::lock_guard lock(mutex_);
    forget_expired(now);
    std::vector<v1::Node> nodes;
    for (const auto& [id, node] : nodes_) nodes.push_back(node);
    return nodes;
}

std::vector<std::string> DiscoveryService::resolve(const std::string& service, Clock::time_point now) {
    return endpoints_of(live_nodes(now), service);
}

sdk::Result<v1::RegisterReply> DiscoveryService::registered(const std::string& peer, const v1::RegisterRequest& request,
                                                            Clock::time_point now) {
    if (sdk::Status registered = register_node(peer, request.node(), now); !registered.ok()) return registered;
    v1::RegisterReply reply;
    for (v1::Node& node : live_nodes(now)) *reply.add_nodes() = std::move(node);
    reply.set_ttl_ms(static_cast<uint32_t>(ttl_.count()));
    return reply;
}

v1::ListNodesReply DiscoveryService::list_nodes(Clock::time_point now) {
    v1::ListNodesReply reply;
    for (v1::Node& node : live_nodes(now)) *reply.add_nodes() = std::move(node);
    return reply;
}

v1::ResolveReply DiscoveryService::resolved(const v1::ResolveRequest& request, Clock::time_point now) {
    v1::ResolveReply reply;
    for (std::string& endpoint : resolve(request.service(), now)) reply.add_endpoints(std::move(endpoint));
    return reply;
}

sdk::Status DiscoveryService::cluster_register() {
    return sdk::failed_precondition(
        "this cluster's membership lives in etcd: a node registers there ([discovery] etcd in its node file), "
        "not with [mesh] registry");
}

v1::ResolveReply DiscoveryService::cluster_resolved(const v1::ListNodesReply& cluster,
                                                    const v1::ResolveRequest& request) {
    v1::ResolveReply reply;
    for (std::string& endpoint : endpoints_of(cluster.nodes(), request.service())) {
        reply.add_endpoints(std::move(endpoint));
    }
    return reply;
}

std::string DiscoveryService::export_state() {
    v1::ListNodesReply state;
    std::lock_guard lock(mutex_);
    for (const auto& [id, node] : nodes_) *state.add_nodes() = node;
    return state.SerializeAsString();
}

sdk::Status DiscoveryService::import_state(const std::string& bytes) {
    v1::ListNodesReply state;
    if (!state.ParseFromString(bytes)) return sdk::invalid_argument("discovery state is not a ListNodesReply");
    std::lock_guard lock(mutex_);
    for (const v1::Node& node : state.nodes()) nodes_[node.node_id()] = node;
    return {};
}

}  // namespace lanchat::discovery
