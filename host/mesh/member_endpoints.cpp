#include "mesh/member_endpoints.hpp"

namespace lanchat::host::mesh {

EndpointTable member_endpoints(const std::vector<discovery::v1::Node>& nodes, const std::string& self) {
    EndpointTable where;
    for (const discovery::v1::Node& member : nodes) {
        if (member.node_id() == self) continue;
        for (const std::string& service : member.services()) {
            auto& endpoints = where[service];
            endpoints.insert(endpoints.end(), member.addresses().begin(), member.addresses().end());
        }
    }
    return where;
}

}  // namespace lanchat::host::mesh
