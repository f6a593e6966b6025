#include "client_edge/dispatcher.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "abi/slice.hpp"
#include "logging/log.hpp"

namespace lanchat::host::edge {

sdk::Status Dispatcher::attach(lanchat_host_context* owner, const std::string& plugin_name,
                               const lanchat_client_edge_handler& handler) {
    if (handler.opened == nullptr || handler.message == nullptr || handler.closed == nullptr) {
        return sdk::invalid_argument("client edge handler needs opened, message and closed callbacks");
    }
    lanchat_client_edge_handler copy{};
    std::memcpy(&copy, &handler, std::min<size_t>(handler.struct_size, sizeof copy));
    copy.struct_size = sizeof copy;
    if (!LANCHAT_HAS_FIELD(&handler, lanchat_client_edge_handler, http)) copy.http = nullptr;

    std::unique_lock lock(handler_mutex_);
    if (active_.owner == owner || staged_.owner == owner) {
        return sdk::failed_precondition("this instance has already attached to the client edge");
    }
    if (active_.owner == nullptr) {
        active_ = {owner, plugin_name, copy};
        return {};
    }
    if (active_.plugin_name != plugin_name) {
        return sdk::failed_precondition("the client edge is held by plugin '" + active_.plugin_name +
                                        "'; a node has one client edge handler");
    }
    staged_ = {owner, plugin_name, copy};  // a reload: takes over at promote()
    return {};
}

void Dispatcher::promote(lanchat_host_context* successor) {
    std::unique_lock lock(handler_mutex_);
    if (staged_.owner != successor || successor == nullptr) return;
    active_ = staged_;
    staged_ = {};
    // Still under the exclusive lock: no message can reach the successor before it knows its connections.
    std::vector<std::shared_ptr<Connection>> open;
    {
        std::lock_guard connections(connections_mutex_);
        for (const auto& [id, connection] : connections_) open.push_back(connection);
    }
    for (const auto& connection : open) {
        std::string session;
        lanchat_connection_info info = info_of(*connection, session, true);
        active_.handler.opened(active_.handler.user, &info);
    }
    log_.info("client edge handed over",
              {{"plugin", active_.plugin_name}, {"connections", std::to_string(open.size())}});
}

void Dispatcher::detach(lanchat_host_context* owner) {
    bool orphaned = false;
    {
        std::unique_lock lock(handler_mutex_);
        if (staged_.owner == owner) staged_ = {};
        if (active_.owner == owner) {
            active_ = {};
            orphaned = true;
        }
    }
    if (orphaned) close_all(kCloseGoingAway, "the gateway stopped");
}

void Dispatcher::close_all(uint16_t code, const std::string& reason) {
    std::vector<std::shared_ptr<Connection>> open;
    {
        std::lock_guard lock(connections_mutex_);
        for (const auto& [id, connection] : connections_) open.push_back(connection);
    }
    for (const auto& connection : open) connection->port->close(code, reason);
}

std::shared_ptr<Dispatcher::Connection> Dispatcher::find(lanchat_connection_id id) const {
    std::lock_guard lock(connections_mutex_);
    auto it = connections_.find(id);
    return it == connections_.end() ? nullptr : it->second;
}

lanchat_connection_info Dispatcher::info_of(Connection& connection, std::string& session_copy, bool adopted) {
    {
        std::lock_guard lock(connection.session_mutex);
        session_copy = connection.session;
    }
    lanchat_connection_info info{};
    info.struct_size = sizeof info;
    info.id = connection.id;
    info.peer_address = abi::to_str(connection.facts.peer_address);
    info.device_fingerprint = abi::to_str(connection.facts.device_fingerprint);
    info.target = abi::to_str(connection.facts.target);
    info.session = abi::to_bytes(session_copy);
    info.adopted = adopted ? LANCHAT_TRUE : LANCHAT_FALSE;
    return info;
}

lanchat_status_code Dispatcher::send(lanchat_connection_id id, std::string_view text) {
    std::shared_ptr<Connection> connection = find(id);
    if (!connection) return LANCHAT_NOT_FOUND;
    return connection->port->send(std::make_shared<const std::string>(text));
}

lanchat_status_code Dispatcher::send_many(std::span<const lanchat_connection_id> ids, std::string_view text,
                                          std::span<lanchat_status_code> results) {
    std::vector<std::shared_ptr<Connection>> found(ids.size());
    {
        std::lock_guard lock(connections_mutex_);  // once for the whole room, not once per member
        for (size_t i = 0; i < ids.size(); ++i) {
            if (auto it = connections_.find(ids[i]); it != connections_.end()) found[i] = it->second;
        }
    }
    Payload payload = std::make_shared<const std::string>(text);
    lanchat_status_code first_failure = LANCHAT_OK;
    for (size_t i = 0; i < found.size(); ++i) {
        lanchat_status_code outcome = found[i] ? found[i]->port->send(payload) : LANCHAT_NOT_FOUND;
        if (!results.empty()) results[i] = outcome;
        if (first_failure == LANCHAT_OK) first_failure = outcome;
    }
    return first_failure;
}

lanchat_status_code Dispatcher::set_session(lanchat_connection_id id, std::string_view session) {
    std::shared_ptr<Connection> connection = find(id);
    if (!connection) return LANCHAT_NOT_FOUND;
    std::lock_guard lock(connection->session_mutex);
    connection->session.assign(session);
    return LANCHAT_OK;
}

void Dispatcher::close(lanchat_connection_id id, uint16_t code, std::string_view reason) {
    if (std::shared_ptr<Connection> connection = find(id)) {
        connection->port->close(code, std::string(reason.substr(0, 120)));
    }
}

bool Dispatcher::has_handler() const {
    std::shared_lock lock(handler_mutex_);
    return active_.owner != nullptr;
}

lanchat_connection_id Dispatcher::opened(std::shared_ptr<ConnectionPort> port, ConnectionFacts facts) {
    std::shared_lock lock(handler_mutex_);
    if (active_.owner == nullptr) return 0;
    auto connection = std::make_shared<Connection>();
    connection->facts = std::move(facts);
    connection->port = std::move(port);
    {
        std::lock_guard connections(connections_mutex_);
        connection->id = next_id_++;
        connections_.emplace(connection->id, connection);
    }
    std::string session;
    lanchat_connection_info info = info_of(*connection, session, false);
    active_.handler.opened(active_.handler.user, &info);
    return connection->id;
}

void Dispatcher::message(lanchat_connection_id id, std::string_view text) {
    std::shared_ptr<Connection> connection = find(id);
    if (!connection) return;
    std::shared_lock lock(handler_mutex_);
    if (active_.owner == nullptr) return;  // detached without a successor: the connection is being closed
    std::string session;
    lanchat_connection_info info = info_of(*connection, session, false);
    active_.handler.message(active_.handler.user, &info, abi::to_str(text));
}

void Dispatcher::closed(lanchat_connection_id id, uint16_t code, std::string_view reason) {
    {
        std::lock_guard lock(connections_mutex_);
        if (connections_.erase(id) == 0) return;
    }
    std::shared_lock lock(handler_mutex_);
    if (active_.owner != nullptr) active_.handler.closed(active_.handler.user, id, code, abi::to_str(reason));
}

abi::HttpAnswer Dispatcher::http(const abi::HttpRequest& request) {
    std::shared_lock lock(handler_mutex_);
    if (active_.owner == nullptr) {
        abi::HttpAnswer unavailable;
        unavailable.status = 503;
        unavailable.body = "no gateway plugin is running on this node; try again later\n";
        return unavailable;
    }
    if (active_.handler.http == nullptr) {
        abi::HttpAnswer not_found;
        not_found.status = 404;
        return not_found;
    }
    return abi::exchange_http(active_.handler, request);
}

size_t Dispatcher::connection_count() const {
    std::lock_guard lock(connections_mutex_);
    return connections_.size();
}

}  // namespace lanchat::host::edge
