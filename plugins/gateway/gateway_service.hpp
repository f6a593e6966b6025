// GatewayService: the client protocol (sdk-docs/client-protocol.md) on top of the host's client edge. Each
// connection is a Session; each request becomes calls to Auth, Identity, Channel, Router and Presence
// through the mesh, and their answers go back as frames. The host owns the sockets: this object only holds
// sessions, and what a successor needs after a reload is kept with the host (the session bytes).
//
// gateway_service.cpp keeps connections, dispatch and the drain; requests are answered in one file per
// area (auth_requests.cpp, channel_requests.cpp, message_requests.cpp, presence_requests.cpp,
// user_requests.cpp); deliveries.cpp is the edge's delivery path: a stream from each node's Router
// (router_streams.hpp), the channel feeds they fill (edge_feeds.hpp) and each connection's subscribe.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>

#include "address_throttle.hpp"
#include "cluster_view.hpp"
#include "edge_feeds.hpp"
#include "frames.hpp"
#include "history_reads.hpp"
#include "lanchat/sdk/client_edge.hpp"
#include "lanchat/sdk/drain.hpp"
#include "lanchat/sdk/logger.hpp"
#include "lanchat/sdk/metrics.hpp"
#include "lanchat/sdk/rpc.hpp"
#include "router_streams.hpp"
#include "send_admission.hpp"
#include "service_methods.hpp"
#include "session.hpp"
#include "web_assets.hpp"

namespace lanchat::gateway {

// Channel.History calls this edge makes at once for catch-ups and gaps; the rest wait their turn.
constexpr size_t kHistoryReadsInFlight = 32;
// Reads of one connection that may wait behind them: two whole resumes (kMaxPositions) of catch-ups. A
// connection past it is asked to subscribe again (its reads of the earlier subscription are dropped then).
constexpr size_t kHistoryReadsPerReader = 2 * kMaxPositions;

// The most users one connection may watch, all presence.watch requests together (`max_watched_users` may
// lower it). Its whole set travels in one Presence stream: Presence takes at most 1000 users a stream, and
// one stream per connection keeps Presence's work per person, not per request. A LAN's directory of the
// people a client shows at once fits in it.
constexpr size_t kMaxWatched = 1000;

struct GatewayLimits {
    std::chrono::milliseconds auth_timeout{10000};  // unauthenticated connections are closed after this (4001)
    double rate_per_second = 20;                    // requests per connection, refilled continuously
    double burst = 40;
    size_t max_body_bytes = 4000;         // told to clients; the Router enforces its own
    size_t max_reply_bytes = 256 * 1024;  // a history page is cut short (more: true) rather than pass this
    size_t max_requests_in_flight = 16;   // per connection; more at once: rate_limited
    bool allow_registration = false;
    std::chrono::milliseconds heartbeat{10000};    // Presence heartbeats per connected user
    std::chrono::milliseconds call_timeout{5000};  // deadline of each request's calls to the services
    std::chrono::milliseconds gap_wait{300};       // how long a message waits for a missing one before it
    size_t max_writes_in_flight = 256;             // across the node; more at once: unavailable (send_admission.hpp)
    double registrations_per_minute = 6;           // `register` per client address
    double registration_burst = 3;
    size_t max_watched = kMaxWatched;  // users one connection may watch the presence of
};

// One request being answered: the session it came on, its id (the answer carries it), its share of the
// drain gate and its ticket among the session's requests in flight. Every call made for it holds a copy, so
// a drain waits for the request's last answer and the session's slot frees with it.
struct ClientRequest {
    std::shared_ptr<Session> session;
    std::string id;
    sdk::Gate::Holder in_flight;
    RequestsInFlight::Ticket ticket;
};

class GatewayService final : public sdk::ClientEdgeHandler {
public:
    // `cluster_nodes`: the membership, for the Routers to subscribe to and the nodes `hello` names.
    GatewayService(sdk::Rpc& rpc, sdk::ClientEdge& edge, const sdk::Logger& log, sdk::Metrics& metrics,
                   GatewayLimits limits, std::string edge_id, ClusterNodes cluster_nodes);
    ~GatewayService() override;

    // sdk::ClientEdgeHandler
    void opened(const sdk::Connection& connection) override;
    void message(const sdk::Connection& connection, std::string_view text) override;
    void closed(sdk::ConnectionId id, uint16_t code, std::string_view reason) override;
    sdk::HttpResponse http(const sdk::HttpRequest& request) override;

