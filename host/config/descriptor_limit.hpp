// lanchatd's file descriptors: the soft RLIMIT_NOFILE is raised to the hard limit at start, and a
// [client_edge] max_connections the limit cannot hold (beside a reserve for the mesh, the data files and
// the admin listener) is refused before anything starts, rather than failing accepts under load; the
// default max_connections is lowered to what the limit holds.
#pragma once

#include <cstddef>

#include "config/node_config.hpp"
#include "lanchat/sdk/status.hpp"

namespace lanchat::host {

constexpr size_t kDescriptorReserve = 256;  // the mesh, plugins' data files, the admin listener, logs

// Raises the soft limit to the hard one (as far as the kernel allows) and returns the soft limit in force.
size_t raise_descriptor_limit();

// FAILED_PRECONDITION naming both numbers when a max_connections the node file gives, plus the reserve, is
// over `limit`; the default is lowered to fit instead.
sdk::Status check_descriptor_room(NodeConfig& config, size_t limit);

}  // namespace lanchat::host
