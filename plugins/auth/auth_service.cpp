#include "auth_service.hpp"

#include <algorithm>
#include <mutex>

#include "lanchat/ids/random_id.hpp"
#include "text.hpp"

namespace lanchat::auth {
namespace {

using identity::v1::VerifyPasswordReply;

constexpr size_t kMaxUsername = 64;
constexpr size_t kMaxPassword = 1024;
constexpr size_t kMaxClientField = 128;
constexpr size_t kRefreshTokenBytes = 32;
// Longest a refresh token can be in its text form (base64url of 32 bytes is 43 characters).
constexpr size_t kMaxRefreshToken = 64;

const sdk::Status kInvalidCredentials{sdk::Code::unauthenticated, "invalid username or password"};
const sdk::Status kInvalidRefresh{sdk::Code::unauthenticated, "invalid refresh token"};

sdk::Status check_client(const v1::ClientContext& client) {
    for (const std::string* field : {&client.device_fingerprint(), &client.device_name(), &client.source()}) {
        if (field->size() > kMaxClientField) {
            return sdk::invalid_argument("client fields are at most " + std::to_string(kMaxClientField) + " bytes");
        }
    }
    return {};
}

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
    return text;
}

std::string role_name(identity::v1::Role role) { return role == identity::v1::ROLE_ADMIN ? "admin" : "member"; }

constexpr int kMaxRecheck = 1000;

// Why a session of a user in `access` may not go on; empty when it may.
std::string refusal_of(const identity::v1::Access& access) {
    switch (access.state()) {
        case identity::v1::Access::ACTIVE: return {};
        case identity::v1::Access::DISABLED: return "account disabled";
        case identity::v1::Access::DEVICE_REVOKED: return "device revoked";
        case identity::v1::Access::USER_UNKNOWN: return "no such user";
        default: return "access unknown";
    }
}

identity::v1::CheckAccessRequest access_request(const std::string& user_id, const std::string& device) {
    identity::v1::CheckAccessRequest request;
    identity::v1::AccessSubject& subject = *request.add_subjects();
    subject.set_user_id(user_id);
    subject.set_device_fingerprint(device);
    return request;
}

}  // namespace

AuthService::AuthService(AuthStore& store, IdentityDirectory& identity, RecordAudit record, CountLogin count,
                         AuthSettings settings, Clock clock)
    : store_(store),
      identity_(identity),
      record_(std::move(record)),
      count_(std::move(count)),
      settings_(settings),
      clock_(std::move(clock)),
      throttle_(settings.throttle) {}

sdk::Status AuthService::rotate_keys() {
    auto stored = store_.signing_keys();
    if (!stored.ok()) return stored.status();
    const int64_t now = clock_();
    std::vector<SigningKey> keys = std::move(*stored);
    auto current =
        std::find_if(keys.rbegin(), keys.rend(), [](const SigningKey& key) { return key.retired_unix_ms == 0; });
    if (current == keys.rend() || now - current->created_unix_ms >= settings_.key_rotation.count()) {
        auto fresh = generate_signing_key(now);
        if (!fresh.ok()) return fresh.status();
        if (sdk::Status added = store_.add_signing_key(*fresh); !added.ok()) return added;
        for (SigningKey& key : keys) {
            if (key.retired_unix_ms != 0) continue;
            if (sdk::Status retired = store_.retire_signing_key(key.id, now); !retired.ok()) return retired;
            key.retired_unix_ms = now;
        }
        keys.push_back(std::move(*fresh));
    }
    // A retired key verifies until the last token it signed has expired (plus the allowed clock skew).
    const int64_t keep_ms = settings_.access_token_lifetime.count() + kClockSkewSeconds * 1000;
    std::vector<SigningKey> kept;
    for (SigningKey& key : keys) {
        if (key.retired_unix_ms != 0 && now - key.retired_unix_ms > keep_ms) {
            if (sdk::Status deleted = store_.delete_signing_key(key.id); !deleted.ok()) return deleted;
            continue;
        }
        if (!key.public_key) {
            if (sdk::Status parsed = parse_public_key(key); !parsed.ok()) return parsed;
        }
        kept.push_back(std::move(key));
    }
    if (sdk::Status forgotten = store_.forget_expired(now); !forgotten.ok()) return forgotten;
    std::unique_lock lock(keys_mutex_);
    keys_ = std::move(kept);
    return {};
}

