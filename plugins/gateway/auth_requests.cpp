// Requests before and around authentication: auth (token, password or refresh), register (throttled per
// address), ping, logout (which revokes the session's token); and a connection taken over from a
// predecessor, whose user the host kept.
#include "gateway_service.hpp"

#include "clock.hpp"
#include "lanchat/auth/v1/auth.pb.h"

namespace lanchat::gateway {
namespace {

namespace auth_v1 = auth::v1;
namespace identity_v1 = identity::v1;

std::vector<std::string> roles_of(const json& claims) {
    std::vector<std::string> roles;
    if (claims.contains("roles")) roles = claims["roles"].get<std::vector<std::string>>();
    return roles;
}

json claims_json(const auth_v1::Claims& claims) {
    return {{"id", claims.subject()},
            {"username", claims.username()},
            {"roles", std::vector<std::string>(claims.roles().begin(), claims.roles().end())},
            {"expires_ms", claims.expires_unix_s() * 1000},
            {"token_id", claims.token_id()},
            {"device", claims.device()}};
}

}  // namespace

void GatewayService::on_ping(const ClientRequest& client, const Fields&) { reply(client, json::object()); }

void GatewayService::on_auth(const ClientRequest& client, const Fields& fields) {
    const std::shared_ptr<Session>& session = client.session;
    auto token = fields.optional_text("token", kMaxToken);
    auto refresh = fields.optional_text("refresh_token", kMaxToken);
    auto username = fields.optional_text("username", kMaxName);
    auth_v1::ClientContext origin;
    origin.set_device_fingerprint(session->device_fingerprint);
    origin.set_source(address_of(session->peer_address));
    if (token) {
        auth_v1::ValidateRequest request;
        request.set_access_token(*token);
        request.set_device_fingerprint(session->device_fingerprint);
        return call<auth_v1::ValidateRequest, auth_v1::ValidateReply>(
            client, "auth", "Validate", request,
            [this, client](const auth_v1::ValidateReply& reply) {
                json claims = claims_json(reply.claims());
                authenticated(client, {{"access_expires_unix_ms", claims["expires_ms"]}}, claims);
            },
            "auth");
    }
    auto login_reply = [this, client](const auth_v1::LoginReply& reply) {
        json result = {{"access_token", reply.access_token()},
                       {"access_expires_unix_ms", reply.access_expires_unix_ms()},
                       {"refresh_token", reply.refresh_token()},
                       {"refresh_expires_unix_ms", reply.refresh_expires_unix_ms()}};
        authenticated(client, std::move(result), claims_json(reply.claims()));
    };
    if (refresh) {
        auth_v1::RefreshRequest request;
        request.set_refresh_token(*refresh);
        *request.mutable_client() = origin;
        return call<auth_v1::RefreshRequest, auth_v1::LoginReply>(client, "auth", "Refresh", request, login_reply,
                                                                  "auth", false);
    }
    if (!username) throw Refusal("bad_request", "auth needs 'token', 'refresh_token', or 'username' and 'password'");
    auth_v1::LoginRequest request;
    request.set_username(*username);
    request.set_password(fields.text("password", kMaxSecret));
    *request.mutable_client() = origin;
    call<auth_v1::LoginRequest, auth_v1::LoginReply>(client, "auth", "Login", request, login_reply, "auth", false);
}

void GatewayService::on_register(const ClientRequest& client, const Fields& fields) {
    if (!limits_.allow_registration) {
        throw Refusal("registration_closed", "this node does not let people create accounts; ask an operator");
    }
    // Each registration costs Identity an Argon2id hash: a few per minute per host is plenty for people.
    if (!registrations_.try_take(address_of(client.session->peer_address), plugin_support::unix_ms_now())) {
        throw Refusal("rate_limited", "too many registrations from this address; try again in " +
                                          std::to_string(registrations_.retry_after_seconds()) + " s");
    }
    identity_v1::CreateUserRequest request;
    request.set_username(fields.text("username", kMaxName));
    request.set_password(fields.text("password", kMaxSecret));
    request.set_display_name(fields.text("display_name", kMaxName, false));
    request.set_role(identity_v1::ROLE_MEMBER);
    std::string username = request.username(), password = request.password();
    call<identity_v1::CreateUserRequest, identity_v1::User>(
        client, "identity", "CreateUser", request,
        [this, client, username, password](const identity_v1::User&) {
            json login = {{"type", "auth"}, {"username", username}, {"password", password}};
            on_auth(client, Fields(login));  // still the same request: a drain waits for the login too
        },
        {}, false);
}

void GatewayService::authenticated(const ClientRequest& client, json result, const json& claims) {
    Session& session = *client.session;
    bool first = false, left_previous = false;
    std::string previous;
    {
        std::lock_guard lock(session.mutex);
        if (!session.open) return;
        if (session.authenticated && session.user_id != claims["id"]) previous = session.user_id;
        if (!previous.empty()) left_previous = count_user(previous, -1);
        if (!session.authenticated || !previous.empty()) first = count_user(claims["id"], +1);
        session.authenticated = true;
        session.user_id = claims["id"];
        session.username = claims["username"];
        session.roles = roles_of(claims);
        session.expires_ms = claims["expires_ms"];
        session.token_id = claims.value("token_id", "");
        session.token_device = claims.value("device", "");
    }
    // Kept with the host, so a reloaded gateway still knows who this connection is.
    edge_.set_session(session.id, claims.dump());
    if (!previous.empty()) end_streams(session);
    if (left_previous) disconnect(previous);
    if (first) heartbeat(claims["id"]);
    result["user"] = {{"id", claims["id"]}, {"username", claims["username"]}, {"roles", claims["roles"]}};
    reply(client, std::move(result));
}

void GatewayService::restore(const std::shared_ptr<Session>& session, std::string_view stored) {
    if (stored.empty()) return;
    json saved = json::parse(stored, nullptr, false);
    if (!saved.is_object() || !saved.contains("id")) return;
    bool first;
    {
        std::lock_guard lock(session->mutex);
        if (!session->open || session->authenticated) return;
        session->authenticated = true;
        session->user_id = saved.value("id", "");
        session->username = saved.value("username", "");
        session->roles = roles_of(saved);
        session->expires_ms = saved.value("expires_ms", int64_t{0});
        session->token_id = saved.value("token_id", "");
        session->token_device = saved.value("device", "");
        first = count_user(session->user_id, +1);  // under the session's lock: closed() cannot slip between
    }
    if (first) heartbeat(session->user_id);
}

// The session's access token is revoked whether or not the client sends its refresh token: once logged out,
// the token opens no other connection.
void GatewayService::on_logout(const ClientRequest& client, const Fields& fields) {
    auto refresh = fields.optional_text("refresh_token", kMaxToken);
    auto finish = [this, client] {
        reply(client, json::object());
        edge_.close(client.session->id, kCloseNormal, "logged out");
    };
    auth_v1::LogoutRequest request;
    *request.mutable_session() = client.session->auth_session();
    if (refresh) request.set_refresh_token(*refresh);
    if (!refresh && request.session().token_id().empty()) return finish();  // restored from an older gateway
    call<auth_v1::LogoutRequest, auth_v1::LogoutReply>(
        client, "auth", "Logout", request, [finish](const auth_v1::LogoutReply&) { finish(); }, "auth");
}

}  // namespace lanchat::gateway
