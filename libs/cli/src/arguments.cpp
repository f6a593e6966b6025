#include "lanchat/cli/arguments.hpp"

#include <sstream>

namespace lanchat::cli {

Arguments::Arguments(const std::vector<std::string>& args, const std::set<std::string>& flags,
                     const std::set<std::string>& switches) {
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg.rfind("--", 0) != 0) {
            positional_.push_back(arg);
            continue;
        }
        std::string name = arg.substr(2);
        if (switches.count(name) != 0) {
            values_[name].push_back("");
        } else if (flags.count(name) == 0) {
            error_ = "unknown option " + arg;
            return;
        } else if (i + 1 >= args.size()) {
            error_ = arg + " needs a value";
            return;
        } else {
            values_[name].push_back(args[++i]);
        }
    }
}

std::optional<std::string> Arguments::value(const std::string& flag) const {
    auto found = values_.find(flag);
    if (found == values_.end()) return std::nullopt;
    return found->second.back();
}

std::vector<std::string> Arguments::values(const std::string& flag) const {
    std::vector<std::string> all;
    auto found = values_.find(flag);
    if (found == values_.end()) return all;
    for (const std::string& value : found->second) {
        std::istringstream parts(value);
        std::string part;
        while (std::getline(parts, part, ',')) {
            if (!part.empty()) all.push_back(part);
        }
    }
    return all;
}

bool Arguments::has(const std::string& flag) const { return values_.count(flag) != 0; }

}  // namespace lanchat::cli
