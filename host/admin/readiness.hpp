// Readiness as the admin endpoint reports it: the node is ready when it serves and every core plugin is
// started and SERVING. /health/ready answers it as text, /status as JSON.
#pragma once

#include <string>
#include <vector>

#include "host_fwd.hpp"
#include "lanchat/plugin_abi.h"

namespace lanchat::host::admin {

// "serving", "not_serving" or "unknown".
const char* health_name(lanchat_health_status status);

// One line per reason the node is not ready ("plugin 'audit' is not_serving: disk full"); empty when ready.
std::vector<std::string> readiness_problems(Node& node);

}  // namespace lanchat::host::admin
