// The Auth plugin: logins, ES256 access tokens (JWT through libjwt), rotating refresh tokens.
//   config:  kSettings below
//   store:   <data dir>/auth.sqlite, or with store = "postgresql" the database of postgres_dsn (signing keys,
//            refresh families, revocations, the audit outbox)
//   serves:  lanchat.auth.v1.Auth/Login, /Validate, /Refresh, /Logout, /Recheck, /Keys (the client edge)
//   calls:   identity (VerifyPassword, CheckAccess), audit (Append, through the durable outbox)
#include <chrono>

#include "audit_outbox.hpp"
#include "auth_service.hpp"
#include "clock.hpp"
#include "lanchat/sdk.hpp"
#include "lanchat/sdk/serving.hpp"
#include "postgres_database.hpp"
#include "postgres_outbox.hpp"
#include "sqlite_database.hpp"
#include "store_choice.hpp"

namespace lanchat::auth {

using namespace lanchat::sdk;

namespace {

constexpr Setting kSettings[] = {
    setting::milliseconds("access_token_lifetime_ms", 15 * 60 * 1000, 1000, setting::kNoLimit,
                          "how long an access token is valid"),
    setting::milliseconds("refresh_token_lifetime_ms", 30LL * 24 * 3600 * 1000, 1000, setting::kNoLimit,
                          "how long a refresh token is valid"),
    setting::milliseconds("key_rotation_ms", 24LL * 3600 * 1000, 1000, setting::kNoLimit,
                          "how often a new signing key is made"),
    setting::integer("login_free_failures", 3, 0, UINT32_MAX,
                     "failed logins per username or address before each further one waits"),
    setting::milliseconds("login_first_delay_ms", 1000, 0, setting::kNoLimit,
                          "the first wait after the free failures; each further failure doubles it"),
    setting::milliseconds("login_max_delay_ms", 60000, 0, setting::kNoLimit, "the longest wait between attempts"),
    plugin_support::kStoreSetting,
    plugin_support::kPostgresDsnSetting,
    plugin_support::kPostgresDsnFileSetting,
};

constexpr std::chrono::milliseconds kIdentityDeadline{10000};
constexpr std::chrono::milliseconds kHousekeeping{60000};

AuthSettings configured_settings(const Settings& settings) {
    AuthSettings configured;
    configured.access_token_lifetime = settings.get<std::chrono::milliseconds>("access_token_lifetime_ms");
    configured.refresh_token_lifetime = settings.get<std::chrono::milliseconds>("refresh_token_lifetime_ms");
    configured.key_rotation = settings.get<std::chrono::milliseconds>("key_rotation_ms");
    configured.throttle.free_failures = settings.get<uint32_t>("login_free_failures");
    configured.throttle.first_delay = settings.get<std::chrono::milliseconds>("login_first_delay_ms");
    configured.throttle.max_delay = settings.get<std::chrono::milliseconds>("login_max_delay_ms");
    return configured;
}

// Identity over the mesh.
class MeshIdentity final : public IdentityDirectory {
public:
    explicit MeshIdentity(const Rpc& rpc) : rpc_(rpc) {}

    void verify_password(const Caller& caller, const identity::v1::VerifyPasswordRequest& request,
                         std::function<void(Result<identity::v1::VerifyPasswordReply>)> done) override {
        rpc_.call<identity::v1::VerifyPasswordRequest, identity::v1::VerifyPasswordReply>(
            {"identity", "/lanchat.identity.v1.Identity/VerifyPassword", kIdentityDeadline, false, caller.call},
            request, std::move(done));
    }

