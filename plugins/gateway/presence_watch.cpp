// presence.watch and presence.unwatch. A user may watch only the users who share at least one channel with
// them (public, private or direct), and themselves: Channel answers that for every new user of a request in
// one CoMembers call. A connection's watched set grows with each watch up to `max_watched_users`; the users refused
// are named in the answer with the reason. The whole set is one Presence stream, opened again when the set
// changes; the connection is sent a user's presence only when it differs from what it was sent last.
#include <algorithm>

#include "gateway_service.hpp"

namespace lanchat::gateway {
namespace {

namespace channel_v1 = channel::v1;
namespace presence_v1 = presence::v1;

size_t digest(const json& presence) { return std::hash<std::string>{}(presence.dump()); }

json refusal(const std::string& user_id, const char* reason) { return {{"user_id", user_id}, {"reason", reason}}; }

}  // namespace

// What a watch request is answered with once the new stream has told the present state of its users. The
// stream outlives the request, so the answer holds the request in flight only until it is given.
struct GatewayService::WatchAnswer {
    std::shared_ptr<Session> session;
    std::string request_id;
    sdk::Gate::Holder in_flight;
    std::set<std::string> users;  // the request's users that are watched now
    json refused = json::array();

    std::mutex mutex;
    size_t expected = 0;  // the stream's first messages: one for each watched user
    size_t seen = 0;
    json presences = json::array();
    bool answered = false;

    ClientRequest take() {
        answered = true;
        return ClientRequest{session, request_id, std::move(in_flight), {}};
    }
};

void GatewayService::on_presence_watch(const ClientRequest& client, const Fields& fields) {
    std::vector<std::string> asked = fields.id_list("user_ids", kMaxWatched);
    std::sort(asked.begin(), asked.end());
    asked.erase(std::unique(asked.begin(), asked.end()), asked.end());
    const std::string user_id = client.session->user();
    channel_v1::CoMembersRequest request;
    request.set_user_id(user_id);
    {
        std::lock_guard lock(client.session->mutex);
        for (const std::string& id : asked) {
            if (id != user_id && client.session->watch.users.count(id) == 0) request.add_user_ids(id);
        }
    }
    if (request.user_ids().empty()) return add_watched(client, user_id, asked, {});
    call<channel_v1::CoMembersRequest, channel_v1::CoMembersReply>(
        client, "channel", "CoMembers", request,
        [this, client, user_id, asked](const channel_v1::CoMembersReply& reply) {
            add_watched(client, user_id, asked, {reply.user_ids().begin(), reply.user_ids().end()});
        });
}

void GatewayService::add_watched(const ClientRequest& client, const std::string& user_id,
                                 const std::vector<std::string>& asked, const std::set<std::string>& co_members) {
    Session& session = *client.session;
    auto answer = std::make_shared<WatchAnswer>();
    {
        std::lock_guard lock(session.mutex);
        if (session.user_id != user_id) {
            return refuse(client, "unavailable", "the connection authenticated again while the watch was checked");
        }
        PresenceWatch& watch = session.watch;
        for (const std::string& id : asked) {
            if (watch.users.count(id) == 0) {
                if (id != user_id && co_members.count(id) == 0) {
                    answer->refused.push_back(refusal(id, "no_shared_channel"));
                    continue;
                }
                if (watch.users.size() >= limits_.max_watched) {
                    answer->refused.push_back(refusal(id, "watch_full"));
                    continue;
                }
                watch.users.emplace(id, 0);
            }
            answer->users.insert(id);
        }
    }
    answer->session = client.session;
    answer->request_id = client.id;
    answer->in_flight = client.in_flight;
    restart_watch(client.session, std::move(answer));
}

void GatewayService::on_presence_unwatch(const ClientRequest& client, const Fields& fields) {
    bool changed = false;
    {
        std::lock_guard lock(client.session->mutex);
        for (const std::string& id : fields.id_list("user_ids", kMaxWatched)) {
            changed = client.session->watch.users.erase(id) != 0 || changed;
        }
    }
    if (changed) restart_watch(client.session, nullptr);
    reply(client, json::object());
}

void GatewayService::restart_watch(const std::shared_ptr<Session>& session, std::shared_ptr<WatchAnswer> answer) {
    presence_v1::WatchRequest request;
    lanchat_rpc_stream_id previous;
    uint64_t generation;
    {
        std::lock_guard lock(session->mutex);
        for (const auto& [id, sent] : session->watch.users) request.add_user_ids(id);
        previous = std::exchange(session->watch.stream, 0);
        generation = ++session->watch.generation;
    }
    if (previous != 0) rpc_.cancel(previous);
    if (answer == nullptr) answer = std::make_shared<WatchAnswer>();  // nobody waits: it only counts
    answer->expected = static_cast<size_t>(request.user_ids_size());
    auto give = [this](const std::shared_ptr<WatchAnswer>& answer) {
        ClientRequest client;
        json result;
        {
            std::lock_guard lock(answer->mutex);
            if (answer->answered || answer->session == nullptr) return;
            result = {{"users", std::move(answer->presences)}, {"refused", std::move(answer->refused)}};
            client = answer->take();
        }
        reply(client, std::move(result));
    };
    if (answer->expected == 0) return give(answer);
    sdk::Result<sdk::CallOptions> how = call_options("presence", "Watch", std::chrono::milliseconds{0}, false);
    if (!how.ok()) {
        std::lock_guard lock(answer->mutex);
        if (answer->session != nullptr && !answer->answered) fail(answer->take(), how.status());
        return;
    }
    lanchat_rpc_stream_id started = rpc_.call_stream<presence_v1::WatchRequest, presence_v1::PresenceInfo>(
        *how, request,
        [this, session, generation, answer, give](presence_v1::PresenceInfo info) {
            json presence = presence_json(info);
            bool changed;
            {
                std::lock_guard lock(session->mutex);
                auto user = session->watch.users.find(info.user_id());
                if (session->watch.generation != generation || user == session->watch.users.end()) return;
                const size_t now = digest(presence);
                changed = std::exchange(user->second, now) != now;
            }
            bool initial, complete = false;
            {
                std::lock_guard lock(answer->mutex);
                initial = answer->seen < answer->expected;
                if (initial) complete = ++answer->seen == answer->expected;
                if (initial && answer->users.count(info.user_id()) != 0) {
                    answer->presences.push_back(std::move(presence));
                    changed = false;  // it is in the answer
                }
            }
            if (changed) {
                presence["type"] = "presence";
                push(session->id, presence.dump());
            }
            if (complete) give(answer);
        },
        [this, answer](sdk::Status ended) {
            ClientRequest client;
            {
                std::lock_guard lock(answer->mutex);
                if (answer->answered || answer->session == nullptr) return;
                client = answer->take();
            }
            fail(client, ended.ok() ? sdk::Status(sdk::Code::unavailable, "presence watch ended") : ended);
        });
    {
        std::lock_guard lock(session->mutex);
        if (session->watch.generation == generation) {
            session->watch.stream = started;
            return;
        }
    }
    rpc_.cancel(started);  // a later watch, or the connection's end, replaced it already
}

}  // namespace lanchat::gateway
