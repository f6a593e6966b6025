#include "identity_service.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "audit_outbox.hpp"
#include "earlier_outbox.hpp"
#include "postgres_outbox.hpp"
#include "postgres_server.hpp"
#include "store_backends.hpp"
#include "temp_dir.hpp"

namespace lanchat::identity {
namespace {

// The cheapest parameters the plugin accepts, so the suite stays fast; the logic is the same.
constexpr Argon2Parameters kTestCost{8192, 1, 1};
const Caller kOperator{"spiffe://lan.test/operator/root", "corr-1"};
const Caller kGateway{"spiffe://lan.test/svc/gateway", "corr-2"};
const std::string kFingerprint(64, 'a');

using lanchat::testing::PostgresEnvironment;
using lanchat::testing::StoreBackend;

[[maybe_unused]] const auto* const kPostgres = ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);

// Every case runs against both stores: the SQLite file, and a PostgreSQL database of its own.
class IdentityServiceTest : public ::testing::TestWithParam<StoreBackend> {
protected:
    void SetUp() override {
        if (GetParam() == StoreBackend::postgresql) dsn_ = PostgresEnvironment::server().create_database();
    }

    // The test's store, opened again (as after a restart) each time.
    std::unique_ptr<IdentityStore> open_store() {
        return value_or_throw(GetParam() == StoreBackend::sqlite ? open_sqlite_store(dir_.path() / "identity.sqlite")
                                                                 : open_postgres_store(dsn_));
    }

    IdentityService open(Argon2Parameters parameters = kTestCost) {
        return IdentityService(open_store(), parameters, [this] { return ++now_; });
    }

    static v1::User create(IdentityService& identity, const std::string& name, const std::string& password,
                           v1::Role role = v1::ROLE_MEMBER) {
        v1::CreateUserRequest request;
        request.set_username(name);
        request.set_password(password);
        request.set_role(role);
        return value_or_throw(identity.create_user(request, kOperator));
    }

    static v1::VerifyPasswordReply verify(IdentityService& identity, const std::string& name,
                                          const std::string& password, const std::string& fingerprint = "") {
        v1::VerifyPasswordRequest request;
        request.set_username(name);
        request.set_password(password);
        request.set_device_fingerprint(fingerprint);
        return value_or_throw(identity.verify_password(request));
    }

    // What waits in the audit outbox of `queue`'s store, oldest first (taken out, as a send would).
    static std::vector<audit::v1::AppendRequest> take_staged(plugin_support::OutboxQueue& queue) {
        std::vector<audit::v1::AppendRequest> entries;
        while (auto oldest = queue.oldest()) {
            entries.emplace_back().ParseFromString(oldest->bytes);
            EXPECT_TRUE(queue.remove(oldest->id).ok());
        }
        return entries;
    }

    static audit::v1::AppendRequest entry(const std::string& action) {
        audit::v1::AppendRequest entry;
        entry.set_action(action);
        return entry;
    }

