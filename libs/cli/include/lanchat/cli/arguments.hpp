// Arguments: the `--flag value` parsing lanchatctl and the lanchat terminal client share.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace lanchat::cli {

// Flags given as `--name value` (repeatable) or `--name` alone (a switch); everything else is positional.
class Arguments {
public:
    // `switches` take no value. Unknown flags are recorded as errors.
    Arguments(const std::vector<std::string>& args, const std::set<std::string>& flags,
              const std::set<std::string>& switches = {});

    const std::optional<std::string>& error() const { return error_; }
    std::optional<std::string> value(const std::string& flag) const;
    std::vector<std::string> values(const std::string& flag) const;  // repeated, or comma-separated
    bool has(const std::string& flag) const;
    const std::vector<std::string>& positional() const { return positional_; }

private:
    std::map<std::string, std::vector<std::string>> values_;
    std::vector<std::string> positional_;
    std::optional<std::string> error_;
};

}  // namespace lanchat::cli
