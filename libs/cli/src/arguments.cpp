#include "lanchat/cli/arguments.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <sstream>

namespace lanchat::cli {
namespace {

// CLI11 names the option first ("--admin: 1 required TEXT missing"); users have always read "--admin needs
// a value".
std::string missing_value_message(const std::string& what) { return what.substr(0, what.find(':')) + " needs a value"; }

}  // namespace

Arguments::Arguments(const std::vector<std::string>& args, const std::set<std::string>& flags,
                     const std::set<std::string>& switches) {
    CLI::App app;
    app.set_help_flag();  // commands print their own usage; see help_requested()
    std::map<std::string, CLI::Option*> given;
    for (const std::string& name : flags) {
        given[name] = app.add_option("--" + name, values_[name])
                          ->expected(1)
                          ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
                          ->allow_extra_args(false);
    }
    for (const std::string& name : switches) {
        if (name != "help") given[name] = app.add_flag("--" + name);
    }
    CLI::Option* help = app.add_flag("-h,--help");
    app.add_option("words", positional_);
    std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes the arguments last first
    try {
        app.parse(reversed);
    } catch (const CLI::ExtrasError&) {
        std::vector<std::string> extras = app.remaining();
        error_ = "unknown option " + (extras.empty() ? std::string("?") : extras.front());
    } catch (const CLI::ArgumentMismatch& mismatch) {
        error_ = missing_value_message(mismatch.what());
    } catch (const CLI::ParseError& failure) {
        error_ = failure.what();
    }
    help_ = help->count() > 0;
    for (const auto& [name, option] : given) {
        if (switches.count(name) != 0 && option->count() > 0) values_[name].assign(option->count(), "");
    }
    for (auto it = values_.begin(); it != values_.end();) it = it->second.empty() ? values_.erase(it) : std::next(it);
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

bool Arguments::has(const std::string& flag) const { return values_.count(flag) != 0 || (flag == "help" && help_); }

}  // namespace lanchat::cli
