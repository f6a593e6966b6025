// The Discovery plugin: serves the mesh's membership.
//   config:  kSettings below
//   serves:  lanchat.discovery.v1.Discovery/Register, /ListNodes, /Resolve
//   calls:   nothing
#include "discovery_service.hpp"
#include "lanchat/sdk.hpp"
#include "lanchat/sdk/serving.hpp"

namespace lanchat::discovery {

using namespace lanchat::sdk;

namespace {

constexpr Setting kSettings[] = {
    setting::milliseconds("ttl_ms", 15000, 1, setting::kNoLimit, "a node not heard from for this long is forgotten"),
};

}  // namespace

class DiscoveryPlugin : public Plugin {
public:
    explicit DiscoveryPlugin(Host& host)
        : Plugin(host), rpc_(host), service_(settings().get<std::chrono::milliseconds>("ttl_ms")) {}

    Status start() override {
        using Clock = DiscoveryService::Clock;
        return Serving(rpc_, "/lanchat.discovery.v1.Discovery/")
            .sync<v1::RegisterRequest, v1::RegisterReply>(
                "Register", [this](auto& call, auto& r) { return service_.registered(call.peer, r, Clock::now()); })
            .sync<v1::ListNodesRequest, v1::ListNodesReply>(
                "ListNodes", [this](auto&, auto&) { return service_.list_nodes(Clock::now()); })
            .sync<v1::ResolveRequest, v1::ResolveReply>(
                "Resolve", [this](auto&, auto& r) { return service_.resolved(r, Clock::now()); })
            .status();
    }

    Result<std::string> export_state() override { return service_.export_state(); }
    Status import_state(std::string_view state) override { return service_.import_state(std::string(state)); }

private:
    Rpc rpc_;
    DiscoveryService service_;
};

}  // namespace lanchat::discovery

LANCHAT_PLUGIN(lanchat::discovery::DiscoveryPlugin, "discovery", "0.1.0", lanchat::discovery::kSettings)
