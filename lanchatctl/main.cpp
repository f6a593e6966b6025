// lanchatctl: the operator's tool — the local PKI, questions to a running node's admin endpoint, the audit
// record and the users.
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "audit_command.hpp"
#include "node_commands.hpp"
#include "operator_rpc.hpp"
#include "pki_command.hpp"
#include "user_command.hpp"

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
        std::cout << "usage:\n"
                  << lanchat::ctl::kPkiUsage << "\n"
                  << lanchat::ctl::kNodeUsage << "\n"
                  << lanchat::ctl::kAuditUsage << "\n"
                  << lanchat::ctl::kUserUsage << lanchat::ctl::kOperatorFlagsUsage
                  << "\nlanchatctl COMMAND --help shows one command's usage.\n";
        return args.empty() ? 2 : 0;
    }
    if (args[0] == "pki") return lanchat::ctl::run_pki_command({args.begin() + 1, args.end()});
    if (args[0] == "audit") return lanchat::ctl::run_audit_command({args.begin() + 1, args.end()});
    if (args[0] == "user") return lanchat::ctl::run_user_command({args.begin() + 1, args.end()});
    // Node commands may come after the admin options: find the first word that is a command.
    static const std::set<std::string> commands = {"status", "plugins", "health", "metrics", "reload"};
    for (size_t i = 0; i < args.size(); ++i) {
        if (commands.count(args[i]) == 0) continue;
        std::vector<std::string> rest(args.begin(), args.begin() + static_cast<long>(i));
        rest.insert(rest.end(), args.begin() + static_cast<long>(i) + 1, args.end());
        return lanchat::ctl::run_node_command(args[i], rest);
    }
    std::cerr << "lanchatctl: unknown command '" << args[0] << "' (try lanchatctl --help)\n";
    return 2;
}
