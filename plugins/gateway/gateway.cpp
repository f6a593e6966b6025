#include "gateway.hpp"

#include <algorithm>
#include <optional>

#include "clock.hpp"
#include "lanchat/auth/v1/auth.pb.h"
#include "lanchat/router/v1/router.pb.h"

namespace lanchat::gateway {

using sdk::Code;
using sdk::Status;
namespace auth_v1 = auth::v1;
namespace channel_v1 = channel::v1;
namespace identity_v1 = identity::v1;
namespace presence_v1 = presence::v1;
namespace router_v1 = router::v1;

namespace {

constexpr size_t kMaxName = 64, kMaxSecret = 4096, kMaxToken = 8192, kMaxText = 1024, kMaxId = 64;
constexpr uint16_t kCloseNormal = 1000, kCloseAuthTimeout = 4001, kCloseTokenExpired = 4003, kCloseFlood = 4029;

const char* full_method(const char* service) {
    if (std::string_view(service) == "auth") return "/lanchat.auth.v1.Auth/";
    if (std::string_view(service) == "identity") return "/lanchat.identity.v1.Identity/";
    if (std::string_view(service) == "channel") return "/lanchat.channel.v1.Channel/";
    if (std::string_view(service) == "router") return "/lanchat.router.v1.Router/";
    return "/lanchat.presence.v1.Presence/";
}

// Streams have no deadline: a subscription or a watch lives as long as its connection. The first message
// answers the request at once, and a service that cannot be reached fails the call just as fast.
sdk::CallOptions stream_options(const char* service, const std::string& method) {
    return {service, full_method(service) + method, std::chrono::milliseconds{0}, false, nullptr};
}

std::vector<std::string> roles_of(const json& claims) {
    std::vector<std::string> roles;
    if (claims.contains("roles")) roles = claims["roles"].get<std::vector<std::string>>();
    return roles;
}

json claims_json(const auth_v1::Claims& claims) {
    return {{"id", claims.subject()}, {"username", claims.username()},
            {"roles", std::vector<std::string>(claims.roles().begin(), claims.roles().end())},
            {"expires_ms", claims.expires_unix_s() * 1000}};
}

}  // namespace

sdk::CallOptions Gateway::options(const char* service, const std::string& method, bool idempotent) const {
    return {service, full_method(service) + method, limits_.call_timeout, idempotent, nullptr};
}

// The Router's first item (an empty delivery, or a message that overtook it) means the subscription is
// registered: only then is the client answered, so a refusal reaches it as the answer to its subscribe.
struct Gateway::Subscription {
    std::mutex mutex;
    std::string request_id;
    bool accepted = false;
    bool ended = false;
    lanchat_rpc_stream_id stream = 0;
};

// One connection. The mutex guards everything below it: callbacks from the host's edge threads, RPC answers
// and timers all reach it.
struct Gateway::Session {
    sdk::ConnectionId id = 0;
    std::string peer_address;
    std::string device_fingerprint;
    int64_t opened_ms = 0;

    std::mutex mutex;
    bool open = true;
    bool authenticated = false;
    std::string user_id, username;
    std::vector<std::string> roles;
    int64_t expires_ms = 0;
    double tokens = 0;
    int64_t refilled_ms = 0;
    int refused_in_a_row = 0;
    std::shared_ptr<Subscription> subscription;  // the current Router subscription, if any
    lanchat_rpc_stream_id presence_watch = 0;

