#include "access_token.hpp"

#include <jwt.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "lanchat/ids/random_id.hpp"
#include "text.hpp"

namespace lanchat::auth {
namespace {

using Json = nlohmann::json;

struct JwtFree {
    void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtFree>;
struct CFree {
    void operator()(char* text) const { free(text); }  // NOLINT: libjwt's strings come from malloc
};
using CString = std::unique_ptr<char, CFree>;
struct PkeyFree {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct BioFree {
    void operator()(BIO* bio) const { BIO_free(bio); }
};
struct BnFree {
    void operator()(BIGNUM* bn) const { BN_free(bn); }
};
struct SigFree {
    void operator()(ECDSA_SIG* signature) const { ECDSA_SIG_free(signature); }
};
struct MdContextFree {
    void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};

sdk::Status refused(const std::string& why) { return {sdk::Code::unauthenticated, "invalid access token: " + why}; }

std::string bio_text(BIO* bio) {
    char* data = nullptr;
    long length = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<size_t>(length));
}

sdk::Result<std::string> coordinate(EVP_PKEY* key, const char* name) {
    BIGNUM* raw = nullptr;
    if (EVP_PKEY_get_bn_param(key, name, &raw) != 1) return sdk::internal_error("cannot read the EC public key");
    std::unique_ptr<BIGNUM, BnFree> value(raw);
    std::string bytes(32, '\0');
    if (BN_bn2binpad(value.get(), reinterpret_cast<unsigned char*>(bytes.data()), 32) != 32) {
        return sdk::internal_error("EC coordinate does not fit 32 bytes");
    }
    return plugin_support::base64url_encode(bytes);
}

// The JOSE header is read before any key is chosen: only {"alg":"ES256"} with a known `kid` goes on to
// the signature check, so `none`, HMAC-with-the-public-key and other algorithm confusions never reach a verifier.
sdk::Result<std::string> key_id_of(std::string_view token) {
    size_t first = token.find('.');
    size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
    if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
        return refused("not a JWT (three dot-separated parts expected)");
    }
    if (second + 1 == token.size()) return refused("unsigned token");
    std::string header_text;
    if (!plugin_support::base64url_decode(token.substr(0, first), header_text))
        return refused("header is not base64url");
    Json header = Json::parse(header_text, nullptr, false);
    if (header.is_discarded() || !header.is_object()) return refused("header is not a JSON object");
    auto alg = header.find("alg");
    if (alg == header.end() || !alg->is_string() || *alg != "ES256") return refused("algorithm must be ES256");
    auto typ = header.find("typ");
    if (typ != header.end() && (!typ->is_string() || *typ != "JWT")) return refused("typ must be JWT");
    auto kid = header.find("kid");
    if (kid == header.end() || !kid->is_string()) return refused("no kid header");
    for (const auto& [name, value] : header.items()) {
        if (name != "alg" && name != "typ" && name != "kid") return refused("unexpected header '" + name + "'");
    }
    return kid->get<std::string>();
}

std::shared_ptr<EVP_PKEY> read_public_key(const std::string& pem) {
    std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    return std::shared_ptr<EVP_PKEY>(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr), PkeyFree());
}

// ES256 (RFC 7518 3.4): `signature` is r and s, 32 bytes each, over the token's "header.payload".
bool signature_verifies(EVP_PKEY* key, std::string_view signed_part, std::string_view signature) {
    if (signature.size() != 64) return false;
    const auto* raw = reinterpret_cast<const unsigned char*>(signature.data());
    std::unique_ptr<ECDSA_SIG, SigFree> parsed(ECDSA_SIG_new());
    BIGNUM* r = BN_bin2bn(raw, 32, nullptr);
    BIGNUM* s = BN_bin2bn(raw + 32, 32, nullptr);
    if (!parsed || r == nullptr || s == nullptr || ECDSA_SIG_set0(parsed.get(), r, s) != 1) {
        BN_free(r);
        BN_free(s);
        return false;
    }
    unsigned char* der = nullptr;
    int der_size = i2d_ECDSA_SIG(parsed.get(), &der);
    if (der_size <= 0) return false;
    std::unique_ptr<EVP_MD_CTX, MdContextFree> context(EVP_MD_CTX_new());
    bool verified =
        context && EVP_DigestVerifyInit(context.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
        EVP_DigestVerify(context.get(), der, static_cast<size_t>(der_size),
                         reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size()) == 1;
    OPENSSL_free(der);
    return verified;
}

// The claims of a payload whose signature verified: strings where strings are due, whole numbers for the times.
sdk::Result<v1::Claims> claims_of(std::string_view payload_part, const std::string& key_id) {
    std::string payload_text;
    if (!plugin_support::base64url_decode(payload_part, payload_text)) return refused("payload is not base64url");
    Json payload = Json::parse(payload_text, nullptr, false);
    if (payload.is_discarded() || !payload.is_object()) return refused("payload is not a JSON object");
    auto text = [&](const char* name) -> const std::string* {
        auto found = payload.find(name);
        return found != payload.end() && found->is_string() ? found->get_ptr<const std::string*>() : nullptr;
    };
    auto number = [&](const char* name) -> std::optional<int64_t> {
        auto found = payload.find(name);
        if (found == payload.end() || !found->is_number_integer()) return std::nullopt;
        return found->get<int64_t>();
    };
    if (text("iss") == nullptr || *text("iss") != kIssuer) return refused("wrong issuer");
    if (text("sub") == nullptr || text("jti") == nullptr || text("name") == nullptr) {
        return refused("sub, name and jti are required");
    }
    v1::Claims claims;
    claims.set_subject(*text("sub"));
    claims.set_username(*text("name"));
    claims.set_token_id(*text("jti"));
    if (payload.contains("dev")) {
        if (text("dev") == nullptr) return refused("dev must be a string");
        claims.set_device(*text("dev"));
    }
    std::optional<int64_t> issued = number("iat"), expires = number("exp");
    if (!issued || !expires || *expires <= 0) return refused("iat and exp must be numbers");
    claims.set_issued_unix_s(*issued);
    claims.set_expires_unix_s(*expires);
    if (auto roles = payload.find("roles"); roles != payload.end()) {
        if (!roles->is_array()) return refused("roles must be an array");
        for (const Json& role : *roles) {
            if (!role.is_string()) return refused("roles must be strings");
            claims.add_roles(role.get<std::string>());
        }
    }
    claims.set_key_id(key_id);
    return claims;
}

}  // namespace

sdk::Result<SigningKey> generate_signing_key(int64_t now_unix_ms) {
    std::unique_ptr<EVP_PKEY, PkeyFree> key(EVP_EC_gen("P-256"));
    if (!key) return sdk::internal_error("cannot generate a P-256 key");
    std::unique_ptr<BIO, BioFree> private_pem(BIO_new(BIO_s_mem())), public_pem(BIO_new(BIO_s_mem()));
    if (PEM_write_bio_PrivateKey(private_pem.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
        PEM_write_bio_PUBKEY(public_pem.get(), key.get()) != 1) {
        return sdk::internal_error("cannot encode the signing key");
    }
    SigningKey generated{ids::random_id("k_"), bio_text(private_pem.get()), bio_text(public_pem.get()), now_unix_ms, 0};
    if (sdk::Status parsed = parse_public_key(generated); !parsed.ok()) return parsed;
    return generated;
}

sdk::Status parse_public_key(SigningKey& key) {
    key.public_key = read_public_key(key.public_key_pem);
    if (!key.public_key) return sdk::internal_error("signing key " + key.id + ": its public key PEM does not parse");
    return {};
}

sdk::Result<std::string> public_jwk(const SigningKey& key) {
    std::unique_ptr<BIO, BioFree> pem(
        BIO_new_mem_buf(key.public_key_pem.data(), static_cast<int>(key.public_key_pem.size())));
    std::unique_ptr<EVP_PKEY, PkeyFree> parsed(PEM_read_bio_PUBKEY(pem.get(), nullptr, nullptr, nullptr));
    if (!parsed) return sdk::internal_error("cannot read public key " + key.id);
    auto x = coordinate(parsed.get(), OSSL_PKEY_PARAM_EC_PUB_X);
    auto y = coordinate(parsed.get(), OSSL_PKEY_PARAM_EC_PUB_Y);
    if (!x.ok()) return x.status();
    if (!y.ok()) return y.status();
    return Json{{"kty", "EC"},   {"crv", "P-256"}, {"x", *x},     {"y", *y},
                {"kid", key.id}, {"alg", "ES256"}, {"use", "sig"}}
        .dump();
}

sdk::Result<std::string> sign_access_token(const v1::Claims& claims, const SigningKey& key) {
    jwt_t* raw = nullptr;
    if (jwt_new(&raw) != 0) return sdk::internal_error("jwt_new failed");
    JwtPtr jwt(raw);
    Json roles = Json::array();
    for (const std::string& role : claims.roles()) roles.push_back(role);
    bool built =
        jwt_add_grant(jwt.get(), "iss", kIssuer) == 0 &&
        jwt_add_grant(jwt.get(), "sub", claims.subject().c_str()) == 0 &&
        jwt_add_grant(jwt.get(), "name", claims.username().c_str()) == 0 &&
        jwt_add_grant(jwt.get(), "jti", claims.token_id().c_str()) == 0 &&
        jwt_add_grant_int(jwt.get(), "iat", claims.issued_unix_s()) == 0 &&
        jwt_add_grant_int(jwt.get(), "exp", claims.expires_unix_s()) == 0 &&
        jwt_add_grants_json(jwt.get(), Json{{"roles", roles}}.dump().c_str()) == 0 &&
        (claims.device().empty() || jwt_add_grant(jwt.get(), "dev", claims.device().c_str()) == 0) &&
        jwt_add_header(jwt.get(), "kid", key.id.c_str()) == 0 &&
        jwt_set_alg(jwt.get(), JWT_ALG_ES256, reinterpret_cast<const unsigned char*>(key.private_key_pem.data()),
                    static_cast<int>(key.private_key_pem.size())) == 0;
    if (!built) return sdk::internal_error("cannot build the access token");
    CString token(jwt_encode_str(jwt.get()));
    if (!token) return sdk::internal_error("cannot sign the access token");
    return std::string(token.get());
}

sdk::Result<v1::Claims> verify_access_token(std::string_view token, const KeyLookup& keys, int64_t now_unix_s) {
    if (token.empty()) return refused("no token");
    if (token.size() > kMaxTokenBytes) return refused("longer than " + std::to_string(kMaxTokenBytes) + " bytes");
    auto key_id = key_id_of(token);
    if (!key_id.ok()) return key_id.status();
    const SigningKey* key = keys(*key_id);
    if (key == nullptr) return refused("signed by an unknown key '" + key_id->substr(0, 32) + "'");
    std::shared_ptr<EVP_PKEY> public_key = key->public_key ? key->public_key : read_public_key(key->public_key_pem);
    const size_t first = token.find('.'), second = token.find('.', first + 1);  // key_id_of checked both are there
    std::string signature;
    if (!public_key || !plugin_support::base64url_decode(token.substr(second + 1), signature) ||
        !signature_verifies(public_key.get(), token.substr(0, second), signature)) {
        return refused("signature does not verify");
    }
    auto claims = claims_of(token.substr(first + 1, second - first - 1), *key_id);
    if (!claims.ok()) return claims.status();
    if (claims->expires_unix_s() <= now_unix_s) return refused("expired");
    if (claims->issued_unix_s() > now_unix_s + kClockSkewSeconds) return refused("issued in the future");
    return claims;
}

}  // namespace lanchat::auth