std::optional<SigningKey> AuthService::current_key() const {
    std::shared_lock lock(keys_mutex_);
    for (auto key = keys_.rbegin(); key != keys_.rend(); ++key) {
        if (key->retired_unix_ms == 0) return *key;
    }
    return std::nullopt;
}

void AuthService::record(const Caller& caller, const std::string& actor, const char* action, const char* outcome,
                         std::initializer_list<std::pair<const char*, std::string>> details) {
    audit::v1::AppendRequest entry;
    entry.set_actor(actor);
    entry.set_action(action);
    entry.set_target("auth");
    entry.set_outcome(outcome);
    entry.set_correlation_id(caller.correlation_id);
    for (const auto& [key, value] : details) {
        if (!value.empty()) (*entry.mutable_details())[key] = value.substr(0, 256);
    }
    record_(std::move(entry));
}

void AuthService::login(const v1::LoginRequest& request, const Caller& caller, Done<v1::LoginReply> done) {
    if (request.username().empty() || request.password().empty()) {
        return done(sdk::invalid_argument("username and password are required"));
    }
    if (request.username().size() > kMaxUsername || request.password().size() > kMaxPassword) {
        return done(sdk::invalid_argument("username is at most 64 bytes and password at most 1024"));
    }
    if (sdk::Status checked = check_client(request.client()); !checked.ok()) return done(checked);
    const std::string user_key = "user:" + lower(request.username());
    const std::string source_key =
        "source:" + (request.client().source().empty() ? caller.peer : request.client().source());
    auto throttled = [this, request, caller, done](std::chrono::milliseconds wait) {
        count_("throttled");
        record(caller, "user:" + lower(request.username()), "login_throttled", "denied",
               {{"source", request.client().source()}});
        done(sdk::Status(sdk::Code::resource_exhausted,
                         "too many failed logins; try again in " + std::to_string((wait.count() + 999) / 1000) + " s"));
    };
    // The user's key first, then the source's: an attempt waiting for a source never holds one back.
    throttle_.attempt(
        user_key, clock_(),
        [this, request, caller, done, user_key, source_key, throttled] {
            throttle_.attempt(
                source_key, clock_(), [this, request, caller, done] { check_password(request, caller, done); },
                [this, user_key, throttled](std::chrono::milliseconds wait) {
                    throttle_.ended(user_key, clock_());
                    throttled(wait);
                });
        },
        throttled);
}

void AuthService::check_password(const v1::LoginRequest& request, const Caller& caller, Done<v1::LoginReply> done) {
    identity::v1::VerifyPasswordRequest verify;
    verify.set_username(request.username());
    verify.set_password(request.password());
    verify.set_device_fingerprint(request.client().device_fingerprint());
    verify.set_device_name(request.client().device_name());
    identity_.verify_password(caller, verify, [this, request, caller, done = std::move(done)](auto verdict) mutable {
        finish_login(request, caller, verdict, std::move(done));
    });
}

void AuthService::finish_login(const v1::LoginRequest& request, const Caller& caller,
                               const sdk::Result<VerifyPasswordReply>& verdict, Done<v1::LoginReply> done) {
    const std::string actor = "user:" + lower(request.username());
    const std::string& source = request.client().source();
    const std::string& device = request.client().device_fingerprint();
    const std::string user_key = "user:" + lower(request.username());
    const std::string source_key = "source:" + (source.empty() ? caller.peer : source);
    const int64_t now = clock_();
    if (!verdict.ok()) {
        throttle_.ended(user_key, now);  // an outage is nobody's failed attempt
        throttle_.ended(source_key, now);
        count_("error");
        if (verdict.status().code() == sdk::Code::invalid_argument) return done(verdict.status());
        return done(sdk::unavailable("cannot check the password now: " + verdict.status().message()));
    }
    auto fail = [&](const char* reason, sdk::Status status) {
        throttle_.failed(user_key, now);
        throttle_.failed(source_key, now);
        count_(reason);
        record(caller, actor, "login_failed", "denied", {{"reason", reason}, {"source", source}, {"device", device}});
        done(std::move(status));
    };
    switch (verdict->outcome()) {
        case VerifyPasswordReply::VALID: break;
        case VerifyPasswordReply::DISABLED:
            return fail("disabled", {sdk::Code::permission_denied, "this account is disabled"});
        case VerifyPasswordReply::DEVICE_REVOKED:
            return fail("device_revoked", {sdk::Code::permission_denied, "this device was revoked for this account"});
        default: return fail("invalid_credentials", kInvalidCredentials);
    }
    throttle_.succeeded(user_key, now);
    throttle_.ended(source_key, now);
    const identity::v1::User& user = verdict->user();
    auto pair = issue({user.id(), user.username(), role_name(user.role()), device}, ids::random_id("f_"));
    if (!pair.ok()) {
        count_("error");
        return done(pair.status());
    }
    count_("ok");
    record(caller, "user:" + user.username(), "login", "ok",
           {{"user_id", user.id()}, {"source", source}, {"device", device}, {"token_id", pair->claims().token_id()}});
    done(std::move(pair));
}