    channel_v1::Actor actor() {
        std::lock_guard lock(mutex);
        channel_v1::Actor actor;
        actor.set_user_id(user_id);
        for (const std::string& role : roles) actor.add_roles(role);
        return actor;
    }
    std::string user() {
        std::lock_guard lock(mutex);
        return user_id;
    }
};

Gateway::Gateway(sdk::Rpc& rpc, sdk::ClientEdge& edge, const sdk::Logger& log, sdk::Metrics& metrics,
                 GatewayLimits limits, std::string edge_id)
    : rpc_(rpc), edge_(edge), log_(log), limits_(limits), edge_id_(std::move(edge_id)) {
    requests_ = sdk::value_or_throw(metrics.counter("requests_total", "Client requests by type.", {"type"}));
    refusals_ = sdk::value_or_throw(
        metrics.counter("refusals_total", "Client requests refused, by protocol error code.", {"code"}));
    sessions_gauge_ = sdk::value_or_throw(metrics.gauge("sessions", "Open client sessions (authenticated or not)."));
}

Gateway::~Gateway() = default;

// --- connections ---

std::shared_ptr<Gateway::Session> Gateway::add_session(const sdk::Connection& connection) {
    auto session = std::make_shared<Session>();
    session->id = connection.id;
    session->peer_address = connection.peer_address;
    session->device_fingerprint = connection.device_fingerprint;
    session->opened_ms = plugin_support::unix_ms_now();
    session->tokens = limits_.burst;
    session->refilled_ms = session->opened_ms;
    std::lock_guard lock(mutex_);
    sessions_[connection.id] = session;
    sessions_gauge_.set(static_cast<double>(sessions_.size()));
    return session;
}

std::shared_ptr<Gateway::Session> Gateway::session(sdk::ConnectionId id) const {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(id);
    return it == sessions_.end() ? nullptr : it->second;
}

void Gateway::opened(const sdk::Connection& connection) {
    auto session = add_session(connection);
    if (connection.adopted) {
        // A predecessor served this connection: who it is comes from the host; deliveries restart when the
        // client subscribes again with its positions.
        restore(session, connection.session);
        if (session->authenticated) push(connection.id, json{{"type", "resubscribe"}}.dump());
        return;
    }
    json hello = {{"type", "hello"},
                  {"protocol", kProtocolVersion},
                  {"server", "lanchat 0.1.0"},
                  {"limits",
                   {{"max_body_bytes", limits_.max_body_bytes},
                    {"rate_per_second", limits_.rate_per_second},
                    {"burst", limits_.burst},
                    {"auth_timeout_ms", limits_.auth_timeout.count()}}}};
    push(connection.id, hello.dump());
}

void Gateway::restore(const std::shared_ptr<Session>& session, std::string_view stored) {
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
        first = count_user(session->user_id, +1);  // under the session's lock: closed() cannot slip between
    }
    if (first) heartbeat(session->user_id);
}

void Gateway::closed(sdk::ConnectionId id, uint16_t, std::string_view) {
    std::shared_ptr<Session> gone;
    {
        std::lock_guard lock(mutex_);
        auto it = sessions_.find(id);
        if (it == sessions_.end()) return;
        gone = it->second;
        sessions_.erase(it);
        sessions_gauge_.set(static_cast<double>(sessions_.size()));
    }
    end_streams(*gone);
    std::string last_of_user;
    {
        std::lock_guard lock(gone->mutex);
        gone->open = false;
        if (gone->authenticated && count_user(gone->user_id, -1)) last_of_user = gone->user_id;
    }
    if (!last_of_user.empty()) disconnect(last_of_user);
}

void Gateway::end_deliveries(Session& session) {
    std::shared_ptr<Subscription> subscription;
    {
        std::lock_guard lock(session.mutex);
        subscription = std::move(session.subscription);
    }
    if (!subscription) return;
    lanchat_rpc_stream_id stream;
    {
        std::lock_guard lock(subscription->mutex);
        stream = subscription->stream;
    }
    if (stream != 0) rpc_.cancel(stream);
}

void Gateway::end_streams(Session& session) {
    end_deliveries(session);
    lanchat_rpc_stream_id watch;
    {
        std::lock_guard lock(session.mutex);
        watch = std::exchange(session.presence_watch, 0);
    }
    if (watch != 0) rpc_.cancel(watch);
}

void Gateway::cancel_streams() {
    std::vector<std::shared_ptr<Session>> all;
    {
        std::lock_guard lock(mutex_);
        for (auto& [id, session] : sessions_) all.push_back(session);
    }
    for (auto& session : all) end_streams(*session);
}

// --- frames in and out ---

void Gateway::push(sdk::ConnectionId id, const std::string& frame) { edge_.send(id, frame); }

void Gateway::reply(const std::shared_ptr<Session>& session, const std::string& id, json result) {
    push(session->id, ok_frame(id, std::move(result)));
}

void Gateway::refuse(const std::shared_ptr<Session>& session, const std::string& id, const std::string& code,
                     const std::string& message) {
    refusals_.add(1, {code});
    push(session->id, error_frame(id, code, message));
}

void Gateway::fail(const std::shared_ptr<Session>& session, const std::string& id, const Status& status,
                   const std::string& context) {
    refuse(session, id, error_code_of(status, context), status.message());
}

bool Gateway::take_token(Session& session) {
    std::lock_guard lock(session.mutex);
    int64_t now = plugin_support::unix_ms_now();
    session.tokens = std::min(limits_.burst, session.tokens + (now - session.refilled_ms) * limits_.rate_per_second / 1000.0);
    session.refilled_ms = now;
    if (session.tokens < 1) {
        ++session.refused_in_a_row;
        return false;
    }
    session.tokens -= 1;
    session.refused_in_a_row = 0;
    return true;
}

