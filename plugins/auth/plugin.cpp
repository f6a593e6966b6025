// The Auth plugin: logins, ES256 access tokens (JWT through libjwt), rotating refresh tokens.
//   config:  access_token_lifetime_ms (default 900000 = 15 min), refresh_token_lifetime_ms (30 days),
//            key_rotation_ms (24 h), login_free_failures (3), login_first_delay_ms (1000),
//            login_max_delay_ms (60000)
//   store:   <data dir>/auth.sqlite (signing keys, refresh families, revocations, the audit outbox)
//   serves:  lanchat.auth.v1.Auth/Login, /Validate, /Refresh, /Logout, /Keys (the client edge)
//   calls:   identity (VerifyPassword, GetUser), audit (Append, through the durable outbox)
#include <chrono>

#include "audit_outbox.hpp"
#include "clock.hpp"
#include "auth_service.hpp"
#include "lanchat/sdk.hpp"
#include "lanchat/sdk/rpc.hpp"
#include "sqlite_database.hpp"

namespace lanchat::auth {

using namespace lanchat::sdk;

namespace {

constexpr std::chrono::milliseconds kIdentityDeadline{10000};
constexpr std::chrono::milliseconds kHousekeeping{60000};

AuthSettings configured_settings(const Config& config) {
    AuthSettings settings;
    settings.access_token_lifetime = config.value_or("access_token_lifetime_ms", settings.access_token_lifetime);
    settings.refresh_token_lifetime = config.value_or("refresh_token_lifetime_ms", settings.refresh_token_lifetime);
    settings.key_rotation = config.value_or("key_rotation_ms", settings.key_rotation);
    settings.throttle.free_failures = config.value_or("login_free_failures", settings.throttle.free_failures);
    settings.throttle.first_delay = config.value_or("login_first_delay_ms", settings.throttle.first_delay);
    settings.throttle.max_delay = config.value_or("login_max_delay_ms", settings.throttle.max_delay);
    for (auto [key, value] : {std::pair{"access_token_lifetime_ms", settings.access_token_lifetime},
                              std::pair{"refresh_token_lifetime_ms", settings.refresh_token_lifetime},
                              std::pair{"key_rotation_ms", settings.key_rotation}}) {
        if (value.count() < 1000) {
            throw StatusError(invalid_argument(std::string(key) + " at " + config.where(key) + " must be at least 1000"));
        }
    }
    return settings;
}

// Identity over the mesh.
class MeshIdentity final : public IdentityDirectory {
public:
    explicit MeshIdentity(const Rpc& rpc) : rpc_(rpc) {}

    void verify_password(const Caller& caller, const identity::v1::VerifyPasswordRequest& request,
                         std::function<void(Result<identity::v1::VerifyPasswordReply>)> done) override {
        rpc_.call<identity::v1::VerifyPasswordRequest, identity::v1::VerifyPasswordReply>(
            {"identity", "/lanchat.identity.v1.Identity/VerifyPassword", kIdentityDeadline, false, caller.call}, request,
            std::move(done));
    }

    void get_user(const Caller& caller, const std::string& id, std::function<void(Result<identity::v1::User>)> done) override {
        identity::v1::GetUserRequest request;
        request.set_id(id);
        rpc_.call<identity::v1::GetUserRequest, identity::v1::User>(
            {"identity", "/lanchat.identity.v1.Identity/GetUser", kIdentityDeadline, true, caller.call}, request,
            std::move(done));
    }

private:
    const Rpc& rpc_;
};

}  // namespace

class AuthPlugin : public Plugin {
public:
    explicit AuthPlugin(Host& host) : Plugin(host), rpc_(host), metrics_(host), identity_(rpc_) {
        if (Status known = config().allow_only({"access_token_lifetime_ms", "refresh_token_lifetime_ms", "key_rotation_ms",
                                                "login_free_failures", "login_first_delay_ms", "login_max_delay_ms"});
            !known.ok()) {
            throw StatusError(known);
        }
        AuthSettings settings = configured_settings(config());
        database_ = value_or_throw(plugin_support::SqliteDatabase::open(std::filesystem::path(config().data_dir()) / "auth.sqlite",
                                                                 "auth store", std::string(kAuthSchema) +
                                                                                   plugin_support::AuditOutbox::kSchema));
        store_ = value_or_throw(open_sqlite_store(*database_));
        outbox_ = std::make_unique<plugin_support::AuditOutbox>(
            *database_, plugin_support::AuditOutbox::through(rpc_), executor(), log());
        logins_ = value_or_throw(metrics_.counter("logins_total", "Login attempts by outcome", {"outcome"}));
        service_ = std::make_unique<AuthService>(
            *store_, identity_,
            [this](audit::v1::AppendRequest entry) {
                if (Status queued = outbox_->enqueue(std::move(entry)); !queued.ok()) {
                    log().error("cannot queue an audit entry", {{"reason", queued.message()}});
                }
            },
            [this](const char* outcome) { logins_.add(1, {outcome}); }, settings, plugin_support::unix_ms_now);
        if (Status keys = service_->rotate_keys(); !keys.ok()) throw StatusError(keys);
    }

    Status start() override {
        housekeeping_ = executor().every(kHousekeeping, [this] {
            if (Status keys = service_->rotate_keys(); !keys.ok()) log().error("key rotation failed", {{"reason", keys.message()}});
        });
        outbox_->start();
        constexpr const char* kService = "/lanchat.auth.v1.Auth/";
        AuthService& auth = *service_;
        for (Status served : {
                 rpc_.serve_unary<v1::LoginRequest, v1::LoginReply>(
                     std::string(kService) + "Login",
                     [&auth](const CallInfo& call, v1::LoginRequest request, Responder<v1::LoginReply> responder) {
                         auth.login(request, caller_of(call), answer_with(std::move(responder)));
                     }),
                 rpc_.serve_unary<v1::RefreshRequest, v1::LoginReply>(
                     std::string(kService) + "Refresh",
                     [&auth](const CallInfo& call, v1::RefreshRequest request, Responder<v1::LoginReply> responder) {
                         auth.refresh(request, caller_of(call), answer_with(std::move(responder)));
                     }),
                 rpc_.serve_sync<v1::ValidateRequest, v1::ValidateReply>(
                     std::string(kService) + "Validate",
                     [&auth](const CallInfo&, const v1::ValidateRequest& request) { return auth.validate(request); }),
                 rpc_.serve_sync<v1::LogoutRequest, v1::LogoutReply>(
                     std::string(kService) + "Logout",
                     [&auth](const CallInfo& call, const v1::LogoutRequest& request) {
                         return auth.logout(request, caller_of(call));
                     }),
                 rpc_.serve_sync<v1::KeysRequest, v1::KeysReply>(
                     std::string(kService) + "Keys", [&auth](const CallInfo&, const v1::KeysRequest&) { return auth.keys(); }),
             }) {
            if (!served.ok()) return served;
        }
        return {};
    }

    void stop() override {
        housekeeping_.reset();
        outbox_->stop();
    }

private:
    static Caller caller_of(const CallInfo& call) { return {call.peer, call.correlation_id, call.call}; }


    Rpc rpc_;
    Metrics metrics_;
    MeshIdentity identity_;
    std::unique_ptr<plugin_support::SqliteDatabase> database_;
    std::unique_ptr<AuthStore> store_;
    std::unique_ptr<plugin_support::AuditOutbox> outbox_;
    Metric logins_;
    std::unique_ptr<AuthService> service_;
    Timer housekeeping_;
};

}  // namespace lanchat::auth

LANCHAT_PLUGIN(lanchat::auth::AuthPlugin, "auth", "0.1.0")
