// AuthService against a real IdentityService and a real SQLite store, in process (the mesh path is
// covered by tests/integration/auth_test.cpp).
#include "auth_service.hpp"

#include <gtest/gtest.h>

#include "identity_service.hpp"
#include "postgres_database.hpp"
#include "postgres_server.hpp"
#include "sqlite_database.hpp"
#include "store_backends.hpp"
#include "temp_dir.hpp"

namespace lanchat::auth {
namespace {

// Answers Auth's questions by calling the Identity logic directly.
class InProcessIdentity final : public IdentityDirectory {
public:
    explicit InProcessIdentity(identity::IdentityService& identity) : identity_(identity) {}
    void verify_password(const Caller&, const identity::v1::VerifyPasswordRequest& request,
                         std::function<void(sdk::Result<identity::v1::VerifyPasswordReply>)> done) override {
        auto verdict = identity_.verify_password(request);
        if (hold) {
            held.emplace_back([verdict, done] { done(verdict); });
            return;
        }
        done(verdict);
    }
    void check_access(const Caller&, const identity::v1::CheckAccessRequest& request,
                      std::function<void(sdk::Result<identity::v1::CheckAccessReply>)> done) override {
        done(identity_.check_access(request));
    }

    bool hold = false;  // answers wait in `held` until the test runs them: attempts in flight together
    std::vector<std::function<void()>> held;

private:
    identity::IdentityService& identity_;
};

const std::string kDeviceA(64, 'a');
const std::string kDeviceB(64, 'b');
const Caller kGateway{"spiffe://lan.test/svc/gateway", "corr-1", nullptr};
const identity::Caller kOperator{"spiffe://lan.test/operator/root", "corr-2"};

using lanchat::testing::PostgresEnvironment;
using lanchat::testing::StoreBackend;

[[maybe_unused]] const auto* const kPostgres = ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);

// Every case runs against both stores: SQLite files, and one PostgreSQL database of its own for Auth and
// Identity both.
class AuthServiceTest : public ::testing::TestWithParam<StoreBackend> {
protected:
    void SetUp() override {
        if (GetParam() == StoreBackend::sqlite) {
            open_identity(identity::open_sqlite_store(dir_.path() / "identity.sqlite"));
            auto database = value_or_throw(
                plugin_support::SqliteDatabase::open(dir_.path() / "auth.sqlite", "auth store", kAuthSchema));
            store_ = value_or_throw(open_sqlite_store(*database));
            database_ = std::move(database);
        } else {
            const std::string dsn = PostgresEnvironment::server().create_database();
            open_identity(identity::open_postgres_store(dsn));
            auto database =
                value_or_throw(plugin_support::PostgresDatabase::open(dsn, "auth store", auth_postgres_schema()));
            store_ = open_postgres_store(*database);
            database_ = std::move(database);
        }
        directory_ = std::make_unique<InProcessIdentity>(*identity_);
        auth_ = std::make_unique<AuthService>(
            *store_, *directory_, [this](audit::v1::AppendRequest entry) { audit_.push_back(entry); },
            [this](const char* outcome) { ++counted_[outcome]; }, AuthSettings(), [this] { return now_ms_; });
        ASSERT_TRUE(auth_->rotate_keys().ok());
        identity::v1::CreateUserRequest alice;
        alice.set_username("alice");
        alice.set_password("correct horse");
        alice_ = value_or_throw(identity_->create_user(alice, kOperator));
    }

    sdk::Result<v1::LoginReply> login(const std::string& user, const std::string& password,
                                      const std::string& device = "", const std::string& source = "10.0.0.1") {
        v1::LoginRequest request;
        request.set_username(user);
        request.set_password(password);
        request.mutable_client()->set_device_fingerprint(device);
        request.mutable_client()->set_source(source);
        std::optional<sdk::Result<v1::LoginReply>> result;
        auth_->login(request, kGateway, [&](sdk::Result<v1::LoginReply> reply) { result = std::move(reply); });
        return std::move(*result);
    }

    sdk::Result<v1::LoginReply> refresh(const std::string& token, const std::string& device = "") {
        v1::RefreshRequest request;
        request.set_refresh_token(token);
        request.mutable_client()->set_device_fingerprint(device);
        std::optional<sdk::Result<v1::LoginReply>> result;
        auth_->refresh(request, kGateway, [&](sdk::Result<v1::LoginReply> reply) { result = std::move(reply); });
        return std::move(*result);
    }

