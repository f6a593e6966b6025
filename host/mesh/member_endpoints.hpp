// Where each service is, read from a membership's node records (the Discovery registry's or etcd's).
#pragma once

#include <string>
#include <vector>

#include "lanchat/discovery/v1/discovery.pb.h"
#include "mesh/endpoint_resolver.hpp"

namespace lanchat::host::mesh {

// Service -> the mesh addresses of the nodes that host it; `self` is left out (its services resolve locally).
EndpointTable member_endpoints(const std::vector<discovery::v1::Node>& nodes, const std::string& self);

}  // namespace lanchat::host::mesh