    lanchat::testing::TempDir dir_;
    std::string dsn_;
    int64_t now_ = 1'700'000'000'000;
};

INSTANTIATE_TEST_SUITE_P(BothStores, IdentityServiceTest, lanchat::testing::kBothStores,
                         lanchat::testing::store_backend_name);

TEST_P(IdentityServiceTest, CreatesUsersThatSurviveReopening) {
    std::string id;
    {
        IdentityService identity = open();
        v1::User alice = create(identity, "Alice", "correct horse", v1::ROLE_ADMIN);
        EXPECT_EQ(alice.username(), "alice");  // usernames are case-insensitive
        EXPECT_EQ(alice.display_name(), "alice");
        EXPECT_EQ(alice.role(), v1::ROLE_ADMIN);
        EXPECT_EQ(alice.id().rfind("u_", 0), 0u);
        id = alice.id();
    }
    IdentityService identity = open();
    v1::GetUserRequest get;
    get.set_id(id);
    EXPECT_EQ(identity.get_user(get)->username(), "alice");
    v1::LookupUserRequest lookup;
    lookup.set_username("ALICE");
    EXPECT_EQ(identity.lookup_user(lookup)->id(), id);
}

TEST_P(IdentityServiceTest, RefusesATakenUsernameAndBadFields) {
    IdentityService identity = open();
    create(identity, "bob", "password1");
    v1::CreateUserRequest again;
    again.set_username("BOB");
    again.set_password("password2");
    EXPECT_EQ(identity.create_user(again, kOperator).status().code(), sdk::Code::already_exists);

    auto refused = [&](const std::string& name, const std::string& display, const std::string& password) {
        v1::CreateUserRequest request;
        request.set_username(name);
        request.set_display_name(display);
        request.set_password(password);
        return identity.create_user(request, kOperator).status();
    };
    EXPECT_EQ(refused("", "", "password1").code(), sdk::Code::invalid_argument);
    EXPECT_EQ(refused(std::string(33, 'a'), "", "password1").code(), sdk::Code::invalid_argument);
    EXPECT_EQ(refused("_bob", "", "password1").code(), sdk::Code::invalid_argument);
    EXPECT_EQ(refused("carol", "", "short").code(), sdk::Code::invalid_argument);
    EXPECT_EQ(refused("carol", "", std::string(1025, 'x')).code(), sdk::Code::invalid_argument);
    EXPECT_EQ(refused("carol", std::string(65, 'x'), "password1").code(), sdk::Code::invalid_argument);
    EXPECT_EQ(refused("carol", "bad \xC3\x28 utf8", "password1").code(), sdk::Code::invalid_argument);
    EXPECT_EQ(refused("carol", "line\nbreak", "password1").code(), sdk::Code::invalid_argument);
    EXPECT_NE(refused("carol", "", "short").message().find("password must be 8"), std::string::npos);
}

// The gateway lets people register themselves: a service caller gets members, never an admin.
TEST_P(IdentityServiceTest, OnlyOperatorsCreateAdmins) {
    IdentityService identity = open();
    v1::CreateUserRequest request;
    request.set_username("mallory");
    request.set_password("password1");
    request.set_role(v1::ROLE_ADMIN);
    sdk::Status refused = identity.create_user(request, kGateway).status();
    EXPECT_EQ(refused.code(), sdk::Code::permission_denied);
    EXPECT_EQ(refused.message(), "only an operator may create an admin");
    request.set_role(v1::ROLE_MEMBER);
    EXPECT_EQ(value_or_throw(identity.create_user(request, kGateway)).role(), v1::ROLE_MEMBER);
    request.set_username("root");
    request.set_role(v1::ROLE_ADMIN);
    EXPECT_EQ(value_or_throw(identity.create_user(request, kOperator)).role(), v1::ROLE_ADMIN);
}

TEST_P(IdentityServiceTest, SqlSignificantCharactersAreJustText) {
    IdentityService identity = open();
    v1::CreateUserRequest request;
    request.set_username("robert");
    request.set_display_name("Robert'); DROP TABLE users;--");
    request.set_password("x' OR '1'='1");
    v1::User robert = value_or_throw(identity.create_user(request, kOperator));
    EXPECT_EQ(robert.display_name(), "Robert'); DROP TABLE users;--");
    EXPECT_EQ(verify(identity, "robert", "x' OR '1'='1").outcome(), v1::VerifyPasswordReply::VALID);
    EXPECT_EQ(verify(identity, "robert", "' OR 1=1 --").outcome(), v1::VerifyPasswordReply::INVALID);
    EXPECT_EQ(verify(identity, "robert' --", "x' OR '1'='1").outcome(), v1::VerifyPasswordReply::INVALID);
    v1::VerifyPasswordRequest with_device;
    with_device.set_username("robert");
    with_device.set_password("x' OR '1'='1");
    with_device.set_device_fingerprint(kFingerprint);
    with_device.set_device_name("laptop'; DELETE FROM devices; --");
    EXPECT_EQ(value_or_throw(identity.verify_password(with_device)).device().name(),
              "laptop'; DELETE FROM devices; --");
    v1::LookupUserRequest lookup;
    lookup.set_username("' OR 1=1 --");
    EXPECT_EQ(identity.lookup_user(lookup).status().code(), sdk::Code::invalid_argument);
    v1::GetUserRequest get;
    get.set_id("' OR 1=1 --");
    EXPECT_EQ(identity.get_user(get).status().code(), sdk::Code::not_found);
    v1::ListUsersRequest list;
    EXPECT_EQ(identity.list_users(list)->users_size(), 1);
}

TEST_P(IdentityServiceTest, UnknownUserAndWrongPasswordGetTheSameAnswer) {
    IdentityService identity = open();
    v1::User alice = create(identity, "alice", "correct horse");
    EXPECT_EQ(verify(identity, "alice", "correct horse").outcome(), v1::VerifyPasswordReply::VALID);
    EXPECT_EQ(verify(identity, "alice", "correct horse").user().id(), alice.id());
    v1::VerifyPasswordReply wrong = verify(identity, "alice", "wrong horse");
    v1::VerifyPasswordReply unknown = verify(identity, "mallory", "correct horse");
    v1::VerifyPasswordReply impossible = verify(identity, "no such name!", "correct horse");
    EXPECT_EQ(wrong.SerializeAsString(), unknown.SerializeAsString());
    EXPECT_EQ(wrong.SerializeAsString(), impossible.SerializeAsString());
    EXPECT_EQ(wrong.outcome(), v1::VerifyPasswordReply::INVALID);
    EXPECT_FALSE(wrong.has_user());
}

TEST_P(IdentityServiceTest, DisabledUsersAreToldOnlyWithTheRightPassword) {
    IdentityService identity = open();
    v1::User alice = create(identity, "alice", "correct horse");
    v1::SetUserDisabledRequest disable;
    disable.set_id(alice.id());
    disable.set_disabled(true);
    EXPECT_TRUE(identity.set_user_disabled(disable, kOperator)->disabled());
    EXPECT_EQ(verify(identity, "alice", "correct horse").outcome(), v1::VerifyPasswordReply::DISABLED);
    EXPECT_EQ(verify(identity, "alice", "wrong horse").outcome(), v1::VerifyPasswordReply::INVALID);
    disable.set_disabled(false);
    ASSERT_TRUE(identity.set_user_disabled(disable, kOperator).ok());
    EXPECT_EQ(verify(identity, "alice", "correct horse").outcome(), v1::VerifyPasswordReply::VALID);
}

TEST_P(IdentityServiceTest, PasswordChangesAndWeakHashesAreRemadeAtLogin) {
    std::string id;
    {
        IdentityService identity = open();
        id = create(identity, "alice", "correct horse").id();
        v1::SetPasswordRequest change;
        change.set_id(id);
        change.set_password("battery staple");
        ASSERT_TRUE(identity.set_password(change, kOperator).ok());
        EXPECT_EQ(verify(identity, "alice", "correct horse").outcome(), v1::VerifyPasswordReply::INVALID);
    }
    auto stored_hash = [&] { return open_store()->find_user_by_id(id)->value().password_hash; };
    EXPECT_NE(stored_hash().find("m=8192,t=1,p=1"), std::string::npos);
    IdentityService stronger = open({8192, 2, 1});
    EXPECT_EQ(verify(stronger, "alice", "battery staple").outcome(), v1::VerifyPasswordReply::VALID);
    EXPECT_NE(stored_hash().find("m=8192,t=2,p=1"), std::string::npos);
    EXPECT_EQ(verify(stronger, "alice", "battery staple").outcome(), v1::VerifyPasswordReply::VALID);
}

TEST_P(IdentityServiceTest, DevicesAreRegisteredAtFirstLoginTouchedAndRevoked) {
    IdentityService identity = open();
    v1::User alice = create(identity, "alice", "correct horse");
    v1::VerifyPasswordReply first = verify(identity, "alice", "correct horse", kFingerprint);
    ASSERT_EQ(first.outcome(), v1::VerifyPasswordReply::VALID);
    EXPECT_EQ(first.device().fingerprint(), kFingerprint);
    v1::VerifyPasswordReply second = verify(identity, "alice", "correct horse", kFingerprint);
    EXPECT_EQ(second.device().id(), first.device().id());
    EXPECT_GT(second.device().last_seen_unix_ms(), first.device().last_seen_unix_ms());

    v1::ListDevicesRequest list;
    list.set_user_id(alice.id());
    EXPECT_EQ(identity.list_devices(list)->devices_size(), 1);
    v1::RevokeDeviceRequest revoke;
    revoke.set_id(first.device().id());
    EXPECT_TRUE(identity.revoke_device(revoke, kOperator)->revoked());
    EXPECT_EQ(verify(identity, "alice", "correct horse", kFingerprint).outcome(),
              v1::VerifyPasswordReply::DEVICE_REVOKED);
    EXPECT_EQ(verify(identity, "alice", "correct horse").outcome(), v1::VerifyPasswordReply::VALID);

    v1::VerifyPasswordRequest bad;
    bad.set_username("alice");
    bad.set_password("correct horse");
    bad.set_device_fingerprint("not-hex");
    EXPECT_EQ(identity.verify_password(bad).status().code(), sdk::Code::invalid_argument);
    v1::AddDeviceRequest add;
    add.set_user_id(alice.id());
    add.set_name("laptop");
    add.set_fingerprint(kFingerprint);
    EXPECT_EQ(identity.add_device(add, kOperator).status().code(), sdk::Code::already_exists);
    add.set_fingerprint(std::string(64, 'b'));
    EXPECT_EQ(identity.add_device(add, kOperator)->name(), "laptop");
    revoke.set_id("d_nothere");
    EXPECT_EQ(identity.revoke_device(revoke, kOperator).status().code(), sdk::Code::not_found);
}

TEST_P(IdentityServiceTest, ListsPageByUsernameAndRefuseForgedTokens) {
    IdentityService identity = open();
    for (const char* name : {"dave", "alice", "carol", "bob", "erin"}) create(identity, name, "password1");
    v1::ListUsersRequest request;
    request.mutable_page()->set_page_size(2);
    std::vector<std::string> seen;
    for (int pages = 0; pages < 10; ++pages) {
        v1::ListUsersReply reply = value_or_throw(identity.list_users(request));
        for (const v1::User& user : reply.users()) seen.push_back(user.username());
        if (reply.page().next_page_token().empty()) break;
        request.mutable_page()->set_page_token(reply.page().next_page_token());
    }
    EXPECT_EQ(seen, (std::vector<std::string>{"alice", "bob", "carol", "dave", "erin"}));
    for (const char* forged : {"zz", "abc", "27", "'; DROP TABLE users;--"}) {
        request.mutable_page()->set_page_token(forged);
        EXPECT_EQ(identity.list_users(request).status().code(), sdk::Code::invalid_argument) << forged;
    }
}

TEST_P(IdentityServiceTest, UpdatesChangeOnlyWhatIsGiven) {
    IdentityService identity = open();
    v1::User bob = create(identity, "bob", "password1");
    v1::UpdateUserRequest update;
    update.set_id(bob.id());
    update.set_display_name("Bob B.");
    EXPECT_EQ(identity.update_user(update, kOperator)->role(), v1::ROLE_MEMBER);
    update.clear_display_name();
    update.set_role(v1::ROLE_ADMIN);
    v1::User updated = value_or_throw(identity.update_user(update, kOperator));
    EXPECT_EQ(updated.display_name(), "Bob B.");
    EXPECT_EQ(updated.role(), v1::ROLE_ADMIN);
    update.set_role(static_cast<v1::Role>(7));
    EXPECT_EQ(identity.update_user(update, kOperator).status().code(), sdk::Code::invalid_argument);
    update.set_id("u_missing");
    EXPECT_EQ(identity.update_user(update, kOperator).status().code(), sdk::Code::not_found);
}

TEST_P(IdentityServiceTest, EveryChangeIsAuditedWithItsCallerAndRefusedOnesAsFailed) {
    int commits = 0;
    IdentityService identity(
        open_store(), kTestCost, [this] { return ++now_; },
        [&commits](const sdk::Status& staged) { commits += staged.ok() ? 1 : 100; });
    v1::User bob = create(identity, "bob", "password1");
    v1::CreateUserRequest again;
    again.set_username("Bob");
    again.set_password("password2");
    EXPECT_EQ(identity.create_user(again, kGateway).status().code(), sdk::Code::already_exists);
    v1::SetUserDisabledRequest disable;
    disable.set_id(bob.id());
    disable.set_disabled(true);
    ASSERT_TRUE(identity.set_user_disabled(disable, kOperator).ok());
    v1::SetPasswordRequest weak;
    weak.set_id(bob.id());
    weak.set_password("short");
    EXPECT_FALSE(identity.set_password(weak, kOperator).ok());
    v1::RevokeDeviceRequest revoke;
    revoke.set_id("d_missing");
    EXPECT_FALSE(identity.revoke_device(revoke, kOperator).ok());

    // Audit has not been reached (nothing sends here): the entries wait in the store, also after a restart.
    std::vector<audit::v1::AppendRequest> entries = take_staged(*open_store()->audit_queue());
    EXPECT_EQ(commits, 5);  // the outbox is told after each commit, and no entry failed to be staged
    std::vector<std::string> seen;
    for (const auto& entry : entries) {
        seen.push_back(entry.actor() + " " + entry.action() + " " + entry.target() + " " + entry.outcome());
    }
    EXPECT_EQ(seen, (std::vector<std::string>{
                        "spiffe://lan.test/operator/root user_create user:bob ok",
                        "spiffe://lan.test/svc/gateway user_create user:Bob failed",
                        "spiffe://lan.test/operator/root user_disable user:bob ok",
                        "spiffe://lan.test/operator/root user_password user:bob failed",
                        "spiffe://lan.test/operator/root device_revoke device:d_missing failed",
                    }));
    EXPECT_NE(entries[1].details().at("reason").find("taken"), std::string::npos);
    EXPECT_EQ(entries[0].correlation_id(), "corr-1");
    EXPECT_FALSE(entries[0].idempotency_key().empty());  // a resend after a lost answer is recognised
}

// A change and the entry that records it are one commit: a change that fails leaves no entry behind, one
// that commits has its entry, and entries on their own (refusals) commit too.
TEST_P(IdentityServiceTest, AChangeAndItsAuditEntryCommitTogetherOrNotAtAll) {
    {
        std::unique_ptr<IdentityStore> store = open_store();
        std::unique_ptr<plugin_support::OutboxQueue> queue = store->audit_queue();
        v1::User dana;
        dana.set_id("u_dana");
        dana.set_username("dana");
        dana.set_display_name("dana");
        dana.set_role(v1::ROLE_MEMBER);
        ASSERT_TRUE(store->create_user(dana, "hash", {entry("created")}).ok());
        v1::User again = dana;
        again.set_id("u_dana2");
        EXPECT_EQ(store->create_user(again, "hash", {entry("created twice")}).code(), sdk::Code::already_exists);
        v1::User missing = dana;
        missing.set_id("u_missing");
        EXPECT_EQ(store->update_user(missing, {entry("updated nobody")}).code(), sdk::Code::not_found);
        EXPECT_EQ(store->set_password_hash("u_missing", "hash", {entry("password of nobody")}).code(),
                  sdk::Code::not_found);
        EXPECT_EQ(store->revoke_device("d_missing", {entry("revoked nothing")}).code(), sdk::Code::not_found);
        v1::Device device;
        device.set_id("d_1");
        device.set_user_id(dana.id());
        device.set_name("laptop");
        device.set_fingerprint(kFingerprint);
        ASSERT_TRUE(store->add_device(device, {entry("device added")}).ok());
        device.set_id("d_2");
        EXPECT_EQ(store->add_device(device, {entry("device added twice")}).code(), sdk::Code::already_exists);
        ASSERT_TRUE(store->revoke_device("d_1", {entry("device revoked")}).ok());
        ASSERT_TRUE(store->record({entry("refused one"), entry("refused two")}).ok());
        EXPECT_EQ(queue->size(), 5u);
    }
    std::vector<std::string> actions;
    for (const auto& staged : take_staged(*open_store()->audit_queue())) actions.push_back(staged.action());
    EXPECT_EQ(actions,
              (std::vector<std::string>{"created", "device added", "device revoked", "refused one", "refused two"}));
}

// Audit records an entry as written by the service that sends it: where Channel's store shares Identity's
// PostgreSQL database, each sends only its own entries.
TEST_P(IdentityServiceTest, AnotherServicesAuditOutboxInTheSameDatabaseIsNotIdentitys) {
    if (GetParam() == StoreBackend::sqlite) GTEST_SKIP() << "each SQLite store is a file of its own";
    auto channel = value_or_throw(
        plugin_support::PostgresDatabase::open(dsn_, "channel store", {{1, plugin_support::kPostgresOutboxSchema}}));
    ASSERT_TRUE(
        channel->transaction([&] { return plugin_support::stage_in_postgres(*channel, entry("channel_create")); })
            .ok());
    IdentityService identity = open();
    create(identity, "erin", "password1");
    std::vector<audit::v1::AppendRequest> staged = take_staged(*identity.audit_queue());
    ASSERT_EQ(staged.size(), 1u);
    EXPECT_EQ(staged[0].action(), "user_create");
    EXPECT_EQ(plugin_support::postgres_outbox(*channel)->size(), 1u);
}

// Before the outbox moved into the store, Identity kept <data dir>/audit_outbox.sqlite: what an earlier run
// left there moves into the store at start, in order and with its idempotency keys, and the file goes.
TEST_P(IdentityServiceTest, EntriesLeftInTheEarlierOutboxFileMoveIntoTheStore) {
    std::vector<std::string> keys;
    {
        auto earlier = value_or_throw(plugin_support::AuditOutbox::open_database(dir_.path(), "audit_outbox"));
        for (const char* action : {"user_create", "user_disable"}) {
            audit::v1::AppendRequest queued = entry(action);
            keys.push_back(plugin_support::AuditOutbox::keyed(queued).idempotency_key());
            ASSERT_TRUE(
                earlier->transaction([&] { return plugin_support::AuditOutbox::stage(*earlier, queued); }).ok());
        }
        ASSERT_TRUE(earlier->exec("INSERT INTO audit_outbox (entry) VALUES (x'ff')", "queue garbage").ok());
    }
    std::unique_ptr<IdentityStore> store = open_store();
    std::unique_ptr<plugin_support::OutboxQueue> queue = store->audit_queue();
    EXPECT_EQ(value_or_throw(move_earlier_outbox(dir_.path(), *queue)), 1u);  // the unreadable one is dropped
    EXPECT_FALSE(std::filesystem::exists(dir_.path() / "audit_outbox.sqlite"));
    EXPECT_EQ(value_or_throw(move_earlier_outbox(dir_.path(), *queue)), 0u);
    std::vector<audit::v1::AppendRequest> moved = take_staged(*queue);
    ASSERT_EQ(moved.size(), 2u);
    EXPECT_EQ(moved[0].action(), "user_create");
    EXPECT_EQ(moved[0].idempotency_key(), keys[0]);
    EXPECT_EQ(moved[1].action(), "user_disable");
    EXPECT_EQ(moved[1].idempotency_key(), keys[1]);
}

TEST_P(IdentityServiceTest, ATakenUsernameIsRefusedBeforeAnyHashing) {
    IdentityService identity = open();
    create(identity, "carol", "password1");
    v1::CreateUserRequest again;
    again.set_username("CAROL");
    again.set_password("password2");
    EXPECT_EQ(identity.check_new_user(again, kGateway).code(), sdk::Code::already_exists);
    again.set_username("carol2");
    EXPECT_TRUE(identity.check_new_user(again, kGateway).ok());
    again.set_role(v1::ROLE_ADMIN);
    EXPECT_EQ(identity.check_new_user(again, kGateway).code(), sdk::Code::permission_denied);
}

TEST_P(IdentityServiceTest, CheckAccessTellsActiveDisabledRevokedAndUnknownApart) {
    IdentityService identity = open();
    v1::User alice = create(identity, "alice", "password1");
    v1::User bob = create(identity, "bob", "password1");
    ASSERT_EQ(verify(identity, "alice", "password1", kFingerprint).outcome(), v1::VerifyPasswordReply::VALID);
    auto state_of = [&](const std::string& user_id, const std::string& device) {
        v1::CheckAccessRequest request;
        request.add_subjects()->set_user_id(user_id);
        request.mutable_subjects(0)->set_device_fingerprint(device);
        return value_or_throw(identity.check_access(request)).access(0).state();
    };
    EXPECT_EQ(state_of(alice.id(), ""), v1::Access::ACTIVE);
    EXPECT_EQ(state_of(alice.id(), kFingerprint), v1::Access::ACTIVE);
    EXPECT_EQ(state_of(alice.id(), std::string(64, 'b')), v1::Access::DEVICE_REVOKED);  // not one of hers
    EXPECT_EQ(state_of("u_nobody", ""), v1::Access::USER_UNKNOWN);
    v1::ListDevicesRequest list;
    list.set_user_id(alice.id());
    v1::RevokeDeviceRequest revoke;
    revoke.set_id(value_or_throw(identity.list_devices(list)).devices(0).id());
    ASSERT_TRUE(identity.revoke_device(revoke, kOperator).ok());
    EXPECT_EQ(state_of(alice.id(), kFingerprint), v1::Access::DEVICE_REVOKED);
    EXPECT_EQ(state_of(alice.id(), ""), v1::Access::ACTIVE);
    v1::SetUserDisabledRequest disable;
    disable.set_id(bob.id());
    disable.set_disabled(true);
    ASSERT_TRUE(identity.set_user_disabled(disable, kOperator).ok());
    EXPECT_EQ(state_of(bob.id(), ""), v1::Access::DISABLED);

    v1::CheckAccessRequest too_many;
    for (int i = 0; i < 1001; ++i) too_many.add_subjects()->set_user_id(alice.id());
    EXPECT_EQ(identity.check_access(too_many).status().code(), sdk::Code::invalid_argument);
}

}  // namespace
}  // namespace lanchat::identity
