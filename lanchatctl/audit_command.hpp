// `lanchatctl audit verify`: asks a node's Audit service, over mTLS as an operator, to check its chain.
#pragma once

#include <string>
#include <vector>

namespace lanchat::ctl {

extern const char* const kAuditUsage;

int run_audit_command(const std::vector<std::string>& args);

}  // namespace lanchat::ctl