    // The heartbeats and the rechecks each reach every user or session once per interval, a slice at a time:
    // the plugin calls them kSpreadSlices times an interval. A thousand calls at once every few seconds held
    // the one core a small node has for tens of milliseconds, and deliveries waited behind them.
    static constexpr unsigned kSpreadSlices = 10;
    // Timers (the plugin schedules them): heartbeats for the next slice of connected users; closing sessions
    // that never authenticated or whose token expired.
    void send_heartbeats();
    void sweep();
    // Asks Auth, in batches, whether each authenticated session of the next slice may go on
    // (session_checks.cpp); closes with 4003 those whose token was revoked, whose user was disabled or whose
    // device was revoked.
    void recheck_sessions();
    // After a reload's switch: from now on requests are refused (unavailable) and nothing more is delivered
    // (the successor catches clients up); `done` is signalled once the requests already admitted have been
    // answered. The connections stay with the host.
    void drain(sdk::DrainSignal done);
    // Opens the Router stream (at start); reopens it and fills the feeds' gaps (every 100 ms).
    void start_deliveries();
    void tick_deliveries();
    // Ends the streams this instance opened (at stop).
    void cancel_streams();

private:
    using Handler = void (GatewayService::*)(const ClientRequest&, const Fields&);
    static const std::map<std::string, Handler>& handlers();

    // Connections and dispatch (gateway_service.cpp).
    std::shared_ptr<Session> session(sdk::ConnectionId id) const;
    std::shared_ptr<Session> add_session(const sdk::Connection& connection);
    void rate_limited(const ClientRequest& client);
    void dispatch(const ClientRequest& client, const json& frame);
    void end_streams(Session& session);

    // Answers to the client.
    void push(sdk::ConnectionId id, const std::string& frame);
    void reply(const ClientRequest& client, json result);
    void refuse(const ClientRequest& client, const std::string& code, const std::string& message,
                std::optional<int64_t> retry_after_ms = std::nullopt);
    void fail(const ClientRequest& client, const sdk::Status& status, const std::string& context = {});

    // One call to a service whose answer goes back to the client; failures are answered (`context` as in
    // error_code_of). The call holds the request in flight until its answer is handled.
    template <class Request, class Response>
    void call(const ClientRequest& client, const char* service, const std::string& method, const Request& request,
              std::function<void(const Response&)> on_reply, const std::string& context = {}, bool idempotent = true);
    sdk::Result<sdk::CallOptions> options(const char* service, const std::string& method, bool idempotent) const;
    // An on_reply for the calls whose answer to the client is an empty result.
    template <class Response>
    std::function<void(const Response&)> acknowledge(const ClientRequest& client) {
        return [this, client](const Response&) { reply(client, json::object()); };
    }

    // auth_requests.cpp: the session becomes the user's; the host keeps who it is for a successor.
    void on_ping(const ClientRequest& client, const Fields& fields);
    void on_auth(const ClientRequest& client, const Fields& fields);
    void on_register(const ClientRequest& client, const Fields& fields);
    void on_logout(const ClientRequest& client, const Fields& fields);
    void authenticated(const ClientRequest& client, json result, const json& claims);
    void restore(const std::shared_ptr<Session>& session, std::string_view stored);

    // channel_requests.cpp
    void on_channels_list(const ClientRequest& client, const Fields& fields);
    void on_channels_create(const ClientRequest& client, const Fields& fields);
    void on_channels_get(const ClientRequest& client, const Fields& fields);
    void on_channels_join(const ClientRequest& client, const Fields& fields);
    void on_channels_leave(const ClientRequest& client, const Fields& fields);
    void on_channels_invite(const ClientRequest& client, const Fields& fields);
    void on_channels_remove(const ClientRequest& client, const Fields& fields);
    void on_channels_members(const ClientRequest& client, const Fields& fields);
    // The session user's memberships in one answer per 500 channels (Channel.Memberships), so that a client
    // need not look itself up in the members of every public channel.
    void on_channels_mine(const ClientRequest& client, const Fields& fields);
    void on_direct_open(const ClientRequest& client, const Fields& fields);
    // An on_reply for Join, Invite, Leave and Remove: announces the event the change appended, then answers.
    template <class Reply>
    std::function<void(const Reply&)> announcing(const ClientRequest& client, const std::string& channel_id);
    // Router.Announce of the entries (after, through] of a channel, then `then` (whatever the outcome).
    void announce(const std::string& channel_id, uint64_t after, uint64_t through, std::function<void()> then);

    // message_requests.cpp: sending, history, and the subscription that delivers.
    void on_send(const ClientRequest& client, const Fields& fields);
    void on_edit(const ClientRequest& client, const Fields& fields);
    void on_delete(const ClientRequest& client, const Fields& fields);
    // A place for one more message write, or nothing once the refusal has been answered.
    std::optional<SendAdmission::Ticket> admit_write(const ClientRequest& client);
    // Edit and delete: one Router call that changes a stored message and answers with its new sequence.
    template <class Request>
    void change_message(const ClientRequest& client, const char* method, const Request& request);
    void on_typing(const ClientRequest& client, const Fields& fields);
    void on_history(const ClientRequest& client, const Fields& fields);

