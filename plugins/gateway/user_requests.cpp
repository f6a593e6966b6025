// User requests: users.get (several ids, one Identity call each) and users.find (by username).
#include "gateway_service.hpp"

#include <algorithm>
#include <optional>

namespace lanchat::gateway {

namespace identity_v1 = identity::v1;

namespace {

constexpr size_t kMaxUsersPerGet = 100;
// GetUser calls one users.get has in flight at once: with the connection's bound on requests in flight,
// one client never has more than max_requests_in_flight times this many calls in Identity.
constexpr size_t kUserCallsAtOnce = 4;

}  // namespace

// The ids are asked for a few at a time: each answer starts the next call, the last one answers the client.
struct GatewayService::UsersGather {
    std::mutex mutex;
    std::vector<std::string> ids;
    size_t next = 0;
    size_t answered = 0;
    json users = json::array();
};

void GatewayService::on_users_get(const ClientRequest& client, const Fields& fields) {
    auto gather = std::make_shared<UsersGather>();
    gather->ids = fields.id_list("user_ids", kMaxUsersPerGet);
    if (gather->ids.empty()) return reply(client, {{"users", json::array()}});
    sdk::Result<sdk::CallOptions> how = options("identity", "GetUser", true);
    if (!how.ok()) return fail(client, how.status());
    size_t first_calls = std::min(kUserCallsAtOnce, gather->ids.size());
    gather->next = first_calls;
    for (size_t i = 0; i < first_calls; ++i) get_user(client, *how, gather, gather->ids[i]);
}

void GatewayService::get_user(const ClientRequest& client, const sdk::CallOptions& how,
                              const std::shared_ptr<UsersGather>& gather, const std::string& user_id) {
    identity_v1::GetUserRequest request;
    request.set_id(user_id);
    // Each call holds the request in flight: the drain waits for the last answer.
    rpc_.call<identity_v1::GetUserRequest, identity_v1::User>(
        how, request, [this, client, how, gather](sdk::Result<identity_v1::User> user) {
            std::optional<std::string> next_id;
            json users;
            {
                std::lock_guard lock(gather->mutex);
                if (user.ok()) gather->users.push_back(user_json(*user));  // unknown ids are left out
                ++gather->answered;
                if (gather->next < gather->ids.size()) next_id = gather->ids[gather->next++];
                if (gather->answered == gather->ids.size()) users = std::move(gather->users);
            }
            if (next_id) return get_user(client, how, gather, *next_id);
            if (!users.is_null()) reply(client, {{"users", users}});
        });
}

void GatewayService::on_users_find(const ClientRequest& client, const Fields& fields) {
    identity_v1::LookupUserRequest request;
    request.set_username(fields.text("username", kMaxName));
    call<identity_v1::LookupUserRequest, identity_v1::User>(client, "identity", "LookupUser", request,
                                                            [this, client](const identity_v1::User& user) {
                                                                reply(client, {{"user", user_json(user)}});
                                                            });
}

}  // namespace lanchat::gateway
