// IdentityService: the Identity RPCs over an IdentityStore — input rules, Argon2id hashing, the
// same answer for an unknown user as for a wrong password, device registration at login, and an audit
// entry for every change (refused ones too) naming who asked, committed with the change it records.
#pragma once

#include <functional>
#include <memory>

#include "identity_store.hpp"
#include "lanchat/audit/v1/audit.pb.h"
#include "password_hash.hpp"

namespace lanchat::identity {

// Who asks for a change, for the audit record: the caller's SPIFFE ID (an operator's
// spiffe://<domain>/operator/<name>, or a service's) and the call's correlation id.
struct Caller {
    std::string peer;
    std::string correlation_id;

    // A person with an operator certificate, not a service.
    bool is_operator() const;
};

class IdentityService {
public:
    using Clock = std::function<int64_t()>;  // unix milliseconds
    // Told after each commit that staged audit entries in the store: OK, so the outbox sends them now; or
    // why the entry of a refused change could not be staged.
    using Recorded = std::function<void(const sdk::Status&)>;

    IdentityService(
        std::unique_ptr<IdentityStore> store, Argon2Parameters parameters, Clock clock,
        Recorded recorded = [](const sdk::Status&) {});

    // Services (the gateway, for people registering themselves) may create members only; operators any role.
    sdk::Result<v1::User> create_user(const v1::CreateUserRequest& request, const Caller& caller);
    // What create_user checks before it hashes (fields, role, a taken username): cheap enough to run on the
    // thread that received the call, so a doomed request never waits for the hashing pool. Audited when refused.
    sdk::Status check_new_user(const v1::CreateUserRequest& request, const Caller& caller);
    sdk::Result<v1::User> get_user(const v1::GetUserRequest& request);
    sdk::Result<v1::User> lookup_user(const v1::LookupUserRequest& request);
    sdk::Result<v1::ListUsersReply> list_users(const v1::ListUsersRequest& request);
    sdk::Result<v1::User> update_user(const v1::UpdateUserRequest& request, const Caller& caller);
    sdk::Result<v1::User> set_user_disabled(const v1::SetUserDisabledRequest& request, const Caller& caller);
    sdk::Result<v1::SetPasswordReply> set_password(const v1::SetPasswordRequest& request, const Caller& caller);
    sdk::Result<v1::VerifyPasswordReply> verify_password(const v1::VerifyPasswordRequest& request);
    sdk::Result<v1::Device> add_device(const v1::AddDeviceRequest& request, const Caller& caller);
    sdk::Result<v1::ListDevicesReply> list_devices(const v1::ListDevicesRequest& request);
    sdk::Result<v1::Device> revoke_device(const v1::RevokeDeviceRequest& request, const Caller& caller);
    sdk::Result<v1::CheckAccessReply> check_access(const v1::CheckAccessRequest& request);

    // Records that `caller`'s `action` on `target` was refused (`why`), in a commit of its own. For a change
    // refused before it reached the methods above (the hashing pool was full).
    void refused(const Caller& caller, const char* action, const std::string& target, const sdk::Status& why);
    // The store's audit outbox queue, for the AuditOutbox that sends it; the service outlives it.
    std::unique_ptr<plugin_support::OutboxQueue> audit_queue() { return store_->audit_queue(); }

private:
    sdk::Result<StoredUser> existing_user(const std::string& id);
    sdk::Result<v1::Device> register_device(const std::string& user_id, const std::string& name,
                                            const std::string& fingerprint);
    v1::Device new_device(const std::string& user_id, const std::string& name, const std::string& fingerprint,
                          int64_t now);
    sdk::Result<v1::Access> access_of(const v1::AccessSubject& subject);
    sdk::Result<v1::User> created(const v1::CreateUserRequest& request, const AuditRecords& records);
    static audit::v1::AppendRequest entry(const Caller& caller, const char* action, const std::string& target,
                                          const sdk::Status& outcome);
    // Runs `change` (a Result<T> of the AuditRecords it stages with its commit), handing it the entry that
    // records `caller`'s `action` on `target` as done; if it fails, records it as refused instead.
    template <class Change>
    auto audited(const Caller& caller, const char* action, const std::string& target, Change change);
    // refused(), passing the refusal on.
    template <class T>
    sdk::Result<T> refuse(const Caller& caller, const char* action, const std::string& target, sdk::Status why);

    std::unique_ptr<IdentityStore> store_;
    Argon2Parameters parameters_;
    Clock clock_;
    Recorded recorded_;
    // Checked against when the user does not exist, so that costs as much as a wrong password.
    std::string decoy_hash_;
};

}  // namespace lanchat::identity
