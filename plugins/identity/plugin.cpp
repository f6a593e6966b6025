// The Identity plugin: users, Argon2id password hashes and devices in SQLite, or in PostgreSQL shared by nodes.
//   config:  kSettings below: the cost of new hashes (existing hashes keep theirs and are re-made at the
//            next successful login when weaker), and the hashing pool's threads and queue
//   store:   <data dir>/identity.sqlite, or with store = "postgresql" the database of postgres_dsn, with
//            the audit entries on their way to Audit (each committed with the change it records)
//   serves:  lanchat.identity.v1.Identity/* (operators, Auth, the gateway); /VerifyPassword (Auth only)
//   calls:   audit (Append, through the durable outbox: every change, with who asked)
#include <chrono>

#include "audit_outbox.hpp"
#include "clock.hpp"
#include "earlier_outbox.hpp"
#include "hashing_pool.hpp"
#include "identity_service.hpp"
#include "lanchat/sdk.hpp"
#include "lanchat/sdk/serving.hpp"
#include "store_choice.hpp"

namespace lanchat::identity {

using namespace lanchat::sdk;

namespace {

// libargon2 needs m >= 8 * p; below 8 MiB or one pass the hash is too cheap to be worth having.
constexpr Setting kSettings[] = {
    setting::integer("argon2_memory_kib", 65536, 8192, 4 * 1024 * 1024, "memory per new password hash, in KiB"),
    setting::integer("argon2_iterations", 3, 1, 64, "passes over that memory per new hash"),
    setting::integer("argon2_parallelism", 1, 1, 16, "lanes per new hash"),
    // One thread leaves the other core of a 2-core node to everything else.
    setting::integer("hash_threads", 1, 1, 64,
                     "threads that hash and check passwords (Argon2id), apart from the node's"),
    setting::integer("hash_queue", 32, 1, 100000,
                     "password hashes that may wait for a thread; beyond it RESOURCE_EXHAUSTED"),
    plugin_support::kStoreSetting,
    plugin_support::kPostgresDsnSetting,
    plugin_support::kPostgresDsnFileSetting,
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
    explicit IdentityPlugin(Host& host)
        : Plugin(host),
          rpc_(host),
          pool_(settings().get<size_t>("hash_threads"), settings().get<size_t>("hash_queue")) {
        const std::filesystem::path data_dir = config().data_dir();
        const plugin_support::StoreChoice choice = value_or_throw(plugin_support::choose_store(settings()));
        auto store =
            choice.postgres ? open_postgres_store(choice.dsn) : open_sqlite_store(data_dir / "identity.sqlite");
        service_ = std::make_unique<IdentityService>(
            value_or_throw(std::move(store)), configured_parameters(settings()), plugin_support::unix_ms_now,
            [this](const Status& staged) {
                if (staged.ok()) return outbox_->kick();
                log().error("cannot record an audit entry", {{"reason", staged.message()}});
            });
        if (const size_t dropped = value_or_throw(move_earlier_outbox(data_dir, *service_->audit_queue()));
            dropped > 0) {
            log().error("dropped unreadable audit entries of the earlier outbox file", {{"entries", dropped}});
        }
        outbox_ = std::make_unique<plugin_support::AuditOutbox>(
            service_->audit_queue(), plugin_support::AuditOutbox::through(rpc_), executor(), log());
    }

    Status start() override {
        outbox_->start();
        IdentityService& s = *service_;
        return Serving(rpc_, "/lanchat.identity.v1.Identity/")
            .unary<v1::CreateUserRequest, v1::User>(
                "CreateUser",
                [this, &s](const CallInfo& info, v1::CreateUserRequest r, Responder<v1::User> responder) mutable {
                    const Caller caller = caller_of(info);
                    if (Status checked = s.check_new_user(r, caller); !checked.ok()) return responder.fail(checked);
                    hash(info, "user_create", "user:" + r.username(), responder,
                         [&s, caller, r] { return s.create_user(r, caller); });
                })
            .sync<v1::GetUserRequest, v1::User>("GetUser", [&s](auto&, auto& r) { return s.get_user(r); })
            .sync<v1::LookupUserRequest, v1::User>("LookupUser", [&s](auto&, auto& r) { return s.lookup_user(r); })
            .sync<v1::ListUsersRequest, v1::ListUsersReply>("ListUsers",
                                                            [&s](auto&, auto& r) { return s.list_users(r); })
            .sync<v1::UpdateUserRequest, v1::User>(
                "UpdateUser", [&s](auto& info, auto& r) { return s.update_user(r, caller_of(info)); })
            .sync<v1::SetUserDisabledRequest, v1::User>(
                "SetUserDisabled", [&s](auto& info, auto& r) { return s.set_user_disabled(r, caller_of(info)); })
            .unary<v1::SetPasswordRequest, v1::SetPasswordReply>(
                "SetPassword",
                [this, &s](const CallInfo& info, v1::SetPasswordRequest r,
                           Responder<v1::SetPasswordReply> responder) mutable {
                    hash(info, "user_password", "user:" + r.id(), responder,
                         [&s, caller = caller_of(info), r] { return s.set_password(r, caller); });
                })
            .unary<v1::VerifyPasswordRequest, v1::VerifyPasswordReply>(
                "VerifyPassword",
                [this, &s](const CallInfo& info, v1::VerifyPasswordRequest r,
                           Responder<v1::VerifyPasswordReply> responder) mutable {
                    hash(info, nullptr, {}, responder, [&s, r] { return s.verify_password(r); });
                })
            .sync<v1::AddDeviceRequest, v1::Device>(
                "AddDevice", [&s](auto& info, auto& r) { return s.add_device(r, caller_of(info)); })
            .sync<v1::ListDevicesRequest, v1::ListDevicesReply>("ListDevices",
                                                                [&s](auto&, auto& r) { return s.list_devices(r); })
            .sync<v1::RevokeDeviceRequest, v1::Device>(
                "RevokeDevice", [&s](auto& info, auto& r) { return s.revoke_device(r, caller_of(info)); })
            .sync<v1::CheckAccessRequest, v1::CheckAccessReply>("CheckAccess",
                                                                [&s](auto&, auto& r) { return s.check_access(r); })
            .status();
    }

    void stop() override { outbox_->stop(); }

private:
    static Caller caller_of(const CallInfo& info) { return {info.peer, info.correlation_id}; }

    // Runs `logic` (which hashes or checks a password) on the hashing pool, never on the node's executor or
    // the thread that serves the mesh, and answers with its result. A full pool answers RESOURCE_EXHAUSTED,
    // a job whose deadline passed while it waited DEADLINE_EXCEEDED; for a change (`action`) either is
    // audited as failed.
    template <class Response, class Logic>
    void hash(const CallInfo& info, const char* action, std::string target, Responder<Response> responder,
              Logic logic) {
        auto refuse = [this, action, target, caller = caller_of(info), responder](const Status& why) mutable {
            if (action != nullptr) service_->refused(caller, action, target, why);
            responder.fail(why);
        };
        HashingPool::Job job;
        if (info.deadline_unix_ms != 0) {
            job.deadline = HashingPool::Deadline(std::chrono::milliseconds(info.deadline_unix_ms));
        }
        job.run = [logic, responder]() mutable { responder.answer(logic()); };
        job.refuse = refuse;
        if (Status queued = pool_.submit(std::move(job)); !queued.ok()) refuse(queued);
    }

    Rpc rpc_;
    std::unique_ptr<IdentityService> service_;
    std::unique_ptr<plugin_support::AuditOutbox> outbox_;  // reads the service's store: destroyed before it
    HashingPool pool_;  // last: destroyed first, so no job runs once the service is gone
};

}  // namespace lanchat::identity

LANCHAT_PLUGIN(lanchat::identity::IdentityPlugin, "identity", "0.1.0", lanchat::identity::kSettings)
