#include "service_methods.hpp"

#include <array>
#include <utility>

namespace lanchat::gateway {
namespace {

constexpr std::array<std::pair<std::string_view, std::string_view>, 5> kServices = {{
    {"auth", "/lanchat.auth.v1.Auth/"},
    {"identity", "/lanchat.identity.v1.Identity/"},
    {"channel", "/lanchat.channel.v1.Channel/"},
    {"router", "/lanchat.router.v1.Router/"},
    {"presence", "/lanchat.presence.v1.Presence/"},
}};

}  // namespace

sdk::Result<std::string> full_method(std::string_view service, std::string_view method) {
    for (const auto& [name, prefix] : kServices) {
        if (name == service) return std::string(prefix) + std::string(method);
    }
    return sdk::Status(sdk::Code::internal, "the gateway calls no service named '" + std::string(service) +
                                                "' (only auth, identity, channel, router and presence)");
}

sdk::Result<sdk::CallOptions> call_options(std::string_view service, std::string_view method,
                                           std::chrono::milliseconds timeout, bool idempotent) {
    sdk::Result<std::string> name = full_method(service, method);
    if (!name.ok()) return name.status();
    return sdk::CallOptions{std::string(service), std::move(*name), timeout, idempotent, nullptr};
}

}  // namespace lanchat::gateway