void Gateway::message(const sdk::Connection& connection, std::string_view text) {
    std::shared_ptr<Session> session = this->session(connection.id);
    if (!session) return;
    // A predecessor may have authenticated this connection after handing it over (its answer was in flight).
    if (!connection.session.empty()) restore(session, connection.session);
    std::string request_id;
    std::optional<json> frame;
    std::optional<Refusal> refused;
    try {
        frame = parse_frame(text, request_id);
    } catch (const Refusal& refusal) {
        refused = refusal;
    }
    if (!take_token(*session)) return rate_limited(session, request_id);  // every frame costs one, parsed or not
    if (refused) return refuse(session, request_id, refused->code, refused->what());
    try {
        dispatch(session, request_id, *frame);
    } catch (const Refusal& refusal) {
        refuse(session, request_id, refusal.code, refusal.what());
    } catch (const std::exception& error) {  // a JSON type error in a handler: a malformed field
        refuse(session, request_id, "bad_request", error.what());
    }
}

void Gateway::rate_limited(const std::shared_ptr<Session>& session, const std::string& request_id) {
    int refused;
    {
        std::lock_guard lock(session->mutex);
        refused = session->refused_in_a_row;
    }
    // A client that ignores rate_limited answers for a whole burst is flooding: it goes.
    if (refused > limits_.burst) {
        refusals_.add(1, {"flood"});
        edge_.close(session->id, kCloseFlood, "kept sending past the rate limit");
        return;
    }
    refuse(session, request_id, "rate_limited",
           "over " + std::to_string(static_cast<int>(limits_.rate_per_second)) + " requests per second");
}

const std::map<std::string, Gateway::Handler>& Gateway::handlers() {
    static const std::map<std::string, Handler> table = {
        {"auth", &Gateway::on_auth},
        {"register", &Gateway::on_register},
        {"ping", &Gateway::on_ping},
        {"subscribe", &Gateway::on_subscribe},
        {"channels.list", &Gateway::on_channels_list},
        {"channels.create", &Gateway::on_channels_create},
        {"channels.get", &Gateway::on_channels_get},
        {"channels.join", &Gateway::on_channels_join},
        {"channels.leave", &Gateway::on_channels_leave},
        {"channels.invite", &Gateway::on_channels_invite},
        {"channels.remove", &Gateway::on_channels_remove},
        {"channels.members", &Gateway::on_channels_members},
        {"direct.open", &Gateway::on_direct_open},
        {"send", &Gateway::on_send},
        {"edit", &Gateway::on_edit},
        {"delete", &Gateway::on_delete},
        {"history", &Gateway::on_history},
        {"typing", &Gateway::on_typing},
        {"presence.set", &Gateway::on_presence_set},
        {"presence.watch", &Gateway::on_presence_watch},
        {"users.get", &Gateway::on_users_get},
        {"users.find", &Gateway::on_users_find},
        {"logout", &Gateway::on_logout},
    };
    return table;
}

void Gateway::dispatch(const std::shared_ptr<Session>& session, const std::string& id, const json& frame) {
    const std::string& type = frame["type"].get_ref<const std::string&>();
    auto handler = handlers().find(type);
    if (handler == handlers().end()) {
        throw Refusal("unknown_type", "unknown request type '" + type.substr(0, 64) + "'");
    }
    requests_.add(1, {handler->first});
    bool before_auth = type == "auth" || type == "register" || type == "ping";
    bool authenticated, expired;
    {
        std::lock_guard lock(session->mutex);
        authenticated = session->authenticated;
        expired = authenticated && session->expires_ms <= plugin_support::unix_ms_now();
    }
    if (!authenticated && !before_auth) throw Refusal("not_authenticated", "authenticate first (type 'auth')");
    if (expired && type != "auth") {
        refuse(session, id, "token_expired", "the session's access token expired; authenticate again");
        edge_.close(session->id, kCloseTokenExpired, "token expired");
        return;
    }
    (this->*handler->second)(session, id, Fields(frame));
}

template <class Request, class Response>
void Gateway::call(const std::shared_ptr<Session>& session, const std::string& id, const char* service,
                   const std::string& method, const Request& request, std::function<void(const Response&)> on_reply,
                   const std::string& context, bool idempotent) {
    ++in_flight_;
    rpc_.call<Request, Response>(
        options(service, method, idempotent), request,
        [this, session, id, on_reply = std::move(on_reply), context](sdk::Result<Response> result) {
            if (result.ok()) {
                on_reply(*result);
            } else {
                fail(session, id, result.status(), context);
            }
            --in_flight_;
        });
}

// --- authentication ---

void Gateway::on_ping(const std::shared_ptr<Session>& session, const std::string& id, const Fields&) {
    reply(session, id, json::object());
}

