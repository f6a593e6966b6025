// The gateway: the client protocol (sdk-docs/client-protocol.md) on top of the host's client edge. Each
// connection is a Session; requests become calls to Auth, Identity, Channel, Router and Presence through the
// mesh, and their answers go back as frames. The host owns the sockets: this object only holds sessions,
// and what a successor needs after a reload is kept with the host (the session bytes).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "frames.hpp"
#include "lanchat/sdk/client_edge.hpp"
#include "lanchat/sdk/logger.hpp"
#include "lanchat/sdk/metrics.hpp"
#include "lanchat/sdk/rpc.hpp"
#include "web_assets.hpp"

namespace lanchat::gateway {

struct GatewayLimits {
    std::chrono::milliseconds auth_timeout{10000};  // unauthenticated connections are closed after this (4001)
    double rate_per_second = 20;                    // requests per connection, refilled continuously
    double burst = 40;
    size_t max_body_bytes = 4000;                   // told to clients; the Router enforces its own
    bool allow_registration = false;
    std::chrono::milliseconds heartbeat{10000};     // Presence heartbeats per connected user
    std::chrono::milliseconds call_timeout{5000};   // deadline of each request's calls to the services
};

class Gateway final : public sdk::ClientEdgeHandler {
public:
    Gateway(sdk::Rpc& rpc, sdk::ClientEdge& edge, const sdk::Logger& log, sdk::Metrics& metrics, GatewayLimits limits,
            std::string edge_id);
    ~Gateway() override;

    // sdk::ClientEdgeHandler
    void opened(const sdk::Connection& connection) override;
    void message(const sdk::Connection& connection, std::string_view text) override;
    void closed(sdk::ConnectionId id, uint16_t code, std::string_view reason) override;
    sdk::HttpResponse http(const sdk::HttpRequest& request) override;

    // Timers (the plugin schedules them): heartbeats for connected users; closing sessions that never
    // authenticated or whose token expired.
    void send_heartbeats();
    void sweep();
    // Requests still waiting for a service; drain waits for none.
    size_t in_flight() const { return in_flight_.load(); }
    // Ends the streams this instance opened (at stop).
    void cancel_streams();

    struct Session;
    struct Subscription;

private:
    using Handler = void (Gateway::*)(const std::shared_ptr<Session>&, const std::string& id, const Fields&);

    std::shared_ptr<Session> session(sdk::ConnectionId id) const;
    std::shared_ptr<Session> add_session(const sdk::Connection& connection);
    bool take_token(Session& session);
    void rate_limited(const std::shared_ptr<Session>& session, const std::string& request_id);
    void dispatch(const std::shared_ptr<Session>& session, const std::string& id, const json& frame);
    void push(sdk::ConnectionId id, const std::string& frame);
    void reply(const std::shared_ptr<Session>& session, const std::string& id, json result);
    void refuse(const std::shared_ptr<Session>& session, const std::string& id, const std::string& code,
                const std::string& message);
    void fail(const std::shared_ptr<Session>& session, const std::string& id, const sdk::Status& status,
              const std::string& context = {});

    // One call to a service whose answer goes back to the client: counted in flight, failures answered.
    template <class Request, class Response>
    void call(const std::shared_ptr<Session>& session, const std::string& id, const char* service,
              const std::string& method, const Request& request,
              std::function<void(const Response&)> on_reply, const std::string& context = {}, bool idempotent = true);

    // Requests, one per protocol type.
    void on_auth(const std::shared_ptr<Session>&, const std::string& id, const Fields&);
    void on_register(const std::shared_ptr<Session>&, const std::string& id, const Fields&);
    void on_ping(const std::shared_ptr<Session>&, const std::string& id, const Fields&);
    void on_subscribe(const std::shared_ptr<Session>&, const std::string& id, const Fields&);
    void on_channels_list(const std::shared_ptr<Session>&, const std::string& id, const Fields&);
    void on_channels_create(const std::shared_ptr<Session>&, const std::string& id, const Fields&);
    void on_channels_get(const std::shared_ptr<Session>&, const std::string& id, const Fields&);
    void on_channels_join(const std::shared_ptr<Session>&, const std::string& id, const Fields&);
    void on_channels_leave(const std::shared_ptr<Session>&, const std::string& id, const Fields&);
    void on_channels_invite(const std::shared_ptr<Session>&, const std::string& id, const Fields&);
    void on_channels_remove(const std::shared_ptr<Session>&, const std::string& id, const Fields&);
    void on_channels_members(const std::shared_ptr<Session>&, const std::string& id, const Fields&);
    void on_direct_open(const std::shared_ptr<Session>&, const std::string& id, const Fields&);
    void on_send(const std::shared_ptr<Session>&, const std::string& id, const Fields&);
    void on_edit(const std::shared_ptr<Session>&, const std::string& id, const Fields&);
    void on_delete(const std::shared_ptr<Session>&, const std::string& id, const Fields&);
    void on_history(const std::shared_ptr<Session>&, const std::string& id, const Fields&);
    void on_typing(const std::shared_ptr<Session>&, const std::string& id, const Fields&);
    void on_presence_set(const std::shared_ptr<Session>&, const std::string& id, const Fields&);
    void on_presence_watch(const std::shared_ptr<Session>&, const std::string& id, const Fields&);
    void on_users_get(const std::shared_ptr<Session>&, const std::string& id, const Fields&);
    void on_users_find(const std::shared_ptr<Session>&, const std::string& id, const Fields&);
    void on_logout(const std::shared_ptr<Session>&, const std::string& id, const Fields&);

    // Authentication results: the session becomes the user's; the host keeps who it is for a successor.
    void authenticated(const std::shared_ptr<Session>& session, const std::string& id, json result, const json& claims);
    void restore(const std::shared_ptr<Session>& session, std::string_view stored);
    void heartbeat(const std::string& user_id);
    void disconnect(const std::string& user_id);
    void end_streams(Session& session);
    void end_deliveries(Session& session);
    void accept(const std::shared_ptr<Session>& session, Subscription& subscription);
    void subscription_ended(const std::shared_ptr<Session>& session, Subscription& subscription, const sdk::Status& ended);
    // This gateway's count of a user's authenticated connections; true when it went 0 -> 1 (+1) or 1 -> 0 (-1).
    bool count_user(const std::string& user_id, int change);
    sdk::CallOptions options(const char* service, const std::string& method, bool idempotent) const;

    static const std::map<std::string, Handler>& handlers();

    sdk::Rpc& rpc_;
    sdk::ClientEdge& edge_;
    const sdk::Logger& log_;
    GatewayLimits limits_;
    std::string edge_id_;
    WebAssets assets_;
    sdk::Metric requests_;
    sdk::Metric refusals_;
    sdk::Metric sessions_gauge_;
    std::atomic<size_t> in_flight_{0};

    mutable std::mutex mutex_;  // the two maps
    std::unordered_map<sdk::ConnectionId, std::shared_ptr<Session>> sessions_;
    std::unordered_map<std::string, int> local_users_;  // user id -> this gateway's authenticated connections
};

}  // namespace lanchat::gateway
