// lanchat_discovery_api: the cluster membership the node follows in etcd, for the Discovery service.
#include "abi/sink.hpp"
#include "abi/tables.hpp"
#include "mesh/mesh.hpp"
#include "runtime/host_context.hpp"

namespace lanchat::host::abi {
namespace {

lanchat_status_code discovery_cluster_nodes(lanchat_host_context* ctx, lanchat_sink* out) {
    if (ctx->mesh == nullptr) return LANCHAT_FAILED_PRECONDITION;
    auto nodes = ctx->mesh->cluster_nodes();
    if (!nodes.ok()) return static_cast<lanchat_status_code>(nodes.status().code());
    discovery::v1::ListNodesReply reply;
    for (discovery::v1::Node& node : *nodes) *reply.add_nodes() = std::move(node);
    write_to(out, reply.SerializeAsString());
    return LANCHAT_OK;
}

const lanchat_discovery_api kDiscoveryApi = {sizeof(lanchat_discovery_api), &discovery_cluster_nodes};

}  // namespace

const lanchat_discovery_api* discovery_api_table() { return &kDiscoveryApi; }

}  // namespace lanchat::host::abi
