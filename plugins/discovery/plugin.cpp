// The Discovery plugin: serves the mesh's membership — its own registry, or, on a node whose membership is in
// etcd ([discovery] etcd), the nodes the host follows there.
//   config:  kSettings below
//   serves:  lanchat.discovery.v1.Discovery/Register, /ListNodes, /Resolve
//   calls:   nothing; reads the host's cluster membership (sdk::Membership)
#include <optional>

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
        : Plugin(host), rpc_(host), membership_(host), service_(settings().get<std::chrono::milliseconds>("ttl_ms")) {}

    Status start() override {
        using Clock = DiscoveryService::Clock;
        return Serving(rpc_, "/lanchat.discovery.v1.Discovery/")
            .sync<v1::RegisterRequest, v1::RegisterReply>("Register",
                                                          [this](auto& call, auto& r) -> Result<v1::RegisterReply> {
                                                              auto in_etcd = cluster();
                                                              if (!in_etcd.ok()) return in_etcd.status();
                                                              if (*in_etcd) return DiscoveryService::cluster_register();
                                                              return service_.registered(call.peer, r, Clock::now());
                                                          })
            .sync<v1::ListNodesRequest, v1::ListNodesReply>("ListNodes",
                                                            [this](auto&, auto&) -> Result<v1::ListNodesReply> {
                                                                auto in_etcd = cluster();
                                                                if (!in_etcd.ok()) return in_etcd.status();
                                                                if (*in_etcd) return std::move(**in_etcd);
                                                                return service_.list_nodes(Clock::now());
                                                            })
            .sync<v1::ResolveRequest, v1::ResolveReply>("Resolve",
                                                        [this](auto&, auto& r) -> Result<v1::ResolveReply> {
                                                            auto in_etcd = cluster();
                                                            if (!in_etcd.ok()) return in_etcd.status();
                                                            if (*in_etcd)
                                                                return DiscoveryService::cluster_resolved(**in_etcd, r);
                                                            return service_.resolved(r, Clock::now());
                                                        })
            .status();
    }

    Result<std::string> export_state() override { return service_.export_state(); }
    Status import_state(std::string_view state) override { return service_.import_state(std::string(state)); }

private:
    // The nodes the host follows in etcd; nothing when this node's membership is this registry.
    Result<std::optional<v1::ListNodesReply>> cluster() const {
        auto nodes = membership_.cluster_nodes();
        if (nodes.status().code() == Code::failed_precondition) return std::optional<v1::ListNodesReply>();
        if (!nodes.ok()) return nodes.status();
        v1::ListNodesReply cluster;
        if (!cluster.ParseFromString(*nodes)) return internal_error("the host's cluster membership did not parse");
        return std::optional<v1::ListNodesReply>(std::move(cluster));
    }

    Rpc rpc_;
    Membership membership_;
    DiscoveryService service_;
};

}  // namespace lanchat::discovery

LANCHAT_PLUGIN(lanchat::discovery::DiscoveryPlugin, "discovery", "0.1.0", lanchat::discovery::kSettings)