void Gateway::on_auth(const std::shared_ptr<Session>& session, const std::string& id, const Fields& fields) {
    auto token = fields.optional_text("token", kMaxToken);
    auto refresh = fields.optional_text("refresh_token", kMaxToken);
    auto username = fields.optional_text("username", kMaxName);
    auth_v1::ClientContext client;
    client.set_device_fingerprint(session->device_fingerprint);
    client.set_source(session->peer_address);
    if (token) {
        auth_v1::ValidateRequest request;
        request.set_access_token(*token);
        request.set_device_fingerprint(session->device_fingerprint);
        return call<auth_v1::ValidateRequest, auth_v1::ValidateReply>(
            session, id, "auth", "Validate", request,
            [this, session, id](const auth_v1::ValidateReply& reply) {
                json claims = claims_json(reply.claims());
                authenticated(session, id, {{"access_expires_unix_ms", claims["expires_ms"]}}, claims);
            },
            "auth");
    }
    auto login_reply = [this, session, id](const auth_v1::LoginReply& reply) {
        json result = {{"access_token", reply.access_token()},
                       {"access_expires_unix_ms", reply.access_expires_unix_ms()},
                       {"refresh_token", reply.refresh_token()},
                       {"refresh_expires_unix_ms", reply.refresh_expires_unix_ms()}};
        authenticated(session, id, std::move(result), claims_json(reply.claims()));
    };
    if (refresh) {
        auth_v1::RefreshRequest request;
        request.set_refresh_token(*refresh);
        *request.mutable_client() = client;
        return call<auth_v1::RefreshRequest, auth_v1::LoginReply>(session, id, "auth", "Refresh", request, login_reply,
                                                                  "auth", false);
    }
    if (!username) throw Refusal("bad_request", "auth needs 'token', 'refresh_token', or 'username' and 'password'");
    auth_v1::LoginRequest request;
    request.set_username(*username);
    request.set_password(fields.text("password", kMaxSecret));
    *request.mutable_client() = client;
    call<auth_v1::LoginRequest, auth_v1::LoginReply>(session, id, "auth", "Login", request, login_reply, "auth", false);
}

void Gateway::on_register(const std::shared_ptr<Session>& session, const std::string& id, const Fields& fields) {
    if (!limits_.allow_registration) {
        throw Refusal("registration_closed", "this node does not let people create accounts; ask an operator");
    }
    identity_v1::CreateUserRequest request;
    request.set_username(fields.text("username", kMaxName));
    request.set_password(fields.text("password", kMaxSecret));
    request.set_display_name(fields.text("display_name", kMaxName, false));
    request.set_role(identity_v1::ROLE_MEMBER);
    std::string username = request.username(), password = request.password();
    call<identity_v1::CreateUserRequest, identity_v1::User>(
        session, id, "identity", "CreateUser", request,
        [this, session, id, username, password](const identity_v1::User&) {
            json login = {{"type", "auth"}, {"username", username}, {"password", password}};
            on_auth(session, id, Fields(login));
        },
        {}, false);
}

void Gateway::authenticated(const std::shared_ptr<Session>& session, const std::string& id, json result,
                            const json& claims) {
    bool first = false, left_previous = false;
    std::string previous;
    {
        std::lock_guard lock(session->mutex);
        if (!session->open) return;
        if (session->authenticated && session->user_id != claims["id"]) previous = session->user_id;
        if (!previous.empty()) left_previous = count_user(previous, -1);
        if (!session->authenticated || !previous.empty()) first = count_user(claims["id"], +1);
        session->authenticated = true;
        session->user_id = claims["id"];
        session->username = claims["username"];
        session->roles = roles_of(claims);
        session->expires_ms = claims["expires_ms"];
    }
    // Kept with the host, so a reloaded gateway still knows who this connection is.
    edge_.set_session(session->id, claims.dump());
    if (!previous.empty()) end_streams(*session);
    if (left_previous) disconnect(previous);
    if (first) heartbeat(claims["id"]);
    result["user"] = {{"id", claims["id"]}, {"username", claims["username"]}, {"roles", claims["roles"]}};
    reply(session, id, std::move(result));
}

void Gateway::on_logout(const std::shared_ptr<Session>& session, const std::string& id, const Fields& fields) {
    auto refresh = fields.optional_text("refresh_token", kMaxToken);
    auto finish = [this, session, id] {
        reply(session, id, json::object());
        edge_.close(session->id, kCloseNormal, "logged out");
    };
    if (!refresh) return finish();
    auth_v1::LogoutRequest request;
    request.set_refresh_token(*refresh);
    call<auth_v1::LogoutRequest, auth_v1::LogoutReply>(session, id, "auth", "Logout", request,
                                                       [finish](const auth_v1::LogoutReply&) { finish(); }, "auth");
}

// --- deliveries ---

