// Presence: this gateway is one Presence device per connected user, however many connections the user has
// here (heartbeats scale with people, not with their tabs); and the presence.set request (watches:
// presence_watch.cpp).
#include "gateway_service.hpp"

namespace lanchat::gateway {

namespace presence_v1 = presence::v1;

bool GatewayService::count_user(const std::string& user_id, int change) {
    std::lock_guard lock(mutex_);
    const int count = local_users_[user_id] += change;
    if (count <= 0) local_users_.erase(user_id);  // `count` is a copy: the entry it came from is gone now
    return change > 0 ? count == 1 : count <= 0;
}

template <class Request>
void GatewayService::tell_presence(const char* method, const Request& request) {
    sdk::Result<sdk::CallOptions> how = options("presence", method, true);
    if (!how.ok()) return log_.error(how.status().message());
    rpc_.call<Request, presence_v1::PresenceInfo>(*how, request, [](sdk::Result<presence_v1::PresenceInfo>) {});
}

void GatewayService::heartbeat(const std::string& user_id) {
    presence_v1::HeartbeatRequest request;
    request.set_user_id(user_id);
    request.set_device_id(edge_id_);
    request.set_edge_id(edge_id_);
    tell_presence("Heartbeat", request);
}

void GatewayService::disconnect(const std::string& user_id) {
    presence_v1::DisconnectRequest request;
    request.set_user_id(user_id);
    request.set_device_id(edge_id_);
    tell_presence("Disconnect", request);
}

void GatewayService::send_heartbeats() {
    const unsigned slice = heartbeat_slice_++ % kSpreadSlices;
    std::vector<std::string> users;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [user, count] : local_users_) {
            if (std::hash<std::string>{}(user) % kSpreadSlices == slice) users.push_back(user);
        }
    }
    for (const std::string& user : users) heartbeat(user);
}

void GatewayService::on_presence_set(const ClientRequest& client, const Fields& fields) {
    std::string status = fields.text("status", 16);
    presence_v1::SetStatusRequest request;
    request.set_user_id(client.session->user());
    if (status == "online") {
        request.set_status(presence_v1::ONLINE);
    } else if (status == "away") {
        request.set_status(presence_v1::AWAY);
    } else if (status == "dnd") {
        request.set_status(presence_v1::DO_NOT_DISTURB);
    } else {
        throw Refusal("bad_request", "field 'status' must be \"online\", \"away\" or \"dnd\"");
    }
    request.set_status_text(fields.text("text", kMaxText, false));
    call<presence_v1::SetStatusRequest, presence_v1::PresenceInfo>(
        client, "presence", "SetStatus", request, [this, client](const presence_v1::PresenceInfo& info) {
            reply(client, {{"presence", presence_json(info)}});
        });
}

}  // namespace lanchat::gateway
