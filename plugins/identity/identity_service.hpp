// IdentityService: the Identity RPCs over an IdentityStore — input rules, Argon2id hashing, the
// same answer for an unknown user as for a wrong password, device registration at login, and an audit
// entry for every change (refused ones too) naming who asked.
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
    using RecordAudit = std::function<void(audit::v1::AppendRequest)>;

    IdentityService(
        std::unique_ptr<IdentityStore> store, Argon2Parameters parameters, Clock clock,
        RecordAudit record = [](audit::v1::AppendRequest) {});

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

    // Records `action` on `target` by `caller`: "ok", or "failed" with the reason. For a change refused
    // before it reached the methods above (the hashing pool was full).
    void audit(const Caller& caller, const char* action, const std::string& target, const sdk::Status& outcome);

private:
    sdk::Result<StoredUser> existing_user(const std::string& id);
    sdk::Result<v1::Device> register_device(const std::string& user_id, const std::string& name,
                                            const std::string& fingerprint);
    sdk::Result<v1::Access> access_of(const v1::AccessSubject& subject);
    sdk::Result<v1::User> created(const v1::CreateUserRequest& request);
    // Records `action` on `target` by `caller` with the result's outcome, and passes the result on.
    template <class T>
    sdk::Result<T> audited(const Caller& caller, const char* action, const std::string& target, sdk::Result<T> result);

    std::unique_ptr<IdentityStore> store_;
    Argon2Parameters parameters_;
    Clock clock_;
    RecordAudit record_;
    // Checked against when the user does not exist, so that costs as much as a wrong password.
    std::string decoy_hash_;
};

}  // namespace lanchat::identity