void Gateway::on_subscribe(const std::shared_ptr<Session>& session, const std::string& id, const Fields& fields) {
    router_v1::SubscribeRequest request;
    request.set_user_id(session->user());
    request.set_edge_id(edge_id_);
    for (const auto& [channel, sequence] : fields.positions("resume")) (*request.mutable_resume_after())[channel] = sequence;
    end_deliveries(*session);  // a new subscribe replaces the old one, from the positions given now
    auto subscription = std::make_shared<Subscription>();
    subscription->request_id = id;
    {
        std::lock_guard lock(session->mutex);
        session->subscription = subscription;
    }
    ++in_flight_;
    lanchat_rpc_stream_id started = rpc_.call_stream<router_v1::SubscribeRequest, router_v1::Delivery>(
        stream_options("router", "Subscribe"), request,
        [this, session, subscription](router_v1::Delivery delivery) {
            accept(session, *subscription);
            if (delivery.has_message()) {
                push(session->id, message_json(delivery.message()).dump(-1, ' ', false, json::error_handler_t::replace));
            } else if (delivery.has_typing()) {
                push(session->id, json{{"type", "typing"},
                                       {"channel_id", delivery.typing().channel_id()},
                                       {"user_id", delivery.typing().user_id()}}
                                      .dump());
            }
        },
        [this, session, subscription](Status ended) { subscription_ended(session, *subscription, ended); });
    std::lock_guard lock(subscription->mutex);
    if (!subscription->ended) subscription->stream = started;  // it may have failed inside call_stream already
}

void Gateway::accept(const std::shared_ptr<Session>& session, Subscription& subscription) {
    {
        std::lock_guard lock(subscription.mutex);
        if (subscription.accepted) return;
        subscription.accepted = true;
    }
    reply(session, subscription.request_id, json::object());
    --in_flight_;
}

void Gateway::subscription_ended(const std::shared_ptr<Session>& session, Subscription& subscription, const Status& ended) {
    bool accepted;
    {
        std::lock_guard lock(subscription.mutex);
        subscription.ended = true;
        subscription.stream = 0;
        accepted = subscription.accepted;
        subscription.accepted = true;  // nothing more to answer
    }
    if (!accepted) {
        fail(session, subscription.request_id, ended.ok() ? Status(Code::unavailable, "the subscription ended") : ended);
        --in_flight_;
        return;
    }
    bool current;
    {
        std::lock_guard lock(session->mutex);
        current = session->open && session->subscription.get() == &subscription;
    }
    if (!current || ended.code() == Code::cancelled) return;
    // The Router restarted or found this client too slow: it comes back with its positions. Anything else
    // will not get better by retrying the same positions: the client is told why.
    if (ended.code() == Code::unavailable || ended.code() == Code::resource_exhausted || ended.ok()) {
        push(session->id, json{{"type", "resubscribe"}}.dump());
    } else {
        push(session->id, json{{"type", "subscription_ended"}, {"code", error_code_of(ended, {})}, {"message", ended.message()}}.dump());
    }
}

// --- channels ---

void Gateway::on_channels_list(const std::shared_ptr<Session>& session, const std::string& id, const Fields& fields) {
    channel_v1::ListChannelsRequest request;
    *request.mutable_actor() = session->actor();
    request.set_include_archived(fields.flag("include_archived"));
    request.mutable_page()->set_page_token(fields.text("page_token", kMaxText, false));
    call<channel_v1::ListChannelsRequest, channel_v1::ListChannelsReply>(
        session, id, "channel", "ListChannels", request, [this, session, id](const channel_v1::ListChannelsReply& reply) {
            json channels = json::array();
            for (const auto& channel : reply.channels()) channels.push_back(channel_json(channel));
            this->reply(session, id, {{"channels", channels}, {"next_page_token", reply.page().next_page_token()}});
        });
}

void Gateway::on_channels_create(const std::shared_ptr<Session>& session, const std::string& id, const Fields& fields) {
    channel_v1::CreateChannelRequest request;
    *request.mutable_actor() = session->actor();
    request.set_name(fields.text("name", kMaxName));
    std::string kind = fields.text("kind", 16, false);
    if (kind != "" && kind != "public" && kind != "private") {
        throw Refusal("bad_request", "field 'kind' must be \"public\" or \"private\"");
    }
    request.set_kind(kind == "private" ? channel_v1::PRIVATE : channel_v1::PUBLIC);
    request.set_topic(fields.text("topic", kMaxText, false));
    call<channel_v1::CreateChannelRequest, channel_v1::ChannelInfo>(
        session, id, "channel", "CreateChannel", request,
        [this, session, id](const channel_v1::ChannelInfo& channel) { reply(session, id, {{"channel", channel_json(channel)}}); },
        {}, false);
}

void Gateway::on_channels_get(const std::shared_ptr<Session>& session, const std::string& id, const Fields& fields) {
    channel_v1::GetChannelRequest request;
    *request.mutable_actor() = session->actor();
    request.set_channel_id(fields.text("channel_id", kMaxId));
    call<channel_v1::GetChannelRequest, channel_v1::ChannelInfo>(
        session, id, "channel", "GetChannel", request,
        [this, session, id](const channel_v1::ChannelInfo& channel) { reply(session, id, {{"channel", channel_json(channel)}}); });
}