sdk::Result<v1::LoginReply> AuthService::sign_pair(const Subject& subject, std::string& refresh_hash,
                                                   int64_t& refresh_expires) {
    auto key = current_key();
    if (!key) return sdk::unavailable("no signing key yet");
    const int64_t now = clock_();
    v1::LoginReply reply;
    v1::Claims& claims = *reply.mutable_claims();
    claims.set_subject(subject.user_id);
    claims.set_username(subject.username);
    claims.add_roles(subject.role);
    claims.set_device(subject.device);
    claims.set_issued_unix_s(now / 1000);
    claims.set_expires_unix_s((now + settings_.access_token_lifetime.count()) / 1000);
    claims.set_token_id(ids::random_id("t_"));
    claims.set_key_id(key->id);
    auto token = sign_access_token(claims, *key);
    if (!token.ok()) return token.status();
    reply.set_access_token(*token);
    reply.set_access_expires_unix_ms(claims.expires_unix_s() * 1000);
    const std::string refresh = plugin_support::base64url_encode(ids::random_bytes(kRefreshTokenBytes));
    refresh_hash = plugin_support::sha256_hex(refresh);
    refresh_expires = now + settings_.refresh_token_lifetime.count();
    reply.set_refresh_token(refresh);
    reply.set_refresh_expires_unix_ms(refresh_expires);
    return reply;
}

sdk::Result<v1::LoginReply> AuthService::issue(const Subject& subject, const std::string& family_id) {
    std::string hash;
    int64_t expires = 0;
    auto pair = sign_pair(subject, hash, expires);
    if (!pair.ok()) return pair;
    RefreshRecord first{hash, family_id, subject.user_id, subject.username, subject.device, clock_(), expires,
                        0,    false};
    if (sdk::Status stored = store_.start_family(first); !stored.ok()) return stored;
    return pair;
}

sdk::Result<v1::Claims> AuthService::verified(const std::string& token) const {
    std::shared_lock lock(keys_mutex_);
    auto lookup = [this](const std::string& id) -> const SigningKey* {
        for (const SigningKey& key : keys_) {
            if (key.id == id) return &key;
        }
        return nullptr;
    };
    return verify_access_token(token, lookup, clock_() / 1000);
}

void AuthService::validate(const v1::ValidateRequest& request, const Caller& caller, Done<v1::ValidateReply> done) {
    auto claims = verified(request.access_token());
    if (!claims.ok()) return done(claims.status());
    if (!claims->device().empty() && claims->device() != request.device_fingerprint()) {
        return done(sdk::Status(sdk::Code::unauthenticated, "invalid access token: it is bound to another device"));
    }
    auto revoked = store_.access_token_revoked(claims->token_id());
    if (!revoked.ok()) return done(revoked.status());
    if (*revoked) return done(sdk::Status(sdk::Code::unauthenticated, "invalid access token: revoked (logged out)"));
    // A signature says who the user was when the token was issued; whether they may still act is Identity's.
    // Built before the call: the callback takes the claims, and arguments are evaluated in no set order.
    const identity::v1::CheckAccessRequest subject = access_request(claims->subject(), claims->device());
    identity_.check_access(caller, subject, [claims = std::move(*claims), done = std::move(done)](auto access) mutable {
        if (!access.ok() || access->access_size() != 1) {
            return done(sdk::unavailable("cannot check the account now: " + access.status().message()));
        }
        if (std::string refused = refusal_of(access->access(0)); !refused.empty()) {
            return done(sdk::Status(sdk::Code::unauthenticated, "invalid access token: " + refused));
        }
        v1::ValidateReply reply;
        *reply.mutable_claims() = std::move(claims);
        done(std::move(reply));
    });
}

