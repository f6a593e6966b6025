// Who this gateway instance is to the services: its edge id names it to the Router (its delivery stream)
// and to Presence (its users' devices); its own history reads (a feed's gaps) go to Channel as a service.
// Both must pass the services' id check (plugin_support::kMaxIdBytes) for every valid node name, which is
// 1 to 63 bytes of lowercase letters, digits, '-', '_' and '.' (the PKI's rule).
#pragma once

#include <string>
#include <string_view>

#include "checks.hpp"

namespace lanchat::gateway {

// The actor of the edge's gap reads, with the admin role: the same on every node, so no node name can make
// it too long.
inline constexpr std::string_view kEdgeReader = "svc:gateway";

// "gateway@<node>" while that fits the id limit, else the node name itself: a node name holds no '@', so
// the two forms never name the same edge for two different nodes.
inline std::string edge_id_for(std::string_view node_name) {
    std::string id = "gateway@" + std::string(node_name);
    return id.size() <= plugin_support::kMaxIdBytes ? id : std::string(node_name);
}

}  // namespace lanchat::gateway