void Gateway::on_channels_join(const std::shared_ptr<Session>& session, const std::string& id, const Fields& fields) {
    channel_v1::JoinRequest request;
    *request.mutable_actor() = session->actor();
    request.set_channel_id(fields.text("channel_id", kMaxId));
    call<channel_v1::JoinRequest, channel_v1::Member>(
        session, id, "channel", "Join", request,
        [this, session, id](const channel_v1::Member&) { reply(session, id, json::object()); });
}

void Gateway::on_channels_leave(const std::shared_ptr<Session>& session, const std::string& id, const Fields& fields) {
    channel_v1::LeaveRequest request;
    *request.mutable_actor() = session->actor();
    request.set_channel_id(fields.text("channel_id", kMaxId));
    call<channel_v1::LeaveRequest, channel_v1::LeaveReply>(
        session, id, "channel", "Leave", request,
        [this, session, id](const channel_v1::LeaveReply&) { reply(session, id, json::object()); });
}

void Gateway::on_channels_invite(const std::shared_ptr<Session>& session, const std::string& id, const Fields& fields) {
    channel_v1::InviteRequest request;
    *request.mutable_actor() = session->actor();
    request.set_channel_id(fields.text("channel_id", kMaxId));
    request.set_user_id(fields.text("user_id", kMaxId));
    call<channel_v1::InviteRequest, channel_v1::Member>(
        session, id, "channel", "Invite", request,
        [this, session, id](const channel_v1::Member&) { reply(session, id, json::object()); });
}

void Gateway::on_channels_remove(const std::shared_ptr<Session>& session, const std::string& id, const Fields& fields) {
    channel_v1::RemoveRequest request;
    *request.mutable_actor() = session->actor();
    request.set_channel_id(fields.text("channel_id", kMaxId));
    request.set_user_id(fields.text("user_id", kMaxId));
    call<channel_v1::RemoveRequest, channel_v1::RemoveReply>(
        session, id, "channel", "Remove", request,
        [this, session, id](const channel_v1::RemoveReply&) { reply(session, id, json::object()); });
}

void Gateway::on_channels_members(const std::shared_ptr<Session>& session, const std::string& id, const Fields& fields) {
    channel_v1::ListMembersRequest request;
    *request.mutable_actor() = session->actor();
    request.set_channel_id(fields.text("channel_id", kMaxId));
    request.mutable_page()->set_page_token(fields.text("page_token", kMaxText, false));
    call<channel_v1::ListMembersRequest, channel_v1::ListMembersReply>(
        session, id, "channel", "ListMembers", request, [this, session, id](const channel_v1::ListMembersReply& reply) {
            json members = json::array();
            for (const auto& member : reply.members()) {
                members.push_back({{"user_id", member.user_id()}, {"role", member.role() == channel_v1::OWNER ? "owner" : "member"}});
            }
            this->reply(session, id, {{"members", members}, {"next_page_token", reply.page().next_page_token()}});
        });
}

void Gateway::on_direct_open(const std::shared_ptr<Session>& session, const std::string& id, const Fields& fields) {
    channel_v1::OpenDirectRequest request;
    *request.mutable_actor() = session->actor();
    request.set_other_user_id(fields.text("user_id", kMaxId));
    call<channel_v1::OpenDirectRequest, channel_v1::ChannelInfo>(
        session, id, "channel", "OpenDirect", request,
        [this, session, id](const channel_v1::ChannelInfo& channel) { reply(session, id, {{"channel", channel_json(channel)}}); },
        {}, false);
}

void Gateway::on_history(const std::shared_ptr<Session>& session, const std::string& id, const Fields& fields) {
    channel_v1::HistoryRequest request;
    *request.mutable_actor() = session->actor();
    request.set_channel_id(fields.text("channel_id", kMaxId));
    auto before = fields.optional_sequence("before");
    auto after = fields.optional_sequence("after");
    if (before.has_value() == after.has_value()) throw Refusal("bad_request", "history needs exactly one of 'before' and 'after'");
    request.set_direction(before ? channel_v1::HistoryRequest::BEFORE : channel_v1::HistoryRequest::AFTER);
    request.set_from_sequence(before ? *before : *after);
    uint64_t limit = fields.optional_sequence("limit").value_or(50);
    if (limit < 1 || limit > 500) throw Refusal("bad_request", "field 'limit' must be between 1 and 500");
    request.set_limit(static_cast<uint32_t>(limit));
    call<channel_v1::HistoryRequest, channel_v1::HistoryReply>(
        session, id, "channel", "History", request, [this, session, id](const channel_v1::HistoryReply& reply) {
            json messages = json::array();
            for (const auto& message : reply.messages()) {
                json item = message_json(message);
                item.erase("type");
                messages.push_back(std::move(item));
            }
            this->reply(session, id, {{"messages", messages}, {"more", reply.more()}, {"last_sequence", reply.last_sequence()}});
        });
}

