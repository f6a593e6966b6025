// lanchatctl: the operator's tool. Subcommands: pki (later: status, plugins, health, reload, users, audit).
#include <iostream>
#include <string>
#include <vector>

#include "pki_command.hpp"

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
        std::cout << "usage: lanchatctl pki SUBCOMMAND ...\n\n" << lanchat::ctl::kPkiUsage;
        return args.empty() ? 2 : 0;
    }
    if (args[0] == "pki") return lanchat::ctl::run_pki_command({args.begin() + 1, args.end()});
    std::cerr << "lanchatctl: unknown command '" << args[0] << "' (try: lanchatctl pki ...)\n";
    return 2;
}
