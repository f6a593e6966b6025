// Arguments: the `--flag value` parsing lanchatctl and the lanchat terminal client share, done by CLI11.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace lanchat::cli {

// Flags given as `--name value` or `--name=value` (repeatable) or `--name` alone (a switch); every other
// word is positional, wherever it stands. `--help` and `-h` are always known: help_requested() says a
// command should print its usage and succeed.
class Arguments {
public:
    // `switches` take no value. An unknown flag ("unknown option --x") or a flag without its value
    // ("--x needs a value") is recorded as the error.
    Arguments(const std::vector<std::string>& args, const std::set<std::string>& flags,
              const std::set<std::string>& switches = {});

    const std::optional<std::string>& error() const { return error_; }
    bool help_requested() const { return help_; }
    std::optional<std::string> value(const std::string& flag) const;  // the last one given
    std::vector<std::string> values(const std::string& flag) const;   // repeated, or comma-separated
    bool has(const std::string& flag) const;
    const std::vector<std::string>& positional() const { return positional_; }

private:
    std::map<std::string, std::vector<std::string>> values_;
    std::vector<std::string> positional_;
    std::optional<std::string> error_;
    bool help_ = false;
};

}  // namespace lanchat::cli
