#include "mesh/member_endpoints.hpp"

namespace lanchat::host::mesh {

MemberTable member_endpoints(const std::vector<discovery::v1::Node>& nodes, const std::string& self) {
    MemberTable members;
    for (const discovery::v1::Node& node : nodes) {
        if (node.node_id() == self) continue;
        MemberNode& member = members[node.node_id()];
        member.addresses.assign(node.addresses().begin(), node.addresses().end());
        member.services.insert(node.services().begin(), node.services().end());
    }
    return members;
}

}  // namespace lanchat::host::mesh