// --- messages ---

void Gateway::on_send(const std::shared_ptr<Session>& session, const std::string& id, const Fields& fields) {
    router_v1::SendRequest request;
    request.set_user_id(session->user());
    request.set_channel_id(fields.text("channel_id", kMaxId));
    request.set_body(fields.text("body", limits_.max_body_bytes));
    request.set_client_message_id(fields.text("client_message_id", kMaxId));
    call<router_v1::SendRequest, router_v1::SendReply>(
        session, id, "router", "Send", request, [this, session, id](const router_v1::SendReply& sent) {
            reply(session, id, {{"sequence", sent.sequence()}, {"server_time_unix_ms", sent.server_time_unix_ms()},
                                {"duplicate", sent.duplicate()}});
        });
}

void Gateway::on_edit(const std::shared_ptr<Session>& session, const std::string& id, const Fields& fields) {
    router_v1::EditRequest request;
    request.set_user_id(session->user());
    request.set_channel_id(fields.text("channel_id", kMaxId));
    request.set_sequence(fields.sequence("sequence"));
    request.set_body(fields.text("body", limits_.max_body_bytes));
    call<router_v1::EditRequest, router_v1::SendReply>(
        session, id, "router", "Edit", request,
        [this, session, id](const router_v1::SendReply& sent) { reply(session, id, {{"sequence", sent.sequence()}}); }, {},
        false);
}

void Gateway::on_delete(const std::shared_ptr<Session>& session, const std::string& id, const Fields& fields) {
    router_v1::DeleteRequest request;
    request.set_user_id(session->user());
    request.set_channel_id(fields.text("channel_id", kMaxId));
    request.set_sequence(fields.sequence("sequence"));
    call<router_v1::DeleteRequest, router_v1::SendReply>(
        session, id, "router", "Delete", request,
        [this, session, id](const router_v1::SendReply& sent) { reply(session, id, {{"sequence", sent.sequence()}}); }, {},
        false);
}

void Gateway::on_typing(const std::shared_ptr<Session>& session, const std::string& id, const Fields& fields) {
    router_v1::TypingRequest request;
    request.set_user_id(session->user());
    request.set_channel_id(fields.text("channel_id", kMaxId));
    call<router_v1::TypingRequest, router_v1::TypingReply>(
        session, id, "router", "Typing", request,
        [this, session, id](const router_v1::TypingReply&) { reply(session, id, json::object()); }, {}, false);
}

// --- presence ---

bool Gateway::count_user(const std::string& user_id, int change) {
    std::lock_guard lock(mutex_);
    const int count = local_users_[user_id] += change;
    if (count <= 0) local_users_.erase(user_id);  // `count` is a copy: the entry it came from is gone now
    return change > 0 ? count == 1 : count <= 0;
}

void Gateway::heartbeat(const std::string& user_id) {
    presence_v1::HeartbeatRequest request;
    request.set_user_id(user_id);
    request.set_device_id(edge_id_);
    request.set_edge_id(edge_id_);
    rpc_.call<presence_v1::HeartbeatRequest, presence_v1::PresenceInfo>(options("presence", "Heartbeat", true), request,
                                                                        [](sdk::Result<presence_v1::PresenceInfo>) {});
}

void Gateway::disconnect(const std::string& user_id) {
    presence_v1::DisconnectRequest request;
    request.set_user_id(user_id);
    request.set_device_id(edge_id_);
    rpc_.call<presence_v1::DisconnectRequest, presence_v1::PresenceInfo>(options("presence", "Disconnect", true), request,
                                                                         [](sdk::Result<presence_v1::PresenceInfo>) {});
}

// Presence counts this gateway as one device per user, however many connections the user has here:
// heartbeats scale with people, not with their tabs.
void Gateway::send_heartbeats() {
    std::vector<std::string> users;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [user, count] : local_users_) users.push_back(user);
    }
    for (const std::string& user : users) heartbeat(user);
}

