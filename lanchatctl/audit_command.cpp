#include "audit_command.hpp"

#include <iostream>

#include "lanchat/audit/v1/audit.pb.h"
#include "lanchat/cli/arguments.hpp"
#include "operator_rpc.hpp"

namespace lanchat::ctl {

const char* const kAuditUsage =
    "lanchatctl audit verify --grpc HOST:PORT --pki DIR --operator NAME [--json]\n"
    "    asks the node's Audit service to recompute its hash chain and check it against the latest signed\n"
    "    checkpoint; exit 0 when intact, 1 when broken or cut short\n";

int run_audit_command(const std::vector<std::string>& args) {
    cli::Arguments arguments(args, {"grpc", "pki", "operator"}, {"json"});
    if (arguments.help_requested()) {
        std::cout << kAuditUsage << kOperatorFlagsUsage;
        return 0;
    }
    if (arguments.error() || arguments.positional() != std::vector<std::string>{"verify"}) {
        std::cerr << "lanchatctl audit: " << arguments.error().value_or("missing arguments") << "\n\n" << kAuditUsage;
        return 2;
    }
    std::string error;
    auto rpc = OperatorRpc::connect(arguments, "audit", error);
    if (!rpc) {
        std::cerr << "lanchatctl audit: " << error << "\n";
        return 1;
    }
    audit::v1::VerifyReply verdict;
    if (std::string failed = rpc->call("/lanchat.audit.v1.Audit/Verify", audit::v1::VerifyRequest(), verdict);
        !failed.empty()) {
        std::cerr << "lanchatctl audit: Verify failed: " << failed << "\n";
        return 1;
    }
    if (arguments.has("json")) {
        std::cout << "{\"intact\":" << (verdict.intact() ? "true" : "false") << ",\"entries\":" << verdict.entries()
                  << ",\"first_broken_sequence\":" << verdict.first_broken_sequence()
                  << ",\"checkpoint_entries\":" << verdict.checkpoint_entries() << ",\"checkpoint_hash\":\""
                  << verdict.checkpoint_hash() << "\"}\n";
    } else if (verdict.intact()) {
        std::cout << "audit chain intact: " << verdict.entries() << " entries, signed checkpoint at entry "
                  << verdict.checkpoint_entries() << " (head " << verdict.checkpoint_hash().substr(0, 16) << ")\n";
    } else {
        std::cout << "audit chain BROKEN: " << verdict.reason() << " (" << verdict.entries() << " entries)\n";
    }
    return verdict.intact() ? 0 : 1;
}

}  // namespace lanchat::ctl
