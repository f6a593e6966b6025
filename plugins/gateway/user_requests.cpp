// User requests: users.get (several ids, one Identity call each) and users.find (by username).
#include "gateway_service.hpp"

namespace lanchat::gateway {

namespace identity_v1 = identity::v1;

void GatewayService::on_users_get(const ClientRequest& client, const Fields& fields) {
    std::vector<std::string> ids = fields.id_list("user_ids", 100);
    struct Gather {
        std::mutex mutex;
        size_t waiting = 0;
        json users = json::array();
    };
    auto gather = std::make_shared<Gather>();
    gather->waiting = ids.size();
    if (ids.empty()) return reply(client, {{"users", json::array()}});
    sdk::Result<sdk::CallOptions> how = options("identity", "GetUser", true);
    if (!how.ok()) return fail(client, how.status());
    for (const std::string& user_id : ids) {
        identity_v1::GetUserRequest request;
        request.set_id(user_id);
        // Each call holds the request in flight: the drain waits for the last answer.
        rpc_.call<identity_v1::GetUserRequest, identity_v1::User>(
            *how, request, [this, client, gather](sdk::Result<identity_v1::User> user) {
                json users;
                {
                    std::lock_guard lock(gather->mutex);
                    if (user.ok()) gather->users.push_back(user_json(*user));  // unknown ids are left out
                    if (--gather->waiting > 0) return;
                    users = std::move(gather->users);
                }
                reply(client, {{"users", users}});
            });
    }
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
