// The gateway plugin: the client protocol on the node's client edge (ABI 1.3), and the web client.
//   config:  kSettings below
//   handles: the node's [client_edge] (WebSocket /ws and HTTPS for the web client)
//   calls:   auth (Recheck of every open session each session_recheck_ms, batched), identity, channel,
//            router (a SubscribeEdge stream to each node's Router: router_streams.hpp), presence
// The connections belong to the host: reloading this plugin keeps them, and the successor learns who each
// one is from the session bytes the host keeps.
#include <chrono>
#include <memory>

#include "edge_identity.hpp"
#include "gateway_service.hpp"
#include "lanchat/sdk.hpp"
#include "lanchat/sdk/client_edge.hpp"
#include "lanchat/sdk/membership.hpp"
#include "lanchat/sdk/metrics.hpp"
#include "lanchat/sdk/rpc.hpp"

namespace lanchat::gateway {

using namespace lanchat::sdk;

namespace {

constexpr Setting kSettings[] = {
    setting::milliseconds("auth_timeout_ms", 10000, 100, setting::kNoLimit,
                          "how long a new connection has to authenticate before it is closed (4001)"),
    setting::integer("rate_per_second", 20, 1, 100000, "requests per second per connection, refilled continuously"),
    setting::integer("burst", 40, 1, 100000, "requests a connection may send at once before rate_limited"),
    setting::integer("max_body_bytes", 4000, 1, 1024 * 1024, "the largest message body told to clients"),
    setting::boolean("allow_registration", false, "people may create their own member accounts"),
    setting::milliseconds("heartbeat_ms", 10000, 100, setting::kNoLimit,
                          "how often each connected user's presence is renewed (below Presence's device_ttl_ms)"),
    setting::milliseconds("call_timeout_ms", 5000, 100, setting::kNoLimit,
                          "the deadline of each request's calls to the services"),
    setting::integer("max_writes_in_flight", 256, 1, 1000000,
                     "sends, edits and deletes waiting for the Router at once; more are refused (unavailable)"),
    setting::integer("max_reply_bytes", 256 * 1024, 16 * 1024, 64 * 1024 * 1024,
                     "the largest history reply: a page over it is cut short and says more: true"),
    setting::integer("max_requests_in_flight", 16, 1, 10000,
                     "requests one connection may have in the services at once (more: rate_limited)"),
    setting::milliseconds(
        "session_recheck_ms", 2000, 100, setting::kNoLimit,
        "how often open sessions are checked again (logged out, user disabled, device revoked: 4003)"),
    setting::integer("registrations_per_minute", 6, 1, 100000, "`register` requests per client address per minute"),
    setting::integer("registration_burst", 3, 1, 100000, "`register` requests an address may send at once"),
    setting::integer("max_watched_users", 1000, 1, 1000,
                     "users one connection may watch the presence of, all presence.watch requests together"),
};

}  // namespace

class GatewayPlugin : public Plugin {
public:
    explicit GatewayPlugin(Host& host) : Plugin(host), rpc_(host), edge_(host), metrics_(host), membership_(host) {
        GatewayLimits limits;
        limits.auth_timeout = settings().get<std::chrono::milliseconds>("auth_timeout_ms");
        limits.rate_per_second = settings().get<double>("rate_per_second");
        limits.burst = settings().get<double>("burst");
        limits.max_body_bytes = settings().get<size_t>("max_body_bytes");
        limits.max_reply_bytes = settings().get<size_t>("max_reply_bytes");
        limits.max_requests_in_flight = settings().get<size_t>("max_requests_in_flight");
        limits.allow_registration = settings().get<bool>("allow_registration");
        limits.heartbeat = settings().get<std::chrono::milliseconds>("heartbeat_ms");
        limits.call_timeout = settings().get<std::chrono::milliseconds>("call_timeout_ms");
        limits.max_writes_in_flight = settings().get<size_t>("max_writes_in_flight");
        limits.registrations_per_minute = settings().get<double>("registrations_per_minute");
        limits.registration_burst = settings().get<double>("registration_burst");
        limits.max_watched = settings().get<size_t>("max_watched_users");
        heartbeat_ = limits.heartbeat;
        recheck_ = settings().get<std::chrono::milliseconds>("session_recheck_ms");
        gateway_ = std::make_unique<GatewayService>(rpc_, edge_, log(), metrics_, limits, edge_id_for(host.node_name()),
                                                    [this] { return membership_.cluster_nodes(); });
    }

    Status start() override {
        if (Status attached = edge_.attach(*gateway_); !attached.ok()) return attached;
        heartbeats_ =
            executor().every(heartbeat_ / GatewayService::kSpreadSlices, [this] { gateway_->send_heartbeats(); });
        sweeps_ = executor().every(std::chrono::milliseconds(500), [this] { gateway_->sweep(); });
        rechecks_ =
            executor().every(recheck_ / GatewayService::kSpreadSlices, [this] { gateway_->recheck_sessions(); });
        gateway_->start_deliveries();
        deliveries_ = executor().every(std::chrono::milliseconds(100), [this] { gateway_->tick_deliveries(); });
        return {};
    }

    // Requests already admitted get their answers, new ones are refused; the connections stay with the host.
    void drain(DrainSignal done) override { gateway_->drain(std::move(done)); }

    void stop() override {
        heartbeats_.reset();
        sweeps_.reset();
        rechecks_.reset();
        deliveries_.reset();
        gateway_->cancel_streams();
    }

private:
    Rpc rpc_;
    ClientEdge edge_;
    Metrics metrics_;
    Membership membership_;
    std::chrono::milliseconds heartbeat_{10000};
    std::chrono::milliseconds recheck_{2000};
    std::unique_ptr<GatewayService> gateway_;
    Timer heartbeats_;
    Timer sweeps_;
    Timer rechecks_;
    Timer deliveries_;
};

}  // namespace lanchat::gateway

LANCHAT_PLUGIN(lanchat::gateway::GatewayPlugin, "gateway", "0.1.0", lanchat::gateway::kSettings)
