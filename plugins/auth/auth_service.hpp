// AuthService: Login, Validate, Refresh, Logout and Keys over an AuthStore, the Identity service (for
// passwords and users) and the audit record. Login and Refresh wait on Identity, so they answer through
// a callback, and so do Validate and Recheck, which ask Identity whether the user and device may still act.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>

#include "auth_store.hpp"
#include "lanchat/audit/v1/audit.pb.h"
#include "lanchat/identity/v1/identity.pb.h"
#include "login_throttle.hpp"

namespace lanchat::auth {

// Who is asking, for the audit record and the throttle.
struct Caller {
    std::string peer;  // the mesh peer's SPIFFE ID (the client edge)
    std::string correlation_id;
    lanchat_rpc_call* call = nullptr;  // the inbound call, so calls made for it carry its trace and deadline
};

// What Auth asks of Identity; the plugin answers it over the mesh.
class IdentityDirectory {
public:
    virtual ~IdentityDirectory() = default;
    virtual void verify_password(const Caller& caller, const identity::v1::VerifyPasswordRequest& request,
                                 std::function<void(sdk::Result<identity::v1::VerifyPasswordReply>)> done) = 0;
    // Whether each subject's user is enabled and its device (if any) not revoked, in the request's order.
    virtual void check_access(const Caller& caller, const identity::v1::CheckAccessRequest& request,
                              std::function<void(sdk::Result<identity::v1::CheckAccessReply>)> done) = 0;
};

struct AuthSettings {
    std::chrono::milliseconds access_token_lifetime{15 * 60 * 1000};
    std::chrono::milliseconds refresh_token_lifetime{30LL * 24 * 3600 * 1000};
    std::chrono::milliseconds key_rotation{24LL * 3600 * 1000};  // a new signing key this often
    LoginThrottle::Policy throttle;
};

class AuthService {
public:
    using Clock = std::function<int64_t()>;  // unix milliseconds
    using RecordAudit = std::function<void(audit::v1::AppendRequest)>;
    using CountLogin = std::function<void(const char* outcome)>;
    template <class T>
    using Done = std::function<void(sdk::Result<T>)>;

    AuthService(AuthStore& store, IdentityDirectory& identity, RecordAudit record, CountLogin count,
                AuthSettings settings, Clock clock);

    // Loads the keys; makes a new current key when there is none or it is older than key_rotation, and
    // forgets retired keys whose tokens have all expired. Called at start and then periodically.
    sdk::Status rotate_keys();

    void login(const v1::LoginRequest& request, const Caller& caller, Done<v1::LoginReply> done);
    void validate(const v1::ValidateRequest& request, const Caller& caller, Done<v1::ValidateReply> done);
    void refresh(const v1::RefreshRequest& request, const Caller& caller, Done<v1::LoginReply> done);
    sdk::Result<v1::LogoutReply> logout(const v1::LogoutRequest& request, const Caller& caller);
    // One verdict per session: its token not revoked, its user enabled, its device not revoked.
    void recheck(const v1::RecheckRequest& request, const Caller& caller, Done<v1::RecheckReply> done);
    sdk::Result<v1::KeysReply> keys();

private:
    struct Subject {
        std::string user_id;
        std::string username;
        std::string role;
        std::string device;
    };
    sdk::Result<v1::LoginReply> issue(const Subject& subject, const std::string& family_id);
    // A signed access token and a fresh refresh token (whose hash and expiry the caller stores).
    sdk::Result<v1::LoginReply> sign_pair(const Subject& subject, std::string& refresh_hash, int64_t& refresh_expires);
    // The claims of a token this service signed and that has not expired (no device or revocation check).
    sdk::Result<v1::Claims> verified(const std::string& token) const;
    // Once both throttle keys let the attempt start.
    void check_password(const v1::LoginRequest& request, const Caller& caller, Done<v1::LoginReply> done);
    void finish_login(const v1::LoginRequest& request, const Caller& caller,
                      const sdk::Result<identity::v1::VerifyPasswordReply>& verdict, Done<v1::LoginReply> done);
    void record(const Caller& caller, const std::string& actor, const char* action, const char* outcome,
                std::initializer_list<std::pair<const char*, std::string>> details);
    std::optional<SigningKey> current_key() const;

    AuthStore& store_;
    IdentityDirectory& identity_;
    RecordAudit record_;
    CountLogin count_;
    AuthSettings settings_;
    Clock clock_;
    LoginThrottle throttle_;
    mutable std::shared_mutex keys_mutex_;
    std::vector<SigningKey> keys_;  // oldest first; the last unretired one signs
};

}  // namespace lanchat::auth
