// The Identity plugin: users, Argon2id password hashes and devices in SQLite.
//   config:  kSettings below: the cost of new hashes; existing hashes keep theirs and are re-made at the
//            next successful login when weaker
//   store:   <data dir>/identity.sqlite
//   serves:  lanchat.identity.v1.Identity/* (operators, Auth, the gateway); /VerifyPassword (Auth only)
//   calls:   nothing
#include <chrono>

#include "clock.hpp"
#include "identity_service.hpp"
#include "lanchat/sdk.hpp"
#include "lanchat/sdk/serving.hpp"

namespace lanchat::identity {

using namespace lanchat::sdk;

namespace {

// libargon2 needs m >= 8 * p; below 8 MiB or one pass the hash is too cheap to be worth having.
constexpr Setting kSettings[] = {
    setting::integer("argon2_memory_kib", 65536, 8192, 4 * 1024 * 1024, "memory per new password hash, in KiB"),
    setting::integer("argon2_iterations", 3, 1, 64, "passes over that memory per new hash"),
    setting::integer("argon2_parallelism", 1, 1, 16, "lanes per new hash"),
};

Argon2Parameters configured_parameters(const Settings& settings) {
    Argon2Parameters parameters;
    parameters.memory_kib = settings.get<uint32_t>("argon2_memory_kib");
    parameters.iterations = settings.get<uint32_t>("argon2_iterations");
    parameters.parallelism = settings.get<uint32_t>("argon2_parallelism");
    return parameters;
}

}  // namespace

class IdentityPlugin : public Plugin {
public:
    explicit IdentityPlugin(Host& host) : Plugin(host), rpc_(host) {
        auto store = open_sqlite_store(std::filesystem::path(config().data_dir()) / "identity.sqlite");
        service_ = std::make_unique<IdentityService>(value_or_throw(std::move(store)),
                                                     configured_parameters(settings()), plugin_support::unix_ms_now);
    }

    Status start() override {
        IdentityService& s = *service_;
        return Serving(rpc_, "/lanchat.identity.v1.Identity/")
            .unary<v1::CreateUserRequest, v1::User>(
                "CreateUser", on_executor<v1::CreateUserRequest, v1::User>([&s](const std::string& caller, auto& r) {
                    return s.create_user(r, is_operator(caller));
                }))
            .sync<v1::GetUserRequest, v1::User>("GetUser", [&s](auto&, auto& r) { return s.get_user(r); })
            .sync<v1::LookupUserRequest, v1::User>("LookupUser", [&s](auto&, auto& r) { return s.lookup_user(r); })
            .sync<v1::ListUsersRequest, v1::ListUsersReply>("ListUsers",
                                                            [&s](auto&, auto& r) { return s.list_users(r); })
            .sync<v1::UpdateUserRequest, v1::User>("UpdateUser", [&s](auto&, auto& r) { return s.update_user(r); })
            .sync<v1::SetUserDisabledRequest, v1::User>("SetUserDisabled",
                                                        [&s](auto&, auto& r) { return s.set_user_disabled(r); })
            .unary<v1::SetPasswordRequest, v1::SetPasswordReply>(
                "SetPassword", on_executor<v1::SetPasswordRequest, v1::SetPasswordReply>(
                                   [&s](const std::string&, auto& r) { return s.set_password(r); }))
            .unary<v1::VerifyPasswordRequest, v1::VerifyPasswordReply>(
                "VerifyPassword", on_executor<v1::VerifyPasswordRequest, v1::VerifyPasswordReply>(
                                      [&s](const std::string&, auto& r) { return s.verify_password(r); }))
            .sync<v1::AddDeviceRequest, v1::Device>("AddDevice", [&s](auto&, auto& r) { return s.add_device(r); })
            .sync<v1::ListDevicesRequest, v1::ListDevicesReply>("ListDevices",
                                                                [&s](auto&, auto& r) { return s.list_devices(r); })
            .sync<v1::RevokeDeviceRequest, v1::Device>("RevokeDevice",
                                                       [&s](auto&, auto& r) { return s.revoke_device(r); })
            .status();
    }

private:
    // Argon2id takes tens of milliseconds and 64 MiB: it runs on the host's executor, never on the thread
    // that serves the mesh, and the executor's size bounds how many run at once. `logic(caller, request)`.
    template <class Request, class Response, class Logic>
    Rpc::UnaryHandler<Request, Response> on_executor(Logic logic) {
        return [this, logic](const CallInfo& info, Request request, Responder<Response> responder) {
            executor().post([logic, caller = info.peer, request = std::move(request), responder]() mutable {
                responder.answer(logic(caller, request));
            });
        };
    }

    // spiffe://<domain>/operator/<name>: a person with an operator certificate, not a service.
    static bool is_operator(const std::string& caller) {
        return caller.rfind("spiffe://", 0) == 0 && caller.find("/operator/") != std::string::npos;
    }

    Rpc rpc_;
    std::unique_ptr<IdentityService> service_;
};

}  // namespace lanchat::identity

LANCHAT_PLUGIN(lanchat::identity::IdentityPlugin, "identity", "0.1.0", lanchat::identity::kSettings)