void Gateway::on_presence_set(const std::shared_ptr<Session>& session, const std::string& id, const Fields& fields) {
    std::string status = fields.text("status", 16);
    presence_v1::SetStatusRequest request;
    request.set_user_id(session->user());
    if (status == "online") request.set_status(presence_v1::ONLINE);
    else if (status == "away") request.set_status(presence_v1::AWAY);
    else if (status == "dnd") request.set_status(presence_v1::DO_NOT_DISTURB);
    else throw Refusal("bad_request", "field 'status' must be \"online\", \"away\" or \"dnd\"");
    request.set_status_text(fields.text("text", kMaxText, false));
    call<presence_v1::SetStatusRequest, presence_v1::PresenceInfo>(
        session, id, "presence", "SetStatus", request,
        [this, session, id](const presence_v1::PresenceInfo& info) { reply(session, id, {{"presence", presence_json(info)}}); });
}

void Gateway::on_presence_watch(const std::shared_ptr<Session>& session, const std::string& id, const Fields& fields) {
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
    // are pushed as they come.
    struct Watch {
        std::mutex mutex;
        size_t expected = 0;
        json initial = json::array();
        bool answered = false;
    };
    auto watch = std::make_shared<Watch>();
    watch->expected = static_cast<size_t>(request.user_ids_size());
    auto answer = [this, session, id, watch] {
        json users;
        {
            std::lock_guard lock(watch->mutex);
            if (watch->answered) return;
            watch->answered = true;
            users = std::move(watch->initial);
        }
        reply(session, id, {{"users", users}});
    };
    if (watch->expected == 0) return answer();
    ++in_flight_;
    lanchat_rpc_stream_id started = rpc_.call_stream<presence_v1::WatchRequest, presence_v1::PresenceInfo>(
        stream_options("presence", "Watch"), request,
        [this, session, watch, answer](presence_v1::PresenceInfo info) {
            bool initial;
            {
                std::lock_guard lock(watch->mutex);
                initial = !watch->answered;
                if (initial) watch->initial.push_back(presence_json(info));
                if (initial && watch->initial.size() < watch->expected) return;
            }
            if (initial) {
                --in_flight_;
                return answer();
            }
            json frame = presence_json(info);
            frame["type"] = "presence";
            push(session->id, frame.dump());
        },
        [this, session, id, watch](Status ended) {
            bool unanswered;
            {
                std::lock_guard lock(watch->mutex);
                unanswered = !watch->answered;
                watch->answered = true;
            }
            if (unanswered) {
                --in_flight_;
                fail(session, id, ended.ok() ? Status(Code::unavailable, "presence watch ended") : ended);
            }
        });
    std::lock_guard lock(session->mutex);
    session->presence_watch = started;
}

// --- users ---

void Gateway::on_users_get(const std::shared_ptr<Session>& session, const std::string& id, const Fields& fields) {
    std::vector<std::string> ids = fields.id_list("user_ids", 100);
    struct Gather {
        std::mutex mutex;
        size_t waiting = 0;
        json users = json::array();
    };
    auto gather = std::make_shared<Gather>();
    gather->waiting = ids.size();
    if (ids.empty()) return reply(session, id, {{"users", json::array()}});
    ++in_flight_;
    for (const std::string& user_id : ids) {
        identity_v1::GetUserRequest request;
        request.set_id(user_id);
        rpc_.call<identity_v1::GetUserRequest, identity_v1::User>(
            options("identity", "GetUser", true), request, [this, session, id, gather](sdk::Result<identity_v1::User> user) {
                json users;
                {
                    std::lock_guard lock(gather->mutex);
                    if (user.ok()) gather->users.push_back(user_json(*user));  // unknown ids are left out
                    if (--gather->waiting > 0) return;
                    users = std::move(gather->users);
                }
                reply(session, id, {{"users", users}});
                --in_flight_;
            });
    }
}

void Gateway::on_users_find(const std::shared_ptr<Session>& session, const std::string& id, const Fields& fields) {
    identity_v1::LookupUserRequest request;
    request.set_username(fields.text("username", kMaxName));
    call<identity_v1::LookupUserRequest, identity_v1::User>(
        session, id, "identity", "LookupUser", request,
        [this, session, id](const identity_v1::User& user) { reply(session, id, {{"user", user_json(user)}}); });
}

// --- housekeeping ---

void Gateway::sweep() {
    std::vector<std::shared_ptr<Session>> all;
    {
        std::lock_guard lock(mutex_);
        for (auto& [id, session] : sessions_) all.push_back(session);
    }
    int64_t now = plugin_support::unix_ms_now();
    for (auto& session : all) {
        std::lock_guard lock(session->mutex);
        if (!session->open) continue;
        if (!session->authenticated && now - session->opened_ms > limits_.auth_timeout.count()) {
            edge_.close(session->id, kCloseAuthTimeout, "not authenticated in time");
        } else if (session->authenticated && session->expires_ms <= now) {
            edge_.close(session->id, kCloseTokenExpired, "token expired: authenticate again");
        }
    }
}

sdk::HttpResponse Gateway::http(const sdk::HttpRequest& request) { return assets_.serve(request); }

}  // namespace lanchat::gateway
