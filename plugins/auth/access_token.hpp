// Access tokens: JWTs signed with ES256 through libjwt, with a `kid` header naming the signing key.
// Verification is strict: exactly ES256, a known key, our issuer, an unexpired token, a sane size. It is ours
// (one ECDSA check with the key parsed once), not libjwt's, which parses the PEM key again for every token.
#pragma once

#include <openssl/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "lanchat/auth/v1/auth.pb.h"
#include "lanchat/sdk/status.hpp"

namespace lanchat::auth {

// One ECDSA P-256 key pair. A key signs while it is current; once retired it only verifies, until every
// token it signed has expired.
struct SigningKey {
    std::string id;  // "k_" + 16 hex digits, the JWT `kid`
    std::string private_key_pem;
    std::string public_key_pem;
    int64_t created_unix_ms = 0;
    int64_t retired_unix_ms = 0;  // 0 while current
    // public_key_pem parsed once and shared by every copy: OpenSSL 3 takes several times as long to parse a
    // PEM key as to check a signature with it, and every connection's token is checked. Empty until
    // parse_public_key (generate_signing_key fills it); verify_access_token then parses for each token.
    std::shared_ptr<EVP_PKEY> public_key{};
};

constexpr size_t kMaxTokenBytes = 4096;
constexpr int64_t kClockSkewSeconds = 60;
constexpr const char* kIssuer = "lanchat";

sdk::Result<SigningKey> generate_signing_key(int64_t now_unix_ms);
// Fills `key.public_key` from its PEM; INTERNAL when the PEM is not a public key.
sdk::Status parse_public_key(SigningKey& key);
// The public half as a JSON Web Key (kty EC, crv P-256, x, y, kid, alg, use).
sdk::Result<std::string> public_jwk(const SigningKey& key);

sdk::Result<std::string> sign_access_token(const v1::Claims& claims, const SigningKey& key);

// Returns the key for a `kid`, or nullptr when unknown.
using KeyLookup = std::function<const SigningKey*(const std::string& key_id)>;

// The claims of `token` if it is a well-formed ES256 JWT signed by a known key and not expired at `now`.
// Every refusal is UNAUTHENTICATED with the reason.
sdk::Result<v1::Claims> verify_access_token(std::string_view token, const KeyLookup& keys, int64_t now_unix_s);

}  // namespace lanchat::auth
