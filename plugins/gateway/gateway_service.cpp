#include "gateway_service.hpp"

#include <cmath>
#include <optional>

#include "clock.hpp"

namespace lanchat::gateway {
namespace {

// A catch-up page's frames stay within what one history reply may hold, which the send queue is kept above.
CatchUpLimits catch_up_limits(const GatewayLimits& limits) {
    CatchUpLimits catch_up;
    catch_up.page_bytes = limits.max_reply_bytes;
    return catch_up;
}

}  // namespace

GatewayService::GatewayService(sdk::Rpc& rpc, sdk::ClientEdge& edge, const sdk::Logger& log, sdk::Metrics& metrics,
                               GatewayLimits limits, std::string edge_id, ClusterNodes cluster_nodes)
    : rpc_(rpc),
      edge_(edge),
      log_(log),
      limits_(limits),
      edge_id_(std::move(edge_id)),
      writes_(limits.max_writes_in_flight),
      feeds_([this](const auto& ids, const std::string& frame) { push_to_all(ids, frame); }, limits.gap_wait,
             std::chrono::steady_clock::now, catch_up_limits(limits)),
      history_reads_(kHistoryReadsInFlight, kHistoryReadsPerReader,
                     [this](const HistoryRead& read) { return feeds_.wants(read); }),
      cluster_nodes_(std::move(cluster_nodes)),
      edge_stream_(
          rpc, log, metrics, edge_id_, [this] { return nodes_hosting(cluster_nodes_(), "router"); },
          [this](const router::v1::Delivery& delivery) { read_history(feeds_.deliver(delivery)); },
          [this] { ask_positions(); }),
      registrations_(limits.registrations_per_minute, limits.registration_burst) {
    requests_ = sdk::value_or_throw(metrics.counter("requests_total", "Client requests by type.", {"type"}));
    refusals_ = sdk::value_or_throw(
        metrics.counter("refusals_total", "Client requests refused, by protocol error code.", {"code"}));
    sessions_gauge_ = sdk::value_or_throw(metrics.gauge("sessions", "Open client sessions (authenticated or not)."));
}

GatewayService::~GatewayService() = default;

std::shared_ptr<Session> GatewayService::add_session(const sdk::Connection& connection) {
    auto session = std::make_shared<Session>(connection, limits_.rate_per_second, limits_.burst,
                                             plugin_support::unix_ms_now(), limits_.max_requests_in_flight);
    std::lock_guard lock(mutex_);
    sessions_[connection.id] = session;
    sessions_gauge_.set(static_cast<double>(sessions_.size()));
    return session;
}

std::shared_ptr<Session> GatewayService::session(sdk::ConnectionId id) const {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(id);
    return it == sessions_.end() ? nullptr : it->second;
}

void GatewayService::opened(const sdk::Connection& connection) {
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
    // In a cluster: where else to connect when this node goes away.
    json nodes = json::array();
    for (const auto& [name, address] : client_edges(cluster_nodes_())) {
        nodes.push_back({{"name", name}, {"address", address}});
    }
    if (!nodes.empty()) hello["nodes"] = std::move(nodes);
    push(connection.id, hello.dump());
}

void GatewayService::closed(sdk::ConnectionId id, uint16_t, std::string_view) {
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

void GatewayService::end_streams(Session& session) {
    feeds_.closed(session.id);
    history_reads_.forget(session.id);
    lanchat_rpc_stream_id watch;
    {
        std::lock_guard lock(session.mutex);
        watch = std::exchange(session.watch.stream, 0);
        session.watch.users.clear();  // another user's watch, if the connection authenticated again
        ++session.watch.generation;
    }
    if (watch != 0) rpc_.cancel(watch);
}

void GatewayService::cancel_streams() {
    std::vector<std::shared_ptr<Session>> all;
    {
        std::lock_guard lock(mutex_);
        for (auto& [id, session] : sessions_) all.push_back(session);
    }
    for (auto& session : all) end_streams(*session);
    edge_stream_.close();
}

// Deliveries end now: the successor catches each client up from the positions it resubscribes with, and a
// retiring instance still writing to the same connections would send frames twice and out of order.
void GatewayService::drain(sdk::DrainSignal done) {
    edge_stream_.close();
    std::vector<std::shared_ptr<Session>> all;
    {
        std::lock_guard lock(mutex_);
        for (auto& [id, session] : sessions_) all.push_back(session);
    }
    for (auto& session : all) feeds_.closed(session->id);
    in_flight_.close(std::move(done));
}

void GatewayService::push(sdk::ConnectionId id, const std::string& frame) { edge_.send(id, frame); }

void GatewayService::reply(const ClientRequest& client, json result) {
    push(client.session->id, ok_frame(client.id, std::move(result)));
}

void GatewayService::refuse(const ClientRequest& client, const std::string& code, const std::string& message,
                            std::optional<int64_t> retry_after_ms) {
    refusals_.add(1, {code});
    push(client.session->id, error_frame(client.id, code, message, retry_after_ms));
}

void GatewayService::fail(const ClientRequest& client, const sdk::Status& status, const std::string& context) {
    refuse(client, error_code_of(status, context), status.message());
}

sdk::Result<sdk::CallOptions> GatewayService::options(const char* service, const std::string& method,
                                                      bool idempotent) const {
    return call_options(service, method, limits_.call_timeout, idempotent);
}

void GatewayService::message(const sdk::Connection& connection, std::string_view text) {
    std::shared_ptr<Session> session = this->session(connection.id);
    if (!session) return;
    // A predecessor may have authenticated this connection after handing it over (its answer was in flight).
    if (!connection.session.empty()) restore(session, connection.session);
    ClientRequest client{session, {}, {}, {}};
    std::optional<json> frame;
    std::optional<Refusal> refused;
    try {
        frame = parse_frame(text, client.id);
    } catch (const Refusal& refusal) {
        refused = refusal;
    }
    if (!session->take_token()) return rate_limited(client);  // every frame costs one, parsed or not
    if (refused) return refuse(client, refused->code, refused->what());
    std::optional<sdk::Gate::Holder> admitted = in_flight_.try_hold();
    if (!admitted) return refuse(client, "unavailable", "the gateway is stopping: reconnect and resume");
    client.in_flight = std::move(*admitted);
    std::optional<RequestsInFlight::Ticket> ticket = session->requests.try_take();
    if (!ticket) {
        return refuse(client, "rate_limited",
                      std::to_string(session->requests.limit()) +
                          " requests on this connection are still being answered: wait for their answers",
                      writes_.retry_after_ms());
    }
    client.ticket = std::move(*ticket);
    try {
        dispatch(client, *frame);
    } catch (const Refusal& refusal) {
        refuse(client, refusal.code, refusal.what());
    } catch (const std::exception& error) {  // a JSON type error in a handler: a malformed field
        refuse(client, "bad_request", error.what());
    }
}

void GatewayService::rate_limited(const ClientRequest& client) {
    // A client that ignores rate_limited answers for a whole burst is flooding: it goes.
    if (client.session->flooding()) {
        refusals_.add(1, {"flood"});
        edge_.close(client.session->id, kCloseFlood, "kept sending past the rate limit");
        return;
    }
    // The bucket refills continuously: one request's worth is back after 1/rate seconds.
    refuse(client, "rate_limited",
           "over " + std::to_string(static_cast<int>(limits_.rate_per_second)) + " requests per second",
           static_cast<int64_t>(std::ceil(1000 / limits_.rate_per_second)));
}

const std::map<std::string, GatewayService::Handler>& GatewayService::handlers() {
    static const std::map<std::string, Handler> table = {
        {"auth", &GatewayService::on_auth},
        {"register", &GatewayService::on_register},
        {"ping", &GatewayService::on_ping},
        {"subscribe", &GatewayService::on_subscribe},
        {"channels.list", &GatewayService::on_channels_list},
        {"channels.create", &GatewayService::on_channels_create},
        {"channels.get", &GatewayService::on_channels_get},
        {"channels.join", &GatewayService::on_channels_join},
        {"channels.leave", &GatewayService::on_channels_leave},
        {"channels.invite", &GatewayService::on_channels_invite},
        {"channels.remove", &GatewayService::on_channels_remove},
        {"channels.members", &GatewayService::on_channels_members},
        {"channels.mine", &GatewayService::on_channels_mine},
        {"direct.open", &GatewayService::on_direct_open},
        {"send", &GatewayService::on_send},
        {"edit", &GatewayService::on_edit},
        {"delete", &GatewayService::on_delete},
        {"history", &GatewayService::on_history},
        {"typing", &GatewayService::on_typing},
        {"presence.set", &GatewayService::on_presence_set},
        {"presence.watch", &GatewayService::on_presence_watch},
        {"presence.unwatch", &GatewayService::on_presence_unwatch},
        {"users.get", &GatewayService::on_users_get},
        {"users.find", &GatewayService::on_users_find},
        {"logout", &GatewayService::on_logout},
    };
    return table;
}

void GatewayService::dispatch(const ClientRequest& client, const json& frame) {
    const std::string& type = frame["type"].get_ref<const std::string&>();
    auto handler = handlers().find(type);
    if (handler == handlers().end()) {
        throw Refusal("unknown_type", "unknown request type '" + type.substr(0, 64) + "'");
    }
    requests_.add(1, {handler->first});
    bool before_auth = type == "auth" || type == "register" || type == "ping";
    bool authenticated, expired;
    {
        std::lock_guard lock(client.session->mutex);
        authenticated = client.session->authenticated;
        expired = authenticated && client.session->expires_ms <= plugin_support::unix_ms_now();
    }
    if (!authenticated && !before_auth) throw Refusal("not_authenticated", "authenticate first (type 'auth')");
    if (expired && type != "auth") {
        refuse(client, "token_expired", "the session's access token expired; authenticate again");
        edge_.close(client.session->id, kCloseTokenExpired, "token expired");
        return;
    }
    (this->*handler->second)(client, Fields(frame));
}

void GatewayService::sweep() {
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

sdk::HttpResponse GatewayService::http(const sdk::HttpRequest& request) { return assets_.serve(request); }

}  // namespace lanchat::gateway
