// lanchatctl user: operators manage users through the node's Identity service.
#pragma once

#include <string>
#include <vector>

namespace lanchat::ctl {

extern const char* const kUserUsage;
int run_user_command(const std::vector<std::string>& args);

}  // namespace lanchat::ctl
