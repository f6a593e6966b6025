// Where each other node's services are, read from a membership's node records (the Discovery registry's or
// etcd's).
#pragma once

#include <string>
#include <vector>

#include "lanchat/discovery/v1/discovery.pb.h"
#include "mesh/endpoint_resolver.hpp"

namespace lanchat::host::mesh {

// Node name -> its mesh addresses and services; `self` is left out (its services resolve locally).
MemberTable member_endpoints(const std::vector<discovery::v1::Node>& nodes, const std::string& self);

}  // namespace lanchat::host::mesh
