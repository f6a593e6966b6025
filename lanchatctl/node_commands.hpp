// `lanchatctl status|plugins|health|metrics|reload`: what an operator asks a running node, through its
// admin endpoint.
#pragma once

#include <string>
#include <vector>

namespace lanchat::ctl {

extern const char* const kNodeUsage;

// Runs one node command; returns the exit code (0 done / ready, 1 failed / not ready, 2 usage).
int run_node_command(const std::string& command, const std::vector<std::string>& args);

}  // namespace lanchat::ctl
