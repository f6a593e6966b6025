// `lanchatctl pki ...`: the operator's side of the local PKI.
#pragma once

#include <string>
#include <vector>

namespace lanchat::ctl {

// Runs `lanchatctl pki <args>`; returns the process exit code (0 done, 1 failed, 2 usage).
int run_pki_command(const std::vector<std::string>& args);

extern const char* const kPkiUsage;

}  // namespace lanchat::ctl