    sdk::Status validate(const std::string& token, const std::string& device = "") {
        v1::ValidateRequest request;
        request.set_access_token(token);
        request.set_device_fingerprint(device);
        std::optional<sdk::Status> result;
        auth_->validate(request, kGateway, [&](sdk::Result<v1::ValidateReply> reply) { result = reply.status(); });
        return *result;
    }

    void open_identity(sdk::Result<std::unique_ptr<identity::IdentityStore>> store) {
        identity_ = std::make_unique<identity::IdentityService>(
            value_or_throw(std::move(store)), identity::Argon2Parameters{8192, 1, 1}, [this] { return now_ms_; });
    }

    void create_user(const std::string& name) {
        identity::v1::CreateUserRequest user;
        user.set_username(name);
        user.set_password("correct horse");
        value_or_throw(identity_->create_user(user, kOperator));
    }

    // Answers the held password checks, and those they let start, until none is left.
    void run_held_answers() {
        while (!directory_->held.empty()) {
            auto answer = std::move(directory_->held.front());
            directory_->held.erase(directory_->held.begin());
            answer();
        }
    }

    std::vector<std::string> actions() const {
        std::vector<std::string> actions;
        for (const auto& entry : audit_) actions.push_back(entry.action());
        return actions;
    }

    lanchat::testing::TempDir dir_;
    int64_t now_ms_ = 1'800'000'000'000;
    std::unique_ptr<identity::IdentityService> identity_;
    std::unique_ptr<plugin_support::Transactional> database_;
    std::unique_ptr<AuthStore> store_;
    std::unique_ptr<InProcessIdentity> directory_;
    std::unique_ptr<AuthService> auth_;
    std::vector<audit::v1::AppendRequest> audit_;
    std::map<std::string, int> counted_;
    identity::v1::User alice_;
};

INSTANTIATE_TEST_SUITE_P(BothStores, AuthServiceTest, lanchat::testing::kBothStores,
                         lanchat::testing::store_backend_name);

TEST_P(AuthServiceTest, LoginIssuesATokenThatValidates) {
    auto pair = login("Alice", "correct horse");
    ASSERT_TRUE(pair.ok()) << pair.status().message();
    EXPECT_EQ(pair->claims().subject(), alice_.id());
    EXPECT_EQ(pair->claims().roles(0), "member");
    EXPECT_EQ(pair->access_expires_unix_ms(), now_ms_ + 15 * 60 * 1000);
    EXPECT_TRUE(validate(pair->access_token()).ok());
    EXPECT_EQ(actions(), std::vector<std::string>{"login"});
    EXPECT_EQ(audit_[0].actor(), "user:alice");
    EXPECT_EQ(audit_[0].correlation_id(), "corr-1");
    EXPECT_EQ(counted_["ok"], 1);
}

TEST_P(AuthServiceTest, WrongPasswordAndUnknownUserGetTheSameAnswer) {
    auto wrong = login("alice", "wrong horse");
    auto unknown = login("mallory", "correct horse");
    EXPECT_EQ(wrong.status().code(), sdk::Code::unauthenticated);
    EXPECT_EQ(wrong.status().code(), unknown.status().code());
    EXPECT_EQ(wrong.status().message(), unknown.status().message());
    EXPECT_EQ(actions(), (std::vector<std::string>{"login_failed", "login_failed"}));
    EXPECT_EQ(counted_["invalid_credentials"], 2);
}

TEST_P(AuthServiceTest, DisabledUsersCannotLogInOrRefresh) {
    auto pair = login("alice", "correct horse");
    ASSERT_TRUE(pair.ok());
    identity::v1::SetUserDisabledRequest disable;
    disable.set_id(alice_.id());
    disable.set_disabled(true);
    ASSERT_TRUE(identity_->set_user_disabled(disable, kOperator).ok());
    EXPECT_EQ(login("alice", "correct horse").status().code(), sdk::Code::permission_denied);
    EXPECT_EQ(refresh(pair->refresh_token()).status().code(), sdk::Code::permission_denied);
}

TEST_P(AuthServiceTest, RepeatedFailuresAreSlowedPerUserWhetherOrNotItExists) {
    for (const char* user : {"alice", "nobody"}) {
        const std::string source = std::string("10.1.0.") + user;  // one source per user: only the user key counts
        for (int i = 0; i < 3; ++i)
            EXPECT_EQ(login(user, "wrong horse", "", source + std::to_string(i)).status().code(),
                      sdk::Code::unauthenticated);
        EXPECT_EQ(login(user, "wrong horse", "", source).status().code(), sdk::Code::unauthenticated);
        auto throttled = login(user, "correct horse", "", "10.0.0.8");
        EXPECT_EQ(throttled.status().code(), sdk::Code::resource_exhausted) << user;
        EXPECT_NE(throttled.status().message().find("try again in 1 s"), std::string::npos)
            << throttled.status().message();
    }
    now_ms_ += 1001;
    EXPECT_TRUE(login("alice", "correct horse", "", "10.0.0.8").ok());
    EXPECT_GE(counted_["throttled"], 2);
}

// Guesses sent in parallel are checked no faster than serial ones: those that could pass the free failures
// wait for the answers ahead of them, and are refused once those failed.
TEST_P(AuthServiceTest, ParallelGuessesCannotSlipPastTheThrottle) {
    directory_->hold = true;
    int throttled = 0;
    for (int i = 0; i < 6; ++i) {
        v1::LoginRequest request;
        request.set_username("alice");
        request.set_password("guess " + std::to_string(i));
        request.mutable_client()->set_source("10.9.0." + std::to_string(i));
        auth_->login(request, kGateway, [&](sdk::Result<v1::LoginReply> reply) {
            if (reply.status().code() == sdk::Code::resource_exhausted) ++throttled;
        });
    }
    EXPECT_EQ(directory_->held.size(), 4u);  // 3 free + the 4th that starts the wait are checked
    run_held_answers();
    EXPECT_EQ(throttled, 2);  // the rest are not
    EXPECT_EQ(directory_->held.size(), 0u);
}

// People behind one address logging in at once are not each other's failures.
TEST_P(AuthServiceTest, ConcurrentValidLoginsFromOneAddressAllSucceedWhileFailedOnesAreStillSlowed) {
    for (int i = 0; i < 7; ++i) create_user("person" + std::to_string(i));
    directory_->hold = true;
    std::vector<sdk::Result<v1::LoginReply>> answers;
    for (int i = 0; i < 8; ++i) {
        v1::LoginRequest request;
        request.set_username(i == 0 ? "alice" : "person" + std::to_string(i - 1));
        request.set_password("correct horse");
        request.mutable_client()->set_source("10.7.7.7");
        auth_->login(request, kGateway, [&](sdk::Result<v1::LoginReply> reply) { answers.push_back(reply); });
    }
    EXPECT_EQ(directory_->held.size(), 4u) << "attempts past the free failures wait for those ahead of them";
    run_held_answers();
    ASSERT_EQ(answers.size(), 8u);
    for (const auto& answer : answers) EXPECT_TRUE(answer.ok()) << answer.status().message();
    EXPECT_EQ(counted_["throttled"], 0);

    directory_->hold = false;
    for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(login("person" + std::to_string(i), "guess", "", "10.7.7.7").status().code(),
                  sdk::Code::unauthenticated);
    }
    EXPECT_EQ(login("alice", "correct horse", "", "10.7.7.7").status().code(), sdk::Code::resource_exhausted);
}

