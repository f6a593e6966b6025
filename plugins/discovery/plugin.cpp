// The Discovery plugin: serves the mesh's membership.
//   config:  ttl_ms (default 15000) — a node not heard from for this long is forgotten
//   serves:  lanchat.discovery.v1.Discovery/Register, /ListNodes, /Resolve
//   calls:   nothing
#include "lanchat/sdk.hpp"
#include "lanchat/sdk/rpc.hpp"
#include "registry.hpp"

namespace lanchat::discovery {

using namespace lanchat::sdk;

class DiscoveryPlugin : public Plugin {
public:
    explicit DiscoveryPlugin(Host& host)
        : Plugin(host), rpc_(host), registry_(config().value_or("ttl_ms", std::chrono::milliseconds(15000))) {
        if (Status known = config().allow_only({"ttl_ms"}); !known.ok()) throw StatusError(known);
        if (registry_.ttl().count() == 0) throw StatusError(invalid_argument("ttl_ms at " + config().where("ttl_ms") +
                                                                             " must be positive"));
    }

    Status start() override {
        Status served = rpc_.serve_unary<v1::RegisterRequest, v1::RegisterReply>(
            "/lanchat.discovery.v1.Discovery/Register", [this](const CallInfo& call, v1::RegisterRequest request,
                                                               Responder<v1::RegisterReply> responder) {
                auto now = Registry::Clock::now();
                if (Status registered = registry_.register_node(call.peer, request.node(), now); !registered.ok()) {
                    return responder.fail(registered);
                }
                v1::RegisterReply reply;
                for (v1::Node& node : registry_.live_nodes(now)) *reply.add_nodes() = std::move(node);
                reply.set_ttl_ms(static_cast<uint32_t>(registry_.ttl().count()));
                responder.reply(reply);
            });
        if (!served.ok()) return served;
        served = rpc_.serve_unary<v1::ListNodesRequest, v1::ListNodesReply>(
            "/lanchat.discovery.v1.Discovery/ListNodes",
            [this](const CallInfo&, v1::ListNodesRequest, Responder<v1::ListNodesReply> responder) {
                v1::ListNodesReply reply;
                for (v1::Node& node : registry_.live_nodes(Registry::Clock::now())) *reply.add_nodes() = std::move(node);
                responder.reply(reply);
            });
        if (!served.ok()) return served;
        return rpc_.serve_unary<v1::ResolveRequest, v1::ResolveReply>(
            "/lanchat.discovery.v1.Discovery/Resolve",
            [this](const CallInfo&, v1::ResolveRequest request, Responder<v1::ResolveReply> responder) {
                v1::ResolveReply reply;
                for (std::string& endpoint : registry_.resolve(request.service(), Registry::Clock::now())) {
                    reply.add_endpoints(std::move(endpoint));
                }
                responder.reply(reply);
            });
    }

    Result<std::string> export_state() override { return registry_.export_state(); }
    Status import_state(std::string_view state) override { return registry_.import_state(std::string(state)); }

private:
    Rpc rpc_;
    Registry registry_;
};

}  // namespace lanchat::discovery

LANCHAT_PLUGIN(lanchat::discovery::DiscoveryPlugin, "discovery", "0.1.0")
