// Presence: this gateway is one Presence device per connected user, however many connections the user has
// here (heartbeats scale with people, not with their tabs); and the presence.set and presence.watch
// requests.
#include "gateway_service.hpp"

#include <algorithm>

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

void GatewayService::on_presence_watch(const ClientRequest& client, const Fields& fields) {
    const std::shared_ptr<Session>& session = client.session;
    presence_v1::WatchRequest request;
    std::vector<std::string> ids = fields.id_list("user_ids", 1000);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());  // Presence answers each user once
    for (std::string& user : ids) request.add_user_ids(std::move(user));
    lanchat_rpc_stream_id previous;
    {
        std::lock_guard lock(session->mutex);
        previous = std::exchange(session->presence_watch, 0);
    }
    if (previous != 0) rpc_.cancel(previous);
    // The stream's first messages are the current state of each user: they make up the answer; later ones
    // are pushed as they come. The stream outlives the request, so the watch holds the request in flight
    // only until it is answered.
    struct Watch {
        std::mutex mutex;
        size_t expected = 0;
        json initial = json::array();
        bool answered = false;
        sdk::Gate::Holder in_flight;
    };
    auto watch = std::make_shared<Watch>();
    watch->expected = static_cast<size_t>(request.user_ids_size());
    auto answer = [this, session, id = client.id, watch] {
        json users;
        sdk::Gate::Holder answering;
        {
            std::lock_guard lock(watch->mutex);
            if (watch->answered) return;
            watch->answered = true;
            users = std::move(watch->initial);
            answering = std::move(watch->in_flight);
        }
        reply(ClientRequest{session, id, std::move(answering), {}}, {{"users", users}});
    };
    if (watch->expected == 0) return answer();
    watch->in_flight = client.in_flight;
    sdk::Result<sdk::CallOptions> how = call_options("presence", "Watch", std::chrono::milliseconds{0}, false);
    if (!how.ok()) return fail(client, how.status());
    lanchat_rpc_stream_id started = rpc_.call_stream<presence_v1::WatchRequest, presence_v1::PresenceInfo>(
        *how, request,
        [this, session, watch, answer](presence_v1::PresenceInfo info) {
            bool initial;
            {
                std::lock_guard lock(watch->mutex);
                initial = !watch->answered;
                if (initial) watch->initial.push_back(presence_json(info));
                if (initial && watch->initial.size() < watch->expected) return;
            }
            if (initial) return answer();
            json frame = presence_json(info);
            frame["type"] = "presence";
            push(session->id, frame.dump());
        },
        [this, session, id = client.id, watch](sdk::Status ended) {
            bool unanswered;
            sdk::Gate::Holder answering;
            {
                std::lock_guard lock(watch->mutex);
                unanswered = !watch->answered;
                watch->answered = true;
                answering = std::move(watch->in_flight);
            }
            if (unanswered) {
                fail(ClientRequest{session, id, std::move(answering), {}},
                     ended.ok() ? sdk::Status(sdk::Code::unavailable, "presence watch ended") : ended);
            }
        });
    std::lock_guard lock(session->mutex);
    session->presence_watch = started;
}

}  // namespace lanchat::gateway