TEST_P(AuthServiceTest, RepeatedFailuresAreSlowedPerSourceAcrossUsers) {
    for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(login("user" + std::to_string(i), "guess", "", "10.6.6.6").status().code(),
                  sdk::Code::unauthenticated);
    }
    EXPECT_EQ(login("alice", "correct horse", "", "10.6.6.6").status().code(), sdk::Code::resource_exhausted);
    EXPECT_TRUE(login("alice", "correct horse", "", "10.0.0.2").ok());
}

TEST_P(AuthServiceTest, RefreshRotatesAndReplayRevokesTheFamily) {
    auto first = login("alice", "correct horse");
    ASSERT_TRUE(first.ok());
    auto second = refresh(first->refresh_token());
    ASSERT_TRUE(second.ok()) << second.status().message();
    EXPECT_NE(second->refresh_token(), first->refresh_token());
    EXPECT_TRUE(validate(second->access_token()).ok());
    auto replay = refresh(first->refresh_token());
    EXPECT_EQ(replay.status().code(), sdk::Code::unauthenticated);
    EXPECT_NE(replay.status().message().find("already used"), std::string::npos);
    // The thief's copy and the rightful holder's newer token are both dead now.
    EXPECT_NE(refresh(second->refresh_token()).status().message().find("revoked"), std::string::npos);
    EXPECT_EQ(actions(), (std::vector<std::string>{"login", "refresh", "refresh_reuse"}));
    EXPECT_EQ(refresh("not-a-token").status().code(), sdk::Code::unauthenticated);
    EXPECT_EQ(refresh(std::string(5000, 'x')).status().code(), sdk::Code::unauthenticated);
}

