#include "mesh/routing_table.hpp"

#include <set>

#include "mesh/rpc_owner.hpp"

namespace lanchat::host::mesh {

std::string_view service_of(std::string_view method) {
    if (method.size() < 4 || method[0] != '/') return {};
    size_t slash = method.find('/', 1);
    if (slash == std::string_view::npos || slash == 1 || slash + 1 == method.size()) return {};
    if (method.find('/', slash + 1) != std::string_view::npos) return {};
    return method.substr(1, slash - 1);
}

RoutingTable::RoutingTable() : table_(std::make_shared<const Table>()) {}

template <class Edit>
void RoutingTable::update(Edit edit) {
    auto next = std::make_shared<Table>(*table_.load());
    edit(*next);
    table_.store(std::move(next));
}

sdk::Status RoutingTable::add(Route route) {
    if (service_of(route.method).empty()) {
        return sdk::invalid_argument("method name '" + route.method +
                                     "' is malformed; expected \"/package.Service/Method\"");
    }
    std::lock_guard lock(write_mutex_);
    if (auto staging = staged_.find(route.owner.get()); staging != staged_.end()) {
        std::string method = route.method;
        if (!staging->second.routes.emplace(method, std::make_shared<const Route>(std::move(route))).second) {
            return sdk::Status(sdk::Code::already_exists, "method " + method + " is registered twice");
        }
        return {};
    }
    const Table& current = *table_.load();
    if (auto existing = current.find(route.method); existing != current.end()) {
        return sdk::Status(sdk::Code::already_exists, "method " + route.method + " is already served by plugin '" +
                                                          existing->second->owner->plugin_name() + "'");
    }
    std::string method = route.method;  // not route.method below: the route is moved in the same call
    update([&](Table& table) { table.emplace(std::move(method), std::make_shared<const Route>(std::move(route))); });
    return {};
}

void RoutingTable::stage(const RpcOwner* predecessor, const RpcOwner* successor) {
    std::lock_guard lock(write_mutex_);
    staged_[successor].predecessor = predecessor;
}

void RoutingTable::promote(const RpcOwner* successor) {
    std::lock_guard lock(write_mutex_);
    auto staging = staged_.find(successor);
    if (staging == staged_.end()) return;
    const RpcOwner* predecessor = staging->second.predecessor;
    update([&](Table& table) {
        std::erase_if(table, [&](const auto& entry) { return entry.second->owner.get() == predecessor; });
        for (auto& [method, route] : staging->second.routes) table[method] = route;
    });
    staged_.erase(staging);
}

void RoutingTable::discard(const RpcOwner* successor) {
    std::lock_guard lock(write_mutex_);
    staged_.erase(successor);
}

void RoutingTable::remove(const RpcOwner* owner, std::string_view method) {
    std::lock_guard lock(write_mutex_);
    update([&](Table& table) {
        auto found = table.find(std::string(method));
        if (found != table.end() && found->second->owner.get() == owner) table.erase(found);
    });
}

void RoutingTable::remove_owner(const RpcOwner* owner) {
    std::lock_guard lock(write_mutex_);
    update([&](Table& table) {
        std::erase_if(table, [&](const auto& entry) { return entry.second->owner.get() == owner; });
    });
}

std::shared_ptr<const Route> RoutingTable::find(const std::string& method) const {
    auto table = table_.load();
    auto found = table->find(method);
    return found == table->end() ? nullptr : found->second;
}

std::vector<std::string> RoutingTable::services_of(const RpcOwner* owner) const {
    std::set<std::string> services;
    for (const auto& [method, route] : *table_.load()) {
        if (route->owner.get() == owner) services.emplace(service_of(method));
    }
    return {services.begin(), services.end()};
}

}  // namespace lanchat::host::mesh
