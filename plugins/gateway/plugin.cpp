// The gateway plugin: the client protocol on the node's client edge (ABI 1.3), and the web client.
//   config:  auth_timeout_ms (10000), rate_per_second (20), burst (40), max_body_bytes (4000),
//            allow_registration (false), heartbeat_ms (10000: below Presence's device_ttl_ms),
//            call_timeout_ms (5000: the deadline of each request's calls to the services)
//   handles: the node's [client_edge] (WebSocket /ws and HTTPS for the web client)
//   calls:   auth, identity, channel, router, presence
// The connections belong to the host: reloading this plugin keeps them, and the successor learns who each
// one is from the session bytes the host keeps.
#include <chrono>
#include <memory>

#include "gateway_service.hpp"
#include "lanchat/sdk.hpp"
#include "lanchat/sdk/client_edge.hpp"
#include "lanchat/sdk/metrics.hpp"
#include "lanchat/sdk/rpc.hpp"

namespace lanchat::gateway {

using namespace lanchat::sdk;

class GatewayPlugin : public Plugin {
public:
    explicit GatewayPlugin(Host& host) : Plugin(host), rpc_(host), edge_(host), metrics_(host) {
        if (Status known = config().allow_only({"auth_timeout_ms", "rate_per_second", "burst", "max_body_bytes",
                                                "allow_registration", "heartbeat_ms", "call_timeout_ms"});
            !known.ok()) {
            throw StatusError(known);
        }
        GatewayLimits limits;
        limits.auth_timeout = config().value_or("auth_timeout_ms", limits.auth_timeout);
        limits.rate_per_second = static_cast<double>(config().value_or("rate_per_second", int64_t{20}));
        limits.burst = static_cast<double>(config().value_or("burst", int64_t{40}));
        limits.max_body_bytes = config().value_or("max_body_bytes", limits.max_body_bytes);
        limits.allow_registration = config().value_or("allow_registration", false);
        limits.heartbeat = config().value_or("heartbeat_ms", limits.heartbeat);
        limits.call_timeout = config().value_or("call_timeout_ms", limits.call_timeout);
        require(limits.auth_timeout.count() >= 100, "auth_timeout_ms", "must be at least 100");
        require(limits.rate_per_second >= 1 && limits.rate_per_second <= 100000, "rate_per_second",
                "must be between 1 and 100000");
        require(limits.burst >= 1 && limits.burst <= 100000, "burst", "must be between 1 and 100000");
        require(limits.max_body_bytes >= 1 && limits.max_body_bytes <= 1024 * 1024, "max_body_bytes",
                "must be between 1 and 1048576");
        require(limits.heartbeat.count() >= 100, "heartbeat_ms", "must be at least 100");
        require(limits.call_timeout.count() >= 100, "call_timeout_ms", "must be at least 100");
        heartbeat_ = limits.heartbeat;
        gateway_ = std::make_unique<GatewayService>(rpc_, edge_, log(), metrics_, limits,
                                                    "gateway@" + std::string(host.node_name()));
    }

    Status start() override {
        if (Status attached = edge_.attach(*gateway_); !attached.ok()) return attached;
        heartbeats_ = executor().every(heartbeat_, [this] { gateway_->send_heartbeats(); });
        sweeps_ = executor().every(std::chrono::milliseconds(500), [this] { gateway_->sweep(); });
        return {};
    }

    // Requests already admitted get their answers, new ones are refused; the connections stay with the host.
    void drain(DrainSignal done) override { gateway_->drain(std::move(done)); }

    void stop() override {
        heartbeats_.reset();
        sweeps_.reset();
        gateway_->cancel_streams();
    }

private:
    void require(bool ok, const char* key, const std::string& rule) {
        if (!ok) throw StatusError(invalid_argument(std::string(key) + " at " + config().where(key) + " " + rule));
    }

    Rpc rpc_;
    ClientEdge edge_;
    Metrics metrics_;
    std::chrono::milliseconds heartbeat_{10000};
    std::unique_ptr<GatewayService> gateway_;
    Timer heartbeats_;
    Timer sweeps_;
};

}  // namespace lanchat::gateway

LANCHAT_PLUGIN(lanchat::gateway::GatewayPlugin, "gateway", "0.1.0")