    void check_access(const Caller& caller, const identity::v1::CheckAccessRequest& request,
                      std::function<void(Result<identity::v1::CheckAccessReply>)> done) override {
        rpc_.call<identity::v1::CheckAccessRequest, identity::v1::CheckAccessReply>(
            {"identity", "/lanchat.identity.v1.Identity/CheckAccess", kIdentityDeadline, true, caller.call}, request,
            std::move(done));
    }

private:
    const Rpc& rpc_;
};

}  // namespace

class AuthPlugin : public Plugin {
public:
    explicit AuthPlugin(Host& host) : Plugin(host), rpc_(host), metrics_(host), identity_(rpc_) {
        const plugin_support::StoreChoice choice = value_or_throw(plugin_support::choose_store(settings()));
        if (choice.postgres)
            open_postgres(choice.dsn);
        else
            open_sqlite();
        logins_ = value_or_throw(metrics_.counter("logins_total", "Login attempts by outcome", {"outcome"}));
        service_ = std::make_unique<AuthService>(
            *store_, identity_,
            [this](audit::v1::AppendRequest entry) {
                if (Status queued = outbox_->enqueue(std::move(entry)); !queued.ok()) {
                    log().error("cannot queue an audit entry", {{"reason", queued.message()}});
                }
            },
            [this](const char* outcome) { logins_.add(1, {outcome}); }, configured_settings(settings()),
            plugin_support::unix_ms_now);
        if (Status keys = service_->rotate_keys(); !keys.ok()) throw StatusError(keys);
    }

    Status start() override {
        housekeeping_ = executor().every(kHousekeeping, [this] {
            if (Status keys = service_->rotate_keys(); !keys.ok())
                log().error("key rotation failed", {{"reason", keys.message()}});
        });
        outbox_->start();
        AuthService& auth = *service_;
        return Serving(rpc_, "/lanchat.auth.v1.Auth/")
            .deferred<v1::LoginRequest, v1::LoginReply>("Login",
                                                        [&auth](auto& call, auto& request, auto done) {
                                                            auth.login(request, caller_of(call), std::move(done));
                                                        })
            .deferred<v1::RefreshRequest, v1::LoginReply>("Refresh",
                                                          [&auth](auto& call, auto& request, auto done) {
                                                              auth.refresh(request, caller_of(call), std::move(done));
                                                          })
            .deferred<v1::ValidateRequest, v1::ValidateReply>(
                "Validate", [&auth](auto& call, auto& request,
                                    auto done) { auth.validate(request, caller_of(call), std::move(done)); })
            .deferred<v1::RecheckRequest, v1::RecheckReply>("Recheck",
                                                            [&auth](auto& call, auto& request, auto done) {
                                                                auth.recheck(request, caller_of(call), std::move(done));
                                                            })
            .sync<v1::LogoutRequest, v1::LogoutReply>("Logout",
                                                      [&auth](const CallInfo& call, const v1::LogoutRequest& request) {
                                                          return auth.logout(request, caller_of(call));
                                                      })
            .sync<v1::KeysRequest, v1::KeysReply>(
                "Keys", [&auth](const CallInfo&, const v1::KeysRequest&) { return auth.keys(); })
            .status();
    }

    void stop() override {
        housekeeping_.reset();
        outbox_->stop();
    }

private:
    static Caller caller_of(const CallInfo& call) { return {call.peer, call.correlation_id, call.call}; }

    void open_sqlite() {
        auto database =
            value_or_throw(plugin_support::AuditOutbox::open_database(config().data_dir(), "auth", kAuthSchema));
        store_ = value_or_throw(open_sqlite_store(*database));
        outbox_ = std::make_unique<plugin_support::AuditOutbox>(*database, plugin_support::AuditOutbox::through(rpc_),
                                                                executor(), log());
        database_ = std::move(database);
    }

    void open_postgres(const std::string& dsn) {
        auto database =
            value_or_throw(plugin_support::PostgresDatabase::open(dsn, "auth store", auth_postgres_schema()));
        store_ = open_postgres_store(*database);
        outbox_ = std::make_unique<plugin_support::AuditOutbox>(
            plugin_support::postgres_outbox(*database), plugin_support::AuditOutbox::through(rpc_), executor(), log());
        database_ = std::move(database);
    }

    Rpc rpc_;
    Metrics metrics_;
    MeshIdentity identity_;
    std::unique_ptr<plugin_support::Transactional> database_;
    std::unique_ptr<AuthStore> store_;
    std::unique_ptr<plugin_support::AuditOutbox> outbox_;
    Metric logins_;
    std::unique_ptr<AuthService> service_;
    Timer housekeeping_;
};

}  // namespace lanchat::auth

LANCHAT_PLUGIN(lanchat::auth::AuthPlugin, "auth", "0.1.0", lanchat::auth::kSettings)