    // deliveries.cpp: a connection's subscribe attaches it to its user's channels at this edge.
    void on_subscribe(const ClientRequest& client, const Fields& fields);
    // Pages through Channel.Memberships, then attaches the connection and answers.
    void list_memberships(const ClientRequest& client, uint64_t generation,
                          std::shared_ptr<const std::map<std::string, uint64_t>> resume,
                          std::shared_ptr<std::vector<channel::v1::Position>> memberships, const std::string& token);
    void attach(const ClientRequest& client, uint64_t generation, const std::map<std::string, uint64_t>& resume,
                const std::vector<channel::v1::Position>& memberships);
    // The same frame to every connection in `ids`.
    void push_to_all(const std::vector<sdk::ConnectionId>& ids, const std::string& frame);
    // Makes the history reads the feeds asked for; their answers go back to the feeds.
    // Makes `reads` through the mesh, at most kHistoryReadsInFlight at a time (the rest wait in history_reads_).
    void read_history(const std::vector<HistoryRead>& reads);
    void start_read(const HistoryRead& read);
    // Hands a read's answer (or why there is none) to the feeds, and makes the reads it leads to.
    void apply_history(const HistoryRead& read, const sdk::Result<channel::v1::HistoryReply>& page);
    // The Router stream is up again: where do the followed channels stand now?
    void ask_positions();

    // presence_requests.cpp: this gateway is one Presence device per connected user.
    void on_presence_set(const ClientRequest& client, const Fields& fields);
    void heartbeat(const std::string& user_id);
    // One call to Presence about this gateway's device whose answer nobody waits for (defined where used).
    template <class Request>
    void tell_presence(const char* method, const Request& request);
    void disconnect(const std::string& user_id);
    // This gateway's count of a user's authenticated connections; true when it went 0 -> 1 (+1) or 1 -> 0 (-1).
    bool count_user(const std::string& user_id, int change);

    // presence_watch.cpp: a connection watches the users it shares a channel with, at most max_watched.
    void on_presence_watch(const ClientRequest& client, const Fields& fields);
    void on_presence_unwatch(const ClientRequest& client, const Fields& fields);
    // Adds the `asked` users Channel found sharing a channel (`co_members`) to the watch, up to the bound.
    void add_watched(const ClientRequest& client, const std::string& user_id, const std::vector<std::string>& asked,
                     const std::set<std::string>& co_members);
    struct WatchAnswer;
    // Opens one Presence stream for the whole watched set in place of the previous one; `answer`, if any,
    // is answered with the current presence of its users once the stream has told it.
    void restart_watch(const std::shared_ptr<Session>& session, std::shared_ptr<WatchAnswer> answer);

    // user_requests.cpp
    void on_users_get(const ClientRequest& client, const Fields& fields);
    struct UsersGather;
    void get_user(const ClientRequest& client, const sdk::CallOptions& how, const std::shared_ptr<UsersGather>& gather,
                  const std::string& user_id);
    void on_users_find(const ClientRequest& client, const Fields& fields);

    sdk::Rpc& rpc_;
    sdk::ClientEdge& edge_;
    const sdk::Logger& log_;
    GatewayLimits limits_;
    std::string edge_id_;
    WebAssets assets_;
    sdk::Metric requests_;
    sdk::Metric refusals_;
    sdk::Metric sessions_gauge_;
    SendAdmission writes_;
    sdk::Gate in_flight_;  // before the sessions: their requests hold it until they are answered
    EdgeFeeds feeds_;
    HistoryReads history_reads_;
    ClusterNodes cluster_nodes_;
    RouterStreams edge_stream_;
    AddressThrottle registrations_;
    std::atomic<bool> rechecking_{false};  // one round of rechecks at a time
    std::atomic<unsigned> recheck_slice_{0};
    std::atomic<unsigned> heartbeat_slice_{0};

    mutable std::mutex mutex_;  // the two maps
    std::unordered_map<sdk::ConnectionId, std::shared_ptr<Session>> sessions_;
    std::unordered_map<std::string, int> local_users_;  // user id -> this gateway's authenticated connections
};

template <class Request, class Response>
void GatewayService::call(const ClientRequest& client, const char* service, const std::string& method,
                          const Request& request, std::function<void(const Response&)> on_reply,
                          const std::string& context, bool idempotent) {
    sdk::Result<sdk::CallOptions> how = options(service, method, idempotent);
    if (!how.ok()) return fail(client, how.status());
    rpc_.call<Request, Response>(*how, request,
                                 [this, client, on_reply = std::move(on_reply), context](sdk::Result<Response> result) {
                                     if (result.ok()) {
                                         on_reply(*result);
                                     } else {
                                         fail(client, result.status(), context);
                                     }
                                 });
}

}  // namespace lanchat::gateway