void AuthService::recheck(const v1::RecheckRequest& request, const Caller& caller, Done<v1::RecheckReply> done) {
    if (request.sessions_size() > kMaxRecheck) {
        return done(sdk::invalid_argument("at most " + std::to_string(kMaxRecheck) + " sessions per call, not " +
                                          std::to_string(request.sessions_size())));
    }
    auto verdicts = std::make_shared<v1::RecheckReply>();
    identity::v1::CheckAccessRequest subjects;
    for (const v1::Session& session : request.sessions()) {
        v1::SessionVerdict& verdict = *verdicts->add_verdicts();
        verdict.set_valid(true);
        if (!session.token_id().empty()) {
            auto revoked = store_.access_token_revoked(session.token_id());
            if (!revoked.ok()) return done(revoked.status());
            if (*revoked) {
                verdict.set_valid(false);
                verdict.set_reason("logged out");
            }
        }
        identity::v1::AccessSubject& subject = *subjects.add_subjects();
        subject.set_user_id(session.user_id());
        subject.set_device_fingerprint(session.device_fingerprint());
    }
    if (subjects.subjects().empty()) return done(std::move(*verdicts));
    identity_.check_access(caller, subjects, [verdicts, done = std::move(done)](auto access) {
        if (!access.ok()) return done(sdk::unavailable("cannot check the accounts now: " + access.status().message()));
        if (access->access_size() != verdicts->verdicts_size()) {
            return done(sdk::Status(sdk::Code::internal, "Identity answered " + std::to_string(access->access_size()) +
                                                             " of " + std::to_string(verdicts->verdicts_size()) +
                                                             " subjects"));
        }
        for (int i = 0; i < access->access_size(); ++i) {
            v1::SessionVerdict& verdict = *verdicts->mutable_verdicts(i);
            std::string refused = refusal_of(access->access(i));
            if (verdict.valid() && !refused.empty()) {
                verdict.set_valid(false);
                verdict.set_reason(refused);
            }
        }
        done(std::move(*verdicts));
    });
}

void AuthService::refresh(const v1::RefreshRequest& request, const Caller& caller, Done<v1::LoginReply> done) {
    if (request.refresh_token().empty() || request.refresh_token().size() > kMaxRefreshToken)
        return done(kInvalidRefresh);
    if (sdk::Status checked = check_client(request.client()); !checked.ok()) return done(checked);
    const std::string hash = plugin_support::sha256_hex(request.refresh_token());
    auto found = store_.find_refresh(hash);
    if (!found.ok()) return done(found.status());
    if (!found->has_value()) return done(kInvalidRefresh);
    RefreshRecord old = **found;
    if (old.family_revoked) return done(sdk::Status(sdk::Code::unauthenticated, "refresh token revoked"));
    if (old.expires_unix_ms <= clock_()) return done(sdk::Status(sdk::Code::unauthenticated, "refresh token expired"));
    if (!old.device.empty() && old.device != request.client().device_fingerprint()) {
        record(caller, "user:" + old.username, "refresh_refused", "denied", {{"reason", "other_device"}});
        return done(sdk::Status(sdk::Code::unauthenticated, "refresh token is bound to another device"));
    }
    // The user may have been disabled or changed role, or the device revoked, since: ask Identity before
    // issuing anything.
    identity_.check_access(
        caller, access_request(old.user_id, old.device),
        [this, old, hash, caller, done = std::move(done)](sdk::Result<identity::v1::CheckAccessReply> access) {
            if (!access.ok() || access->access_size() != 1) {
                return done(sdk::unavailable("cannot check the user now: " + access.status().message()));
            }
            const int64_t now = clock_();
            const identity::v1::Access& verdict = access->access(0);
            if (verdict.state() != identity::v1::Access::ACTIVE) {
                const bool device = verdict.state() == identity::v1::Access::DEVICE_REVOKED;
                (void)store_.revoke_family(old.family_id, now);
                record(caller, "user:" + old.username, "refresh_refused", "denied",
                       {{"reason", device ? "device_revoked" : "user_disabled"}});
                return done(sdk::Status(sdk::Code::permission_denied, device
                                                                          ? "this device was revoked for this account"
                                                                          : "this account is disabled"));
            }
            const identity::v1::User* user = &verdict.user();
            std::string next_hash;
            int64_t expires = 0;
            auto pair =
                sign_pair({user->id(), user->username(), role_name(user->role()), old.device}, next_hash, expires);
            if (!pair.ok()) return done(pair.status());
            RefreshRecord next{next_hash, old.family_id, old.user_id, old.username, old.device, now, expires, 0, false};
            auto rotation = store_.rotate_refresh(hash, next, now);
            if (!rotation.ok()) return done(rotation.status());
            switch (*rotation) {
                case Rotation::rotated:
                    record(caller, "user:" + old.username, "refresh", "ok", {{"token_id", pair->claims().token_id()}});
                    return done(std::move(pair));
                case Rotation::reused:
                    // Someone holds a copy of a spent token: end every session that grew from that login.
                    record(caller, "user:" + old.username, "refresh_reuse", "denied", {{"family", old.family_id}});
                    return done(sdk::Status(sdk::Code::unauthenticated,
                                            "refresh token was already used; every session of that login is revoked"));
                case Rotation::revoked: return done(sdk::Status(sdk::Code::unauthenticated, "refresh token revoked"));
                case Rotation::unknown: return done(kInvalidRefresh);
            }
        });
}

