#include "identity_service.hpp"

#include <algorithm>

#include "checks.hpp"
#include "lanchat/ids/random_id.hpp"
#include "text.hpp"

namespace lanchat::identity {
namespace {

using plugin_support::check_id;

constexpr size_t kMaxUsername = 32;
constexpr size_t kMaxDisplayName = 64;
constexpr size_t kMinPassword = 8;
constexpr size_t kMaxPassword = 1024;
constexpr plugin_support::PageLimits kPage;
constexpr int kMaxAccessSubjects = 1000;

// Usernames are case-insensitive: stored and looked up in lower case.
sdk::Result<std::string> normalized_username(std::string username) {
    std::transform(username.begin(), username.end(), username.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
    if (username.empty() || username.size() > kMaxUsername) {
        return sdk::invalid_argument("username must be 1 to " + std::to_string(kMaxUsername) + " characters");
    }
    auto allowed = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    };
    if (!std::all_of(username.begin(), username.end(), allowed) ||
        !std::isalnum(static_cast<unsigned char>(username[0]))) {
        return sdk::invalid_argument(
            "username may hold only a-z, 0-9, '.', '_' and '-', and starts with a letter or digit");
    }
    return username;
}

// Printable UTF-8 of at most `limit` bytes; `what` names the field in the error.
sdk::Status check_text(const char* what, const std::string& text, size_t limit) {
    if (text.size() > limit) {
        return sdk::invalid_argument(std::string(what) + " is " + std::to_string(text.size()) + " bytes; at most " +
                                     std::to_string(limit));
    }
    if (!plugin_support::is_valid_utf8(text)) return sdk::invalid_argument(std::string(what) + " is not valid UTF-8");
    if (std::any_of(text.begin(), text.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
        return sdk::invalid_argument(std::string(what) + " holds control characters");
    }
    return {};
}

sdk::Status check_password(const std::string& password) {
    if (password.size() < kMinPassword || password.size() > kMaxPassword) {
        return sdk::invalid_argument("password must be " + std::to_string(kMinPassword) + " to " +
                                     std::to_string(kMaxPassword) + " bytes");
    }
    return {};
}

sdk::Status check_fingerprint(const std::string& fingerprint) {
    bool hex = fingerprint.size() == 64 && std::all_of(fingerprint.begin(), fingerprint.end(), [](char c) {
                   return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
               });
    if (!hex)
        return sdk::invalid_argument(
            "device fingerprint must be 64 lower-case hex digits (SHA-256 of the certificate)");
    return {};
}

sdk::Result<v1::Role> role_or_member(v1::Role role) {
    if (role == v1::ROLE_UNSPECIFIED) return v1::ROLE_MEMBER;
    if (role != v1::ROLE_MEMBER && role != v1::ROLE_ADMIN)
        return sdk::invalid_argument("unknown role " + std::to_string(role));
    return role;
}

// Page tokens are the hex of the last username of the previous page.
sdk::Result<std::string> username_after(const std::string& token) {
    if (token.empty()) return std::string();
    std::string decoded;
    bool even_hex =
        token.size() % 2 == 0 && token.size() <= 2 * kMaxUsername &&
        std::all_of(token.begin(), token.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
    if (even_hex) {
        for (size_t i = 0; i < token.size(); i += 2)
            decoded += static_cast<char>(std::stoi(token.substr(i, 2), nullptr, 16));
    }
    if (!even_hex || !normalized_username(decoded).ok()) {
        return sdk::invalid_argument("page_token is not one this service issued");
    }
    return decoded;
}

// The audit target naming a user: their username when known, else the id asked for.
std::string user_target(const std::string& name) { return "user:" + name.substr(0, kMaxUsername * 2); }

}  // namespace

bool Caller::is_operator() const {
    return peer.rfind("spiffe://", 0) == 0 && peer.find("/operator/") != std::string::npos;
}

IdentityService::IdentityService(std::unique_ptr<IdentityStore> store, Argon2Parameters parameters, Clock clock,
                                 Recorded recorded)
    : store_(std::move(store)), parameters_(parameters), clock_(std::move(clock)), recorded_(std::move(recorded)) {
    decoy_hash_ = value_or_throw(hash_password(ids::to_hex(ids::random_bytes(16)), parameters_));
}

audit::v1::AppendRequest IdentityService::entry(const Caller& caller, const char* action, const std::string& target,
                                                const sdk::Status& outcome) {
    audit::v1::AppendRequest entry;
    entry.set_actor(caller.peer.empty() ? "(unknown caller)" : caller.peer);
    entry.set_action(action);
    entry.set_target(target);
    entry.set_outcome(outcome.ok() ? "ok" : "failed");
    entry.set_correlation_id(caller.correlation_id);
    if (!outcome.ok()) (*entry.mutable_details())["reason"] = outcome.message().substr(0, 256);
    return entry;
}

void IdentityService::refused(const Caller& caller, const char* action, const std::string& target,
                              const sdk::Status& why) {
    recorded_(store_->record({entry(caller, action, target, why)}));
}

template <class T>
sdk::Result<T> IdentityService::refuse(const Caller& caller, const char* action, const std::string& target,
                                       sdk::Status why) {
    refused(caller, action, target, why);
    return why;
}

// The entry saying "ok" is staged by the change's own commit; a change that failed committed nothing (its
// entry rolled back with it), so its refusal is staged after it.
template <class Change>
auto IdentityService::audited(const Caller& caller, const char* action, const std::string& target, Change change) {
    auto result = change(AuditRecords{entry(caller, action, target, {})});
    if (result.ok()) {
        recorded_({});
    } else {
        refused(caller, action, target, result.status());
    }
    return result;
}

sdk::Status IdentityService::check_new_user(const v1::CreateUserRequest& request, const Caller& caller) {
    auto checked = [&]() -> sdk::Status {
        auto username = normalized_username(request.username());
        if (!username.ok()) return username.status();
        const std::string& display_name = request.display_name().empty() ? *username : request.display_name();
        if (sdk::Status text = check_text("display_name", display_name, kMaxDisplayName); !text.ok()) return text;
        if (sdk::Status password = check_password(request.password()); !password.ok()) return password;
        auto role = role_or_member(request.role());
        if (!role.ok()) return role.status();
        if (*role != v1::ROLE_MEMBER && !caller.is_operator()) {
            return {sdk::Code::permission_denied, "only an operator may create an admin"};
        }
        // Before hashing: a taken name must not cost an Argon2id hash (the store checks again when it inserts).
        auto taken = store_->find_user_by_name(*username);
        if (!taken.ok()) return taken.status();
        if (taken->has_value()) return {sdk::Code::already_exists, "the username '" + *username + "' is taken"};
        return {};
    }();
    if (!checked.ok()) refused(caller, "user_create", user_target(request.username()), checked);
    return checked;
}

sdk::Result<v1::User> IdentityService::create_user(const v1::CreateUserRequest& request, const Caller& caller) {
    if (sdk::Status checked = check_new_user(request, caller); !checked.ok()) return checked;
    return audited(caller, "user_create", user_target(request.username()),
                   [&](const AuditRecords& records) { return created(request, records); });
}

sdk::Result<v1::User> IdentityService::created(const v1::CreateUserRequest& request, const AuditRecords& records) {
    auto username = normalized_username(request.username());
    if (!username.ok()) return username.status();
    auto role = role_or_member(request.role());
    if (!role.ok()) return role.status();
    auto hash = hash_password(request.password(), parameters_);
    if (!hash.ok()) return hash.status();
    v1::User user;
    user.set_id(ids::random_id("u_"));
    user.set_username(*username);
    user.set_display_name(request.display_name().empty() ? *username : request.display_name());
    user.set_role(*role);
    user.set_created_unix_ms(clock_());
    if (sdk::Status stored = store_->create_user(user, *hash, records); !stored.ok()) return stored;
    return user;
}

sdk::Result<StoredUser> IdentityService::existing_user(const std::string& id) {
    if (sdk::Status checked = check_id("id", id); !checked.ok()) return checked;
    auto found = store_->find_user_by_id(id);
    if (!found.ok()) return found.status();
    if (!found->has_value()) return sdk::not_found("no user with id " + id);
    return std::move(**found);
}

sdk::Result<v1::User> IdentityService::get_user(const v1::GetUserRequest& request) {
    auto stored = existing_user(request.id());
    if (!stored.ok()) return stored.status();
    return stored->user;
}

sdk::Result<v1::User> IdentityService::lookup_user(const v1::LookupUserRequest& request) {
    auto username = normalized_username(request.username());
    if (!username.ok()) return username.status();
    auto found = store_->find_user_by_name(*username);
    if (!found.ok()) return found.status();
    if (!found->has_value()) return sdk::not_found("no user named " + *username);
    return (*found)->user;
}

sdk::Result<v1::ListUsersReply> IdentityService::list_users(const v1::ListUsersRequest& request) {
    auto after = username_after(request.page().page_token());
    if (!after.ok()) return after.status();
    uint32_t limit = kPage.size_for(request.page().page_size());
    auto users = store_->list_users(*after, limit + 1);
    if (!users.ok()) return users.status();
    v1::ListUsersReply reply;
    for (size_t i = 0; i < users->size() && i < limit; ++i) *reply.add_users() = (*users)[i];
    if (users->size() > limit) reply.mutable_page()->set_next_page_token(ids::to_hex((*users)[limit - 1].username()));
    return reply;
}

sdk::Result<v1::User> IdentityService::update_user(const v1::UpdateUserRequest& request, const Caller& caller) {
    auto stored = existing_user(request.id());
    if (!stored.ok()) return refuse<v1::User>(caller, "user_update", user_target(request.id()), stored.status());
    auto changed = [&](const AuditRecords& records) -> sdk::Result<v1::User> {
        v1::User user = stored->user;
        if (!request.display_name().empty()) {
            if (sdk::Status checked = check_text("display_name", request.display_name(), kMaxDisplayName);
                !checked.ok())
                return checked;
            user.set_display_name(request.display_name());
        }
        if (request.role() != v1::ROLE_UNSPECIFIED) {
            auto role = role_or_member(request.role());
            if (!role.ok()) return role.status();
            user.set_role(*role);
        }
        if (sdk::Status updated = store_->update_user(user, records); !updated.ok()) return updated;
        return user;
    };
    return audited(caller, "user_update", user_target(stored->user.username()), changed);
}

sdk::Result<v1::User> IdentityService::set_user_disabled(const v1::SetUserDisabledRequest& request,
                                                         const Caller& caller) {
    const char* action = request.disabled() ? "user_disable" : "user_enable";
    auto stored = existing_user(request.id());
    if (!stored.ok()) return refuse<v1::User>(caller, action, user_target(request.id()), stored.status());
    return audited(caller, action, user_target(stored->user.username()),
                   [&](const AuditRecords& records) -> sdk::Result<v1::User> {
                       v1::User user = stored->user;
                       user.set_disabled(request.disabled());
                       if (sdk::Status updated = store_->update_user(user, records); !updated.ok()) return updated;
                       return user;
                   });
}

sdk::Result<v1::SetPasswordReply> IdentityService::set_password(const v1::SetPasswordRequest& request,
                                                                const Caller& caller) {
    auto stored = existing_user(request.id());
    if (!stored.ok()) {
        return refuse<v1::SetPasswordReply>(caller, "user_password", user_target(request.id()), stored.status());
    }
    auto changed = [&](const AuditRecords& records) -> sdk::Result<v1::SetPasswordReply> {
        if (sdk::Status checked = check_password(request.password()); !checked.ok()) return checked;
        auto hash = hash_password(request.password(), parameters_);
        if (!hash.ok()) return hash.status();
        if (sdk::Status set = store_->set_password_hash(stored->user.id(), *hash, records); !set.ok()) return set;
        return v1::SetPasswordReply();
    };
    return audited(caller, "user_password", user_target(stored->user.username()), changed);
}

sdk::Result<v1::VerifyPasswordReply> IdentityService::verify_password(const v1::VerifyPasswordRequest& request) {
    if (request.password().size() > kMaxPassword) return check_password(request.password());
    if (!request.device_fingerprint().empty()) {
        if (sdk::Status checked = check_fingerprint(request.device_fingerprint()); !checked.ok()) return checked;
        if (sdk::Status checked = check_text("device_name", request.device_name(), kMaxDisplayName); !checked.ok())
            return checked;
    }
    // Whatever the username, exactly one Argon2id verification runs: a user that does not exist (or a name
    // that could not exist) is checked against the decoy hash and answers INVALID like a wrong password.
    std::optional<StoredUser> stored;
    if (auto username = normalized_username(request.username()); username.ok()) {
        auto found = store_->find_user_by_name(*username);
        if (!found.ok()) return found.status();
        stored = std::move(*found);
    }
    const bool matches = password_matches(stored ? stored->password_hash : decoy_hash_, request.password());
    v1::VerifyPasswordReply reply;
    if (!stored || !matches) {
        reply.set_outcome(v1::VerifyPasswordReply::INVALID);
        return reply;
    }
    if (stored->user.disabled()) {
        reply.set_outcome(v1::VerifyPasswordReply::DISABLED);
        return reply;
    }
    if (needs_rehash(stored->password_hash, parameters_)) {
        // The parameters were raised since this hash was made: store one made with the current ones.
        auto hash = hash_password(request.password(), parameters_);
        if (hash.ok()) (void)store_->set_password_hash(stored->user.id(), *hash, {});
    }
    if (!request.device_fingerprint().empty()) {
        auto device = register_device(stored->user.id(), request.device_name(), request.device_fingerprint());
        if (!device.ok()) return device.status();
        if (device->revoked()) {
            reply.set_outcome(v1::VerifyPasswordReply::DEVICE_REVOKED);
            return reply;
        }
        *reply.mutable_device() = *device;
    }
    reply.set_outcome(v1::VerifyPasswordReply::VALID);
    *reply.mutable_user() = stored->user;
    return reply;
}

// A device seen before is touched; a new one is registered on its first login (trust on first use).
sdk::Result<v1::Device> IdentityService::register_device(const std::string& user_id, const std::string& name,
                                                         const std::string& fingerprint) {
    auto known = store_->find_device_by_fingerprint(user_id, fingerprint);
    if (!known.ok()) return known.status();
    const int64_t now = clock_();
    if (known->has_value()) {
        v1::Device device = **known;
        if (device.revoked()) return device;
        if (sdk::Status touched = store_->touch_device(device.id(), now); !touched.ok()) return touched;
        device.set_last_seen_unix_ms(now);
        return device;
    }
    v1::Device device = new_device(user_id, name, fingerprint, now);
    if (sdk::Status added = store_->add_device(device, {}); !added.ok()) return added;
    return device;
}

v1::Device IdentityService::new_device(const std::string& user_id, const std::string& name,
                                       const std::string& fingerprint, int64_t now) {
    v1::Device device;
    device.set_id(ids::random_id("d_"));
    device.set_user_id(user_id);
    device.set_name(name.empty() ? "device " + fingerprint.substr(0, 12) : name);
    device.set_fingerprint(fingerprint);
    device.set_created_unix_ms(now);
    device.set_last_seen_unix_ms(now);
    return device;
}

sdk::Result<v1::Device> IdentityService::add_device(const v1::AddDeviceRequest& request, const Caller& caller) {
    auto stored = existing_user(request.user_id());
    if (!stored.ok()) return refuse<v1::Device>(caller, "device_add", user_target(request.user_id()), stored.status());
    auto added = [&](const AuditRecords& records) -> sdk::Result<v1::Device> {
        if (sdk::Status checked = check_fingerprint(request.fingerprint()); !checked.ok()) return checked;
        if (sdk::Status checked = check_text("name", request.name(), kMaxDisplayName); !checked.ok()) return checked;
        auto known = store_->find_device_by_fingerprint(request.user_id(), request.fingerprint());
        if (!known.ok()) return known.status();
        if (known->has_value())
            return sdk::Status(sdk::Code::already_exists, "the user already has this device: " + (*known)->id());
        v1::Device device = new_device(request.user_id(), request.name(), request.fingerprint(), clock_());
        if (sdk::Status stored = store_->add_device(device, records); !stored.ok()) return stored;
        return device;
    };
    return audited(caller, "device_add", user_target(stored->user.username()), added);
}

sdk::Result<v1::ListDevicesReply> IdentityService::list_devices(const v1::ListDevicesRequest& request) {
    auto stored = existing_user(request.user_id());
    if (!stored.ok()) return stored.status();
    auto devices = store_->list_devices(request.user_id());
    if (!devices.ok()) return devices.status();
    v1::ListDevicesReply reply;
    for (v1::Device& device : *devices) *reply.add_devices() = std::move(device);
    return reply;
}

sdk::Result<v1::Device> IdentityService::revoke_device(const v1::RevokeDeviceRequest& request, const Caller& caller) {
    auto revoked = [&](const AuditRecords& records) -> sdk::Result<v1::Device> {
        if (sdk::Status checked = check_id("id", request.id()); !checked.ok()) return checked;
        auto found = store_->find_device(request.id());
        if (!found.ok()) return found.status();
        if (!found->has_value()) return sdk::not_found("no device with id " + request.id());
        if (sdk::Status stored = store_->revoke_device(request.id(), records); !stored.ok()) return stored;
        v1::Device device = **found;
        device.set_revoked(true);
        return device;
    };
    return audited(caller, "device_revoke", "device:" + request.id().substr(0, 64), revoked);
}

sdk::Result<v1::Access> IdentityService::access_of(const v1::AccessSubject& subject) {
    v1::Access access;
    if (!check_id("user_id", subject.user_id()).ok()) {
        access.set_state(v1::Access::USER_UNKNOWN);
        return access;
    }
    auto found = store_->find_user_by_id(subject.user_id());
    if (!found.ok()) return found.status();
    if (!found->has_value()) {
        access.set_state(v1::Access::USER_UNKNOWN);
        return access;
    }
    *access.mutable_user() = (*found)->user;
    access.set_state((*found)->user.disabled() ? v1::Access::DISABLED : v1::Access::ACTIVE);
    if (access.state() == v1::Access::ACTIVE && !subject.device_fingerprint().empty()) {
        auto device = store_->find_device_by_fingerprint(subject.user_id(), subject.device_fingerprint());
        if (!device.ok()) return device.status();
        if (!device->has_value() || (*device)->revoked()) access.set_state(v1::Access::DEVICE_REVOKED);
    }
    return access;
}

sdk::Result<v1::CheckAccessReply> IdentityService::check_access(const v1::CheckAccessRequest& request) {
    if (request.subjects_size() > kMaxAccessSubjects) {
        return sdk::invalid_argument("at most " + std::to_string(kMaxAccessSubjects) + " subjects per call, not " +
                                     std::to_string(request.subjects_size()));
    }
    v1::CheckAccessReply reply;
    for (const v1::AccessSubject& subject : request.subjects()) {
        auto access = access_of(subject);
        if (!access.ok()) return access.status();
        *reply.add_access() = std::move(*access);
    }
    return reply;
}

}  // namespace lanchat::identity