TEST_P(AuthServiceTest, LogoutRevokesTheSessionAndTheAccessToken) {
    auto pair = login("alice", "correct horse");
    ASSERT_TRUE(pair.ok());
    v1::LogoutRequest logout;
    logout.set_refresh_token(pair->refresh_token());
    logout.set_access_token(pair->access_token());
    ASSERT_TRUE(auth_->logout(logout, kGateway).ok());
    EXPECT_NE(validate(pair->access_token()).message().find("revoked"), std::string::npos);
    EXPECT_EQ(refresh(pair->refresh_token()).status().code(), sdk::Code::unauthenticated);
    EXPECT_EQ(actions().back(), "logout");
}

// A second connection of the same login logging out after the first did: its token and its refresh token
// were revoked already, and logging out again is still a success, not an error the client cannot act on.
TEST_P(AuthServiceTest, LoggingOutWhatIsRevokedAlreadySucceeds) {
    auto pair = login("alice", "correct horse");
    ASSERT_TRUE(pair.ok());
    v1::LogoutRequest logout;
    logout.set_refresh_token(pair->refresh_token());
    v1::Session& session = *logout.mutable_session();
    session.set_token_id(pair->claims().token_id());
    session.set_user_id(alice_.id());
    session.set_expires_unix_s(pair->claims().expires_unix_s());
    ASSERT_TRUE(auth_->logout(logout, kGateway).ok());
    auto again = auth_->logout(logout, kGateway);
    EXPECT_TRUE(again.ok()) << again.status().message();
    v1::LogoutRequest token_only;
    *token_only.mutable_session() = session;
    again = auth_->logout(token_only, kGateway);
    EXPECT_TRUE(again.ok()) << again.status().message();
    v1::LogoutRequest forgotten = logout;  // a refresh token Auth no longer knows (expired and forgotten)
    forgotten.set_refresh_token("rt_long_gone");
    again = auth_->logout(forgotten, kGateway);
    EXPECT_TRUE(again.ok()) << again.status().message();
    EXPECT_NE(validate(pair->access_token()).message().find("revoked"), std::string::npos);
    // Without a session, a refresh token nobody issued is still refused.
    v1::LogoutRequest stranger;
    stranger.set_refresh_token("rt_never_issued");
    EXPECT_EQ(auth_->logout(stranger, kGateway).status().code(), sdk::Code::unauthenticated);
}

TEST_P(AuthServiceTest, ADisabledUsersTokenNoLongerValidatesAndTheirSessionsFailTheRecheck) {
    auto pair = login("alice", "correct horse");
    ASSERT_TRUE(pair.ok());
    v1::RecheckRequest recheck;
    v1::Session& session = *recheck.add_sessions();
    session.set_token_id(pair->claims().token_id());
    session.set_user_id(alice_.id());
    std::optional<sdk::Result<v1::RecheckReply>> verdicts;
    auth_->recheck(recheck, kGateway, [&](auto reply) { verdicts = std::move(reply); });
    ASSERT_TRUE(verdicts->ok());
    EXPECT_TRUE((*verdicts)->verdicts(0).valid());

    identity::v1::SetUserDisabledRequest disable;
    disable.set_id(alice_.id());
    disable.set_disabled(true);
    ASSERT_TRUE(identity_->set_user_disabled(disable, kOperator).ok());
    EXPECT_NE(validate(pair->access_token()).message().find("account disabled"), std::string::npos);
    auth_->recheck(recheck, kGateway, [&](auto reply) { verdicts = std::move(reply); });
    ASSERT_TRUE(verdicts->ok());
    EXPECT_FALSE((*verdicts)->verdicts(0).valid());
    EXPECT_EQ((*verdicts)->verdicts(0).reason(), "account disabled");
}

TEST_P(AuthServiceTest, ARevokedDevicesTokenNeitherValidatesNorRefreshes) {
    auto pair = login("alice", "correct horse", kDeviceA);
    ASSERT_TRUE(pair.ok());
    identity::v1::ListDevicesRequest list;
    list.set_user_id(alice_.id());
    identity::v1::RevokeDeviceRequest revoke;
    revoke.set_id(value_or_throw(identity_->list_devices(list)).devices(0).id());
    ASSERT_TRUE(identity_->revoke_device(revoke, kOperator).ok());
    EXPECT_NE(validate(pair->access_token(), kDeviceA).message().find("device revoked"), std::string::npos);
    auto refreshed = refresh(pair->refresh_token(), kDeviceA);
    EXPECT_EQ(refreshed.status().code(), sdk::Code::permission_denied);
    EXPECT_NE(refreshed.status().message().find("device was revoked"), std::string::npos);
    EXPECT_EQ(actions().back(), "refresh_refused");
}