sdk::Result<v1::LogoutReply> AuthService::logout(const v1::LogoutRequest& request, const Caller& caller) {
    // The session's token: the client edge authenticated this connection with it, whether or not the client
    // still holds a refresh token.
    const v1::Session& session = request.session();
    if (!session.token_id().empty()) {
        if (session.token_id().size() > kMaxClientField || session.user_id().size() > kMaxClientField) {
            return sdk::invalid_argument("session fields are at most " + std::to_string(kMaxClientField) + " bytes");
        }
        // Kept until the token would have expired anyway; never longer than a token can live.
        const int64_t latest = (clock_() + settings_.access_token_lifetime.count()) / 1000 + kClockSkewSeconds;
        const int64_t expires = session.expires_unix_s() > 0 ? std::min(session.expires_unix_s(), latest) : latest;
        if (sdk::Status revoked = store_.revoke_access_token(session.token_id(), expires); !revoked.ok())
            return revoked;
    }
    // With the session's token revoked the logout has happened: a refresh token Auth does not know (expired
    // and forgotten, or never one) needs no revoking, and the client is told it is logged out.
    const bool session_ended = !session.token_id().empty();
    auto session_only = [&] {
        record(caller, "user_id:" + session.user_id(), "logout", "ok", {{"token_id", session.token_id()}});
        return v1::LogoutReply();
    };
    if (request.refresh_token().empty() || request.refresh_token().size() > kMaxRefreshToken) {
        if (session_ended) return session_only();
        return kInvalidRefresh;
    }
    auto found = store_.find_refresh(plugin_support::sha256_hex(request.refresh_token()));
    if (!found.ok()) return found.status();
    if (!found->has_value()) {
        if (session_ended) return session_only();
        return kInvalidRefresh;
    }
    const int64_t now = clock_();
    if (sdk::Status revoked = store_.revoke_family((*found)->family_id, now); !revoked.ok()) return revoked;
    if (!request.access_token().empty()) {
        auto claims = verified(request.access_token());
        // A token of another user is not this logout's to revoke; an invalid one needs no revoking.
        if (claims.ok() && claims->subject() == (*found)->user_id) {
            if (sdk::Status revoked = store_.revoke_access_token(claims->token_id(), claims->expires_unix_s());
                !revoked.ok()) {
                return revoked;
            }
        }
    }
    record(caller, "user:" + (*found)->username, "logout", "ok", {{"family", (*found)->family_id}});
    return v1::LogoutReply();
}

sdk::Result<v1::KeysReply> AuthService::keys() {
    std::shared_lock lock(keys_mutex_);
    v1::KeysReply reply;
    for (const SigningKey& key : keys_) {
        auto jwk = public_jwk(key);
        if (!jwk.ok()) return jwk.status();
        v1::PublicKey& out = *reply.add_keys();
        out.set_key_id(key.id);
        out.set_algorithm("ES256");
        out.set_public_key_pem(key.public_key_pem);
        out.set_jwk(*jwk);
        out.set_created_unix_ms(key.created_unix_ms);
        out.set_retired_unix_ms(key.retired_unix_ms);
    }
    return reply;
}

}  // namespace lanchat::auth
