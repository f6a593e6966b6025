// IdentityService: the Identity RPCs over an IdentityStore — input rules, Argon2id hashing, the
// same answer for an unknown user as for a wrong password, and device registration at login.
#pragma once

#include <functional>
#include <memory>

#include "identity_store.hpp"
#include "password_hash.hpp"

namespace lanchat::identity {

class IdentityService {
public:
    using Clock = std::function<int64_t()>;  // unix milliseconds

    IdentityService(std::unique_ptr<IdentityStore> store, Argon2Parameters parameters, Clock clock);

    // Services (the gateway, for people registering themselves) may create members only; operators any role.
    sdk::Result<v1::User> create_user(const v1::CreateUserRequest& request, bool caller_is_operator);
    sdk::Result<v1::User> get_user(const v1::GetUserRequest& request);
    sdk::Result<v1::User> lookup_user(const v1::LookupUserRequest& request);
    sdk::Result<v1::ListUsersReply> list_users(const v1::ListUsersRequest& request);
    sdk::Result<v1::User> update_user(const v1::UpdateUserRequest& request);
    sdk::Result<v1::User> set_user_disabled(const v1::SetUserDisabledRequest& request);
    sdk::Result<v1::SetPasswordReply> set_password(const v1::SetPasswordRequest& request);
    sdk::Result<v1::VerifyPasswordReply> verify_password(const v1::VerifyPasswordRequest& request);
    sdk::Result<v1::Device> add_device(const v1::AddDeviceRequest& request);
    sdk::Result<v1::ListDevicesReply> list_devices(const v1::ListDevicesRequest& request);
    sdk::Result<v1::Device> revoke_device(const v1::RevokeDeviceRequest& request);

private:
    sdk::Result<StoredUser> existing_user(const std::string& id);
    sdk::Result<v1::Device> register_device(const std::string& user_id, const std::string& name,
                                            const std::string& fingerprint);

    std::unique_ptr<IdentityStore> store_;
    Argon2Parameters parameters_;
    Clock clock_;
    // Checked against when the user does not exist, so that costs as much as a wrong password.
    std::string decoy_hash_;
};

}  // namespace lanchat::identity