TEST_P(AuthServiceTest, LogoutOfASessionRevokesItsAccessTokenWithoutARefreshToken) {
    auto pair = login("alice", "correct horse");
    ASSERT_TRUE(pair.ok());
    v1::LogoutRequest logout;
    logout.mutable_session()->set_token_id(pair->claims().token_id());
    logout.mutable_session()->set_user_id(alice_.id());
    logout.mutable_session()->set_expires_unix_s(pair->claims().expires_unix_s());
    ASSERT_TRUE(auth_->logout(logout, kGateway).ok());
    EXPECT_NE(validate(pair->access_token()).message().find("revoked"), std::string::npos);
    EXPECT_EQ(actions().back(), "logout");
    EXPECT_EQ(auth_->logout(v1::LogoutRequest(), kGateway).status().code(), sdk::Code::unauthenticated);
}

TEST_P(AuthServiceTest, TokensAreBoundToTheDeviceThatLoggedIn) {
    auto pair = login("alice", "correct horse", kDeviceA);
    ASSERT_TRUE(pair.ok());
    EXPECT_EQ(pair->claims().device(), kDeviceA);
    EXPECT_TRUE(validate(pair->access_token(), kDeviceA).ok());
    EXPECT_NE(validate(pair->access_token(), kDeviceB).message().find("another device"), std::string::npos);
    EXPECT_FALSE(validate(pair->access_token()).ok());
    EXPECT_EQ(refresh(pair->refresh_token(), kDeviceB).status().code(), sdk::Code::unauthenticated);
    EXPECT_TRUE(refresh(pair->refresh_token(), kDeviceA).ok());
}

TEST_P(AuthServiceTest, AccessTokensExpire) {
    auto pair = login("alice", "correct horse");
    ASSERT_TRUE(pair.ok());
    now_ms_ += 15 * 60 * 1000;
    EXPECT_NE(validate(pair->access_token()).message().find("expired"), std::string::npos);
}

TEST_P(AuthServiceTest, RotatedKeysVerifyUntilTheirTokensExpire) {
    auto old_pair = login("alice", "correct horse");
    ASSERT_TRUE(old_pair.ok());
    now_ms_ += 24LL * 3600 * 1000 - 60 * 1000;  // a day later, the old token has a minute left... of a new one
    auto pair = login("alice", "correct horse");
    ASSERT_TRUE(auth_->rotate_keys().ok());
    now_ms_ += 60 * 1000;
    ASSERT_TRUE(auth_->rotate_keys().ok());
    auto keys = value_or_throw(auth_->keys());
    ASSERT_EQ(keys.keys_size(), 2);
    EXPECT_NE(keys.keys(0).retired_unix_ms(), 0);
    EXPECT_EQ(keys.keys(1).retired_unix_ms(), 0);
    auto fresh = login("alice", "correct horse");
    EXPECT_EQ(fresh->claims().key_id(), keys.keys(1).key_id());
    EXPECT_TRUE(validate(pair->access_token()).ok());  // signed by the retired key, not expired
    now_ms_ += 17 * 60 * 1000;  // the retired key's last token expired, and the minute of clock skew passed
    ASSERT_TRUE(auth_->rotate_keys().ok());
    EXPECT_EQ(value_or_throw(auth_->keys()).keys_size(), 1);
    EXPECT_NE(validate(pair->access_token()).message().find("unknown key"), std::string::npos);
}

TEST_P(AuthServiceTest, OversizedAndMissingFieldsAreRefused) {
    EXPECT_EQ(login("", "x").status().code(), sdk::Code::invalid_argument);
    EXPECT_EQ(login(std::string(65, 'a'), "correct horse").status().code(), sdk::Code::invalid_argument);
    EXPECT_EQ(login("alice", std::string(1025, 'a')).status().code(), sdk::Code::invalid_argument);
    EXPECT_EQ(login("alice", "correct horse", "", std::string(129, 's')).status().code(), sdk::Code::invalid_argument);
    EXPECT_EQ(login("alice", "correct horse", "zz").status().code(), sdk::Code::invalid_argument);  // not a fingerprint
    EXPECT_EQ(login("alice'--", "' OR '1'='1").status().code(), sdk::Code::unauthenticated);
}

}  // namespace
}  // namespace lanchat::auth
