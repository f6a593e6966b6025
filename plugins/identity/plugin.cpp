// The Identity plugin: users, Argon2id password hashes and devices in SQLite.
//   config:  argon2_memory_kib (default 65536), argon2_iterations (3), argon2_parallelism (1): the cost of
//            new hashes; existing hashes keep theirs and are re-made at the next successful login when weaker
//   store:   <data dir>/identity.sqlite
//   serves:  lanchat.identity.v1.Identity/* (operators, Auth, the gateway); /VerifyPassword (Auth only)
//   calls:   nothing
#include <chrono>

#include "clock.hpp"
#include "identity_service.hpp"
#include "lanchat/sdk.hpp"
#include "lanchat/sdk/rpc.hpp"

namespace lanchat::identity {

using namespace lanchat::sdk;

namespace {

Argon2Parameters configured_parameters(const Config& config) {
    Argon2Parameters parameters;
    parameters.memory_kib = config.value_or("argon2_memory_kib", parameters.memory_kib);
    parameters.iterations = config.value_or("argon2_iterations", parameters.iterations);
    parameters.parallelism = config.value_or("argon2_parallelism", parameters.parallelism);
    // libargon2 needs m >= 8 * p; below 8 MiB or one pass the hash is too cheap to be worth having.
    if (parameters.memory_kib < 8192 || parameters.memory_kib > 4 * 1024 * 1024 || parameters.iterations < 1 ||
        parameters.iterations > 64 || parameters.parallelism < 1 || parameters.parallelism > 16) {
        throw StatusError(invalid_argument("argon2 parameters out of range at " + config.where("argon2_memory_kib") +
                                           ": argon2_memory_kib 8192-4194304, argon2_iterations 1-64, "
                                           "argon2_parallelism 1-16"));
    }
    return parameters;
}

}  // namespace

class IdentityPlugin : public Plugin {
public:
    explicit IdentityPlugin(Host& host) : Plugin(host), rpc_(host) {
        if (Status known = config().allow_only({"argon2_memory_kib", "argon2_iterations", "argon2_parallelism"});
            !known.ok()) {
            throw StatusError(known);
        }
        auto store = open_sqlite_store(std::filesystem::path(config().data_dir()) / "identity.sqlite");
        service_ = std::make_unique<IdentityService>(value_or_throw(std::move(store)), configured_parameters(config()),
                                                     plugin_support::unix_ms_now);
    }

    Status start() override {
        constexpr const char* kService = "/lanchat.identity.v1.Identity/";
        IdentityService& s = *service_;
        for (Status served : {
                 serve_on_executor<v1::CreateUserRequest, v1::User>(kService, "CreateUser", [&s](const std::string& caller, auto& r) {
                     return s.create_user(r, is_operator(caller));
                 }),
                 serve_here<v1::GetUserRequest, v1::User>(kService, "GetUser", [&s](auto& r) { return s.get_user(r); }),
                 serve_here<v1::LookupUserRequest, v1::User>(kService, "LookupUser", [&s](auto& r) { return s.lookup_user(r); }),
                 serve_here<v1::ListUsersRequest, v1::ListUsersReply>(kService, "ListUsers", [&s](auto& r) { return s.list_users(r); }),
                 serve_here<v1::UpdateUserRequest, v1::User>(kService, "UpdateUser", [&s](auto& r) { return s.update_user(r); }),
                 serve_here<v1::SetUserDisabledRequest, v1::User>(kService, "SetUserDisabled",
                                                               [&s](auto& r) { return s.set_user_disabled(r); }),
                 serve_on_executor<v1::SetPasswordRequest, v1::SetPasswordReply>(kService, "SetPassword",
                                                                         [&s](const std::string&, auto& r) { return s.set_password(r); }),
                 serve_on_executor<v1::VerifyPasswordRequest, v1::VerifyPasswordReply>(
                     kService, "VerifyPassword", [&s](const std::string&, auto& r) { return s.verify_password(r); }),
                 serve_here<v1::AddDeviceRequest, v1::Device>(kService, "AddDevice", [&s](auto& r) { return s.add_device(r); }),
                 serve_here<v1::ListDevicesRequest, v1::ListDevicesReply>(kService, "ListDevices",
                                                                       [&s](auto& r) { return s.list_devices(r); }),
                 serve_here<v1::RevokeDeviceRequest, v1::Device>(kService, "RevokeDevice",
                                                              [&s](auto& r) { return s.revoke_device(r); }),
             }) {
            if (!served.ok()) return served;
        }
        return {};
    }

private:
    template <class Request, class Response, class Logic>
    Status serve_here(const std::string& service, const char* method, Logic logic) {
        return rpc_.serve_sync<Request, Response>(service + method,
                                                  [logic](const CallInfo&, const Request& request) { return logic(request); });
    }

    // Argon2id takes tens of milliseconds and 64 MiB: it runs on the host's executor, never on the thread
    // that serves the mesh, and the executor's size bounds how many run at once. `logic(caller, request)`.
    template <class Request, class Response, class Logic>
    Status serve_on_executor(const std::string& service, const char* method, Logic logic) {
        return rpc_.serve_unary<Request, Response>(
            service + method, [this, logic](const CallInfo& info, Request request, Responder<Response> responder) {
                executor().post([logic, caller = info.peer, request = std::move(request), responder]() mutable {
                    responder.answer(logic(caller, request));
                });
            });
    }

    // spiffe://<domain>/operator/<name>: a person with an operator certificate, not a service.
    static bool is_operator(const std::string& caller) {
        return caller.rfind("spiffe://", 0) == 0 && caller.find("/operator/") != std::string::npos;
    }

    Rpc rpc_;
    std::unique_ptr<IdentityService> service_;
};

}  // namespace lanchat::identity

LANCHAT_PLUGIN(lanchat::identity::IdentityPlugin, "identity", "0.1.0")
