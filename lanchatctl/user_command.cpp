#include "user_command.hpp"

#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "lanchat/cli/arguments.hpp"
#include "lanchat/cli/terminal.hpp"
#include "lanchat/identity/v1/identity.pb.h"
#include "operator_rpc.hpp"

namespace lanchat::ctl {

const char* const kUserUsage =
    "lanchatctl user add NAME [--role admin|member] [--display-name TEXT]   (password from the terminal or stdin)\n"
    "lanchatctl user list [--json]\n"
    "lanchatctl user disable NAME | enable NAME\n"
    "lanchatctl user passwd NAME                                            (password from the terminal or stdin)\n"
    "lanchatctl user devices NAME                                           (id, name, state, fingerprint)\n"
    "lanchatctl user revoke-device NAME DEVICE_ID                           (its sessions end within seconds)\n"
    "  each with:\n";

namespace {

using identity::v1::User;
constexpr const char* kIdentity = "/lanchat.identity.v1.Identity/";

const char* role_name(identity::v1::Role role) { return role == identity::v1::ROLE_ADMIN ? "admin" : "member"; }

std::string user_json(const User& user) {
    nlohmann::ordered_json object = {{"id", user.id()},
                                     {"username", user.username()},
                                     {"display_name", user.display_name()},
                                     {"role", role_name(user.role())},
                                     {"disabled", user.disabled()},
                                     {"created_unix_ms", user.created_unix_ms()}};
    return object.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

int fail(const std::string& what) {
    std::cerr << "lanchatctl user: " << what << "\n";
    return 1;
}

int add(const OperatorRpc& rpc, const cli::Arguments& arguments, const std::string& name) {
    identity::v1::CreateUserRequest request;
    request.set_username(name);
    request.set_display_name(arguments.value("display-name").value_or(""));
    const std::string role = arguments.value("role").value_or("member");
    if (role != "admin" && role != "member") return fail("--role is admin or member, not '" + role + "'");
    request.set_role(role == "admin" ? identity::v1::ROLE_ADMIN : identity::v1::ROLE_MEMBER);
    std::string error;
    auto password = cli::read_secret("password: ", true, error);
    if (!password) return fail(error);
    request.set_password(*password);
    User user;
    if (std::string failed = rpc.call(std::string(kIdentity) + "CreateUser", request, user); !failed.empty()) {
        return fail("cannot add " + name + ": " + failed);
    }
    std::cout << "added " << user.username() << " (" << role_name(user.role()) << ", id " << user.id() << ")\n";
    return 0;
}

int list(const OperatorRpc& rpc, bool json) {
    identity::v1::ListUsersRequest request;
    request.mutable_page()->set_page_size(500);
    std::string separator;
    if (json) std::cout << "[";
    do {
        identity::v1::ListUsersReply reply;
        if (std::string failed = rpc.call(std::string(kIdentity) + "ListUsers", request, reply); !failed.empty()) {
            if (json) std::cout << "]\n";
            return fail("cannot list users: " + failed);
        }
        for (const User& user : reply.users()) {
            if (json) {
                std::cout << separator << user_json(user);
                separator = ",";
            } else {
                std::cout << user.username() << "\t" << role_name(user.role()) << "\t"
                          << (user.disabled() ? "disabled" : "active") << "\t" << user.id() << "\t"
                          << user.display_name() << "\n";
            }
        }
        request.mutable_page()->set_page_token(reply.page().next_page_token());
    } while (!request.page().page_token().empty());
    if (json) std::cout << "]\n";
    return 0;
}

std::optional<User> find(const OperatorRpc& rpc, const std::string& name, std::string& error) {
    identity::v1::LookupUserRequest request;
    request.set_username(name);
    User user;
    if (std::string failed = rpc.call(std::string(kIdentity) + "LookupUser", request, user); !failed.empty()) {
        error = "cannot find " + name + ": " + failed;
        return std::nullopt;
    }
    return user;
}

int set_disabled(const OperatorRpc& rpc, const std::string& name, bool disabled) {
    std::string error;
    auto user = find(rpc, name, error);
    if (!user) return fail(error);
    identity::v1::SetUserDisabledRequest request;
    request.set_id(user->id());
    request.set_disabled(disabled);
    if (std::string failed = rpc.call(std::string(kIdentity) + "SetUserDisabled", request, *user); !failed.empty()) {
        return fail(failed);
    }
    std::cout << user->username() << (disabled ? " disabled\n" : " enabled\n");
    return 0;
}

int passwd(const OperatorRpc& rpc, const std::string& name) {
    std::string error;
    auto user = find(rpc, name, error);
    if (!user) return fail(error);
    auto password = cli::read_secret("password: ", true, error);
    if (!password) return fail(error);
    identity::v1::SetPasswordRequest request;
    request.set_id(user->id());
    request.set_password(*password);
    identity::v1::SetPasswordReply reply;
    if (std::string failed = rpc.call(std::string(kIdentity) + "SetPassword", request, reply); !failed.empty()) {
        return fail("cannot set the password: " + failed);
    }
    std::cout << "password of " << user->username() << " changed\n";
    return 0;
}

int devices(const OperatorRpc& rpc, const std::string& name) {
    std::string error;
    auto user = find(rpc, name, error);
    if (!user) return fail(error);
    identity::v1::ListDevicesRequest request;
    request.set_user_id(user->id());
    identity::v1::ListDevicesReply reply;
    if (std::string failed = rpc.call(std::string(kIdentity) + "ListDevices", request, reply); !failed.empty()) {
        return fail("cannot list the devices of " + name + ": " + failed);
    }
    for (const auto& device : reply.devices()) {
        std::cout << device.id() << "\t" << device.name() << "\t" << (device.revoked() ? "revoked" : "active") << "\t"
                  << device.fingerprint() << "\n";
    }
    return 0;
}

int revoke_device(const OperatorRpc& rpc, const std::string& name, const std::string& device_id) {
    std::string error;
    auto user = find(rpc, name, error);
    if (!user) return fail(error);
    // The device must be this user's: an id typed for the wrong user is refused, not revoked.
    identity::v1::ListDevicesRequest list;
    list.set_user_id(user->id());
    identity::v1::ListDevicesReply owned;
    if (std::string failed = rpc.call(std::string(kIdentity) + "ListDevices", list, owned); !failed.empty()) {
        return fail("cannot list the devices of " + name + ": " + failed);
    }
    const bool theirs = std::any_of(owned.devices().begin(), owned.devices().end(),
                                    [&](const identity::v1::Device& device) { return device.id() == device_id; });
    if (!theirs) return fail(name + " has no device " + device_id + " (lanchatctl user devices " + name + ")");
    identity::v1::RevokeDeviceRequest request;
    request.set_id(device_id);
    identity::v1::Device device;
    if (std::string failed = rpc.call(std::string(kIdentity) + "RevokeDevice", request, device); !failed.empty()) {
        return fail("cannot revoke " + device_id + ": " + failed);
    }
    std::cout << "device " << device.id() << " (" << device.name() << ") of " << user->username() << " revoked\n";
    return 0;
}

}  // namespace

int run_user_command(const std::vector<std::string>& args) {
    cli::Arguments arguments(args, {"grpc", "pki", "operator", "role", "display-name"}, {"json"});
    if (arguments.help_requested()) {
        std::cout << kUserUsage << kOperatorFlagsUsage;
        return 0;
    }
    const auto& words = arguments.positional();
    const bool named = words.size() == 2 && (words[0] == "add" || words[0] == "disable" || words[0] == "enable" ||
                                             words[0] == "passwd" || words[0] == "devices");
    const bool device = words.size() == 3 && words[0] == "revoke-device";
    if (arguments.error() || !(named || device || (words.size() == 1 && words[0] == "list"))) {
        std::cerr << "lanchatctl user: " << arguments.error().value_or("unknown or incomplete command") << "\n\n"
                  << kUserUsage << kOperatorFlagsUsage;
        return 2;
    }
    std::string error;
    auto rpc = OperatorRpc::connect(arguments, "identity", error);
    if (!rpc) return fail(error);
    if (words[0] == "list") return list(*rpc, arguments.has("json"));
    if (words[0] == "add") return add(*rpc, arguments, words[1]);
    if (words[0] == "passwd") return passwd(*rpc, words[1]);
    if (words[0] == "devices") return devices(*rpc, words[1]);
    if (words[0] == "revoke-device") return revoke_device(*rpc, words[1], words[2]);
    return set_disabled(*rpc, words[1], words[0] == "disable");
}

}  // namespace lanchat::ctl
